//! GraphQL types of the contract.

pub mod enums;
pub mod inputs;
pub mod order;
pub mod payloads;
pub mod user;

pub use enums::{OrderStatus, PaymentMethod, PaymentStatus, Role, ShippingMethod, UserErrorCode};
pub use payloads::{
    OrderConnection, OrderPayload, ShippingOptionsPayload, SyncUserPayload, UserError,
};
pub use user::{CustomerAddress, User};
