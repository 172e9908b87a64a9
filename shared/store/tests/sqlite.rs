//! The conformance suite on the SQLite backend, plus durability across a reopen.

#[macro_use]
mod conformance;

use std::sync::Arc;

use conformance::{item, key};
use oms_clock::{Clock, ManualClock};
use oms_store::{ItemStore, SqliteStore, Value};

async fn sqlite_store(clock: Arc<dyn Clock>) -> SqliteStore {
    SqliteStore::in_memory(clock).expect("in-memory SQLite")
}

conformance_tests!(sqlite_store);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_decrements_sell_exactly_the_stock() {
    let clock = Arc::new(ManualClock::new(conformance::pinned_now()));
    conformance::concurrent_decrements_sell_exactly_the_stock(
        sqlite_store(clock.clone()).await,
        &clock,
    )
    .await;
}

/// A temporary database path, removed (with its WAL files) on drop.
struct TempDb(std::path::PathBuf);

impl TempDb {
    fn new() -> Self {
        TempDb(std::env::temp_dir().join(format!("oms-store-{}.sqlite", ulid::Ulid::new())))
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

#[tokio::test]
async fn committed_writes_survive_reopening_the_file() {
    let db = TempDb::new();
    let written = item("P", "1", &[("v", Value::N(42))]);
    {
        let store = SqliteStore::open(&db.0, oms_clock::system()).unwrap();
        store.put(written.clone(), None).await.unwrap();
        store
            .transact_write(vec![oms_store::WriteOp::Put {
                item: item("P", "2", &[]),
                cond: Some(oms_store::Cond::NotExists),
            }])
            .await
            .unwrap();
    }
    let reopened = SqliteStore::open(&db.0, oms_clock::system()).unwrap();
    assert_eq!(
        reopened.get(&key("P", "1"), true).await.unwrap(),
        Some(written)
    );
    assert!(reopened.get(&key("P", "2"), true).await.unwrap().is_some());
    let mode: String = rusqlite::Connection::open(&db.0)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}
