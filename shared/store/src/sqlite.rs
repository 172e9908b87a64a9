//! Embedded SQLite backend: one table mirroring the DynamoDB table, conditions evaluated in Rust
//! with [`crate::cond::eval`] inside one `BEGIN IMMEDIATE` transaction per write call.
//!
//! Writes go to one writer thread ([`writer`]) that owns the only writing connection and commits
//! *groups*: the writes queued while the previous commit synced run one after another in one
//! transaction, each inside its own savepoint (a write whose condition fails rolls back alone),
//! and one commit (`synchronous=FULL`: one fsync of the WAL) makes the whole group durable before
//! any of its writes is acknowledged. Reads of a database file run on separate read connections
//! (WAL: readers never wait for the writer), each call in one read transaction (a consistent
//! snapshot of committed data): key reads on the calling thread, queries and large batches on
//! the blocking thread pool. An in-memory database has one connection: its reads go through the
//! writer. Round trips are counted as DynamoDB would need them without retries: one per call,
//! and one per chunk of 100 keys (`batch_get`) or 25 writes (`batch_write`).
//! Like DynamoDB, expired rows stay stored (invisible) until overwritten or deleted.
//!
//! Key reads of a database file are served from an [`cache::ItemCache`] of committed items
//! where it is exactly the reader's snapshot (a commit counter in the file tells; see there).
//! A read the cache holds entirely takes no read transaction at all while the file's WAL-index
//! header is still the one the writer's last commit left ([`wal_index`]): nobody committed since.
//!
//! Two more tables in the same file serve `oms serve` (see [`local_log`]): a *change stream*
//! (what DynamoDB Streams is on AWS: inserts of the items a [`StreamFilter`] selects, written in
//! the same transaction as the items) and a *queue journal* (the durable in-process queues).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{params, params_from_iter, Connection, ErrorCode};

use crate::cond::{apply_updates, eval};
use crate::counter::RoundTrips;
use crate::error::StoreError;
use crate::item::{
    attr, is_expired, BatchWrite, Index, Item, ItemStore, Key, Page, QueryRequest, SkCondition,
    Update, Value, WriteOp,
};
use crate::limits::{self, BATCH_GET_CHUNK, BATCH_WRITE_CHUNK};
use crate::table::TABLE;
use oms_clock::Clock;

mod body;
mod cache;
mod local_log;
#[cfg(test)]
mod temp_db;
mod wal_index;
mod wal_writes;
mod writer;

use cache::ItemCache;
use writer::Scope;

pub use local_log::{JournalEntry, JournalMessage, StreamEntry, StreamFilter};

/// 2: the change stream and the queue journal. 3: item bodies in the binary form of [`body`]
/// (rows of schema 2, JSON text, are still read; a binary of schema 2 refuses a file of 3).
/// 4: the commit counter (`commits`), which every writer of the file increments: a binary of
/// schema 3 would write without counting, and a running server's item cache would keep serving
/// the items it replaced, so it refuses a file of 4.
const SCHEMA_VERSION: i64 = 4;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    pk         TEXT NOT NULL,
    sk         TEXT NOT NULL,
    gsi1pk     TEXT,
    gsi1sk     TEXT,
    gsi2pk     TEXT,
    gsi2sk     TEXT,
    gsi3pk     TEXT,
    gsi3sk     TEXT,
    gsi4pk     TEXT,
    gsi4sk     TEXT,
    expires_at INTEGER,
    body       TEXT NOT NULL,
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS items_gsi1 ON items (gsi1pk, gsi1sk, pk, sk)
    WHERE gsi1pk IS NOT NULL AND gsi1sk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_gsi2 ON items (gsi2pk, gsi2sk, pk, sk)
    WHERE gsi2pk IS NOT NULL AND gsi2sk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_gsi3 ON items (gsi3pk, gsi3sk, pk, sk)
    WHERE gsi3pk IS NOT NULL AND gsi3sk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_gsi4 ON items (gsi4pk, gsi4sk, pk, sk)
    WHERE gsi4pk IS NOT NULL AND gsi4sk IS NOT NULL;
