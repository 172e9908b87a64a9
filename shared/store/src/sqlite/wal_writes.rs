//! A SQLite VFS for the writer's connection that hands the WAL the frames of one commit in one
//! write system call instead of two per page.
//!
//! Why: SQLite appends a commit to the WAL as a 24-byte frame header and a page per frame, each
//! its own `pwrite`: about 40 calls for a group commit of 20 pages under load, a fifth of the
//! writer thread's time in the kernel (docs/benchmarks.md, "Sixth round"). Written as one, the
//! same bytes cost one call.
//!
//! How: the VFS wraps the default one (`unix`). Files other than a WAL pass every call straight
//! through. For a WAL, a write that continues (or lies within) the bytes held so far is kept in
//! memory; anything that needs the file as written (a sync, a read of the held range, its size,
//! a truncation, a file control, closing) first writes what is held, in one call, at its offset.
//!
//! Why that is safe: it changes *when* the bytes reach the file, never which bytes or in which
//! order. A commit is visible to other connections only once SQLite has updated the WAL index,
//! which it does after syncing the WAL when `synchronous` is `FULL` (the only mode this VFS is
//! opened with, [`super::SqliteStore::open`]): the sync writes everything held first, and a
//! failed write fails the sync, so the commit fails and stays invisible, exactly as a failed
//! `pwrite` would make it. Nothing else reads this connection's WAL bytes before that sync: other
//! connections read only committed frames, and this connection's own reads (a checkpoint, a page
//! it spilled) write the held bytes first.

use std::ffi::{c_int, c_void, CStr};
use std::ptr;
use std::sync::OnceLock;

use rusqlite::ffi;

/// The name connections open the VFS with.
pub(super) const NAME: &CStr = c"oms-wal-writes";

/// At most this many bytes per write of the wrapped file: the `unix` VFS takes less than 128 KiB
/// per call (it masks the length to 17 bits).
const MAX_WRITE: usize = 124 * 1024;

/// Held bytes past this size are written at once (a group's commit is some 100 KB; a large
/// transaction spilling pages to the WAL should not grow the buffer without end).
const MAX_HELD: usize = 1 << 20;

/// Our part of an open file; the wrapped VFS's own file structure follows it in the same
/// allocation (SQLite allocates `szOsFile` bytes per file), at [`INNER_OFFSET`].
#[repr(C)]
struct File {
    /// Must come first: SQLite sees a `sqlite3_file` whose methods are [`METHODS`].
    base: ffi::sqlite3_file,
    /// The methods of the wrapped file (`null` when opening it failed without any).
    inner_methods: *const ffi::sqlite3_io_methods,
    /// Bytes written but not yet passed on; `null` for files that are not a WAL.
    held: *mut Held,
}

/// Contiguous bytes, in the order written, that belong at `offset` of the file.
struct Held {
    offset: i64,
    bytes: Vec<u8>,
}

impl Held {
    fn end(&self) -> i64 {
        self.offset + self.bytes.len() as i64
    }
}

const INNER_OFFSET: usize = (std::mem::size_of::<File>() + 7) & !7;

/// The wrapped VFS, found once; its address as an integer (a raw pointer is not `Sync`).
static INNER_VFS: OnceLock<Result<usize, c_int>> = OnceLock::new();

/// Registers the VFS (once per process) and returns its name for `open_with_flags_and_vfs`.
///
/// # Errors
/// SQLite has no default VFS or refuses the registration.
pub(super) fn register() -> Result<&'static CStr, rusqlite::Error> {
    let registered = INNER_VFS.get_or_init(|| {
        // SAFETY: `sqlite3_vfs_find` initialises SQLite if needed and returns a VFS that lives
        // as long as the process (the default VFS is never unregistered here). The copy we
        // register is leaked on purpose: SQLite keeps pointing at it.
        unsafe {
            let inner = ffi::sqlite3_vfs_find(ptr::null());
            if inner.is_null() {
                return Err(ffi::SQLITE_ERROR);
            }
            let mut vfs = *inner;
            let Ok(size) = c_int::try_from(INNER_OFFSET + (*inner).szOsFile as usize) else {
                return Err(ffi::SQLITE_ERROR);
            };
            vfs.szOsFile = size;
            vfs.zName = NAME.as_ptr();
            vfs.pNext = ptr::null_mut();
            vfs.xOpen = Some(open);
            let rc = ffi::sqlite3_vfs_register(Box::leak(Box::new(vfs)), 0);
            if rc != ffi::SQLITE_OK {
                return Err(rc);
            }
            Ok(inner as usize)
        }
    });
    match registered {
        Ok(_) => Ok(NAME),
        Err(rc) => Err(rusqlite::Error::SqliteFailure(
            ffi::Error::new(*rc),
            Some("cannot register the WAL-writes VFS".into()),
        )),
    }
}

