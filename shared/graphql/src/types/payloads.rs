//! Mutation payloads, `UserError` and the order connection.

use async_graphql::SimpleObject;
use oms_application::usecases::OrderList;
use oms_domain::DomainError;

use super::enums::UserErrorCode;
use super::order::{Order, ShippingOption};
use super::user::User;

/// A business failure; the mutation changed nothing.
#[derive(SimpleObject, Debug, Clone, PartialEq, Eq)]
#[graphql(name = "UserError")]
pub struct UserError {
    pub code: UserErrorCode,
    /// Path to the offending input field, e.g. ["input", "items", "0", "quantity"].
    pub field: Option<Vec<String>>,
    pub message: String,
}

impl UserError {
    /// `prefix` is the argument the domain's path is relative to (`"input"` for mutations); an
    /// error without a path keeps `field: null`.
    pub fn from_domain(e: DomainError, prefix: Option<&str>) -> Self {
        let field = e
            .field
            .map(|path| prefix.map(str::to_string).into_iter().chain(path).collect());
        UserError {
            code: e.code.into(),
            field,
            message: e.message,
        }
    }

    /// An INVALID_INPUT at `field`.
    pub fn invalid_input(field: &[&str], message: impl Into<String>) -> Self {
        UserError {
            code: UserErrorCode::InvalidInput,
            field: Some(field.iter().map(|s| (*s).to_string()).collect()),
            message: message.into(),
        }
    }
}

#[derive(SimpleObject)]
#[graphql(name = "OrderPayload")]
pub struct OrderPayload {
    /// The order as it is now; null when userErrors is not empty.
    pub order: Option<Order>,
    pub user_errors: Vec<UserError>,
}

impl OrderPayload {
    pub fn ok(order: oms_domain::order::Order) -> Self {
        OrderPayload {
            order: Some(Order(order)),
            user_errors: vec![],
        }
    }

    pub fn failed(user_errors: Vec<UserError>) -> Self {
        OrderPayload {
            order: None,
            user_errors,
        }
    }
}

#[derive(SimpleObject)]
#[graphql(name = "SyncUserPayload")]
pub struct SyncUserPayload {
    pub user: Option<User>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
#[graphql(name = "ShippingOptionsPayload")]
pub struct ShippingOptionsPayload {
    pub options: Vec<ShippingOption>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
#[graphql(name = "PageInfo")]
pub struct PageInfo {
    pub has_next_page: bool,
    /// Pass as `after` to get the next page. Opaque, bound to the tenant, caller, side and
    /// status filter: any other list rejects it with INVALID_INPUT.
    pub end_cursor: Option<String>,
    /// Always false: lists page forward only.
    pub has_previous_page: Option<bool>,
    /// Cursor of the first edge of this page.
    pub start_cursor: Option<String>,
}

#[derive(SimpleObject)]
#[graphql(name = "OrderEdge")]
pub struct OrderEdge {
    pub cursor: String,
    pub node: Order,
}

#[derive(SimpleObject)]
#[graphql(name = "OrderConnection")]
pub struct OrderConnection {
    pub edges: Vec<OrderEdge>,
    pub page_info: PageInfo,
}

impl From<OrderList> for OrderConnection {
    fn from(list: OrderList) -> Self {
        let start_cursor = list.edges.first().map(|(c, _)| c.clone());
        OrderConnection {
            edges: list
                .edges
                .into_iter()
                .map(|(cursor, order)| OrderEdge {
                    cursor,
                    node: Order(order),
                })
                .collect(),
            page_info: PageInfo {
                has_next_page: list.has_next_page,
                end_cursor: list.end_cursor,
                has_previous_page: Some(false),
                start_cursor,
            },
        }
    }
}
