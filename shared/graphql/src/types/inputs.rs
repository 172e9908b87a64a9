//! Mutation inputs, exactly as the contract names them. Integers stay `i64` and strings stay raw:
//! the use cases validate them and report `userErrors` with the field path.

use async_graphql::{InputObject, ID};
use oms_application::usecases::{
    AddressInput as AppAddressInput, CustomerInput as AppCustomerInput, ItemInput,
    SyncUserInput as AppSyncUserInput,
};

use super::enums::{PaymentMethod, ShippingMethod};

#[derive(InputObject, Debug, Clone)]
#[graphql(name = "AddressInput")]
pub struct AddressInput {
    pub street: String,
    pub city: String,
    pub state: Option<String>,
    pub postal: String,
    /// ISO 3166-1 alpha-2 code or English short name ("SG" or "Singapore").
    pub country: String,
}

impl From<AddressInput> for AppAddressInput {
    fn from(a: AddressInput) -> Self {
        AppAddressInput {
            street: a.street,
            city: a.city,
            state: a.state,
            postal: a.postal,
            country: a.country,
        }
    }
}

#[derive(InputObject, Debug, Clone)]
#[graphql(name = "LineItemInput")]
pub struct LineItemInput {
    pub sku: String,
    pub quantity: i64,
}

impl From<LineItemInput> for ItemInput {
    fn from(i: LineItemInput) -> Self {
        ItemInput {
            sku: i.sku,
            quantity: i.quantity,
        }
    }
}

pub(crate) fn items(items: Vec<LineItemInput>) -> Vec<ItemInput> {
    items.into_iter().map(ItemInput::from).collect()
}

#[derive(InputObject, Debug, Clone)]
#[graphql(name = "CustomerInput")]
pub struct CustomerInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
}

impl From<CustomerInput> for AppCustomerInput {
    fn from(c: CustomerInput) -> Self {
        AppCustomerInput {
            first_name: c.first_name,
            last_name: c.last_name,
            email: c.email,
        }
    }
}

#[derive(InputObject, Debug, Clone, Default)]
#[graphql(name = "SyncUserInput")]
pub struct SyncUserInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
}

impl From<SyncUserInput> for AppSyncUserInput {
    fn from(s: SyncUserInput) -> Self {
        AppSyncUserInput {
            first_name: s.first_name,
            last_name: s.last_name,
            email: s.email,
        }
    }
}

#[derive(InputObject, Debug, Clone)]
#[graphql(name = "CheckoutItemsInput")]
pub struct CheckoutItemsInput {
    pub vendor_id: ID,
    pub items: Vec<LineItemInput>,
    /// Fills in/refreshes the caller's customer snapshot (the seed: customer details can be given at checkout).
    pub customer: Option<CustomerInput>,
    pub destination: Option<AddressInput>,
    /// Also store `destination` in the caller's address book.
    #[graphql(default_with = "Some(false)")]
    pub save_destination: Option<bool>,
    /// Same key + same input within 24 h returns the first result instead of a second order.
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Debug, Clone)]
#[graphql(name = "AddLineItemsInput")]
pub struct AddLineItemsInput {
    pub order_id: ID,
    pub items: Vec<LineItemInput>,
    pub expected_version: Option<i64>,
}

#[derive(InputObject, Debug, Clone)]
#[graphql(name = "RemoveLineItemsInput")]
pub struct RemoveLineItemsInput {
    pub order_id: ID,
    pub skus: Vec<String>,
    pub expected_version: Option<i64>,
}

#[derive(InputObject, Debug, Clone)]
#[graphql(name = "ChangeOrderQuantityInput")]
pub struct ChangeOrderQuantityInput {
    pub order_id: ID,
    pub sku: String,
    pub quantity: i64,
    pub expected_version: Option<i64>,
}

/// Exactly one of addressId (from listCustomerAddresses) or destination (a new address).
#[derive(InputObject, Debug, Clone)]
#[graphql(name = "ChangeDestinationInput")]
pub struct ChangeDestinationInput {
    pub order_id: ID,
    pub address_id: Option<ID>,
    pub destination: Option<AddressInput>,
    /// Also store `destination` in the caller's address book (only with `destination`).
    #[graphql(default_with = "Some(false)")]
    pub save_destination: Option<bool>,
    pub expected_version: Option<i64>,
}

#[derive(InputObject, Debug, Clone)]
#[graphql(name = "AddCouponInput")]
pub struct AddCouponInput {
    pub order_id: ID,
    pub code: String,
    pub expected_version: Option<i64>,
}

#[derive(InputObject, Debug, Clone)]
#[graphql(name = "RemoveCouponInput")]
pub struct RemoveCouponInput {
    pub order_id: ID,
    pub code: String,
    pub expected_version: Option<i64>,
}

#[derive(InputObject, Debug, Clone)]
#[graphql(name = "SelectShippingOptionInput")]
pub struct SelectShippingOptionInput {
    pub order_id: ID,
    pub method: ShippingMethod,
    pub expected_version: Option<i64>,
}

#[derive(InputObject, Debug, Clone)]
#[graphql(name = "PlaceOrderInput")]
pub struct PlaceOrderInput {
    pub order_id: ID,
    pub expected_version: Option<i64>,
    /// Same key + same input within 24 h returns the first result.
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Debug, Clone)]
#[graphql(name = "ConfirmOrderInput")]
pub struct ConfirmOrderInput {
    pub order_id: ID,
    pub payment_method: PaymentMethod,
    /// The provider's transaction id (not needed for CASH_ON_DELIVERY).
    pub transaction_id: Option<String>,
}

#[derive(InputObject, Debug, Clone)]
#[graphql(name = "CancelOrderInput")]
pub struct CancelOrderInput {
    pub order_id: ID,
    pub reason: String,
}

#[derive(InputObject, Debug, Clone)]
#[graphql(name = "MarkAsShippedInput")]
pub struct MarkAsShippedInput {
    pub order_id: ID,
}

#[derive(InputObject, Debug, Clone)]
#[graphql(name = "AddShippingTrackingReferenceInput")]
pub struct AddShippingTrackingReferenceInput {
    pub order_id: ID,
    /// A tracking URL (http/https).
    pub tracking_reference: String,
}

#[derive(InputObject, Debug, Clone)]
#[graphql(name = "MarkAsCompletedInput")]
pub struct MarkAsCompletedInput {
    pub order_id: ID,
}
