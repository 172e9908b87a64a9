//! Opaque, tamper-evident list cursors (docs/data-model.md, "List cursors").
//!
//! A cursor is `base64url(version ‖ position ‖ tag)` without padding:
//! - `version`: one byte, [`VERSION`];
//! - `position`: JSON object of the store key attributes where the next page starts (`pk`, `sk`
//!   and the index's sort key; the index's partition key is the list's partition and is implied);
//! - `tag`: HMAC-SHA256 under the deployment's [`CursorKey`] of a domain label, the version, the
//!   list's **scope** (tenant, caller kind and id, status filter; each length-prefixed) and the
//!   position.
//!
//! The scope is inside the MAC'd data but not inside the cursor: a cursor only verifies for the
//! list it was made for, so one of another tenant, customer, vendor or status filter, a forged,
//! truncated or altered one, or one signed under another key, all decode to `None` (the use case
//! answers `INVALID_INPUT` on `["after"]`). The position is parsed only after the tag verified
//! (in constant time), and must still lie in the list's partition.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use oms_store::{Item, Value};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The cursor format version (1 was the unsigned JSON cursor; those are refused).
pub const VERSION: u8 = 2;
/// Longest cursor accepted, in characters (ours are a few hundred).
pub const MAX_CURSOR_CHARS: usize = 2048;
/// The secret [`CursorKey::local_default`] is derived from: public, for local use only
/// (`oms serve`, tests). A deployment sets its own (`OMS_CURSOR_SECRET`, docs/runtime.md).
pub const LOCAL_DEFAULT_SECRET: &str = "oms-local-development-cursor-secret";

const TAG_LEN: usize = 32;
const KEY_LABEL: &[u8] = b"oms list cursor key v2";
const TAG_LABEL: &[u8] = b"oms list cursor v2";

/// The MAC key of list cursors: HMAC-SHA256(secret, "oms list cursor key v2"), so the secret is
/// never used directly and a secret shared with something else still gives a key of its own.
#[derive(Clone, PartialEq, Eq)]
pub struct CursorKey([u8; 32]);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

impl CursorKey {
    /// The key derived from a per-deployment secret.
    pub fn from_secret(secret: &[u8]) -> Self {
        let mut mac = new_mac(secret);
        mac.update(KEY_LABEL);
        CursorKey(mac.finalize().into_bytes().into())
    }

    /// The key of [`LOCAL_DEFAULT_SECRET`] (what `Repository::new` uses).
    pub fn local_default() -> Self {
        Self::from_secret(LOCAL_DEFAULT_SECRET.as_bytes())
    }

    fn tag(&self, scope: &[&str], position: &[u8]) -> HmacSha256 {
        let mut mac = new_mac(&self.0);
        mac.update(TAG_LABEL);
        mac.update(&[VERSION]);
        for part in scope {
            mac.update(&u64::try_from(part.len()).unwrap_or(u64::MAX).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.update(position);
        mac
    }
}

fn new_mac(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; the error arm cannot happen.
    <HmacSha256 as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <HmacSha256 as KeyInit>::new(&Default::default()))
}

/// Where the cursors of one list point: the index's key attribute names and the list's partition.
#[derive(Debug, Clone, Copy)]
pub struct ListIndex<'a> {
    /// The index's partition key attribute (`gsi1pk`, …).
    pub pk_attr: &'a str,
    /// The index's sort key attribute (`gsi1sk`, …).
    pub sk_attr: &'a str,
    /// The list's partition (the value of `pk_attr` every position must have).
    pub partition: &'a str,
}

impl ListIndex<'_> {
    /// The attributes a position carries (besides the implied `pk_attr`).
    fn attrs(&self) -> Vec<&str> {
        let mut attrs = vec!["pk", "sk", self.sk_attr];
        attrs.retain(|a| *a != self.pk_attr);
        attrs.sort_unstable();
        attrs.dedup();
        attrs
    }
}

/// The cursor of the position `key` (an item's key attributes, or a store page's `last_key`) in
/// the list `scope` over `index`. `None` when `key` is not a position of that list (it lacks one
/// of the key attributes or lies in another partition): the caller then has no cursor to give.
pub fn encode(key: &CursorKey, scope: &[&str], index: ListIndex<'_>, at: &Item) -> Option<String> {
    if at.get(index.pk_attr).and_then(Value::as_s) != Some(index.partition) {
        return None;
    }
    let mut position = BTreeMap::new();
    for attr in index.attrs() {
        position.insert(attr, at.get(attr).and_then(Value::as_s)?);
    }
    let body = serde_json::to_vec(&position).ok()?;
    let tag = key.tag(scope, &body).finalize().into_bytes();
    let mut raw = Vec::with_capacity(1 + body.len() + TAG_LEN);
    raw.push(VERSION);
    raw.extend_from_slice(&body);
    raw.extend_from_slice(&tag);
    Some(URL_SAFE_NO_PAD.encode(raw))
}

