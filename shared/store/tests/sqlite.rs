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

/// A file written by schema 2 (item bodies as JSON text) opens, reads its items (by key and by
/// query), takes new writes in the binary form beside them, and is marked with the current
/// schema (4) so an older binary refuses it instead of misreading it.
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
    assert_eq!(version, 4);
}

/// The same suite on a database file: reads there go through read connections and the item
/// cache, writes through the writer's group commits.
mod on_a_file {
    use super::*;

    /// A store on its own temporary file, removed with it.
    pub struct FileStore {
        store: SqliteStore,
        _db: TempDb,
    }

    pub async fn file_store(clock: Arc<dyn Clock>) -> FileStore {
        let db = TempDb::new();
        FileStore {
            store: SqliteStore::open(&db.0, clock).expect("SQLite file"),
            _db: db,
        }
    }

    #[async_trait::async_trait]
    impl ItemStore for FileStore {
        async fn get(
            &self,
            key: &oms_store::Key,
            consistent: bool,
        ) -> Result<Option<oms_store::Item>, oms_store::StoreError> {
            self.store.get(key, consistent).await
        }
        async fn batch_get(
            &self,
            keys: &[oms_store::Key],
            consistent: bool,
        ) -> Result<Vec<oms_store::Item>, oms_store::StoreError> {
            self.store.batch_get(keys, consistent).await
        }
        async fn query(
            &self,
            req: oms_store::QueryRequest,
        ) -> Result<oms_store::Page, oms_store::StoreError> {
            self.store.query(req).await
        }
        async fn transact_write(
            &self,
            ops: Vec<oms_store::WriteOp>,
        ) -> Result<(), oms_store::StoreError> {
            self.store.transact_write(ops).await
        }
        async fn write(&self, op: oms_store::WriteOp) -> Result<(), oms_store::StoreError> {
            self.store.write(op).await
        }
        async fn batch_write(
            &self,
            writes: Vec<oms_store::BatchWrite>,
        ) -> Result<(), oms_store::StoreError> {
            self.store.batch_write(writes).await
        }
        fn round_trips(&self) -> &oms_store::RoundTrips {
            self.store.round_trips()
        }
    }

    conformance_tests!(file_store);

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_decrements_sell_exactly_the_stock() {
        let clock = Arc::new(ManualClock::new(conformance::pinned_now()));
        conformance::concurrent_decrements_sell_exactly_the_stock(
            file_store(clock.clone()).await,
            &clock,
        )
        .await;
    }
}

/// `oms tenant put` or `oms import` write the file while `oms serve` runs: the server's next read
/// returns what they wrote, although it read (and cached) the old items a moment before.
#[tokio::test]
async fn another_store_writing_the_same_file_is_read_at_once() {
    let db = TempDb::new();
    let server = SqliteStore::open(&db.0, oms_clock::system()).unwrap();
    let cli = SqliteStore::open(&db.0, oms_clock::system()).unwrap();
    let keys = [key("T", "config"), key("T", "absent"), key("T", "gone")];
    server
        .put(item("T", "config", &[("v", Value::N(1))]), None)
        .await
        .unwrap();
    server
        .put(item("T", "gone", &[("v", Value::N(1))]), None)
        .await
        .unwrap();
    for _ in 0..3 {
        // The second read is served from the cache, the third without a read transaction (no
        // commit since the server's last).
        let read = server.batch_get(&keys, false).await.unwrap();
        assert_eq!(read.len(), 2);
    }
    cli.put(item("T", "config", &[("v", Value::N(2))]), None)
        .await
        .unwrap();
    cli.put(item("T", "absent", &[("v", Value::N(2))]), None)
        .await
        .unwrap();
    cli.write(oms_store::WriteOp::Delete {
        key: key("T", "gone"),
        cond: None,
    })
    .await
    .unwrap();
    let read = server.batch_get(&keys, false).await.unwrap();
    assert_eq!(
        read,
        vec![
            item("T", "config", &[("v", Value::N(2))]),
            item("T", "absent", &[("v", Value::N(2))]),
        ]
    );
    assert_eq!(
        server.get(&key("T", "config"), true).await.unwrap(),
        Some(item("T", "config", &[("v", Value::N(2))]))
    );
    // The server's next write conditions on what the other store wrote, not on what the
    // server had read before it.
    server
        .put(
            item("T", "config", &[("v", Value::N(3))]),
            Some(oms_store::Cond::Eq("v".into(), Value::N(2))),
        )
        .await
        .unwrap();
    assert_eq!(
        server.get(&key("T", "config"), false).await.unwrap(),
        Some(item("T", "config", &[("v", Value::N(3))]))
    );
    assert_eq!(
        cli.get(&key("T", "config"), false).await.unwrap(),
        Some(item("T", "config", &[("v", Value::N(3))]))
    );
}

/// Many writers and readers at once on one file: every read returns the latest acknowledged
/// value or a newer one, never an older one (the item cache never goes back in time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_never_return_an_item_older_than_the_last_acknowledged_write() {
    let db = TempDb::new();
    let store = Arc::new(SqliteStore::open(&db.0, oms_clock::system()).unwrap());
    let counters: Vec<oms_store::Key> = (0..4).map(|i| key("C", &i.to_string())).collect();
    for k in &counters {
        store
            .put(item(&k.pk, &k.sk, &[("n", Value::N(0))]), None)
            .await
            .unwrap();
    }
    let acknowledged: Arc<Vec<std::sync::atomic::AtomicI64>> = Arc::new(
        (0..4)
            .map(|_| std::sync::atomic::AtomicI64::new(0))
            .collect(),
    );
    let mut tasks = Vec::new();
    for w in 0..4usize {
        let store = Arc::clone(&store);
        let acknowledged = Arc::clone(&acknowledged);
        let k = counters[w].clone();
        tasks.push(tokio::spawn(async move {
            for n in 1..=150 {
                store
                    .put(item(&k.pk, &k.sk, &[("n", Value::N(n))]), None)
                    .await
                    .unwrap();
                acknowledged[w].store(n, std::sync::atomic::Ordering::SeqCst);
            }
        }));
    }
    for _ in 0..4 {
        let store = Arc::clone(&store);
        let acknowledged = Arc::clone(&acknowledged);
        let counters = counters.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..300 {
                let floor: Vec<i64> = acknowledged
                    .iter()
                    .map(|a| a.load(std::sync::atomic::Ordering::SeqCst))
                    .collect();
                let read = store.batch_get(&counters, false).await.unwrap();
                for it in read {
                    let i: usize = it["sk"].as_s().unwrap().parse().unwrap();
                    let n = it["n"].as_n().unwrap();
                    assert!(
                        n >= floor[i],
                        "counter {i} read {n} after {} was acknowledged",
                        floor[i]
                    );
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}
