//! The writer thread: group commit on the one writing connection.
//!
//! Every write call is a job sent to one OS thread that owns the connection. The thread takes
//! the jobs queued so far (at most [`MAX_GROUP`]), opens one `BEGIN IMMEDIATE` transaction, runs
//! each job inside its own savepoint (`RELEASE` when it succeeds, `ROLLBACK TO` when it fails:
//! a failed condition undoes that job only), then commits once. With `synchronous=FULL` that
//! commit syncs the WAL, so the whole group is durable before any job is answered: a job is
//! acknowledged only after the commit that holds it returned, and jobs queued while a commit
//! syncs share the next one. Jobs run in the order they were sent, each seeing the writes of the
//! jobs before it, exactly as if each had committed alone; only the fsyncs are shared.
//!
//! A database file's writer also keeps its [`ItemCache`] exact: each group increments the
//! commit counter (the `commits` row) in its transaction and, once committed, hands the items its
//! successful jobs left to the cache before answering anyone.

use std::collections::{HashMap, VecDeque};
use std::sync::{mpsc, Arc};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::cache::{Change, ItemCache};
use super::sql;
use super::wal_index::{self, WalIndex};
use crate::error::StoreError;
use crate::item::{Item, Key};

/// At most this many jobs share one transaction.
const MAX_GROUP: usize = 256;

/// What a job hands back once run: whether it succeeded (its savepoint released) and the
/// function that answers its caller with the group's commit result.
struct Ran {
    ok: bool,
    answer: Box<dyn FnOnce(Result<(), StoreError>) + Send>,
}

/// Runs the write on the connection; with `None` (the group could not start) only answers.
type Job = Box<dyn FnOnce(Option<(&Connection, &mut Scope<'_>)>) -> Ran + Send>;

/// What a job sees of its group and what it leaves: the stored items as the group's earlier
/// jobs left them, and the changes its own item writes make (kept only if it succeeds).
pub(super) struct Scope<'a> {
    /// Each key the group's earlier successful jobs wrote, with what the last of them left.
    earlier: &'a HashMap<Key, Option<Item>>,
    /// The file's item cache, exact for this transaction while it holds counter `before`.
    cache: Option<&'a ItemCache>,
    before: u64,
    changes: Vec<Change>,
}

impl Scope<'_> {
    /// The stored item under `key` (expired or not) as this job sees it.
    ///
    /// Why not always SQLite: every write reads the items it conditions on or updates (the
    /// order, its stock and coupon counters…), which the cache mostly holds already; the
    /// B-tree lookups and body decoding were a twelfth of the writer thread's time, and the
    /// writer is the one path every mutation goes through in turn.
    pub(super) fn current(&self, conn: &Connection, key: &Key) -> Result<Option<Item>, StoreError> {
        if let Some(left) = self.earlier.get(key) {
            return Ok(left.clone());
        }
        if let Some(stored) = self.cache.and_then(|c| c.committed_item(self.before, key)) {
            return Ok(stored.map(|item| Item::clone(&item)));
        }
        super::load(conn, key)
    }

    /// Records that this job's write left `item` (`None`: nothing) under `key`.
    pub(super) fn record(&mut self, key: Key, item: Option<Item>) {
        self.changes.push((key, item));
    }
}

/// The sending side; the thread ends (closing the connection) when it is dropped.
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread on `conn`, keeping `cache` (a database file's) exact.
    /// With `wal_index` (the file's), it also tells the cache the WAL-index header each of its
    /// commits left, when it can tell that it is exactly its commit's.
    pub(super) fn start(
        conn: Connection,
        cache: Option<Arc<ItemCache>>,
        wal_index: Option<Arc<WalIndex>>,
    ) -> Result<Self, StoreError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("oms-sqlite-writer".into())
            .spawn(move || {
                let cache = cache.as_deref().map(|cache| Cached {
                    cache,
                    wal_index: wal_index.as_deref(),
                });
                serve(&conn, &queue, cache.as_ref());
            })
            .map_err(|e| StoreError::Internal(Box::new(e)))?;
        Ok(Writer { jobs })
    }

    /// Runs `f` in the next group; its result once the group committed. `f` reads the items
    /// it writes through its [`Scope`] and records there what its writes left under each key.
    pub(super) async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &mut Scope<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<Result<T, StoreError>>();
        let job: Job = Box::new(move |ctx| {
            let outcome = ctx.map(|(conn, scope)| f(conn, scope));
            ran(outcome, tx)
        });
        self.jobs
            .send(job)
            .map_err(|_| StoreError::internal("the SQLite writer thread has stopped"))?;
        rx.await
            .map_err(|_| StoreError::internal("the SQLite writer thread dropped a write"))?
    }
}

/// How a job that ran (`Some`) or could not start (`None`) answers its caller.
fn ran<T: Send + 'static>(
    outcome: Option<Result<T, StoreError>>,
    tx: oneshot::Sender<Result<T, StoreError>>,
) -> Ran {
    match outcome {
        None => Ran {
            ok: false,
            answer: Box::new(move |not_started| {
                let _ = tx.send(
                    not_started.and_then(|()| Err(StoreError::internal("the write did not run"))),
                );
            }),
        },
        Some(Ok(value)) => Ran {
            ok: true,
            answer: Box::new(move |committed| {
                let _ = tx.send(committed.map(|()| value));
            }),
        },
        Some(Err(e)) => Ran {
            ok: false,
            answer: Box::new(move |_| {
                let _ = tx.send(Err(e));
            }),
        },
    }
}