/// The store start key of `cursor` for the list `scope` over `index`; `None` when the cursor is
/// malformed, truncated, altered, signed under another key or made for another list.
pub fn decode(key: &CursorKey, cursor: &str, scope: &[&str], index: ListIndex<'_>) -> Option<Item> {
    if cursor.len() > MAX_CURSOR_CHARS {
        return None;
    }
    let raw = URL_SAFE_NO_PAD.decode(cursor.as_bytes()).ok()?;
    let (&version, rest) = raw.split_first()?;
    if version != VERSION || rest.len() <= TAG_LEN {
        return None;
    }
    let (body, tag) = rest.split_at(rest.len() - TAG_LEN);
    key.tag(scope, body).verify_slice(tag).ok()?;
    // Signed by us for this list: still checked, never trusted blindly.
    let position: BTreeMap<String, String> = serde_json::from_slice(body).ok()?;
    let attrs = index.attrs();
    if position.len() != attrs.len() || attrs.iter().any(|a| !position.contains_key(*a)) {
        return None;
    }
    let mut start: Item = position
        .into_iter()
        .map(|(k, v)| (k, Value::S(v)))
        .collect();
    start.insert(
        index.pk_attr.to_string(),
        Value::S(index.partition.to_string()),
    );
    Some(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCOPE: [&str; 4] = ["a", "C", "c1", ""];

    fn index(partition: &str) -> ListIndex<'_> {
        ListIndex {
            pk_attr: "gsi1pk",
            sk_attr: "gsi1sk",
            partition,
        }
    }

    fn position(p: &str) -> Item {
        Item::from([
            ("pk".to_string(), Value::S("T#a#ORDER#1".into())),
            ("sk".to_string(), Value::S("ORDER".into())),
            ("gsi1pk".to_string(), Value::S(p.into())),
            ("gsi1sk".to_string(), Value::S("2026#1".into())),
        ])
    }

    fn cursor() -> String {
        let k = CursorKey::local_default();
        encode(&k, &SCOPE, index("T#a#CUST#c1"), &position("T#a#CUST#c1")).unwrap()
    }

    #[test]
    fn a_cursor_round_trips_for_its_own_list_only() {
        let k = CursorKey::local_default();
        let c = cursor();
        assert_eq!(
            decode(&k, &c, &SCOPE, index("T#a#CUST#c1")),
            Some(position("T#a#CUST#c1"))
        );
        for (why, scope) in [
            ("other tenant", ["b", "C", "c1", ""]),
            ("other customer", ["a", "C", "c2", ""]),
            ("vendor list", ["a", "V", "c1", ""]),
            ("other filter", ["a", "C", "c1", "PENDING"]),
            // Length prefixes: moving a boundary between parts changes the tag.
            ("shifted parts", ["aC", "", "c1", ""]),
        ] {
            assert_eq!(decode(&k, &c, &scope, index("T#a#CUST#c1")), None, "{why}");
        }
        // Another deployment's key.
        let other = CursorKey::from_secret(b"another deployment's secret");
        assert_ne!(other, k);
        assert_eq!(decode(&other, &c, &SCOPE, index("T#a#CUST#c1")), None);
    }

    #[test]
    fn altered_truncated_and_forged_cursors_are_refused() {
        let k = CursorKey::local_default();
        let c = cursor();
        let raw = URL_SAFE_NO_PAD.decode(&c).unwrap();
        for i in 0..raw.len() {
            let mut bad = raw.clone();
            bad[i] ^= 0x01;
            let bad = URL_SAFE_NO_PAD.encode(bad);
            assert_eq!(
                decode(&k, &bad, &SCOPE, index("T#a#CUST#c1")),
                None,
                "byte {i}"
            );
        }
        for cut in 0..c.len() {
            assert_eq!(decode(&k, &c[..cut], &SCOPE, index("T#a#CUST#c1")), None);
        }
        let mut longer = c.clone();
        longer.push('A');
        assert_eq!(decode(&k, &longer, &SCOPE, index("T#a#CUST#c1")), None);
        // The unsigned version-1 format, plain JSON, garbage, huge input.
        let v1 = URL_SAFE_NO_PAD
            .encode(br#"{"v":1,"q":"a|C:c1|","k":[["pk","T#b#ORDER#1"],["sk","ORDER"]]}"#);
        for bad in [
            v1.as_str(),
            "e30",
            "not base64!",
            "",
            "AA",
            &"A".repeat(5000),
        ] {
            assert_eq!(decode(&k, bad, &SCOPE, index("T#a#CUST#c1")), None, "{bad}");
        }
        // A well-signed body that is not a position of this list (forged with the key).
        let forge = |body: &[u8]| {
            let tag = k.tag(&SCOPE, body).finalize().into_bytes();
            let mut raw = vec![VERSION];
            raw.extend_from_slice(body);
            raw.extend_from_slice(&tag);
            URL_SAFE_NO_PAD.encode(raw)
        };
        for body in [
            &b"[]"[..],
            br#"{"pk":"x"}"#,
            br#"{"pk":"x","sk":"y","gsi1sk":"z","gsi2sk":"w"}"#,
            br#"{"pk":1,"sk":"y","gsi1sk":"z"}"#,
        ] {
            assert_eq!(decode(&k, &forge(body), &SCOPE, index("T#a#CUST#c1")), None);
        }
        // The partition is implied by the list: a signed position cannot name another.
        let start = decode(
            &k,
            &forge(br#"{"gsi1sk":"z","pk":"x","sk":"y"}"#),
            &SCOPE,
            index("T#a#CUST#c1"),
        )
        .unwrap();
        assert_eq!(start.get("gsi1pk"), Some(&Value::S("T#a#CUST#c1".into())));
    }

    #[test]
    fn only_positions_of_the_list_get_a_cursor() {
        let k = CursorKey::local_default();
        assert_eq!(
            encode(&k, &SCOPE, index("T#a#CUST#c1"), &position("T#b#CUST#c1")),
            None
        );
        let mut partial = position("T#a#CUST#c1");
        partial.remove("gsi1sk");
        assert_eq!(encode(&k, &SCOPE, index("T#a#CUST#c1"), &partial), None);
    }

    #[test]
    fn the_key_is_derived_and_never_printed() {
        let k = CursorKey::from_secret(b"s3cret");
        assert_ne!(&k.0[..], b"s3cret");
        assert_eq!(format!("{k:?}"), "CursorKey(..)");
        assert_eq!(CursorKey::from_secret(b"s3cret"), k);
    }
}
