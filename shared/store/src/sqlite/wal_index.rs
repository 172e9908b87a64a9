//! The header of a database file's WAL index (the `-shm` file), read without SQLite.
//!
//! Why: most key reads of a mutation are served entirely from the [`super::cache::ItemCache`],
//! yet each still opened a read transaction only to learn whether anyone committed since the
//! cache's state (the `commits` row): about 6 % of the server's CPU under load. SQLite
//! rewrites this header at every commit of any connection or process (its change counter
//! `iChange` grows by one), so an unchanged header proves that no commit happened, for the
//! price of one `pread` of 96 bytes.
//!
//! The header is kept twice (bytes 0–47 and 48–95, SQLite's `WalIndexHdr`, in the machine's
//! byte order); a writer writes the second copy, then the first, and a read that finds them
//! different caught a write midway. A read that finds both equal saw a header SQLite wrote
//! completely. Only equality with a header read earlier is ever concluded from it, never
//! anything about the data.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// One copy of the header.
pub(super) type Header = [u8; HEADER_BYTES];

const HEADER_BYTES: usize = 48;
/// `iChange`: incremented by every commit.
const CHANGE_COUNTER: std::ops::Range<usize> = 8..12;
/// `isInit`: non-zero once the header is valid.
const IS_INIT: usize = 12;

/// The open `-shm` file of a database in WAL mode.
pub(super) struct WalIndex {
    file: File,
}

impl WalIndex {
    /// Opens the WAL index of the database at `db` (SQLite creates it when a connection enters
    /// WAL mode), or `None` when there is none.
    pub(super) fn open(db: &Path) -> Option<Self> {
        let mut path = db.as_os_str().to_owned();
        path.push("-shm");
        File::open(path).ok().map(|file| WalIndex { file })
    }

    /// The header as SQLite last wrote it completely, or `None` when it cannot be read or a
    /// write was caught midway.
    pub(super) fn header(&self) -> Option<Header> {
        let mut both = [0u8; 2 * HEADER_BYTES];
        self.file.read_exact_at(&mut both, 0).ok()?;
        let (first, second) = both.split_at(HEADER_BYTES);
        if first != second || first[IS_INIT] == 0 {
            return None;
        }
        first.try_into().ok()
    }
}

/// The header's commit counter.
pub(super) fn commits(header: &Header) -> u32 {
    let mut bytes = [0u8; 4];
    bytes.copy_from_slice(&header[CHANGE_COUNTER]);
    u32::from_ne_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::temp_db::TempDb;
    use rusqlite::Connection;

    fn wal_db(path: &Path) -> Connection {
        let conn = Connection::open(path).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        conn.execute_batch("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
            .unwrap();
        conn
    }

    #[test]
    fn every_commit_of_any_connection_changes_the_header_by_one_commit() {
        let db = TempDb::new();
        let writer = wal_db(&db.0);
        let other = Connection::open(&db.0).unwrap();
        let index = WalIndex::open(&db.0).expect("WAL mode creates the -shm file");
        let start = index.header().expect("a complete header");
        assert_eq!(index.header(), Some(start), "no commit, same header");
        writer
            .execute("INSERT INTO t (k, v) VALUES (1, 'a')", [])
            .unwrap();
        let one = index.header().unwrap();
        assert_eq!(commits(&one), commits(&start).wrapping_add(1));
        other
            .execute("INSERT INTO t (k, v) VALUES (2, 'b')", [])
            .unwrap();
        let two = index.header().unwrap();
        assert_eq!(commits(&two), commits(&one).wrapping_add(1));
        // A read, and a transaction that writes nothing, leave it as it was.
        let _: i64 = other
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        other.execute_batch("BEGIN IMMEDIATE; COMMIT").unwrap();
        assert_eq!(index.header(), Some(two));
    }

    #[test]
    fn a_database_without_a_wal_index_has_none() {
        let db = TempDb::new();
        let conn = Connection::open(&db.0).unwrap();
        conn.execute_batch("CREATE TABLE t (k INTEGER PRIMARY KEY)")
            .unwrap();
        assert!(WalIndex::open(&db.0).is_none());
    }
}