CREATE TABLE IF NOT EXISTS stream (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS queue_journal (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    queue      TEXT NOT NULL,
    tenant     TEXT NOT NULL,
    grp        TEXT NOT NULL,
    dedup_id   TEXT NOT NULL,
    body       TEXT NOT NULL,
    dead_error TEXT
);
CREATE INDEX IF NOT EXISTS queue_journal_queue ON queue_journal (queue, seq);
CREATE TABLE IF NOT EXISTS commits (
    id  INTEGER PRIMARY KEY CHECK (id = 0),
    seq INTEGER NOT NULL
);
INSERT OR IGNORE INTO commits (id, seq) VALUES (0, 0);
";

/// [`ItemStore`] on an embedded SQLite database.
pub struct SqliteStore {
    writer: writer::Writer,
    /// Read connections of a database file (`None` in memory: reads go through the writer).
    readers: Option<Arc<ReadPool>>,
    /// Committed items for key reads of a database file (`None` in memory).
    cache: Option<Arc<ItemCache>>,
    /// The file's WAL index, whose header tells whether anyone committed since the writer's last
    /// commit (`None` in memory).
    wal_index: Option<Arc<wal_index::WalIndex>>,
    round_trips: RoundTrips,
    /// Decides which items have expired (the same clock as the use cases').
    clock: Arc<dyn Clock>,
    /// Which inserts the change stream records (none by default).
    stream: Option<StreamFilter>,
    /// Woken after a commit that recorded stream entries.
    stream_changed: Arc<tokio::sync::Notify>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("round_trips", &self.round_trips)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating it and its directory if needed) the database file at `path`, in WAL mode with
    /// `synchronous=FULL`: a committed write survives a process or machine crash.
    ///
    /// # Errors
    /// `Internal` when the file cannot be opened or holds a newer schema.
    pub fn open(path: impl AsRef<Path>, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Internal(Box::new(e)))?;
        }
        // The writer's connection hands each commit's WAL frames to the file in one write
        // ([`wal_writes`]), which is sound only because every commit syncs (`FULL`, set before
        // anything is written).
        let vfs = wal_writes::register().map_err(sql)?;
        let conn = Connection::open_with_flags_and_vfs(path, rusqlite::OpenFlags::default(), vfs)
            .map_err(sql)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sql)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(sql)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::internal(format!(
                "could not enable WAL (journal_mode={mode})"
            )));
        }
        // Each job of a group runs in a savepoint, whose sub-journal keeps the original of every
        // page the job changes. On a temp file (the default) a group's sub-journal spilled to
        // disk past 64 KiB: a file created, written and unlinked every other commit under load.
        // It is only ever needed to roll back a job within its open transaction, never after a
        // crash, so it lives in memory, and only until the group commits.
        conn.pragma_update(None, "temp_store", "MEMORY")
            .map_err(sql)?;
        let mut store = Self::init(conn, clock, Some(path))?;
        store.readers = Some(Arc::new(ReadPool {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
        }));
        Ok(store)
    }

    /// A private in-memory database (tests, throwaway runs).
    ///
    /// # Errors
    /// `Internal` when SQLite cannot allocate it.
    pub fn in_memory(clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory().map_err(sql)?, clock, None)
    }

    /// `file`: the path of a database file (cached, with its WAL index); `None` in memory.
    fn init(
        conn: Connection,
        clock: Arc<dyn Clock>,
        file: Option<&Path>,
    ) -> Result<Self, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sql)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::internal(format!(
                "database schema version {version} is newer than {SCHEMA_VERSION}"
            )));
        }
        conn.execute_batch(SCHEMA).map_err(sql)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(sql)?;
        // SQLite creates the WAL index at the first transaction in WAL mode (the schema's, just
        // now) and keeps it while the writer's connection is open.
        let wal_index = file.and_then(wal_index::WalIndex::open).map(Arc::new);
        let cache = if file.is_some() {
            Some(Arc::new(ItemCache::new(
                writer::commit_seq(&conn).map_err(sql)?,
            )))
        } else {
            None
        };
        Ok(SqliteStore {
            writer: writer::Writer::start(conn, cache.clone(), wal_index.clone())?,
            readers: None,
            cache,
            wal_index,
            round_trips: RoundTrips::default(),
            clock,
            stream: None,
            stream_changed: Arc::new(tokio::sync::Notify::new()),
        })
    }

    /// Runs the write `f` in the writer's next group, counting `round_trips` calls: `Ok` once
    /// the group that holds it committed (durable), `Err` with what `f` returned (its changes
    /// rolled back) or the group's commit error. `f` writes no item (the logs' tables).
    async fn write_call<T, F>(&self, round_trips: usize, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.item_write_call(round_trips, move |conn, _| f(conn))
            .await
    }

    /// [`Self::write_call`] for a write of items: `f` reads the stored items through its
    /// [`Scope`] and records there what it left under each key it wrote.
    async fn item_write_call<T, F>(&self, round_trips: usize, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &mut Scope<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        for _ in 0..round_trips {
            self.round_trips.record();
        }
        self.writer.run(f).await
    }

    /// The stored items (expired or not) under `keys` when the item cache holds them all and
    /// nobody has committed since the writer's last commit (the file's WAL-index header is the
    /// one that commit left): read without a read transaction. `None`: read them in one.
    fn latest_cached(&self, keys: &[Key]) -> Option<Vec<Option<Arc<Item>>>> {
        let now = self.wal_index.as_ref()?.header()?;
        self.cache.as_ref()?.latest(&now, keys)
    }

    /// Runs the read `f` in one read transaction on a read connection, or through the writer
    /// for an in-memory database, counting `round_trips` calls. A `short` read (a few keys)
    /// runs right here on the calling task's thread; others on the blocking pool.
    ///
    /// Why inline: a key lookup in the file's page cache takes tens of microseconds, while a
    /// hop to the blocking pool and back costs two thread wake-ups. Under load the hops' futex
    /// wake-ups were about a tenth of the server's CPU and each blocking thread kept its own
    /// allocator arena (RSS); inline, the 8-client load used less CPU per flow and less RSS
    /// (docs/benchmarks.md, "Second round"). WAL readers never wait for the writer, so a short
    /// read does not block the runtime thread on a lock; queries and large batches, which can
    /// decode megabytes, still leave it.
    async fn read_call<T, F>(&self, round_trips: usize, short: bool, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        for _ in 0..round_trips {
            self.round_trips.record();
        }
        let Some(pool) = &self.readers else {
            return self.writer.run(move |conn, _| f(conn)).await;
        };
        if short {
            return pool.read(f);
        }
        let pool = Arc::clone(pool);
        tokio::task::spawn_blocking(move || pool.read(f))
            .await
            .map_err(|e| StoreError::Internal(Box::new(e)))?
    }
}

