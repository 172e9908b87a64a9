//! The persistence conformance suite on the embedded SQLite store: once in memory, once on a
//! database file; plus durability of a committed order across reopening the file.

mod common;
mod stock_model;
#[macro_use]
mod suite;

use std::sync::Arc;

use common::Backend;
use oms_application::ports::Clock;
use oms_store::SqliteStore;

async fn sqlite_in_memory(clock: Arc<dyn Clock>) -> Backend {
    Backend::new(Arc::new(
        SqliteStore::in_memory(clock).expect("in-memory SQLite"),
    ))
}

/// A temporary database path, removed (with its WAL files) on drop.
struct TempDb(std::path::PathBuf);

impl TempDb {
    fn new() -> Self {
        TempDb(std::env::temp_dir().join(format!("oms-persistence-{}.sqlite", ulid::Ulid::new())))
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

async fn sqlite_file(clock: Arc<dyn Clock>) -> Backend {
    let db = TempDb::new();
    let store = SqliteStore::open(&db.0, clock).expect("SQLite file");
    Backend {
        store: Arc::new(store),
        keep: Some(Box::new(db)),
    }
}

mod in_memory {
    persistence_suite!(super::sqlite_in_memory);
}

mod file {
    persistence_suite!(super::sqlite_file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_placed_order_survives_reopening_the_database_file() {
    use common::*;
    let db = TempDb::new();
    let clock = test_clock();
    let backend = |path: &std::path::Path| {
        Backend::new(Arc::new(SqliteStore::open(path, clock.clone()).unwrap()))
    };
    let placed = {
        let w = World::seeded(backend(&db.0), clock.clone()).await;
        w.placed(&customer(A, C1), &[("MUG", 2)]).await
    };
    let reopened = World::new(backend(&db.0), clock.clone());
    assert_eq!(reopened.stored_order(A, &placed.id).await, placed);
    assert_eq!(reopened.stock(A, "MUG").await, 3);
    let listed = reopened
        .list_ids(&customer(A, C1), oms_domain::auth::Role::Customer, None)
        .await;
    assert_eq!(listed, vec![placed.id]);
}
