//! Scenario tests of the Order aggregate, one file per phase, plus the state-machine proptest.
mod fixtures;

mod cancellation;
mod checkout;
mod coupons;
mod events;
mod expiry;
mod fulfilment;
mod happy_path;
mod lifecycle;
mod limits;
mod line_items;
mod payment;
mod placement;
mod shipping;
mod state_machine;
mod versions_and_access;