/// A `batch_get` of at most this many keys reads on the calling thread (a mutation's reads:
/// the order's three keys, a catalog read of ~20); more keys read on the blocking pool.
const INLINE_READ_KEYS: usize = 50;

/// At most this many idle read connections are kept (more are opened while more reads run).
const IDLE_READERS: usize = 4;
/// Each read connection's page cache: 512 KiB (`cache_size` < 0 is in KiB; SQLite's default is
/// 2 MiB).
const READER_CACHE_KIB: i64 = -512;

/// Idle read connections of a database file, opened on demand.
struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ReadPool {
    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match idle {
            Some(conn) => conn,
            None => self.open()?,
        };
        conn.prepare_cached("BEGIN")
            .map_err(sql)?
            .execute([])
            .map_err(sql)?;
        let result = f(&conn);
        let end = conn
            .prepare_cached("COMMIT")
            .and_then(|mut end| end.execute([]));
        if end.is_ok() && conn.is_autocommit() {
            if let Ok(mut idle) = self.idle.lock() {
                if idle.len() < IDLE_READERS {
                    idle.push(conn);
                }
            }
        }
        // A connection whose read transaction did not end, or one more than the pool keeps, is
        // dropped (closed), not reused.
        result
    }

    fn open(&self) -> Result<Connection, StoreError> {
        let conn = Connection::open(&self.path).map_err(sql)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sql)?;
        conn.pragma_update(None, "query_only", true).map_err(sql)?;
        // The file's pages stay in the OS page cache; each reader keeps a small cache of its own.
        conn.pragma_update(None, "cache_size", READER_CACHE_KIB)
            .map_err(sql)?;
        Ok(conn)
    }
}

