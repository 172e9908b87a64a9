//! Streams a generated product CSV through `import_csv` and prints the counts and the time, for
//! the figures in docs/webhooks.md (peak memory: run it under `/usr/bin/time -v`).
//!
//! ```text
//! cargo run --release -p oms-webhooks --example import_bench -- [ROWS] [--dry-run] [--db FILE]
//! ```
//! Without `--db` the embedded store lives in memory (so memory grows with the stored rows);
//! with `--db FILE` it is a SQLite file, as with `oms import --data-dir`.

use std::sync::Arc;
use std::time::Instant;

use oms_application::ports::Store;
use oms_domain::ids::TenantId;
use oms_persistence::Repository;
use oms_store::SqliteStore;
use oms_sync::Kind;
use oms_webhooks::{import_csv, ImportOptions};

#[path = "../tests/common/generated.rs"]
mod generated;

use generated::GeneratedProducts;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rows: u64 = args.iter().find_map(|a| a.parse().ok()).unwrap_or(100_000);
    let dry_run = args.iter().any(|a| a == "--dry-run");
    let db = args
        .iter()
        .position(|a| a == "--db")
        .and_then(|i| args.get(i + 1));
    let sqlite = match db {
        Some(path) => SqliteStore::open(path, Arc::new(oms_application::ports::SystemClock))?,
        None => SqliteStore::in_memory(Arc::new(oms_application::ports::SystemClock))?,
    };
    let store: Arc<dyn Store> = Arc::new(Repository::new(Arc::new(sqlite)));
    let tenant = TenantId::new("bench")?;
    let input = GeneratedProducts::new(rows);
    let options = ImportOptions {
        dry_run,
        default_version: 1,
        imported_at: chrono::DateTime::UNIX_EPOCH,
        rows_in_flight: oms_webhooks::EMBEDDED_IMPORT_CONCURRENCY,
    };
    let started = Instant::now();
    let report = import_csv(
        store.as_ref(),
        &tenant,
        Kind::VendorProducts,
        input,
        options,
        &mut |_| {},
    )
    .await?;
    let elapsed = started.elapsed();
    println!(
        "rows {} applied {} stale {} invalid {} dry_run {dry_run} in {elapsed:?} ({:.0} rows/s)",
        report.rows,
        report.applied,
        report.stale,
        report.invalid,
        report.rows as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}
