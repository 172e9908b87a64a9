//! The OMS's single-table design (docs/data-model.md) and the repositories of
//! `oms-application`, written once over [`oms_store::ItemStore`] so that DynamoDB and the
//! embedded store behave the same.

pub mod codec;
pub mod config_cache;
pub mod cursor;
pub mod described;
pub mod keys;
mod repo;
pub mod stock;

pub use repo::{Repository, MAX_PAGE_BYTES, MAX_QUERIES_PER_PAGE};
