//! Opaque list cursors, bound to the tenant and to the query they came from: a cursor of tenant A
//! (or of another customer, vendor or status filter) is rejected for any other query.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use oms_store::{Item, Value};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct CursorBody {
    v: u8,
    /// Tenant + owner + status: the query identity.
    q: String,
    /// The index key attributes of the last order returned.
    k: Vec<(String, String)>,
}

/// Encodes the position after `last_key` for the query `identity`.
pub fn encode(identity: &str, last_key: &Item) -> String {
    let k = last_key
        .iter()
        .filter_map(|(name, v)| v.as_s().map(|s| (name.clone(), s.to_string())))
        .collect();
    let body = CursorBody {
        v: 1,
        q: identity.to_string(),
        k,
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&body).unwrap_or_default())
}

/// Decodes a cursor; `None` when it is malformed or belongs to another query. The key must also
/// lie in `expected_partition` of the index (`index_pk_attr`), so a forged cursor cannot point
/// into another tenant's partition.
pub fn decode(
    cursor: &str,
    identity: &str,
    index_pk_attr: &str,
    expected_partition: &str,
) -> Option<Item> {
    if cursor.len() > 2048 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor.as_bytes()).ok()?;
    let body: CursorBody = serde_json::from_slice(&bytes).ok()?;
    if body.v != 1 || body.q != identity {
        return None;
    }
    let item: Item = body.k.into_iter().map(|(k, v)| (k, Value::S(v))).collect();
    let pk = item.get(index_pk_attr).and_then(Value::as_s)?;
    (pk == expected_partition && item.contains_key("pk") && item.contains_key("sk")).then_some(item)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(p: &str) -> Item {
        Item::from([
            ("pk".to_string(), Value::S("T#a#ORDER#1".into())),
            ("sk".to_string(), Value::S("ORDER".into())),
            ("gsi1pk".to_string(), Value::S(p.into())),
            ("gsi1sk".to_string(), Value::S("2026#1".into())),
        ])
    }

    #[test]
    fn a_cursor_round_trips_for_its_own_query_only() {
        let c = encode("a|C:c1|", &key("T#a#CUST#c1"));
        assert_eq!(
            decode(&c, "a|C:c1|", "gsi1pk", "T#a#CUST#c1"),
            Some(key("T#a#CUST#c1"))
        );
        assert_eq!(
            decode(&c, "b|C:c1|", "gsi1pk", "T#b#CUST#c1"),
            None,
            "other tenant"
        );
        assert_eq!(
            decode(&c, "a|C:c2|", "gsi1pk", "T#a#CUST#c2"),
            None,
            "other customer"
        );
        assert_eq!(
            decode(&c, "a|C:c1|PENDING", "gsi1pk", "T#a#CUST#c1"),
            None,
            "other filter"
        );
    }

    #[test]
    fn a_forged_cursor_pointing_elsewhere_is_rejected() {
        let c = encode("a|C:c1|", &key("T#b#CUST#c1"));
        assert_eq!(decode(&c, "a|C:c1|", "gsi1pk", "T#a#CUST#c1"), None);
        assert_eq!(
            decode("not base64!", "a|C:c1|", "gsi1pk", "T#a#CUST#c1"),
            None
        );
        assert_eq!(decode("e30", "a|C:c1|", "gsi1pk", "T#a#CUST#c1"), None);
    }
}
