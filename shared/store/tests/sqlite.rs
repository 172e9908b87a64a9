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

/// A file written by the previous schema (2: item bodies as JSON text) opens, reads its items
/// (by key and by query), takes new writes in the binary form beside them, and is marked as
/// schema 3 so an older binary refuses it instead of misreading it.
#[tokio::test]
async fn a_file_of_schema_2_with_json_bodies_reads_and_takes_binary_writes() {
    let db = TempDb::new();
    let old = item(
        "P",
        "1",
        &[
            (
                "body",
                Value::S(r#"{"id":"ORD-1","note":"a \"quoted\" word"}"#.into()),
            ),
            ("n", Value::N(-5)),
        ],
    );
    {
        // What a schema-2 store left behind: its tables and one item as JSON text.
        SqliteStore::open(&db.0, oms_clock::system()).unwrap();
        let conn = rusqlite::Connection::open(&db.0).unwrap();
        conn.execute(
            "INSERT INTO items (pk, sk, body) VALUES ('P', '1', ?1)",
            [serde_json::to_string(&old).unwrap()],
        )
        .unwrap();
        conn.pragma_update(None, "user_version", 2).unwrap();
    }
    let store = SqliteStore::open(&db.0, oms_clock::system()).unwrap();
    assert_eq!(
        store.get(&key("P", "1"), true).await.unwrap(),
        Some(old.clone())
    );
    let new = item("P", "2", &[("v", Value::Bool(true))]);
    store.put(new.clone(), None).await.unwrap();
    let page = store
        .query(oms_store::QueryRequest::new(oms_store::Index::Primary, "P"))
        .await
        .unwrap();
    assert_eq!(page.items, vec![old, new]);

    let conn = rusqlite::Connection::open(&db.0).unwrap();
    let kinds: Vec<String> = conn
        .prepare("SELECT typeof(body) FROM items ORDER BY sk")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(kinds, ["text", "blob"]);
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 3);
}
