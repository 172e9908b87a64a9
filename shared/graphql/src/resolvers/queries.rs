//! Query resolvers, one object per resolver set so each is written once and merged into the full
//! schema and the group schemas.

use async_graphql::{Context, Object, Result, ID};
use oms_application::error::AppError;

use crate::error::{caller, oms, top_level};
use crate::types::order::{Order, ShippingOption};
use crate::types::{
    CustomerAddress, OrderConnection, OrderStatus, Role, ShippingOptionsPayload, User, UserError,
};

/// Page size of `listOrders` when `first` is omitted or null.
pub const DEFAULT_PAGE_SIZE: i64 = 20;
/// `getOrder` (groups checkout, orders, vendor).
#[derive(Default)]
pub struct GetOrderQuery;

#[Object]
impl GetOrderQuery {
    /// null when the order does not exist or is not visible to the caller.
    async fn get_order(&self, ctx: &Context<'_>, order_id: ID) -> Result<Option<Order>> {
        let caller = caller(ctx)?;
        let oms = oms(ctx, caller)?;
        match oms.get_order(caller, &order_id).await {
            Ok(order) => Ok(order.map(Order)),
            Err(e) => Err(top_level(caller, e)),
        }
    }
}

/// `listOrders` (groups orders, vendor).
#[derive(Default)]
pub struct ListOrdersQuery;

#[Object]
impl ListOrdersQuery {
    /// The caller's orders, newest first: a customer's own, carts included, or a vendor's placed
    /// orders (as: VENDOR; an order shows there from placement on, never as a DRAFT).
    async fn list_orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "as")] side: Role,
        status: Option<OrderStatus>,
        #[graphql(default_with = "Some(DEFAULT_PAGE_SIZE)")] first: Option<i64>,
        after: Option<String>,
    ) -> Result<OrderConnection> {
        let caller = caller(ctx)?;
        let oms = oms(ctx, caller)?;
        let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
        match oms
            .list_orders(caller, side.into(), status.map(Into::into), first, after)
            .await
        {
            Ok(list) => Ok(OrderConnection::from(list)),
            Err(e) => Err(top_level(caller, e)),
        }
    }
}

/// `listShippingOptions` (group checkout).
#[derive(Default)]
pub struct ShippingQuery;

#[Object]
impl ShippingQuery {
    /// Shipping options the order is eligible for now, with their computed cost.
    async fn list_shipping_options(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
    ) -> Result<ShippingOptionsPayload> {
        let caller = caller(ctx)?;
        let oms = oms(ctx, caller)?;
        match oms.list_shipping_options(caller, &order_id).await {
            Ok(quotes) => Ok(ShippingOptionsPayload {
                options: quotes.iter().map(ShippingOption::from).collect(),
                user_errors: vec![],
            }),
            Err(AppError::User(e)) => Ok(ShippingOptionsPayload {
                options: vec![],
                user_errors: vec![UserError::from_domain(e, None)],
            }),
            Err(e) => Err(top_level(caller, e)),
        }
    }
}

/// `me`, `listCustomerAddresses` (group account).
#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The caller: token subject and tenant, roles after the tenant's authorization snapshot.
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        let caller = caller(ctx)?;
        let oms = oms(ctx, caller)?;
        match oms.me(caller).await {
            Ok(principal) => Ok(User::new(caller, &principal)),
            Err(e) => Err(top_level(caller, e)),
        }
    }

    /// The caller's active shipping addresses, default first.
    async fn list_customer_addresses(&self, ctx: &Context<'_>) -> Result<Vec<CustomerAddress>> {
        let caller = caller(ctx)?;
        let oms = oms(ctx, caller)?;
        match oms.list_customer_addresses(caller).await {
            Ok(addresses) => Ok(addresses.into_iter().map(CustomerAddress::from).collect()),
            Err(e) => Err(top_level(caller, e)),
        }
    }
}
