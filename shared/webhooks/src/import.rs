//! CSV snapshot import (docs/webhooks.md §6), the core of `oms import`.
//!
//! Rows stream through oms-sync's [`CsvImport`] (one record in memory at a time, each row
//! validated by the webhook path) and valid rows are applied with `apply_snapshot` at the row's
//! version (its `version` cell, else [`ImportOptions::default_version`]). Memory stays constant:
//! at most [`ImportOptions::rows_in_flight`] rows are being written at once, and at most
//! [`MAX_REPORTED_ERRORS`] row errors are kept (every bad row is counted).
//!
//! - Writes overlap (up to [`ImportOptions::rows_in_flight`]) because each is a store round
//!   trip: several ms on DynamoDB, a share of one fsync on the embedded store (whose writes in
//!   flight together share a commit). Two rows that write the same item never overlap, so the
//!   file's order decides between them exactly as a one-at-a-time import would.
//! - Re-importing a file is idempotent: the same versions are `stale` the second time; with a
//!   later default version the same content is written again, which changes nothing.
//! - A dry run validates every row and writes nothing.
//! - A store fault stops the import ([`ImportError::Store`], with the counts so far); re-running
//!   the file is safe.

use std::future::Future;
use std::io::{Read, Write};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures_util::stream::{FuturesUnordered, StreamExt};

use chrono::{DateTime, Utc};
use oms_application::ports::{ApplyOutcome, Store, StoreFault};
use oms_domain::ids::TenantId;
use oms_sync::{CsvImport, Kind, RowError, Snapshot};

use crate::updater::apply_snapshot_at;

/// Rows written at once on DynamoDB: 16 rows of ~6 WRU in flight stay under the write rate a
/// new on-demand table starts with.
pub const IMPORT_CONCURRENCY: usize = 16;
/// Rows written at once on the embedded store: its writes in flight share one commit (one
/// fsync), so more in flight means fewer syncs. 16 made commits of ~6 rows and an import that
/// waited on the disk; 64 imported 100,000 products in 17 s instead of 28 s for ~7 MB more
/// memory; 256 was no faster (CPU-bound) (docs/benchmarks.md "CSV import").
pub const EMBEDDED_IMPORT_CONCURRENCY: usize = 64;
/// Row errors kept in the report; later ones are only counted in [`ImportReport::invalid`].
pub const MAX_REPORTED_ERRORS: usize = 100_000;
/// Rows between two progress callbacks.
pub const PROGRESS_EVERY: u64 = 1_000;

/// How to import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportOptions {
    /// Validate only; write nothing.
    pub dry_run: bool,
    /// Version of rows without a `version` cell: use the import time in ms.
    pub default_version: u64,
    /// When the file's data was observed: the import time (from the clock). A product row's
    /// `stock` counts the shipments recorded up to then (docs/data-model.md "Stock").
    pub imported_at: DateTime<Utc>,
    /// Rows written at once (at least 1): [`IMPORT_CONCURRENCY`] on DynamoDB,
    /// [`EMBEDDED_IMPORT_CONCURRENCY`] on the embedded store.
    pub rows_in_flight: usize,
}

/// Counts so far, reported every [`PROGRESS_EVERY`] rows and once at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportProgress {
    /// Bytes consumed from the input so far (for a progress bar against the file size; the CSV
    /// reader reads ahead by up to one buffer).
    pub bytes_read: u64,
    /// Physical line of the last row read.
    pub line: u64,
    pub rows: u64,
    pub applied: u64,
    pub stale: u64,
    pub invalid: u64,
    /// True for the last callback.
    pub done: bool,
}

/// The outcome of an import.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportReport {
    /// Data rows read (blank rows are skipped and not counted).
    pub rows: u64,
    /// Rows written (newer than what was stored).
    pub applied: u64,
    /// Valid rows not newer than what was stored (e.g. a re-import).
    pub stale: u64,
    /// Rows rejected.
    pub invalid: u64,
    /// The rejected rows, in file order (the first [`MAX_REPORTED_ERRORS`]).
    pub errors: Vec<RowError>,
}