fn inner_vfs() -> *mut ffi::sqlite3_vfs {
    match INNER_VFS.get() {
        Some(Ok(address)) => *address as *mut ffi::sqlite3_vfs,
        _ => ptr::null_mut(),
    }
}

/// The wrapped file inside `file`'s allocation.
///
/// # Safety
/// `file` was opened by [`open`] (its allocation is `szOsFile` bytes of this VFS).
unsafe fn inner(file: *mut ffi::sqlite3_file) -> *mut ffi::sqlite3_file {
    unsafe { file.cast::<u8>().add(INNER_OFFSET).cast() }
}

unsafe extern "C" fn open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    // SAFETY: SQLite passes `szOsFile` writable bytes at `file`, which hold a `File` and then
    // the wrapped VFS's file; the wrapped VFS is the registered one's original.
    unsafe {
        let ours = file.cast::<File>();
        ptr::write(
            ours,
            File {
                base: ffi::sqlite3_file {
                    pMethods: ptr::null(),
                },
                inner_methods: ptr::null(),
                held: ptr::null_mut(),
            },
        );
        let vfs = inner_vfs();
        let Some(open_inner) = vfs.as_ref().and_then(|v| v.xOpen) else {
            return ffi::SQLITE_ERROR;
        };
        let wrapped = inner(file);
        (*wrapped).pMethods = ptr::null();
        let rc = open_inner(vfs, name, wrapped, flags, out_flags);
        let methods = (*wrapped).pMethods;
        // SQLite calls xClose even after a failed open when the file has methods: keep ours
        // then, so that the call reaches the wrapped file.
        if !methods.is_null() {
            (*ours).inner_methods = methods;
            (*ours).base.pMethods = &METHODS;
            if rc == ffi::SQLITE_OK && flags & ffi::SQLITE_OPEN_WAL != 0 {
                (*ours).held = Box::into_raw(Box::new(Held {
                    offset: 0,
                    bytes: Vec::new(),
                }));
            }
        }
        rc
    }
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(close),
    xRead: Some(read),
    xWrite: Some(write),
    xTruncate: Some(truncate),
    xSync: Some(sync),
    xFileSize: Some(file_size),
    xLock: Some(lock),
    xUnlock: Some(unlock),
    xCheckReservedLock: Some(check_reserved_lock),
    xFileControl: Some(file_control),
    xSectorSize: Some(sector_size),
    xDeviceCharacteristics: Some(device_characteristics),
    xShmMap: Some(shm_map),
    xShmLock: Some(shm_lock),
    xShmBarrier: Some(shm_barrier),
    xShmUnmap: Some(shm_unmap),
    xFetch: Some(fetch),
    xUnfetch: Some(unfetch),
};

/// The wrapped file's methods.
///
/// # Safety
/// `file` was opened by [`open`] with methods (SQLite calls methods only then).
unsafe fn methods<'a>(file: *mut ffi::sqlite3_file) -> &'a ffi::sqlite3_io_methods {
    unsafe { &*(*file.cast::<File>()).inner_methods }
}