/// The item cache a file's writer keeps exact, and the file's WAL index.
struct Cached<'a> {
    cache: &'a ItemCache,
    wal_index: Option<&'a WalIndex>,
}

fn serve(conn: &Connection, queue: &mpsc::Receiver<Job>, cache: Option<&Cached<'_>>) {
    let mut pending: VecDeque<Job> = VecDeque::new();
    loop {
        if pending.is_empty() {
            match queue.recv() {
                Ok(job) => pending.push_back(job),
                Err(_) => return, // the store was dropped
            }
        }
        while pending.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => pending.push_back(job),
                Err(_) => break,
            }
        }
        group(conn, &mut pending, cache);
    }
}

/// Runs jobs from the front of `pending` in one transaction and answers them. Jobs left in
/// `pending` (when SQLite ended the transaction on its own) run in the next group.
fn group(conn: &Connection, pending: &mut VecDeque<Job>, cached: Option<&Cached<'_>>) {
    let cache = cached.map(|c| c.cache);
    let wal_index = cached.and_then(|c| c.wal_index);
    let begun = exec(conn, "BEGIN IMMEDIATE").and_then(|()| commit_seq(conn));
    // Read while this transaction holds the write lock: the header of the last commit before it.
    let header_before = wal_index.and_then(WalIndex::header);
    let before = match begun {
        Ok(seq) => seq,
        Err(e) => {
            // Nothing ran: every queued job gets the error (busy: Throttled, retryable).
            for job in pending.drain(..) {
                (job(None).answer)(Err(copy_error(&e)));
            }
            rollback(conn);
            return;
        }
    };
    let mut ran: Vec<Ran> = Vec::with_capacity(pending.len().min(MAX_GROUP));
    let mut earlier: HashMap<Key, Option<Item>> = HashMap::new();
    let mut aborted = None;
    for _ in 0..MAX_GROUP {
        let Some(job) = pending.pop_front() else {
            break;
        };
        if let Err(e) = exec(conn, "SAVEPOINT job") {
            aborted = Some(e);
            pending.push_front(job);
            break;
        }
        let mut scope = Scope {
            earlier: &earlier,
            cache,
            before,
            changes: Vec::new(),
        };
        let outcome = job(Some((conn, &mut scope)));
        let ended = if outcome.ok {
            earlier.extend(scope.changes);
            exec(conn, "RELEASE job")
        } else {
            exec(conn, "ROLLBACK TO job").and_then(|()| exec(conn, "RELEASE job"))
        };
        ran.push(outcome);
        if let Err(e) = ended {
            aborted = Some(e);
            break;
        }
        if conn.is_autocommit() {
            // SQLite rolled the whole transaction back (an I/O error, out of disk...).
            aborted = Some(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
                Some("the transaction was rolled back".into()),
            ));
            break;
        }
    }
    let changed = ran.iter().any(|outcome| outcome.ok);
    let after = if changed { before + 1 } else { before };
    let committed = match aborted {
        Some(e) => Err(e),
        None if changed => set_commit_seq(conn, after).and_then(|()| exec(conn, "COMMIT")),
        None => exec(conn, "COMMIT"),
    };
    if committed.is_err() {
        rollback(conn);
    }
    if let Some(cache) = cache {
        if committed.is_ok() {
            let header = wal_index.and_then(WalIndex::header).filter(|now| {
                // Exactly this group's commit (or none), not also another process's since.
                header_before.is_some_and(|was| {
                    let commits = if changed { 1 } else { 0 };
                    wal_index::commits(now) == wal_index::commits(&was).wrapping_add(commits)
                        && (changed || *now == was)
                })
            });
            cache.committed(before, after, earlier, header);
        }
    }
    for outcome in ran {
        (outcome.answer)(committed.as_ref().map(|_| ()).map_err(copy_error));
    }
}

/// The commit counter as this transaction sees it.
pub(super) fn commit_seq(conn: &Connection) -> Result<u64, rusqlite::Error> {
    let seq: i64 = conn
        .prepare_cached("SELECT seq FROM commits WHERE id = 0")?
        .query_row([], |row| row.get(0))?;
    Ok(u64::try_from(seq).unwrap_or(0))
}

fn set_commit_seq(conn: &Connection, seq: u64) -> Result<(), rusqlite::Error> {
    let seq = i64::try_from(seq).unwrap_or(i64::MAX);
    conn.prepare_cached("UPDATE commits SET seq = ?1 WHERE id = 0")?
        .execute([seq])
        .map(|_| ())
}

fn exec(conn: &Connection, statement: &str) -> Result<(), rusqlite::Error> {
    conn.prepare_cached(statement)?.execute([]).map(|_| ())
}

fn rollback(conn: &Connection) {
    if !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
}

/// The store error of a group's failure, for each of its jobs.
fn copy_error(e: &rusqlite::Error) -> StoreError {
    let copy = match e {
        rusqlite::Error::SqliteFailure(code, message) => {
            rusqlite::Error::SqliteFailure(*code, message.clone())
        }
        other => {
            return StoreError::internal(format!("SQLite group commit failed: {other}"));
        }
    };
    sql(copy)
}
