//! The Order aggregate: its data (`model`), the lifecycle tables (`lifecycle`), its behaviour
//! (`commands`) and the events every change emits (`events`). See docs/order-lifecycle.md.
mod commands;
pub mod events;
pub mod lifecycle;
mod model;
pub mod tracking;

pub use commands::{
    CouponRedemption, CouponRelease, PaymentClaim, PaymentVerification, Placement, Release,
    StockReservation, VerifiedPayment, EXPIRED_REASON,
};
pub use events::{OrderEvent, OrderEventKind, PriceChange, SkuQuantity};
pub use model::*;

#[cfg(test)]
mod tests;
