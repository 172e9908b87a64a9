//! A temporary database path for this module's unit tests (the integration tests under `tests/`
//! are other crates and keep their own).

use std::path::PathBuf;

/// A database path in the temp dir, removed (with its WAL files) on drop.
pub(super) struct TempDb(pub(super) PathBuf);

impl TempDb {
    pub(super) fn new() -> Self {
        TempDb(std::env::temp_dir().join(format!("oms-store-unit-{}.sqlite", ulid::Ulid::new())))
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