#[async_trait]
impl ItemStore for SqliteStore {
    async fn get(&self, key: &Key, _consistent: bool) -> Result<Option<Item>, StoreError> {
        limits::check_key(key)?;
        let keys = [key.clone()];
        let now = self.clock.now_unix();
        if let Some(found) = self.latest_cached(&keys) {
            self.round_trips.record();
            let stored = found.into_iter().next().flatten();
            return Ok(stored
                .filter(|i| !is_expired(i, now))
                .map(|i| Item::clone(&i)));
        }
        let cache = self.cache.clone();
        self.read_call(1, true, move |conn| {
            let stored = read_keys(conn, cache.as_deref(), &keys)?.into_iter().next();
            Ok(stored.flatten().filter(|i| !is_expired(i, now)))
        })
        .await
    }

    async fn batch_get(&self, keys: &[Key], _consistent: bool) -> Result<Vec<Item>, StoreError> {
        let keys = limits::unique_keys(keys)?;
        let now = self.clock.now_unix();
        let calls = limits::chunks(keys.len(), BATCH_GET_CHUNK);
        if let Some(found) = self.latest_cached(&keys) {
            for _ in 0..calls {
                self.round_trips.record();
            }
            return Ok(found
                .into_iter()
                .flatten()
                .filter(|i| !is_expired(i, now))
                .map(|i| Item::clone(&i))
                .collect());
        }
        let short = keys.len() <= INLINE_READ_KEYS;
        let cache = self.cache.clone();
        self.read_call(calls, short, move |conn| {
            Ok(read_keys(conn, cache.as_deref(), &keys)?
                .into_iter()
                .flatten()
                .filter(|i| !is_expired(i, now))
                .collect())
        })
        .await
    }

    async fn query(&self, req: QueryRequest) -> Result<Page, StoreError> {
        limits::check_query(&req)?;
        let now = self.clock.now_unix();
        self.read_call(1, false, move |conn| query(conn, &req, now))
            .await
    }

    async fn transact_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        limits::check_transaction(&ops)?;
        let now = self.clock.now_unix();
        let stream = self.stream.clone();
        let recorded = self
            .item_write_call(1, move |tx, scope| {
                let mut stored = Vec::with_capacity(ops.len());
                let mut failed = Vec::new();
                for (i, op) in ops.iter().enumerate() {
                    let current = scope.current(tx, &op.key()?)?;
                    if op.cond().is_some_and(|c| !eval(c, current.as_ref(), now)) {
                        failed.push(i);
                    }
                    stored.push(current);
                }
                if !failed.is_empty() {
                    return Err(StoreError::TransactionCanceled { failed });
                }
                let mut recorded = false;
                for (op, current) in ops.into_iter().zip(stored) {
                    recorded |= apply(tx, op, current, stream.as_ref(), scope)?;
                }
                Ok(recorded)
            })
            .await?;
        self.stream_written(recorded);
        Ok(())
    }

    async fn write(&self, op: WriteOp) -> Result<(), StoreError> {
        let key = limits::check_single(&op)?;
        let now = self.clock.now_unix();
        let stream = self.stream.clone();
        let recorded = self
            .item_write_call(1, move |tx, scope| {
                let current = scope.current(tx, &key)?;
                if op.cond().is_some_and(|c| !eval(c, current.as_ref(), now)) {
                    return Err(StoreError::ConditionFailed);
                }
                apply(tx, op, current, stream.as_ref(), scope)
            })
            .await?;
        self.stream_written(recorded);
        Ok(())
    }

    async fn batch_write(&self, writes: Vec<BatchWrite>) -> Result<(), StoreError> {
        limits::check_batch_write(&writes)?;
        let calls = limits::chunks(writes.len(), BATCH_WRITE_CHUNK);
        let stream = self.stream.clone();
        let recorded = self
            .item_write_call(calls, move |tx, scope| {
                let mut recorded = false;
                for write in writes {
                    match write {
                        BatchWrite::Put(item) => {
                            let key = Key::of(&item)?;
                            recorded |=
                                local_log::record_insert(tx, stream.as_ref(), &item, || {
                                    Ok(scope.current(tx, &key)?.is_none())
                                })?;
                            upsert(tx, &item)?;
                            scope.record(key, Some(item));
                        }
                        BatchWrite::Delete(key) => {
                            delete(tx, &key)?;
                            scope.record(key, None);
                        }
                    }
                }
                Ok(recorded)
            })
            .await?;
        self.stream_written(recorded);
        Ok(())
    }

    fn round_trips(&self) -> &RoundTrips {
        &self.round_trips
    }
}

