//! Webhook signature schemes: a per-tenant strategy ([`SignatureScheme`]).
//!
//! Adding a scheme = one small file implementing the trait, one line in [`scheme`], and its tests.
//! Every failure is the same [`SignatureError`] outward ("Invalid signature.", 401); the reason
//! is available for logs only ([`SignatureError::log_reason`]).

pub mod oms;
pub mod wss;

use std::collections::{BTreeMap, HashMap};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::error::SyncError;

pub use oms::OmsScheme;
pub use wss::WssScheme;

/// Maximum distance in seconds between the signed timestamp and now, past or future.
pub const WINDOW_SECONDS: i64 = 300;

/// Read access to request headers. Names are matched ASCII case-insensitively.
pub trait Headers {
    /// Every value of header `name`, in order; empty when absent.
    fn header_values(&self, name: &str) -> Vec<&str>;
}

fn matching<'a, K: AsRef<str> + 'a, V: AsRef<str> + 'a>(
    pairs: impl Iterator<Item = (&'a K, &'a V)>,
    name: &str,
) -> Vec<&'a str> {
    pairs
        .filter(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref())
        .collect()
}

impl<T: Headers + ?Sized> Headers for &T {
    fn header_values(&self, name: &str) -> Vec<&str> {
        (**self).header_values(name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for [(K, V)] {
    fn header_values(&self, name: &str) -> Vec<&str> {
        matching(self.iter().map(|(k, v)| (k, v)), name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>, const N: usize> Headers for [(K, V); N] {
    fn header_values(&self, name: &str) -> Vec<&str> {
        self.as_slice().header_values(name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for Vec<(K, V)> {
    fn header_values(&self, name: &str) -> Vec<&str> {
        self.as_slice().header_values(name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for BTreeMap<K, V> {
    fn header_values(&self, name: &str) -> Vec<&str> {
        matching(self.iter(), name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>, S> Headers for HashMap<K, V, S> {
    fn header_values(&self, name: &str) -> Vec<&str> {
        matching(self.iter(), name)
    }
}

/// axum / lambda_http headers. Values that are not visible ASCII are skipped (so they count as
/// absent, which fails verification).
impl Headers for http::HeaderMap {
    fn header_values(&self, name: &str) -> Vec<&str> {
        self.get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    }
}

/// A successful verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The scheme's name (`"oms"`, `"wss"`).
    pub scheme: &'static str,
    /// The sender's timestamp (unix seconds), already checked against the window.
    pub timestamp: i64,
    /// Index into the `secrets` slice of the secret that matched (rotation metrics).
    pub secret_index: usize,
    /// Schemes whose timestamp is not signed return a key the caller MUST record once (for at
    /// least the window, e.g. a conditional put with a TTL of 2 × [`WINDOW_SECONDS`]) and treat
    /// a second sighting as a duplicate. `None` when the event id + version already make replays
    /// harmless (the `oms` scheme signs its timestamp).
    pub replay_key: Option<String>,
}

/// Why verification failed: for logs only, never for the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    MissingHeader,
    MalformedHeader,
    OutsideWindow,
    NoSecret,
    Mismatch,
}

/// The only signature error: its `Display` (and [`SyncError`] conversion) never tells which part
/// failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid signature.")]
pub struct SignatureError {
    failure: Failure,
}

impl SignatureError {
    pub(crate) fn new(failure: Failure) -> Self {
        SignatureError { failure }
    }

    #[cfg(test)]
    pub(crate) fn failure(&self) -> Failure {
        self.failure
    }

    /// A short reason for server logs (`missing_header`, `malformed_header`, `outside_window`,
    /// `no_secret`, `mismatch`). Never send it to the caller.
    pub fn log_reason(&self) -> &'static str {
        match self.failure {
            Failure::MissingHeader => "missing_header",
            Failure::MalformedHeader => "malformed_header",
            Failure::OutsideWindow => "outside_window",
            Failure::NoSecret => "no_secret",
            Failure::Mismatch => "mismatch",
        }
    }
}

impl From<SignatureError> for SyncError {
    fn from(_: SignatureError) -> Self {
        SyncError::invalid_signature()
    }
}

/// A per-tenant webhook signature strategy.
pub trait SignatureScheme: Send + Sync {
    /// Stable name used in tenant configuration (`"oms"`, `"wss"`).
    fn name(&self) -> &'static str;

    /// Verifies `raw_body` (the exact bytes received, before any parsing) against the tenant's
    /// active `secrets` (empty strings are ignored). `now_unix` is the current time in seconds.
    ///
    /// # Errors
    /// [`SignatureError`] for a missing or malformed header, a timestamp more than
    /// [`WINDOW_SECONDS`] away from `now_unix`, no usable secret, or no matching MAC.
    fn verify(
        &self,
        headers: &dyn Headers,
        raw_body: &[u8],
        secrets: &[String],
        now_unix: i64,
    ) -> Result<Verified, SignatureError>;
}

/// The scheme registered under `name` (case-insensitive): `oms` (default) or `wss` (legacy).
pub fn scheme(name: &str) -> Option<&'static dyn SignatureScheme> {
    static OMS: OmsScheme = OmsScheme;
    static WSS: WssScheme = WssScheme;
    match name.trim().to_ascii_lowercase().as_str() {
        "oms" => Some(&OMS),
        "wss" => Some(&WSS),
        _ => None,
    }
}

/// Length of an HMAC-SHA256 tag.
pub(crate) const MAC_LEN: usize = 32;

/// HMAC-SHA256 over the concatenation of `parts`.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Option<[u8; MAC_LEN]> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).ok()?;
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().as_slice().try_into().ok()
}

/// Constant-time equality of two tags.
pub(crate) fn tags_equal(a: &[u8; MAC_LEN], b: &[u8; MAC_LEN]) -> bool {
    a.ct_eq(b).into()
}

/// `|now - t| <= WINDOW_SECONDS`, without overflow.
pub(crate) fn within_window(t: i64, now: i64) -> bool {
    (i128::from(now) - i128::from(t)).abs() <= i128::from(WINDOW_SECONDS)
}

/// Secrets that can sign, with their index in the tenant's list.
pub(crate) fn usable_secrets(secrets: &[String]) -> impl Iterator<Item = (usize, &[u8])> {
    secrets
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.is_empty())
        .map(|(i, s)| (i, s.as_bytes()))
}

/// The one value of a header that must appear exactly once.
pub(crate) fn single_header<'a>(
    headers: &'a dyn Headers,
    name: &str,
) -> Result<&'a str, SignatureError> {
    let values = headers.header_values(name);
    match values.as_slice() {
        [] => Err(SignatureError::new(Failure::MissingHeader)),
        [one] => Ok(one.trim()),
        _ => Err(SignatureError::new(Failure::MalformedHeader)),
    }
}

/// Unix seconds as sent in a header: ASCII digits only, at most 12 of them.
pub(crate) fn parse_unix_seconds(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 12 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

pub(crate) fn hex_encode(bytes: &[u8]) -> String {
    let digit = |n: u8| char::from_digit(u32::from(n), 16).unwrap_or('0');
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(digit(b >> 4));
        out.push(digit(b & 0x0f));
    }
    out
}

/// Decodes exactly 64 hex digits (either case) into a tag.
pub(crate) fn hex_decode_tag(raw: &str) -> Option<[u8; MAC_LEN]> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = raw.as_bytes();
    if bytes.len() != MAC_LEN * 2 {
        return None;
    }
    let mut out = [0u8; MAC_LEN];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let (hi, lo) = match pair {
            [hi, lo] => (nibble(*hi)?, nibble(*lo)?),
            _ => return None,
        };
        *slot = (hi << 4) | lo;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_matches_rfc_4231_test_case_2() {
        let tag =
            hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]).map(|t| hex_encode(&t));
        assert_eq!(
            tag.as_deref(),
            Some("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        );
    }

    #[test]
    fn hex_round_trips_and_rejects_bad_input() {
        let tag = [0xabu8; MAC_LEN];
        let hex = hex_encode(&tag);
        assert_eq!(hex_decode_tag(&hex), Some(tag));
        assert_eq!(hex_decode_tag(&hex.to_uppercase()), Some(tag));
        assert_eq!(hex_decode_tag(&hex[..62]), None);
        assert_eq!(hex_decode_tag(&format!("{}zz", &hex[..62])), None);
    }

    #[test]
    fn header_lookup_is_case_insensitive_for_every_container() {
        let arr = [("OMS-SIGNATURE", "a")];
        assert_eq!(arr.header_values("oms-signature"), vec!["a"]);
        let vec = vec![("Oms-Signature".to_string(), "b".to_string())];
        assert_eq!(vec.header_values("oms-signature"), vec!["b"]);
        let map: BTreeMap<&str, &str> = [("oms-signature", "c")].into_iter().collect();
        assert_eq!(map.header_values("OMS-Signature"), vec!["c"]);
        let hash: HashMap<String, String> = [("X-Wss-Timestamp".to_string(), "1".to_string())]
            .into_iter()
            .collect();
        assert_eq!(hash.header_values("x-wss-timestamp"), vec!["1"]);
        let mut hm = http::HeaderMap::new();
        hm.insert("oms-signature", http::HeaderValue::from_static("d"));
        assert_eq!(hm.header_values("Oms-Signature"), vec!["d"]);
        assert!(hm.header_values("x-wss-signature").is_empty());
    }

    #[test]
    fn the_window_is_inclusive_at_300_seconds_both_ways() {
        assert!(within_window(1_000, 1_300));
        assert!(within_window(1_300, 1_000));
        assert!(!within_window(1_000, 1_301));
        assert!(!within_window(1_301, 1_000));
        assert!(!within_window(i64::MIN, i64::MAX));
    }

    #[test]
    fn schemes_are_looked_up_by_name() {
        assert_eq!(scheme("oms").map(|s| s.name()), Some("oms"));
        assert_eq!(scheme(" WSS ").map(|s| s.name()), Some("wss"));
        assert!(scheme("github").is_none());
    }

    #[test]
    fn the_outward_error_never_names_the_failed_part() {
        for failure in [
            Failure::MissingHeader,
            Failure::MalformedHeader,
            Failure::OutsideWindow,
            Failure::Mismatch,
        ] {
            let e = SignatureError::new(failure);
            assert_eq!(e.to_string(), "Invalid signature.");
            assert_eq!(SyncError::from(e), SyncError::invalid_signature());
        }
    }
}
