//! The snapshot-sync layer end to end on the embedded store: receivers, updater, CSV import.

#[path = "../common/mod.rs"]
mod common;

mod fuzz;
mod import;
mod legacy;
mod receiver;
mod updater;
