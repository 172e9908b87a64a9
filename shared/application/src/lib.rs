//! Use cases of the OMS and the ports they need.

pub mod caller;
pub mod error;
pub mod metrics;
pub mod outbound;
pub mod ports;
pub mod records;
pub mod usecases;

pub use usecases::Oms;