impl ImportReport {
    /// Rows that passed validation.
    pub fn valid(&self) -> u64 {
        self.rows.saturating_sub(self.invalid)
    }

    /// True when every row was valid (the CLI's exit code 0).
    pub fn all_rows_valid(&self) -> bool {
        self.invalid == 0
    }

    /// Rejected rows not listed in [`ImportReport::errors`].
    pub fn errors_omitted(&self) -> u64 {
        self.invalid.saturating_sub(self.errors.len() as u64)
    }

    fn progress(&self, bytes_read: u64, line: u64, done: bool) -> ImportProgress {
        ImportProgress {
            bytes_read,
            line,
            rows: self.rows,
            applied: self.applied,
            stale: self.stale,
            invalid: self.invalid,
            done,
        }
    }
}

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be imported at all (empty, bad header, a kind without CSV import).
    /// Nothing was written.
    #[error("the file cannot be imported: {0}")]
    Header(RowError),
    /// A store fault: the rows before it (counted in `report`) may have been written. Re-running
    /// the file is safe.
    #[error("import stopped by a storage fault after {} rows", .report.rows)]
    Store {
        #[source]
        source: StoreFault,
        report: ImportReport,
    },
}

/// Imports a CSV file of `kind` into `tenant` (see the module documentation).
///
/// # Errors
/// [`ImportError::Header`] before any row; [`ImportError::Store`] on a store fault.
pub async fn import_csv<R: Read>(
    store: &dyn Store,
    tenant: &TenantId,
    kind: Kind,
    input: R,
    options: ImportOptions,
    progress: &mut dyn FnMut(ImportProgress),
) -> Result<ImportReport, ImportError> {
    let bytes_read = Arc::new(AtomicU64::new(0));
    let input = CountingReader {
        inner: input,
        count: bytes_read.clone(),
    };
    let bytes = || bytes_read.load(Ordering::Relaxed);
    let rows = CsvImport::new(kind, input, tenant.clone(), options.default_version)
        .map_err(ImportError::Header)?;
    let mut report = ImportReport::default();
    let mut writes = Writes::new(store, tenant, options.rows_in_flight);
    let mut line = 1;
    for row in rows {
        report.rows += 1;
        match row {
            Err(error) => {
                line = error.line;
                report.invalid += 1;
                if report.errors.len() < MAX_REPORTED_ERRORS {
                    report.errors.push(error);
                }
            }
            Ok(row) => {
                line = row.line;
                if !options.dry_run {
                    let keys = item_keys(&row.snapshot);
                    let write = (row.snapshot, row.version, options.imported_at, row.line);
                    if let Err(source) = writes.start(keys, write, &mut report).await {
                        return Err(writes.abort(source, report).await);
                    }
                }
            }
        }
        if report.rows % PROGRESS_EVERY == 0 {
            progress(report.progress(bytes(), line, false));
        }
    }
    if let Err(source) = writes.finish(&mut report).await {
        return Err(writes.abort(source, report).await);
    }
    // Rows the store rejected (a limit of the stored data) were counted as their writes ended.
    report.errors.sort_by_key(|e| e.line);
    progress(report.progress(bytes(), line, true));
    Ok(report)
}

/// Counts the bytes the CSV reader consumes.
struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The stored items a row writes, as far as two rows can collide: a product is found by id and
/// by vendor + SKU, and one vendor's offers share one item.
fn item_keys(snapshot: &Snapshot) -> Vec<String> {
    match snapshot {
        Snapshot::Product(p) => vec![
            snapshot.entity_key(),
            format!("SKU#{}#{}", p.vendor_id, p.sku),
        ],
        Snapshot::Offer(o) => vec![format!("OFFERS#{}", o.vendor_id)],
        _ => vec![snapshot.entity_key()],
    }
}

/// The row's item keys, its line, and what the store did.
type WriteResult = (Vec<String>, u64, Result<ApplyOutcome, StoreFault>);
type WriteFuture<'a> = Pin<Box<dyn Future<Output = WriteResult> + Send + 'a>>;