/// Applies one op whose condition held; `current` is the stored row (expired or not). Records
/// an insert the `stream` filter selects (as DynamoDB Streams says INSERT only when no item was
/// stored, expired or not); `true` when it did. What the op left under its key goes to `scope`.
fn apply(
    conn: &Connection,
    op: WriteOp,
    current: Option<Item>,
    stream: Option<&StreamFilter>,
    scope: &mut Scope<'_>,
) -> Result<bool, StoreError> {
    let inserted = current.is_none();
    match op {
        WriteOp::Put { item, .. } => {
            let recorded = local_log::record_insert(conn, stream, &item, || Ok(inserted))?;
            if same_index_entries(current.as_ref(), &item) {
                rewrite_body(conn, &item)?;
            } else {
                upsert(conn, &item)?;
            }
            scope.record(Key::of(&item)?, Some(item));
            Ok(recorded)
        }
        WriteOp::Update { key, updates, .. } => {
            // A stored row whose index attributes no update names keeps its index entries.
            let keeps_index_entries = !inserted
                && !updates.iter().any(|u| {
                    let (Update::Set(name, _) | Update::Remove(name) | Update::Add(name, _)) = u;
                    is_index_attr(name)
                });
            let updated = apply_updates(current.unwrap_or_else(|| key.to_item()), &updates)?;
            limits::check_item(&updated)?;
            let recorded = local_log::record_insert(conn, stream, &updated, || Ok(inserted))?;
            if keeps_index_entries {
                rewrite_body(conn, &updated)?;
            } else {
                upsert(conn, &updated)?;
            }
            scope.record(key, Some(updated));
            Ok(recorded)
        }
        WriteOp::Delete { key, .. } => {
            delete(conn, &key)?;
            scope.record(key, None);
            Ok(false)
        }
        WriteOp::Check { .. } => Ok(false),
    }
}

/// The stored items (expired or not) under `keys`, in their order: from `cache` where it holds
/// this transaction's snapshot exactly, else read here (and added to it).
fn read_keys(
    conn: &Connection,
    cache: Option<&ItemCache>,
    keys: &[Key],
) -> Result<Vec<Option<Item>>, StoreError> {
    let Some(cache) = cache else {
        return keys.iter().map(|key| load(conn, key)).collect();
    };
    // The first statement of the read transaction: it fixes the snapshot the counter names.
    let seq = writer::commit_seq(conn).map_err(sql)?;
    let lookup = cache.lookup(seq, keys);
    let mut read = Vec::new();
    let mut stored = Vec::with_capacity(keys.len());
    for ((key, cached), admit) in keys.iter().zip(lookup.found).zip(lookup.admit) {
        match cached {
            Some(item) => stored.push(item.map(|item| Item::clone(&item))),
            None => {
                let item = load(conn, key)?;
                if admit {
                    read.push((key.clone(), item.clone()));
                }
                stored.push(item);
            }
        }
    }
    if !read.is_empty() {
        cache.fill(seq, read);
    }
    Ok(stored)
}

/// The stored item under `key`, expired or not.
fn load(conn: &Connection, key: &Key) -> Result<Option<Item>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT body FROM items WHERE pk = ?1 AND sk = ?2")
        .map_err(sql)?;
    let mut rows = stmt.query(params![key.pk, key.sk]).map_err(sql)?;
    match rows.next().map_err(sql)? {
        Some(row) => row_body(row).map(Some),
        None => Ok(None),
    }
}