/// Passes the held bytes on, in one write at their offset.
///
/// # Safety
/// As [`methods`].
unsafe fn flush(file: *mut ffi::sqlite3_file) -> c_int {
    unsafe {
        let Some(held) = (*file.cast::<File>()).held.as_mut() else {
            return ffi::SQLITE_OK;
        };
        if held.bytes.is_empty() {
            return ffi::SQLITE_OK;
        }
        let Some(write_inner) = methods(file).xWrite else {
            return ffi::SQLITE_IOERR_WRITE;
        };
        let mut rc = ffi::SQLITE_OK;
        let mut offset = held.offset;
        for chunk in held.bytes.chunks(MAX_WRITE) {
            // `chunk.len()` ≤ MAX_WRITE fits a c_int.
            rc = write_inner(
                inner(file),
                chunk.as_ptr().cast(),
                chunk.len() as c_int,
                offset,
            );
            #[cfg(test)]
            tests::PASSED_WRITES.with(|n| n.set(n.get() + 1));
            if rc != ffi::SQLITE_OK {
                break;
            }
            offset += chunk.len() as i64;
        }
        // Dropped either way: after a failed write SQLite fails the commit and rolls back, and
        // will write these frames again if it needs them.
        held.bytes.clear();
        if held.bytes.capacity() > 2 * MAX_HELD {
            held.bytes.shrink_to(MAX_HELD);
        }
        rc
    }
}

/// Runs `then` after passing the held bytes on (or returns the write's error).
///
/// # Safety
/// As [`methods`].
unsafe fn flushed(file: *mut ffi::sqlite3_file, then: impl FnOnce() -> c_int) -> c_int {
    match unsafe { flush(file) } {
        ffi::SQLITE_OK => then(),
        rc => rc,
    }
}

unsafe extern "C" fn close(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: called once per opened file, with methods; `held` came from `Box::into_raw`.
    unsafe {
        let flushed = flush(file);
        let ours = file.cast::<File>();
        if !(*ours).held.is_null() {
            drop(Box::from_raw((*ours).held));
            (*ours).held = ptr::null_mut();
        }
        let closed = match methods(file).xClose {
            Some(close_inner) => close_inner(inner(file)),
            None => ffi::SQLITE_OK,
        };
        if flushed == ffi::SQLITE_OK {
            closed
        } else {
            flushed
        }
    }
}

unsafe extern "C" fn read(
    file: *mut ffi::sqlite3_file,
    buf: *mut c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    // SAFETY: as `methods`; the arguments go unchanged to the wrapped file.
    unsafe {
        let overlaps = (*file.cast::<File>()).held.as_ref().is_some_and(|held| {
            !held.bytes.is_empty()
                && offset < held.end()
                && held.offset < offset + i64::from(amount)
        });
        let read_inner = || match methods(file).xRead {
            Some(read_inner) => read_inner(inner(file), buf, amount, offset),
            None => ffi::SQLITE_IOERR_READ,
        };
        if overlaps {
            flushed(file, read_inner)
        } else {
            read_inner()
        }
    }
}

unsafe extern "C" fn write(
    file: *mut ffi::sqlite3_file,
    data: *const c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    // SAFETY: as `methods`; `data` holds `amount` bytes (SQLite's contract for xWrite). No
    // reference to the held bytes lives across a `flush`, which takes its own.
    unsafe {
        let held = (*file.cast::<File>()).held;
        if held.is_null() {
            return match methods(file).xWrite {
                Some(write_inner) => write_inner(inner(file), data, amount, offset),
                None => ffi::SQLITE_IOERR_WRITE,
            };
        }
        let Ok(len) = usize::try_from(amount) else {
            return ffi::SQLITE_IOERR_WRITE;
        };
        let bytes = std::slice::from_raw_parts(data.cast::<u8>(), len);
        let end = offset + i64::from(amount);
        let continues = {
            let held = &mut *held;
            if !held.bytes.is_empty() && offset >= held.offset && end <= held.end() {
                // Rewrites bytes still held (SQLite rewriting a frame of the same transaction).
                let at = (offset - held.offset) as usize;
                held.bytes[at..at + len].copy_from_slice(bytes);
                return ffi::SQLITE_OK;
            }
            held.bytes.is_empty() || offset == held.end()
        };
        if !continues {
            let rc = flush(file);
            if rc != ffi::SQLITE_OK {
                return rc;
            }
        }
        let full = {
            let held = &mut *held;
            if held.bytes.is_empty() {
                held.offset = offset;
            }
            held.bytes.extend_from_slice(bytes);
            held.bytes.len() >= MAX_HELD
        };
        if full {
            return flush(file);
        }
        ffi::SQLITE_OK
    }
}

