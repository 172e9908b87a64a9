//! The pure order-management domain: money, orders and their lifecycle, pricing.
//!
//! No I/O, no clocks, no randomness: time and ids are passed in, so every rule is deterministic
//! and testable. Failures are [`DomainError`]s whose codes map 1:1 to GraphQL `UserErrorCode`.

pub mod address;
pub mod auth;
pub mod catalog;
pub mod error;
pub mod ids;
pub mod limits;
pub mod money;
pub mod order;
pub mod pricing;

pub use error::{DomainError, DomainResult, ErrorCode};
