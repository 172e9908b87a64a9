//! The store's data model and the [`ItemStore`] port that both backends implement.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::counter::RoundTrips;
use crate::error::StoreError;

/// Attribute names the store itself gives meaning to.
pub mod attr {
    /// Base-table partition key (string).
    pub const PK: &str = "pk";
    /// Base-table sort key (string).
    pub const SK: &str = "sk";
    /// GSI1 partition key (string, optional: items without it are not in GSI1).
    pub const GSI1_PK: &str = "gsi1pk";
    /// GSI1 sort key (string, optional).
    pub const GSI1_SK: &str = "gsi1sk";
    /// GSI2 partition key (string, optional).
    pub const GSI2_PK: &str = "gsi2pk";
    /// GSI2 sort key (string, optional).
    pub const GSI2_SK: &str = "gsi2sk";
    /// GSI3 partition key (string, optional).
    pub const GSI3_PK: &str = "gsi3pk";
    /// GSI3 sort key (string, optional).
    pub const GSI3_SK: &str = "gsi3sk";
    /// GSI4 partition key (string, optional).
    pub const GSI4_PK: &str = "gsi4pk";
    /// GSI4 sort key (string, optional).
    pub const GSI4_SK: &str = "gsi4sk";
    /// TTL attribute: unix seconds (`Value::N`). The item counts as absent once `expires_at <= now`.
    pub const EXPIRES_AT: &str = "expires_at";
}

/// One attribute value.
///
/// `N` is integer-only on purpose: money is stored as integer minor units, decimals as strings.
/// Serialized (SQLite body) in serde's externally tagged form, e.g. `{"S":"x"}`, `{"N":5}`, `"Null"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Value {
    S(String),
    N(i64),
    Bool(bool),
    Null,
    L(Vec<Value>),
    M(BTreeMap<String, Value>),
}

impl Value {
    /// The string, if this is an `S`.
    pub fn as_s(&self) -> Option<&str> {
        match self {
            Value::S(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if this is an `N`.
    pub fn as_n(&self) -> Option<i64> {
        match self {
            Value::N(n) => Some(*n),
            _ => None,
        }
    }
}

/// `item` in DynamoDB's JSON wire format (`{"name": {"S": "x"}, "n": {"N": "5"}}`), as a
/// DynamoDB stream record's `NewImage` carries it.
pub fn dynamodb_json(item: &Item) -> serde_json::Map<String, serde_json::Value> {
    fn value(v: &Value) -> serde_json::Value {
        use serde_json::json;
        match v {
            Value::S(s) => json!({ "S": s }),
            Value::N(n) => json!({ "N": n.to_string() }),
            Value::Bool(b) => json!({ "BOOL": b }),
            Value::Null => json!({ "NULL": true }),
            Value::L(list) => json!({ "L": list.iter().map(value).collect::<Vec<_>>() }),
            Value::M(map) => json!({ "M": dynamodb_json(map) }),
        }
    }
    item.iter().map(|(k, v)| (k.clone(), value(v))).collect()
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::S(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::S(s)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::N(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

/// An item: attribute name → value. Must carry string `pk` and `sk`.
pub type Item = BTreeMap<String, Value>;

/// Primary key of an item (attributes `pk` and `sk`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Key {
            pk: pk.into(),
            sk: sk.into(),
        }
    }

    /// The key of `item`, or `Invalid` when `pk`/`sk` are missing or not strings.
    pub fn of(item: &Item) -> Result<Key, StoreError> {
        let get = |name: &str| {
            item.get(name)
                .and_then(Value::as_s)
                .map(str::to_owned)
                .ok_or_else(|| {
                    StoreError::invalid(format!("item has no string attribute `{name}`"))
                })
        };
        Ok(Key {
            pk: get(attr::PK)?,
            sk: get(attr::SK)?,
        })
    }

    /// The key as an item holding only `pk` and `sk`.
    pub fn to_item(&self) -> Item {
        Item::from([
            (attr::PK.to_owned(), Value::S(self.pk.clone())),
            (attr::SK.to_owned(), Value::S(self.sk.clone())),
        ])
    }
}

/// Which key-ordered view a query reads. A GSI returns only what it projects (the table's keys,
/// its own keys and `expires_at`: [`crate::TableDefinition::project`]) and is sparse: an item is
/// in a GSI only when it has both of that GSI's key attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Index {
    Primary,
    Gsi1,
    Gsi2,
    Gsi3,
    Gsi4,
}

impl Index {
    /// Every global secondary index.
    pub const GSIS: [Index; 4] = [Index::Gsi1, Index::Gsi2, Index::Gsi3, Index::Gsi4];

    /// `(partition key attribute, sort key attribute)` of this index.
    pub fn key_attrs(self) -> (&'static str, &'static str) {
        match self {
            Index::Primary => (attr::PK, attr::SK),
            Index::Gsi1 => (attr::GSI1_PK, attr::GSI1_SK),
            Index::Gsi2 => (attr::GSI2_PK, attr::GSI2_SK),
            Index::Gsi3 => (attr::GSI3_PK, attr::GSI3_SK),
            Index::Gsi4 => (attr::GSI4_PK, attr::GSI4_SK),
        }
    }
}

/// A condition, evaluated against the item currently stored under the op's key.
///
/// An absent item has no attributes, and **an expired item (`expires_at <= now`) counts as
/// absent**, so `NotExists` reads "absent or expired". See [`crate::cond::eval`] for the exact
/// rules, which both backends follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    /// The item exists (and has not expired).
    Exists,
    /// The item is absent or expired.
    NotExists,
    AttrExists(String),
    AttrNotExists(String),
    /// Attribute present and equal (same type and value).
    Eq(String, Value),
    /// `Not(Eq(..))`: true when the attribute is missing or differs.
    Ne(String, Value),
    /// Numeric comparisons `attr < n` etc.; false when the attribute is missing or not an `N`.
    Lt(String, i64),
    Le(String, i64),
    Gt(String, i64),
    Ge(String, i64),
    /// All hold (an empty `And` is true).
    And(Vec<Cond>),
    /// Any holds (an empty `Or` is false).
    Or(Vec<Cond>),
    Not(Box<Cond>),
}

/// One change of an update (top-level attributes only; `pk`/`sk` cannot be changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    Set(String, Value),
    Remove(String),
    /// Numeric add; a missing attribute counts as 0. Adding to a non-number is `Invalid`.
    Add(String, i64),
}