unsafe extern "C" fn truncate(file: *mut ffi::sqlite3_file, size: i64) -> c_int {
    // SAFETY: as `methods`.
    unsafe {
        flushed(file, || match methods(file).xTruncate {
            Some(f) => f(inner(file), size),
            None => ffi::SQLITE_IOERR_TRUNCATE,
        })
    }
}

unsafe extern "C" fn sync(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    // SAFETY: as `methods`.
    unsafe {
        flushed(file, || match methods(file).xSync {
            Some(f) => f(inner(file), flags),
            None => ffi::SQLITE_IOERR_FSYNC,
        })
    }
}

unsafe extern "C" fn file_size(file: *mut ffi::sqlite3_file, size: *mut i64) -> c_int {
    // SAFETY: as `methods`.
    unsafe {
        flushed(file, || match methods(file).xFileSize {
            Some(f) => f(inner(file), size),
            None => ffi::SQLITE_IOERR_FSTAT,
        })
    }
}

unsafe extern "C" fn file_control(
    file: *mut ffi::sqlite3_file,
    op: c_int,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: as `methods`.
    unsafe {
        flushed(file, || match methods(file).xFileControl {
            Some(f) => f(inner(file), op, arg),
            None => ffi::SQLITE_NOTFOUND,
        })
    }
}

unsafe extern "C" fn fetch(
    file: *mut ffi::sqlite3_file,
    offset: i64,
    amount: c_int,
    out: *mut *mut c_void,
) -> c_int {
    // SAFETY: as `methods`. Without a wrapped xFetch there is no mapping: SQLite reads instead.
    unsafe {
        flushed(file, || match methods(file).xFetch {
            Some(f) if methods(file).iVersion >= 3 => f(inner(file), offset, amount, out),
            _ => {
                *out = ptr::null_mut();
                ffi::SQLITE_OK
            }
        })
    }
}

unsafe extern "C" fn unfetch(file: *mut ffi::sqlite3_file, offset: i64, p: *mut c_void) -> c_int {
    // SAFETY: as `methods`.
    unsafe {
        match methods(file).xUnfetch {
            Some(f) if methods(file).iVersion >= 3 => f(inner(file), offset, p),
            _ => ffi::SQLITE_OK,
        }
    }
}

unsafe extern "C" fn lock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    // SAFETY: as `methods`.
    unsafe {
        match methods(file).xLock {
            Some(f) => f(inner(file), level),
            None => ffi::SQLITE_IOERR_LOCK,
        }
    }
}

unsafe extern "C" fn unlock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    // SAFETY: as `methods`.
    unsafe {
        match methods(file).xUnlock {
            Some(f) => f(inner(file), level),
            None => ffi::SQLITE_IOERR_UNLOCK,
        }
    }
}

unsafe extern "C" fn check_reserved_lock(file: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    // SAFETY: as `methods`.
    unsafe {
        match methods(file).xCheckReservedLock {
            Some(f) => f(inner(file), out),
            None => ffi::SQLITE_IOERR_CHECKRESERVEDLOCK,
        }
    }
}

unsafe extern "C" fn sector_size(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: as `methods`.
    unsafe { methods(file).xSectorSize.map_or(4096, |f| f(inner(file))) }
}

unsafe extern "C" fn device_characteristics(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: as `methods`.
    unsafe {
        methods(file)
            .xDeviceCharacteristics
            .map_or(0, |f| f(inner(file)))
    }
}

unsafe extern "C" fn shm_map(
    file: *mut ffi::sqlite3_file,
    region: c_int,
    size: c_int,
    extend: c_int,
    out: *mut *mut c_void,
) -> c_int {
    // SAFETY: as `methods`.
    unsafe {
        match methods(file).xShmMap {
            Some(f) if methods(file).iVersion >= 2 => f(inner(file), region, size, extend, out),
            _ => ffi::SQLITE_IOERR_SHMMAP,
        }
    }
}

unsafe extern "C" fn shm_lock(
    file: *mut ffi::sqlite3_file,
    offset: c_int,
    n: c_int,
    flags: c_int,
) -> c_int {
    // SAFETY: as `methods`.
    unsafe {
        match methods(file).xShmLock {
            Some(f) if methods(file).iVersion >= 2 => f(inner(file), offset, n, flags),
            _ => ffi::SQLITE_IOERR_SHMLOCK,
        }
    }
}

