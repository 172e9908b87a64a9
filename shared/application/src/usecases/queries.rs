//! Reads: me, getOrder, listOrders, listCustomerAddresses.

use oms_domain::auth::{Principal, Role};
use oms_domain::catalog::{AddressType, CustomerAddress};
use oms_domain::order::{Order, OrderStatus};
use oms_domain::{DomainError, ErrorCode};

use super::support::{principal, require, user_id};
use super::Oms;
use crate::caller::Caller;
use crate::error::{AppError, AppResult};
use crate::ports::{ListError, OrderLoadRequest, OrderOwner, OrderQuery};

/// Largest page of listOrders.
pub const MAX_PAGE_SIZE: i64 = 100;

/// One page of orders, newest first.
#[derive(Debug, Clone)]
pub struct OrderList {
    pub edges: Vec<(String, Order)>,
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

impl Oms {
    /// The caller as the OMS sees it (token claims + the tenant's UserAuthorization snapshot).
    pub async fn me(&self, caller: &Caller) -> AppResult<Principal> {
        let authorization = self
            .store
            .get_user_authorization(&caller.tenant, &user_id(caller)?)
            .await?;
        Ok(principal(caller, authorization.as_ref()))
    }

    /// The order if the caller may see it (its customer, or its vendor); `None` otherwise, exactly
    /// as for a missing order. One round trip.
    pub async fn get_order(&self, caller: &Caller, order_id: &str) -> AppResult<Option<Order>> {
        let Ok(id) = oms_domain::ids::OrderId::new(order_id) else {
            return Ok(None);
        };
        let user = user_id(caller)?;
        let request = OrderLoadRequest {
            order_id: &id,
            idempotency: None,
            transaction_id: None,
            user: Some(&user),
        };
        let load = self.store.load_order(&caller.tenant, &request).await?;
        let p = principal(caller, load.authorization.as_ref());
        if p.roles.is_empty() {
            return Err(AppError::Forbidden);
        }
        Ok(load.order.filter(|o| {
            (p.has(Role::Customer) && o.is_visible_to_customer(&p.customer_id))
                || (p.has(Role::Vendor)
                    && p.vendor_id
                        .as_ref()
                        .is_some_and(|v| o.is_visible_to_vendor(v)))
        }))
    }

    /// A customer's own orders or a vendor's incoming orders, newest first.
    pub async fn list_orders(
        &self,
        caller: &Caller,
        side: Role,
        status: Option<OrderStatus>,
        first: i64,
        after: Option<String>,
    ) -> AppResult<OrderList> {
        if !(1..=MAX_PAGE_SIZE).contains(&first) {
            return Err(AppError::User(
                DomainError::new(
                    ErrorCode::InvalidInput,
                    format!("first must be between 1 and {MAX_PAGE_SIZE}."),
                )
                .at(["first"]),
            ));
        }
        let p = self.me(caller).await?;
        require(&p, side)?;
        let owner = match side {
            Role::Customer => OrderOwner::Customer(p.customer_id.clone()),
            Role::Vendor => OrderOwner::Vendor(p.vendor_id.clone().ok_or(AppError::Forbidden)?),
        };
        let query = OrderQuery {
            owner,
            status,
            first: u32::try_from(first).unwrap_or(20),
            after,
        };
        match self.store.list_orders(&caller.tenant, &query).await {
            Ok(page) => Ok(OrderList {
                edges: page.orders,
                has_next_page: page.has_next_page,
                end_cursor: page.end_cursor,
            }),
            Err(ListError::InvalidCursor) => Err(AppError::User(
                DomainError::new(
                    ErrorCode::InvalidInput,
                    "The cursor does not belong to this list.",
                )
                .at(["after"]),
            )),
            Err(ListError::Fault(f)) => Err(f.into()),
        }
    }

    /// The caller's active shipping addresses, default first (billing addresses are stored but
    /// never offered as destinations).
    pub async fn list_customer_addresses(
        &self,
        caller: &Caller,
    ) -> AppResult<Vec<CustomerAddress>> {
        let p = self.me(caller).await?;
        require(&p, Role::Customer)?;
        let mut book = self
            .store
            .list_customer_addresses(&caller.tenant, &caller.sub)
            .await?;
        book.retain(|a| a.address_type == AddressType::Shipping);
        Ok(book)
    }
}