/// The item in column 0 of `row`: decoded from the row's bytes, without copying them first.
/// Bodies are binary ([`body`]) since schema 3; text bodies are the JSON of schema 2.
fn row_body(row: &rusqlite::Row<'_>) -> Result<Item, StoreError> {
    match row.get_ref(0).map_err(sql)? {
        rusqlite::types::ValueRef::Blob(bytes) | rusqlite::types::ValueRef::Text(bytes) => {
            body::decode(bytes)
        }
        _ => Err(StoreError::internal(
            "stored item body is neither text nor bytes",
        )),
    }
}

/// The attributes the GSI index columns hold (each index's partition and sort key).
fn index_attrs() -> impl Iterator<Item = &'static str> {
    Index::GSIS.into_iter().flat_map(|index| {
        let (pk, sk) = index.key_attrs();
        [pk, sk]
    })
}

/// Whether `name` is an attribute a GSI index column holds.
fn is_index_attr(name: &str) -> bool {
    index_attrs().any(|attr| attr == name)
}

/// Whether a row exists for `item` (`current`) with the index columns `item` would give it.
fn same_index_entries(current: Option<&Item>, item: &Item) -> bool {
    current.is_some_and(|current| {
        index_attrs().all(|name| {
            current.get(name).and_then(Value::as_s) == item.get(name).and_then(Value::as_s)
        })
    })
}

/// Replaces the body and expiry of `item`'s existing row whose index columns stay as they are.
///
/// Why not the upsert: `INSERT OR REPLACE` deletes the row and inserts it again, which also
/// deletes and re-inserts its entries in all four GSI indexes. An order changes five times in a
/// checkout flow with its list keys unchanged (only a status change moves it), so the upsert
/// dirtied up to four index pages per change for nothing: pages the commit writes to the WAL
/// and the checkpoint writes again.
fn rewrite_body(conn: &Connection, item: &Item) -> Result<(), StoreError> {
    let key = Key::of(item)?;
    let expires_at = item.get(attr::EXPIRES_AT).and_then(Value::as_n);
    conn.prepare_cached("UPDATE items SET expires_at = ?3, body = ?4 WHERE pk = ?1 AND sk = ?2")
        .map_err(sql)?
        .execute(params![key.pk, key.sk, expires_at, body::encode(item)])
        .map_err(sql)?;
    Ok(())
}

fn upsert(conn: &Connection, item: &Item) -> Result<(), StoreError> {
    let key = Key::of(item)?;
    let s = |name: &str| item.get(name).and_then(Value::as_s);
    let expires_at = item.get(attr::EXPIRES_AT).and_then(Value::as_n);
    let body = body::encode(item);
    conn.prepare_cached(
        "INSERT OR REPLACE INTO items (pk, sk, gsi1pk, gsi1sk, gsi2pk, gsi2sk, gsi3pk, gsi3sk,
                                       gsi4pk, gsi4sk, expires_at, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )
    .map_err(sql)?
    .execute(params![
        key.pk,
        key.sk,
        s(attr::GSI1_PK),
        s(attr::GSI1_SK),
        s(attr::GSI2_PK),
        s(attr::GSI2_SK),
        s(attr::GSI3_PK),
        s(attr::GSI3_SK),
        s(attr::GSI4_PK),
        s(attr::GSI4_SK),
        expires_at,
        body
    ])
    .map_err(sql)?;
    Ok(())
}

fn delete(conn: &Connection, key: &Key) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM items WHERE pk = ?1 AND sk = ?2")
        .map_err(sql)?
        .execute(params![key.pk, key.sk])
        .map_err(sql)?;
    Ok(())
}

