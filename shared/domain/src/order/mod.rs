//! The Order aggregate.
mod model;

pub use model::*;
