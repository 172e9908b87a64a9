//! How a use case fails.

use oms_domain::{DomainError, ErrorCode};

use crate::ports::{Contention, StoreFault};

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

/// The application boundary of store faults: a fault the store answered for load (throttled,
/// busy, a conflict, after its own retries) is the retryable user error TRY_AGAIN saying which,
/// logged as a warning; any other fault is INTERNAL (the API logs it with the request id). Both
/// logs keep the store call and the kinds of key ([`StoreFault`]'s text), never key values.
impl From<StoreFault> for AppError {
    fn from(f: StoreFault) -> Self {
        match f.contention {
            Some(why) => {
                tracing::warn!(
                    call = f.call.unwrap_or("-"),
                    key_kind = f.key_kinds.as_deref().unwrap_or("-"),
                    contention = %why,
                    error = %error_chain(&f),
                    "store contended after its retries; answered TRY_AGAIN"
                );
                AppError::User(try_again(why))
            }
            None => AppError::Internal(Box::new(f)),
        }
    }
}

/// The TRY_AGAIN answer of a request the store refused for load, saying which.
pub fn try_again(why: Contention) -> DomainError {
    DomainError::new(
        ErrorCode::TryAgain,
        match why {
            Contention::Conflict => "The request could not be completed: other requests were changing the same items at the same moment (transaction conflict). Nothing was changed; send the request again.",
            Contention::Throttled => "The request could not be completed: the order store is busy (throttled). Nothing was changed; send the request again in a moment.",
        },
    )
}

/// `error: source: source…`, as the logs keep it.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        source = s.source();
    }
    chain
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
