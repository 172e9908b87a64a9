//! The one error type of inbound sync, mapped once to HTTP statuses (docs/sync.md §1).

use serde_json::{json, Value};

use oms_domain::DomainError;

/// Stable, closed set of error codes (SCREAMING_SNAKE on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncErrorCode {
    /// Malformed JSON, a missing or invalid field, a `type` that does not match the route: 400.
    InvalidPayload,
    /// Missing, malformed, stale or non-matching signature: 401 (never says which part failed).
    InvalidSignature,
    /// Unknown tenant or kind: 404.
    NotFound,
    /// `tenant_id` (envelope or `data`) differs from the path tenant: 422.
    TenantMismatch,
    /// Body over [`crate::MAX_BODY_BYTES`]: 413.
    PayloadTooLarge,
}

impl SyncErrorCode {
    pub fn as_str(&self) -> &'static str {
        match self {
            SyncErrorCode::InvalidPayload => "INVALID_PAYLOAD",
            SyncErrorCode::InvalidSignature => "INVALID_SIGNATURE",
            SyncErrorCode::NotFound => "NOT_FOUND",
            SyncErrorCode::TenantMismatch => "TENANT_MISMATCH",
            SyncErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
        }
    }

    /// HTTP status (docs/runtime.md "Responses").
    pub fn status(&self) -> u16 {
        match self {
            SyncErrorCode::InvalidPayload => 400,
            SyncErrorCode::InvalidSignature => 401,
            SyncErrorCode::NotFound => 404,
            SyncErrorCode::TenantMismatch => 422,
            SyncErrorCode::PayloadTooLarge => 413,
        }
    }
}

impl std::fmt::Display for SyncErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rejected webhook or CSV row. `field` is the path of the offending input relative to the
/// body, e.g. `data.stock` or `data.conditions.gift_products.0.quantity`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct SyncError {
    pub code: SyncErrorCode,
    pub message: String,
    pub field: Option<String>,
}

impl SyncError {
    pub fn new(code: SyncErrorCode, message: impl Into<String>) -> Self {
        SyncError {
            code,
            message: message.into(),
            field: None,
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        SyncError {
            code: SyncErrorCode::InvalidPayload,
            message: message.into(),
            field: Some(field.into()),
        }
    }

    pub fn tenant_mismatch(field: impl Into<String>) -> Self {
        SyncError {
            code: SyncErrorCode::TenantMismatch,
            message: "tenant_id does not match the tenant of the route.".into(),
            field: Some(field.into()),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        SyncError::new(SyncErrorCode::NotFound, message)
    }

    /// The single outward signature failure: no hint which part failed.
    pub fn invalid_signature() -> Self {
        SyncError::new(SyncErrorCode::InvalidSignature, "Invalid signature.")
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// `{"error": {"code": "...", "message": "...", "field": "..."}}`; `field` only when known.
    pub fn body(&self) -> Value {
        let mut error = json!({"code": self.code.as_str(), "message": self.message});
        if let (Some(field), Some(obj)) = (&self.field, error.as_object_mut()) {
            obj.insert("field".into(), Value::String(field.clone()));
        }
        json!({ "error": error })
    }

    /// Wraps a domain validation failure at `field`, prefixing the message with the field's
    /// path relative to `data` so a CSV report is readable on its own.
    pub(crate) fn from_domain(field: &str, err: DomainError) -> Self {
        SyncError::invalid(field, format!("{}: {}", relative(field), err.message))
    }
}

/// `data.conditions.max_weight` → `conditions.max_weight` (the name a CSV user knows).
pub(crate) fn relative(field: &str) -> &str {
    field.strip_prefix("data.").unwrap_or(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_the_contract_statuses() {
        let cases = [
            (SyncErrorCode::InvalidPayload, 400, "INVALID_PAYLOAD"),
            (SyncErrorCode::InvalidSignature, 401, "INVALID_SIGNATURE"),
            (SyncErrorCode::NotFound, 404, "NOT_FOUND"),
            (SyncErrorCode::TenantMismatch, 422, "TENANT_MISMATCH"),
            (SyncErrorCode::PayloadTooLarge, 413, "PAYLOAD_TOO_LARGE"),
        ];
        for (code, status, name) in cases {
            assert_eq!(code.status(), status);
            assert_eq!(code.as_str(), name);
        }
    }

    #[test]
    fn the_error_body_carries_code_message_and_field() {
        let e = SyncError::invalid("data.stock", "stock must be a whole number ≥ 0.");
        assert_eq!(
            e.body(),
            json!({"error": {"code": "INVALID_PAYLOAD", "message": "stock must be a whole number ≥ 0.", "field": "data.stock"}})
        );
        assert_eq!(e.status(), 400);
    }

    #[test]
    fn the_signature_error_body_has_no_field_and_no_hint() {
        let body = SyncError::invalid_signature().body();
        assert_eq!(
            body,
            json!({"error": {"code": "INVALID_SIGNATURE", "message": "Invalid signature."}})
        );
    }
}