/// Reads `limit` rows in index order, keeps what the index projects of each
/// ([`TableDefinition::project`](crate::TableDefinition::project): a GSI returns its keys and
/// `expires_at`, never the body), ends the page before the row that would take it past 1 MB of
/// projected items ([`limits::MAX_QUERY_PAGE_BYTES`]), then drops the expired ones (as DynamoDB
/// applies `Limit` and the 1 MB cut before the filter), so `last_key` is set whenever `limit`
/// rows were read or the page was cut.
fn query(conn: &Connection, req: &QueryRequest, now: i64) -> Result<Page, StoreError> {
    let (pk_col, sk_col) = req.index.key_attrs();
    let gsi = req.index != Index::Primary;
    let (cmp, dir) = if req.forward {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };
    let mut sql_text = format!("SELECT body FROM items WHERE {pk_col} = ?");
    let mut args: Vec<String> = vec![req.pk.clone()];
    if gsi {
        sql_text.push_str(&format!(" AND {sk_col} IS NOT NULL"));
    }
    let mut bound = |op: &str, value: &str| {
        sql_text.push_str(&format!(" AND {sk_col} {op} ?"));
        args.push(value.to_owned());
    };
    match &req.sk {
        SkCondition::Any => {}
        SkCondition::BeginsWith(prefix) => {
            bound(">=", prefix);
            if let Some(upper) = prefix_upper_bound(prefix) {
                bound("<", &upper);
            }
        }
        SkCondition::Between(low, high) => {
            bound(">=", low);
            bound("<=", high);
        }
        SkCondition::Gt(v) => bound(">", v),
        SkCondition::Ge(v) => bound(">=", v),
        SkCondition::Lt(v) => bound("<", v),
        SkCondition::Le(v) => bound("<=", v),
    }
    let string = |item: &Item, name: &str| {
        item.get(name)
            .and_then(Value::as_s)
            .map(str::to_owned)
            .ok_or_else(|| StoreError::invalid(format!("start_after lacks string `{name}`")))
    };
    if let Some(start) = &req.start_after {
        if gsi {
            // GSI sort keys may repeat: order (and resume) by the base key too.
            sql_text.push_str(&format!(" AND ({sk_col}, pk, sk) {cmp} (?, ?, ?)"));
            args.extend([
                string(start, sk_col)?,
                string(start, attr::PK)?,
                string(start, attr::SK)?,
            ]);
        } else {
            sql_text.push_str(&format!(" AND sk {cmp} ?"));
            args.push(string(start, attr::SK)?);
        }
    }
    if gsi {
        sql_text.push_str(&format!(" ORDER BY {sk_col} {dir}, pk {dir}, sk {dir}"));
    } else {
        sql_text.push_str(&format!(" ORDER BY sk {dir}"));
    }
    sql_text.push_str(&format!(" LIMIT {}", req.limit));

    let mut stmt = conn.prepare_cached(&sql_text).map_err(sql)?;
    let mut rows = stmt.query(params_from_iter(args.iter())).map_err(sql)?;
    // What the index holds of each item (its projection), as DynamoDB returns and sizes it.
    let mut read = Vec::new();
    while let Some(row) = rows.next().map_err(sql)? {
        if let Some(item) = TABLE.project(req.index, row_body(row)?) {
            read.push(item);
        }
    }
    let fits = limits::query_page_len(read.iter().map(limits::item_size));
    let cut = fits < read.len();
    read.truncate(fits);
    let full = cut || read.len() == usize::try_from(req.limit).unwrap_or(usize::MAX);
    let last_key = match read.last() {
        Some(last) if full => Some(key_attributes(last, req.index)),
        _ => None,
    };
    let items = read.into_iter().filter(|i| !is_expired(i, now)).collect();
    Ok(Page { items, last_key })
}

/// `pk`, `sk` and the index's key attributes of `item`, as DynamoDB's `LastEvaluatedKey`.
fn key_attributes(item: &Item, index: Index) -> Item {
    let (ipk, isk) = index.key_attrs();
    [attr::PK, attr::SK, ipk, isk]
        .into_iter()
        .filter_map(|name| item.get(name).map(|v| (name.to_owned(), v.clone())))
        .collect()
}