/// One write, alone ([`ItemStore::write`]) or inside a transaction ([`ItemStore::transact_write`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOp {
    /// Replace the whole item.
    Put {
        item: Item,
        cond: Option<Cond>,
    },
    /// Upsert like DynamoDB `UpdateItem`: an absent item starts as just its key.
    ///
    /// On an *expired* item, conditions see it as absent, but the update is applied to the
    /// stored attributes if the backend still holds them (DynamoDB deletes expired items only
    /// lazily). Callers that revive an expired item must therefore `Set` every attribute they
    /// rely on, including `expires_at`, or use `Put`.
    Update {
        key: Key,
        updates: Vec<Update>,
        cond: Option<Cond>,
    },
    Delete {
        key: Key,
        cond: Option<Cond>,
    },
    /// Condition only, no write (transactions only).
    Check {
        key: Key,
        cond: Cond,
    },
}

impl WriteOp {
    /// The key this op targets (`Invalid` for a `Put` whose item lacks string `pk`/`sk`).
    pub fn key(&self) -> Result<Key, StoreError> {
        match self {
            WriteOp::Put { item, .. } => Key::of(item),
            WriteOp::Update { key, .. }
            | WriteOp::Delete { key, .. }
            | WriteOp::Check { key, .. } => Ok(key.clone()),
        }
    }

    /// The op's condition, if any.
    pub fn cond(&self) -> Option<&Cond> {
        match self {
            WriteOp::Put { cond, .. }
            | WriteOp::Update { cond, .. }
            | WriteOp::Delete { cond, .. } => cond.as_ref(),
            WriteOp::Check { cond, .. } => Some(cond),
        }
    }
}

/// One unconditional write of [`ItemStore::batch_write`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchWrite {
    Put(Item),
    Delete(Key),
}

impl BatchWrite {
    pub fn key(&self) -> Result<Key, StoreError> {
        match self {
            BatchWrite::Put(item) => Key::of(item),
            BatchWrite::Delete(key) => Ok(key.clone()),
        }
    }
}

/// Sort-key condition of a query (string comparison by UTF-8 bytes, as DynamoDB does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkCondition {
    Any,
    BeginsWith(String),
    /// Inclusive on both ends.
    Between(String, String),
    Gt(String),
    Ge(String),
    Lt(String),
    Le(String),
}

/// A key-ordered read of one partition of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryRequest {
    pub index: Index,
    /// Partition key value of `index`.
    pub pk: String,
    pub sk: SkCondition,
    /// Ascending sort key order when true.
    pub forward: bool,
    /// Items *evaluated* per page (≥ 1). Like DynamoDB, a page also ends at 1 MB of items
    /// ([`crate::limits::MAX_QUERY_PAGE_BYTES`]), and expired items are dropped after the limit
    /// and the 1 MB cut are applied, so a page can be shorter than `limit` (even empty) and still
    /// have a `last_key`: only a page without `last_key` ends the partition.
    pub limit: u32,
    /// Exclusive start: the `last_key` of the previous page, unchanged.
    pub start_after: Option<Item>,
    /// Strongly consistent read; ignored on GSIs (DynamoDB does not allow it there).
    pub consistent: bool,
}

