//! `oms-store`: a small generic item store with two interchangeable backends, embedded SQLite
//! ([`SqliteStore`]) and DynamoDB ([`DynamoStore`]).
//!
//! It offers what a tenant-keyed single-table design needs: conditional and transactional
//! writes, batch gets and writes, key-ordered queries on the base table and four GSIs, TTL, and
//! round-trip counting. Key design is left to the layers above.
//!
//! # TTL and expiry
//! An item whose numeric `expires_at` (unix seconds) is `<= now` is **absent** for every read
//! (`get`, `batch_get`, `query`) and for every condition. So "put if absent or expired" is
//! `store.put(item, Some(Cond::NotExists))`, and `Cond::Exists` fails on an expired item; the
//! backends add the expiry clause themselves (DynamoDB: `attribute_not_exists(pk) OR
//! expires_at <= :now`), because neither moto nor SQLite deletes expired items and AWS deletes
//! them only lazily. See [`WriteOp::Update`] for updates of expired items.
//!
//! # Limits
//! Both backends enforce the DynamoDB limits in [`limits`] before any call, so code that works
//! locally does not fail on AWS for a limit moto does not check.

//!
//! # Features
//! `sqlite` (the embedded store of `oms serve` and the tests) and `dynamodb` (AWS); a Lambda
//! function enables only `dynamodb`, so no SQLite is built into it.

pub mod cond;
pub mod counter;
#[cfg(feature = "dynamodb")]
pub mod create;
#[cfg(feature = "dynamodb")]
pub mod dynamo;
pub mod error;
pub mod item;
pub mod limits;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod table;

pub use counter::RoundTrips;
#[cfg(feature = "dynamodb")]
pub use create::create_table;
#[cfg(feature = "dynamodb")]
pub use dynamo::{aws_config, client_from_env, https_client, DynamoStore};
pub use error::{BoxError, StoreError};
pub use item::*;
#[cfg(feature = "sqlite")]
pub use sqlite::{JournalEntry, JournalMessage, SqliteStore, StreamEntry, StreamFilter};
pub use table::{TableDefinition, TABLE};

// The port must stay usable as `Arc<dyn ItemStore>`.
const _: Option<&dyn ItemStore> = None;