/// The smallest string greater than every string starting with `prefix` (by code point, which
/// is UTF-8 byte order), or `None` when no such string exists.
fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match u32::from(last) + 1 {
            0xD800 => Some('\u{E000}'), // skip the surrogate gap
            n => char::from_u32(n),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// An item stored as JSON text (the change stream's entries).
fn decode(body: &str) -> Result<Item, StoreError> {
    body::decode(body.as_bytes())
}

/// Busy/locked databases (another writer held the lock past the busy timeout) are contention:
/// `Throttled`, retryable; everything else is internal.
fn sql(err: rusqlite::Error) -> StoreError {
    match err.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            StoreError::Throttled(Box::new(err))
        }
        _ => StoreError::Internal(Box::new(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_upper_bound_is_the_next_string_after_the_prefix_range() {
        assert_eq!(prefix_upper_bound("ab").as_deref(), Some("ac"));
        assert_eq!(prefix_upper_bound("ORDER#").as_deref(), Some("ORDER$"));
        assert_eq!(prefix_upper_bound("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_upper_bound("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(prefix_upper_bound(""), None);
        assert_eq!(prefix_upper_bound("\u{10FFFF}"), None);
        // Every string with the prefix sorts below the bound, bytewise.
        let upper = prefix_upper_bound("a\u{10FFFF}").unwrap();
        assert!("a\u{10FFFF}\u{10FFFF}zz".as_bytes() < upper.as_bytes());
    }

    #[test]
    fn key_attributes_keep_base_and_index_keys_only() {
        let item: Item = [
            ("pk", "P"),
            ("sk", "S"),
            ("gsi1pk", "G"),
            ("gsi1sk", "H"),
            ("gsi2pk", "X"),
            ("other", "O"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Value::from(v)))
        .collect();
        let names = |index| key_attributes(&item, index).into_keys().collect::<Vec<_>>();
        assert_eq!(names(Index::Gsi1), ["gsi1pk", "gsi1sk", "pk", "sk"]);
        assert_eq!(names(Index::Primary), ["pk", "sk"]);
    }

    fn item(sk: &str, v: i64) -> Item {
        let mut item = Key::new("P", sk).to_item();
        item.insert("v".into(), Value::N(v));
        item
    }

    /// The point of the WAL-index header: reads the cache holds entirely skip the read
    /// transaction, until anyone (here a second store on the file, as `oms import` would be)
    /// commits, and again once the writer committed after that.
    #[tokio::test]
    async fn cached_reads_skip_the_read_transaction_only_while_nobody_else_committed() {
        let db = temp_db::TempDb::new();
        let server = SqliteStore::open(&db.0, oms_clock::system()).unwrap();
        let other = SqliteStore::open(&db.0, oms_clock::system()).unwrap();
        let keys = [Key::new("P", "a"), Key::new("P", "none")];
        server.put(item("a", 1), None).await.unwrap();
        assert!(server.latest_cached(&keys).is_none(), "not cached yet");
        for _ in 0..2 {
            // The second miss of each key caches it (the absent one as absent).
            assert_eq!(server.batch_get(&keys, false).await.unwrap().len(), 1);
        }
        let latest = server.latest_cached(&keys).expect("served without SQLite");
        assert_eq!(latest[0].as_deref(), Some(&item("a", 1)));
        assert!(latest[1].is_none());
        let calls = server.round_trips().snapshot();
        assert_eq!(
            server.batch_get(&keys, false).await.unwrap(),
            [item("a", 1)]
        );
        assert_eq!(server.round_trips().since(calls), 1, "still one call");

        other.put(item("a", 2), None).await.unwrap();
        assert!(
            server.latest_cached(&keys).is_none(),
            "another commit since"
        );
        assert_eq!(
            server.get(&Key::new("P", "a"), false).await.unwrap(),
            Some(item("a", 2))
        );
        // The writer's next commit starts over from the file's latest state.
        server.put(item("b", 1), None).await.unwrap();
        assert!(
            server.latest_cached(&keys).is_none(),
            "emptied: its entries predate the other commit"
        );
        for _ in 0..2 {
            server.batch_get(&keys, false).await.unwrap();
        }
        let latest = server
            .latest_cached(&keys)
            .expect("served without SQLite again");
        assert_eq!(latest[0].as_deref(), Some(&item("a", 2)));
    }
}
