//! Resolvers, grouped so that each is written once and merged into the schemas.

pub mod mutations;
pub mod queries;

pub use mutations::{AccountMutation, CheckoutMutation, VendorMutation};
pub use queries::{AccountQuery, GetOrderQuery, ListOrdersQuery, ShippingQuery};
