//! DynamoDB limits and validation rules, enforced by the store itself before any backend call,
//! identically for both backends (moto is looser than AWS; SQLite has no such limits at all).

use std::collections::HashSet;

use crate::error::StoreError;
use crate::item::{
    attr, BatchWrite, Index, Item, Key, QueryRequest, SkCondition, Update, Value, WriteOp,
};

/// Most ops in one `TransactWriteItems`.
pub const MAX_TRANSACT_OPS: usize = 100;
/// Largest item (DynamoDB: 400 KB, attribute names included).
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
/// Largest total size of the items written by one transaction.
pub const MAX_TRANSACTION_BYTES: usize = 4 * 1024 * 1024;
/// Keys per `BatchGetItem` request.
pub const BATCH_GET_CHUNK: usize = 100;
/// Writes per `BatchWriteItem` request.
pub const BATCH_WRITE_CHUNK: usize = 25;
/// Longest partition key value, in UTF-8 bytes.
pub const MAX_PK_BYTES: usize = 2048;
/// Longest sort key value, in UTF-8 bytes.
pub const MAX_SK_BYTES: usize = 1024;
/// Deepest nesting of lists and maps.
pub const MAX_DEPTH: usize = 32;
/// Most data one `Query` page holds (DynamoDB: 1 MB, counted before any filter). A page ends
/// before the item that would take it past this many bytes ([`item_size`]), with a `last_key`,
/// even when fewer than `limit` items were read; a page always holds at least one item. The
/// SQLite backend cuts its pages the same way ([`query_page_len`]); moto cuts at 1,000,000 bytes
/// by its own count, so tests use items whose cut is the same under both figures.
pub const MAX_QUERY_PAGE_BYTES: usize = 1024 * 1024;

/// Approximate DynamoDB size of an item: for each attribute, its name's UTF-8 bytes plus its
/// value's size (strings: UTF-8 bytes; numbers: 1 byte per 2 significant digits + 1; booleans
/// and null: 1; lists and maps: 3 + per element 1 + its size, map keys counted as names).
pub fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, v)| name.len() + value_size(v))
        .sum()
}

fn value_size(value: &Value) -> usize {
    match value {
        Value::S(s) => s.len(),
        Value::N(n) => number_size(*n),
        Value::Bool(_) | Value::Null => 1,
        Value::L(list) => 3 + list.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        Value::M(map) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
    }
}

fn number_size(n: i64) -> usize {
    let digits = n.unsigned_abs().to_string();
    let significant = digits.trim_end_matches('0').len().max(1);
    significant.div_ceil(2) + 1
}

