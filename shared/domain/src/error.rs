//! Typed business errors. Each [`ErrorCode`] maps 1:1 to `UserErrorCode` in schema.graphql.

use serde::{Deserialize, Serialize};

/// Stable error codes; clients switch on them. Same names as GraphQL `UserErrorCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    InvalidInput,
    NotFound,
    InvalidState,
    OutOfStock,
    ProductUnavailable,
    VendorUnavailable,
    DuplicateLineItem,
    LastLineItem,
    CurrencyMismatch,
    CouponInvalid,
    CouponExpired,
    CouponUsageLimitReached,
    CouponMinimumNotMet,
    ShippingOptionUnavailable,
    ShippingNotSelected,
    DestinationRequired,
    PaymentNotVerified,
    PaymentInsufficient,
    PaymentAlreadyUsed,
    CancellationReasonRequired,
    InvalidTrackingReference,
    VersionConflict,
    IdempotencyKeyReused,
    /// The change could not be saved because the store stayed contended (a transaction conflict
    /// with concurrent requests, or throttling) after the server's own retries. Nothing was
    /// changed; the same request may be sent again after a short wait.
    TryAgain,
}

impl ErrorCode {
    /// Every code, in schema order (used by tests that check the 1:1 mapping).
    pub const ALL: [ErrorCode; 24] = [
        ErrorCode::InvalidInput,
        ErrorCode::NotFound,
        ErrorCode::InvalidState,
        ErrorCode::OutOfStock,
        ErrorCode::ProductUnavailable,
        ErrorCode::VendorUnavailable,
        ErrorCode::DuplicateLineItem,
        ErrorCode::LastLineItem,
        ErrorCode::CurrencyMismatch,
        ErrorCode::CouponInvalid,
        ErrorCode::CouponExpired,
        ErrorCode::CouponUsageLimitReached,
        ErrorCode::CouponMinimumNotMet,
        ErrorCode::ShippingOptionUnavailable,
        ErrorCode::ShippingNotSelected,
        ErrorCode::DestinationRequired,
        ErrorCode::PaymentNotVerified,
        ErrorCode::PaymentInsufficient,
        ErrorCode::PaymentAlreadyUsed,
        ErrorCode::CancellationReasonRequired,
        ErrorCode::InvalidTrackingReference,
        ErrorCode::VersionConflict,
        ErrorCode::IdempotencyKeyReused,
        ErrorCode::TryAgain,
    ];

    /// The GraphQL enum value name, e.g. `OUT_OF_STOCK`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "INVALID_INPUT",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::InvalidState => "INVALID_STATE",
            ErrorCode::OutOfStock => "OUT_OF_STOCK",
            ErrorCode::ProductUnavailable => "PRODUCT_UNAVAILABLE",
            ErrorCode::VendorUnavailable => "VENDOR_UNAVAILABLE",
            ErrorCode::DuplicateLineItem => "DUPLICATE_LINE_ITEM",
            ErrorCode::LastLineItem => "LAST_LINE_ITEM",
            ErrorCode::CurrencyMismatch => "CURRENCY_MISMATCH",
            ErrorCode::CouponInvalid => "COUPON_INVALID",
            ErrorCode::CouponExpired => "COUPON_EXPIRED",
            ErrorCode::CouponUsageLimitReached => "COUPON_USAGE_LIMIT_REACHED",
            ErrorCode::CouponMinimumNotMet => "COUPON_MINIMUM_NOT_MET",
            ErrorCode::ShippingOptionUnavailable => "SHIPPING_OPTION_UNAVAILABLE",
            ErrorCode::ShippingNotSelected => "SHIPPING_NOT_SELECTED",
            ErrorCode::DestinationRequired => "DESTINATION_REQUIRED",
            ErrorCode::PaymentNotVerified => "PAYMENT_NOT_VERIFIED",
            ErrorCode::PaymentInsufficient => "PAYMENT_INSUFFICIENT",
            ErrorCode::PaymentAlreadyUsed => "PAYMENT_ALREADY_USED",
            ErrorCode::CancellationReasonRequired => "CANCELLATION_REASON_REQUIRED",
            ErrorCode::InvalidTrackingReference => "INVALID_TRACKING_REFERENCE",
            ErrorCode::VersionConflict => "VERSION_CONFLICT",
            ErrorCode::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            ErrorCode::TryAgain => "TRY_AGAIN",
        }
    }
}

/// A business-rule failure: stable code, human message, optional path to the offending input
/// field relative to the mutation input (the API layer prefixes `"input"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct DomainError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<Vec<String>>,
}

impl DomainError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        DomainError {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// Attaches the input path, e.g. `["items", "0", "quantity"]`.
    pub fn at<I, S>(mut self, path: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.field = Some(path.into_iter().map(Into::into).collect());
        self
    }
}

pub type DomainResult<T> = Result<T, DomainError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_serializes_to_its_graphql_name() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }
}