unsafe extern "C" fn shm_barrier(file: *mut ffi::sqlite3_file) {
    // SAFETY: as `methods`.
    unsafe {
        if let Some(f) = methods(file)
            .xShmBarrier
            .filter(|_| methods(file).iVersion >= 2)
        {
            f(inner(file));
        }
    }
}

unsafe extern "C" fn shm_unmap(file: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
    // SAFETY: as `methods`.
    unsafe {
        match methods(file).xShmUnmap {
            Some(f) if methods(file).iVersion >= 2 => f(inner(file), delete),
            _ => ffi::SQLITE_OK,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::path::Path;

    use rusqlite::{params, Connection, OpenFlags};

    use crate::sqlite::temp_db::TempDb;

    thread_local! {
        /// Writes of held bytes passed on to the WAL by this thread's connections.
        pub(super) static PASSED_WRITES: Cell<u64> = const { Cell::new(0) };
    }

    fn writer(path: &Path) -> Connection {
        let vfs = super::register().unwrap();
        let conn = Connection::open_with_flags_and_vfs(path, OpenFlags::default(), vfs).unwrap();
        conn.pragma_update(None, "synchronous", "FULL").unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        conn.execute_batch("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB NOT NULL)")
            .unwrap();
        conn
    }

    fn insert(conn: &Connection, from: i64, rows: i64, size: usize) {
        let tx = conn.unchecked_transaction().unwrap();
        for k in from..from + rows {
            let v = vec![(k % 251) as u8; size];
            tx.execute("INSERT INTO t (k, v) VALUES (?1, ?2)", params![k, v])
                .unwrap();
        }
        tx.commit().unwrap();
    }

    fn count_and_sum(conn: &Connection) -> (i64, i64) {
        conn.query_row(
            "SELECT count(*), coalesce(sum(length(v)), 0) FROM t",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    }

    #[test]
    fn a_commit_of_many_pages_reaches_the_wal_in_one_write() {
        let db = TempDb::new();
        let conn = writer(&db.0);
        PASSED_WRITES.with(|n| n.set(0));
        // Some 40 pages: 80 frames headers and pages, 160 writes without the VFS.
        insert(&conn, 0, 40, 3000);
        let writes = PASSED_WRITES.with(Cell::get);
        assert!(writes <= 2, "{writes} writes for one commit");
    }

    #[test]
    fn another_connection_reads_each_commit_as_soon_as_it_returns() {
        let db = TempDb::new();
        let conn = writer(&db.0);
        let reader = Connection::open(&db.0).unwrap();
        for round in 0..20 {
            insert(&conn, round * 10, 10, 700);
            assert_eq!(
                count_and_sum(&reader),
                ((round + 1) * 10, (round + 1) * 7000)
            );
        }
    }

    #[test]
    fn large_transactions_checkpoints_and_reopening_keep_every_row() {
        let db = TempDb::new();
        {
            let conn = writer(&db.0);
            conn.pragma_update(None, "cache_size", 16).unwrap(); // spills pages mid-transaction
            insert(&conn, 0, 2000, 1500); // ~3 MB: more than the held limit
            for round in 0..50 {
                insert(&conn, 2000 + round * 20, 20, 500);
            }
            // Updates rewrite pages already in the WAL.
            conn.execute("UPDATE t SET v = zeroblob(100) WHERE k % 3 = 0", [])
                .unwrap();
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .unwrap();
            insert(&conn, 5000, 30, 900);
        }
        // Reopened without the VFS: recovery reads the WAL as SQLite wrote it.
        let plain = Connection::open(&db.0).unwrap();
        let (rows, _) = count_and_sum(&plain);
        assert_eq!(rows, 2000 + 1000 + 30);
        let check: String = plain
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        let updated: i64 = plain
            .query_row("SELECT count(*) FROM t WHERE length(v) = 100", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(
            updated,
            (0..5030).filter(|k| k % 3 == 0 && *k < 3000).count() as i64
        );
    }
}