impl QueryRequest {
    /// A forward query of the whole partition, 100 items per page, eventually consistent.
    pub fn new(index: Index, pk: impl Into<String>) -> Self {
        QueryRequest {
            index,
            pk: pk.into(),
            sk: SkCondition::Any,
            forward: true,
            limit: 100,
            start_after: None,
            consistent: false,
        }
    }
}

/// One page of query results.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    pub items: Vec<Item>,
    /// Key attributes (`pk`, `sk`, plus the index's keys on a GSI) of the last item evaluated
    /// when more may follow; `None` when the partition is exhausted. A page with a `last_key`
    /// may still be followed by an empty page.
    pub last_key: Option<Item>,
}

/// True when `item` carries a numeric `expires_at` that is `<= now`.
pub fn is_expired(item: &Item, now: i64) -> bool {
    matches!(item.get(attr::EXPIRES_AT), Some(Value::N(t)) if *t <= now)
}

/// The generic item store. Both backends ([`crate::SqliteStore`], [`crate::DynamoStore`]) pass
/// the same conformance suite, enforce the same AWS limits ([`crate::limits`]) and count
/// round trips the same way.
///
/// Reads never return expired items. Every condition sees an expired item as absent.
#[async_trait]
pub trait ItemStore: Send + Sync + 'static {
    /// The item under `key`, unless absent or expired.
    ///
    /// # Errors
    /// `Unavailable` / `Internal` on backend failure.
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError>;

    /// The live items among `keys`, in any order; absent and expired ones are skipped and
    /// duplicate keys are read once. One logical call: DynamoDB sends chunks of 100 keys and
    /// retries unprocessed keys with backoff (each request counts as a round trip).
    ///
    /// # Errors
    /// `Unavailable` when keys stay unprocessed after the retries.
    async fn batch_get(&self, keys: &[Key], consistent: bool) -> Result<Vec<Item>, StoreError>;

    /// One page of a key-ordered query. On a GSI the items are the index's projection of the
    /// stored items ([`crate::TableDefinition::project`]); read the rest with `get`/`batch_get`.
    ///
    /// # Errors
    /// `Invalid` for `limit == 0` or a `start_after` without the index's key attributes.
    async fn query(&self, req: QueryRequest) -> Result<Page, StoreError>;

    /// All-or-nothing: every condition holds and every op applies, or nothing changes.
    ///
    /// # Errors
    /// - `TransactionCanceled { failed }`: the indices (into `ops`) whose condition failed.
    /// - `LimitExceeded`: more than 100 ops, two ops on one key, an item over 400 KB, over 4 MB.
    /// - `Conflict`: DynamoDB kept reporting `TransactionConflict` after the retries.
    /// - `Invalid`: empty `ops`, a malformed item or update (see [`crate::limits`]).
    async fn transact_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError>;

    /// One conditional `Put`, `Update` or `Delete` (cheaper than a transaction).
    ///
    /// # Errors
    /// `ConditionFailed` when the condition does not hold; `Invalid` for a `Check`;
    /// `LimitExceeded` / `Invalid` as for transactions.
    async fn write(&self, op: WriteOp) -> Result<(), StoreError>;

    /// Unconditional puts and deletes, not atomic as a whole (DynamoDB `BatchWriteItem`, chunks
    /// of 25, unprocessed items retried with backoff). Two writes on one key are rejected.
    ///
    /// # Errors
    /// `LimitExceeded` for duplicate keys or an item over 400 KB; `Unavailable` when items stay
    /// unprocessed after the retries (earlier chunks may have been written).
    async fn batch_write(&self, writes: Vec<BatchWrite>) -> Result<(), StoreError>;

    /// Single conditional put: shorthand for `write(WriteOp::Put { item, cond })`.
    ///
    /// "Put if absent or expired" is `put(item, Some(Cond::NotExists))`.
    ///
    /// # Errors
    /// As [`ItemStore::write`].
    async fn put(&self, item: Item, cond: Option<Cond>) -> Result<(), StoreError> {
        self.write(WriteOp::Put { item, cond }).await
    }

    /// Backend calls made so far by this store.
    fn round_trips(&self) -> &RoundTrips;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamodb_json_writes_every_value_kind_as_the_wire_format_does() {
        let item: Item = [
            ("s".to_owned(), Value::from("x")),
            ("n".to_owned(), Value::N(-5)),
            ("b".to_owned(), Value::Bool(true)),
            ("z".to_owned(), Value::Null),
            ("l".to_owned(), Value::L(vec![Value::N(1)])),
            (
                "m".to_owned(),
                Value::M([("k".to_owned(), Value::from("v"))].into_iter().collect()),
            ),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            serde_json::Value::Object(dynamodb_json(&item)),
            serde_json::json!({
                "s": {"S": "x"}, "n": {"N": "-5"}, "b": {"BOOL": true}, "z": {"NULL": true},
                "l": {"L": [{"N": "1"}]}, "m": {"M": {"k": {"S": "v"}}}
            })
        );
    }
}
