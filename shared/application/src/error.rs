//! How a use case fails.

use oms_domain::{DomainError, ErrorCode};

use crate::ports::StoreFault;

/// A use case's failure. `User` errors become `userErrors` (nothing was changed); the others are
/// top-level GraphQL errors.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    User(#[from] DomainError),
    /// The caller's roles never allow this operation.
    #[error("forbidden")]
    Forbidden,
    /// Infrastructure failure; details go to logs only.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<StoreFault> for AppError {
    fn from(f: StoreFault) -> Self {
        AppError::Internal(Box::new(f))
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// Shorthand for a user error.
pub fn user(code: ErrorCode, message: impl Into<String>) -> AppError {
    AppError::User(DomainError::new(code, message))
}

/// The one NOT_FOUND of orders: missing, other tenant, other customer or vendor look the same.
pub fn order_not_found(order_id: &str) -> AppError {
    AppError::User(
        DomainError::new(ErrorCode::NotFound, format!("Order {order_id} not found."))
            .at(["orderId"]),
    )
}