fn depth(value: &Value) -> usize {
    match value {
        Value::L(list) => 1 + list.iter().map(depth).max().unwrap_or(0),
        Value::M(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Key values must be non-empty and within DynamoDB's length limits.
pub fn check_key(key: &Key) -> Result<(), StoreError> {
    check_key_value(attr::PK, &key.pk, MAX_PK_BYTES)?;
    check_key_value(attr::SK, &key.sk, MAX_SK_BYTES)
}

fn check_key_value(name: &str, value: &str, max: usize) -> Result<(), StoreError> {
    if value.is_empty() {
        return Err(StoreError::invalid(format!(
            "key attribute `{name}` is empty"
        )));
    }
    if value.len() > max {
        return Err(StoreError::LimitExceeded(format!(
            "key attribute `{name}` is {} bytes (max {max})",
            value.len()
        )));
    }
    Ok(())
}

/// A storable item: string `pk`/`sk`; GSI key attributes, when present, non-empty strings;
/// `expires_at`, when present, a number; at most [`MAX_ITEM_BYTES`] and [`MAX_DEPTH`] levels.
pub fn check_item(item: &Item) -> Result<(), StoreError> {
    check_key(&Key::of(item)?)?;
    for index in Index::GSIS {
        let (pk, sk) = index.key_attrs();
        for (name, max) in [(pk, MAX_PK_BYTES), (sk, MAX_SK_BYTES)] {
            match item.get(name) {
                None => {}
                Some(Value::S(s)) => check_key_value(name, s, max)?,
                Some(_) => {
                    return Err(StoreError::invalid(format!(
                        "index key `{name}` must be a string"
                    )))
                }
            }
        }
    }
    match item.get(attr::EXPIRES_AT) {
        None | Some(Value::N(_)) => {}
        Some(_) => {
            return Err(StoreError::invalid(
                "`expires_at` must be a number (unix seconds)",
            ))
        }
    }
    let size = item_size(item);
    if size > MAX_ITEM_BYTES {
        return Err(StoreError::LimitExceeded(format!(
            "item is {size} bytes (max {MAX_ITEM_BYTES})"
        )));
    }
    if item.values().map(depth).max().unwrap_or(0) > MAX_DEPTH {
        return Err(StoreError::LimitExceeded(format!(
            "item nests deeper than {MAX_DEPTH} levels"
        )));
    }
    Ok(())
}

/// Updates DynamoDB accepts: at least one, each attribute at most once, `pk`/`sk` untouched,
/// index keys set only to non-empty strings, and the key plus the set values within
/// [`MAX_ITEM_BYTES`] (the stored result is checked again where the backend can see it).
pub fn check_updates(key: &Key, updates: &[Update]) -> Result<(), StoreError> {
    if updates.is_empty() {
        return Err(StoreError::invalid("an update needs at least one change"));
    }
    let mut seen = HashSet::new();
    let mut partial = key.to_item();
    for update in updates {
        let (Update::Set(name, _) | Update::Remove(name) | Update::Add(name, _)) = update;
        if name == attr::PK || name == attr::SK {
            return Err(StoreError::invalid(format!(
                "cannot update key attribute `{name}`"
            )));
        }
        if !seen.insert(name.as_str()) {
            return Err(StoreError::invalid(format!(
                "attribute `{name}` updated twice"
            )));
        }
        match update {
            Update::Set(name, value) => {
                partial.insert(name.clone(), value.clone());
            }
            Update::Add(name, n) => {
                if is_index_key(name) {
                    return Err(StoreError::invalid(format!(
                        "cannot add to index key `{name}`"
                    )));
                }
                partial.insert(name.clone(), Value::N(*n));
            }
            Update::Remove(_) => {}
        }
    }
    check_item(&partial)
}

fn is_index_key(name: &str) -> bool {
    Index::GSIS
        .iter()
        .any(|i| i.key_attrs().0 == name || i.key_attrs().1 == name)
}

/// Validates one op; returns its key and the bytes it writes (for the transaction total).
pub fn check_op(op: &WriteOp) -> Result<(Key, usize), StoreError> {
    match op {
        WriteOp::Put { item, .. } => {
            check_item(item)?;
            Ok((Key::of(item)?, item_size(item)))
        }
        WriteOp::Update { key, updates, .. } => {
            check_key(key)?;
            check_updates(key, updates)?;
            let written = updates
                .iter()
                .map(|u| match u {
                    Update::Set(name, value) => name.len() + value_size(value),
                    Update::Remove(name) => name.len(),
                    Update::Add(name, n) => name.len() + number_size(*n),
                })
                .sum();
            Ok((key.clone(), written))
        }
        WriteOp::Delete { key, .. } | WriteOp::Check { key, .. } => {
            check_key(key)?;
            Ok((key.clone(), 0))
        }
    }
}

/// A single (non-transactional) write: any op but `Check`.
pub fn check_single(op: &WriteOp) -> Result<Key, StoreError> {
    if matches!(op, WriteOp::Check { .. }) {
        return Err(StoreError::invalid(
            "a Check op is only valid inside transact_write",
        ));
    }
    Ok(check_op(op)?.0)
}

/// A transaction: 1..=[`MAX_TRANSACT_OPS`] valid ops on distinct keys, within
/// [`MAX_TRANSACTION_BYTES`].
pub fn check_transaction(ops: &[WriteOp]) -> Result<(), StoreError> {
    if ops.is_empty() {
        return Err(StoreError::invalid("a transaction needs at least one op"));
    }
    if ops.len() > MAX_TRANSACT_OPS {
        return Err(StoreError::LimitExceeded(format!(
            "transaction has {} ops (max {MAX_TRANSACT_OPS})",
            ops.len()
        )));
    }
    let mut keys = HashSet::new();
    let mut total = 0;
    for (i, op) in ops.iter().enumerate() {
        let (key, bytes) = check_op(op)?;
        total += bytes;
        if !keys.insert(key) {
            return Err(StoreError::LimitExceeded(format!(
                "transaction op {i} targets a key already used by another op"
            )));
        }
    }
    if total > MAX_TRANSACTION_BYTES {
        return Err(StoreError::LimitExceeded(format!(
            "transaction writes {total} bytes (max {MAX_TRANSACTION_BYTES})"
        )));
    }
    Ok(())
}

/// A batch write: valid items, each key at most once.
pub fn check_batch_write(writes: &[BatchWrite]) -> Result<(), StoreError> {
    let mut keys = HashSet::new();
    for (i, write) in writes.iter().enumerate() {
        let key = match write {
            BatchWrite::Put(item) => {
                check_item(item)?;
                Key::of(item)?
            }
            BatchWrite::Delete(key) => {
                check_key(key)?;
                key.clone()
            }
        };
        if !keys.insert(key) {
            return Err(StoreError::LimitExceeded(format!(
                "batch write {i} targets a key already used by another write"
            )));
        }
    }
    Ok(())
}

/// Valid keys, deduplicated in first-seen order (DynamoDB rejects duplicate keys in a batch).
pub fn unique_keys(keys: &[Key]) -> Result<Vec<Key>, StoreError> {
    let mut seen = HashSet::new();
    let mut unique = Vec::with_capacity(keys.len());
    for key in keys {
        check_key(key)?;
        if seen.insert(key) {
            unique.push(key.clone());
        }
    }
    Ok(unique)
}

/// Round trips needed for `n` items in chunks of `chunk`.
pub fn chunks(n: usize, chunk: usize) -> usize {
    n.div_ceil(chunk)
}

/// How many of `sizes` (the item sizes of a query's rows, in read order) one page holds: items are
/// taken while their total stays within [`MAX_QUERY_PAGE_BYTES`], and at least one is taken.
pub fn query_page_len(sizes: impl IntoIterator<Item = usize>) -> usize {
    let mut total = 0usize;
    let mut taken = 0usize;
    for size in sizes {
        total = total.saturating_add(size);
        if taken > 0 && total > MAX_QUERY_PAGE_BYTES {
            break;
        }
        taken += 1;
    }
    taken
}

/// A query DynamoDB accepts: `limit >= 1`, non-empty partition key and sort key values,
/// `low <= high` for `Between`, and a `start_after` carrying the key attributes of the queried index.
pub fn check_query(req: &QueryRequest) -> Result<(), StoreError> {
    if req.limit == 0 {
        return Err(StoreError::invalid("query limit must be at least 1"));
    }
    if req.pk.is_empty() {
        return Err(StoreError::invalid("query partition key is empty"));
    }
    let sk_values: Vec<&String> = match &req.sk {
        SkCondition::Any => vec![],
        SkCondition::Between(low, high) => {
            if low > high {
                return Err(StoreError::invalid("BETWEEN needs low <= high"));
            }
            vec![low, high]
        }
        SkCondition::BeginsWith(v)
        | SkCondition::Gt(v)
        | SkCondition::Ge(v)
        | SkCondition::Lt(v)
        | SkCondition::Le(v) => vec![v],
    };
    if sk_values.iter().any(|v| v.is_empty()) {
        return Err(StoreError::invalid(
            "sort key condition values must not be empty",
        ));
    }
    if let Some(start) = &req.start_after {
        let (pk, sk) = req.index.key_attrs();
        for name in [attr::PK, attr::SK, pk, sk] {
            if start.get(name).and_then(Value::as_s).is_none() {
                return Err(StoreError::invalid(format!(
                    "start_after lacks string `{name}`"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(pk: &str, sk: &str) -> Item {
        Key::new(pk, sk).to_item()
    }

    fn put(pk: &str, sk: &str) -> WriteOp {
        WriteOp::Put {
            item: item(pk, sk),
            cond: None,
        }
    }

    #[test]
    fn item_size_counts_names_and_values() {
        let mut it = item("ab", "c"); // "pk"+"ab" + "sk"+"c" = 7
        assert_eq!(item_size(&it), 7);
        it.insert("n".into(), Value::N(12_300)); // 1 + (3 digits -> 2 + 1)
        assert_eq!(item_size(&it), 7 + 1 + 3);
        it.insert(
            "m".into(),
            Value::M([("k".into(), Value::Bool(true))].into()),
        ); // 1 + 3 + 1+1+1
        assert_eq!(item_size(&it), 11 + 1 + 6);
        it.insert("l".into(), Value::L(vec![Value::Null, Value::from("xy")])); // 1 + 3 + 2 + 3
        assert_eq!(item_size(&it), 18 + 1 + 8);
    }

    #[test]
    fn items_over_400_kb_are_rejected() {
        let mut it = item("p", "s");
        it.insert("big".into(), Value::S("x".repeat(MAX_ITEM_BYTES)));
        assert!(matches!(check_item(&it), Err(StoreError::LimitExceeded(_))));
        it.insert("big".into(), Value::S("x".repeat(MAX_ITEM_BYTES - 100)));
        assert!(check_item(&it).is_ok());
    }

    #[test]
    fn keys_must_be_non_empty_strings_within_limits() {
        assert!(matches!(
            check_key(&Key::new("", "s")),
            Err(StoreError::Invalid { .. })
        ));
        assert!(matches!(
            check_key(&Key::new("p".repeat(MAX_PK_BYTES + 1), "s")),
            Err(StoreError::LimitExceeded(_))
        ));
        let mut it = item("p", "s");
        it.insert("sk".into(), Value::N(1));
        assert!(matches!(check_item(&it), Err(StoreError::Invalid { .. })));
        let mut it = item("p", "s");
        it.insert("gsi1pk".into(), Value::N(1));
        assert!(matches!(check_item(&it), Err(StoreError::Invalid { .. })));
        it.insert("gsi1pk".into(), Value::from(""));
        assert!(matches!(check_item(&it), Err(StoreError::Invalid { .. })));
        let mut it = item("p", "s");
        it.insert("expires_at".into(), Value::from("tomorrow"));
        assert!(matches!(check_item(&it), Err(StoreError::Invalid { .. })));
    }

    #[test]
    fn deeply_nested_values_are_rejected() {
        let mut v = Value::Null;
        for _ in 0..=MAX_DEPTH {
            v = Value::L(vec![v]);
        }
        let mut it = item("p", "s");
        it.insert("deep".into(), v);
        assert!(matches!(check_item(&it), Err(StoreError::LimitExceeded(_))));
    }

    #[test]
    fn transactions_are_limited_to_100_distinct_keys() {
        let ops: Vec<WriteOp> = (0..100).map(|i| put("p", &i.to_string())).collect();
        assert!(check_transaction(&ops).is_ok());
        let ops: Vec<WriteOp> = (0..101).map(|i| put("p", &i.to_string())).collect();
        assert!(matches!(
            check_transaction(&ops),
            Err(StoreError::LimitExceeded(_))
        ));
        let dup = vec![
            put("p", "1"),
            WriteOp::Check {
                key: Key::new("p", "1"),
                cond: crate::Cond::Exists,
            },
        ];
        assert!(matches!(
            check_transaction(&dup),
            Err(StoreError::LimitExceeded(_))
        ));
        assert!(matches!(
            check_transaction(&[]),
            Err(StoreError::Invalid { .. })
        ));
    }

    #[test]
    fn transactions_are_limited_to_4_mb() {
        let ops: Vec<WriteOp> = (0..11)
            .map(|i| {
                let mut it = item("p", &i.to_string());
                it.insert("big".into(), Value::S("x".repeat(390 * 1024)));
                WriteOp::Put {
                    item: it,
                    cond: None,
                }
            })
            .collect();
        assert!(matches!(
            check_transaction(&ops),
            Err(StoreError::LimitExceeded(_))
        ));
        assert!(check_transaction(&ops[..10]).is_ok());
    }

    #[test]
    fn updates_may_not_touch_keys_or_repeat_attributes() {
        let key = Key::new("p", "s");
        let check = |updates: &[Update]| check_updates(&key, updates);
        assert!(check(&[
            Update::Set("a".into(), Value::N(1)),
            Update::Add("b".into(), 1)
        ])
        .is_ok());
        assert!(check(&[]).is_err());
        assert!(check(&[Update::Set("sk".into(), Value::from("x"))]).is_err());
        assert!(check(&[Update::Remove("pk".into())]).is_err());
        assert!(check(&[
            Update::Set("a".into(), Value::N(1)),
            Update::Remove("a".into())
        ])
        .is_err());
        assert!(check(&[Update::Set("gsi2sk".into(), Value::N(1))]).is_err());
        assert!(check(&[Update::Set("gsi4pk".into(), Value::from(""))]).is_err());
        assert!(check(&[Update::Add("gsi1pk".into(), 1)]).is_err());
        let big = Value::S("x".repeat(MAX_ITEM_BYTES));
        assert!(matches!(
            check(&[Update::Set("a".into(), big)]),
            Err(StoreError::LimitExceeded(_))
        ));
    }

    #[test]
    fn batch_writes_reject_duplicate_keys_and_batch_gets_dedupe_them() {
        let writes = [
            BatchWrite::Put(item("p", "1")),
            BatchWrite::Delete(Key::new("p", "1")),
        ];
        assert!(matches!(
            check_batch_write(&writes),
            Err(StoreError::LimitExceeded(_))
        ));
        let keys = [Key::new("p", "1"), Key::new("p", "2"), Key::new("p", "1")];
        assert_eq!(unique_keys(&keys).unwrap(), keys[..2].to_vec());
        assert_eq!(chunks(150, BATCH_GET_CHUNK), 2);
        assert_eq!(chunks(100, BATCH_GET_CHUNK), 1);
        assert_eq!(chunks(0, BATCH_GET_CHUNK), 0);
        assert_eq!(chunks(60, BATCH_WRITE_CHUNK), 3);
    }

    #[test]
    fn queries_need_a_limit_and_a_complete_start_key() {
        let mut req = QueryRequest::new(Index::Gsi1, "P");
        assert!(check_query(&req).is_ok());
        req.limit = 0;
        assert!(check_query(&req).is_err());
        req.limit = 5;
        req.start_after = Some(item("p", "s"));
        assert!(
            check_query(&req).is_err(),
            "GSI start key needs gsi1pk/gsi1sk"
        );
        req.index = Index::Primary;
        assert!(check_query(&req).is_ok());
        req.sk = SkCondition::Between("b".into(), "a".into());
        assert!(check_query(&req).is_err());
        req.sk = SkCondition::BeginsWith(String::new());
        assert!(check_query(&req).is_err());
    }

    #[test]
    fn query_pages_end_before_the_item_that_passes_1_mb() {
        let kb = 1024;
        assert_eq!(query_page_len([]), 0);
        assert_eq!(query_page_len([10, 20, 30]), 3);
        // 7 × 150 KB = 1050 KB > 1024 KB: the seventh item starts the next page.
        assert_eq!(query_page_len([150 * kb; 10]), 6);
        // Exactly 1 MB fits.
        assert_eq!(query_page_len([512 * kb, 512 * kb, 1]), 2);
        // One item always fits, whatever its size (the item limit keeps it under 400 KB anyway).
        assert_eq!(query_page_len([2 * MAX_QUERY_PAGE_BYTES, 1]), 1);
        assert_eq!(query_page_len([usize::MAX, usize::MAX]), 1);
    }
}