/// A row's snapshot, its version, when it was observed and its line.
type RowWrite = (Snapshot, u64, DateTime<Utc>, u64);

async fn write_row(
    store: &dyn Store,
    tenant: &TenantId,
    keys: Vec<String>,
    (snapshot, version, observed_at, line): RowWrite,
) -> WriteResult {
    let outcome = apply_snapshot_at(store, tenant, snapshot, version, observed_at).await;
    (keys, line, outcome)
}

/// The writes in flight (at most `limit`, never two on one item).
struct Writes<'a> {
    store: &'a dyn Store,
    tenant: &'a TenantId,
    limit: usize,
    in_flight: FuturesUnordered<WriteFuture<'a>>,
    /// Item keys of the writes in flight.
    busy: Vec<String>,
}

impl<'a> Writes<'a> {
    fn new(store: &'a dyn Store, tenant: &'a TenantId, limit: usize) -> Self {
        Writes {
            store,
            tenant,
            limit: limit.max(1),
            in_flight: FuturesUnordered::new(),
            busy: Vec::new(),
        }
    }

    /// Starts a row's write once a slot is free and no write in flight touches its items.
    async fn start(
        &mut self,
        keys: Vec<String>,
        write: RowWrite,
        report: &mut ImportReport,
    ) -> Result<(), StoreFault> {
        while !self.in_flight.is_empty()
            && (self.in_flight.len() >= self.limit || keys.iter().any(|k| self.busy.contains(k)))
        {
            self.settle_one(report).await?;
        }
        self.busy.extend(keys.iter().cloned());
        self.in_flight
            .push(Box::pin(write_row(self.store, self.tenant, keys, write)));
        Ok(())
    }

    /// Waits for one write and counts it.
    async fn settle_one(&mut self, report: &mut ImportReport) -> Result<(), StoreFault> {
        let Some((keys, line, outcome)) = self.in_flight.next().await else {
            return Ok(());
        };
        for key in &keys {
            if let Some(i) = self.busy.iter().position(|b| b == key) {
                self.busy.swap_remove(i);
            }
        }
        match outcome? {
            ApplyOutcome::Applied => report.applied += 1,
            ApplyOutcome::Stale => report.stale += 1,
            // Past a limit of the stored data (a vendor's 101st offer): the row is invalid,
            // with the limit as its message (docs/data-model.md "Limits").
            ApplyOutcome::Rejected(limit) => {
                report.invalid += 1;
                if report.errors.len() < MAX_REPORTED_ERRORS {
                    report.errors.push(RowError {
                        line,
                        column: None,
                        code: oms_sync::SyncErrorCode::InvalidPayload,
                        message: limit.message(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Waits for every write.
    async fn finish(&mut self, report: &mut ImportReport) -> Result<(), StoreFault> {
        while !self.in_flight.is_empty() {
            self.settle_one(report).await?;
        }
        Ok(())
    }

    /// Lets the writes in flight end (counting those that succeed) and builds the error.
    async fn abort(&mut self, source: StoreFault, mut report: ImportReport) -> ImportError {
        while !self.in_flight.is_empty() {
            // Later faults add nothing: the first one is reported.
            let _ = self.settle_one(&mut report).await;
        }
        ImportError::Store { source, report }
    }
}

/// Writes the row errors as CSV: `line,column,code,message` (RFC 4180 quoting).
///
/// # Errors
/// I/O errors of `writer`.
pub fn write_error_report_csv<W: Write>(errors: &[RowError], writer: W) -> std::io::Result<()> {
    let mut out = ::csv::Writer::from_writer(writer);
    out.write_record(["line", "column", "code", "message"])?;
    for e in errors {
        let line = e.line.to_string();
        out.write_record([
            line.as_str(),
            e.column.as_deref().unwrap_or(""),
            e.code.as_str(),
            e.message.as_str(),
        ])?;
    }
    out.flush()
}
