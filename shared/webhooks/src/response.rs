//! What a webhook route answers: a status and a JSON body, mapped by the transport (axum, a
//! Lambda function URL) without further interpretation.

use oms_sync::SyncError;
use serde_json::{json, Value};

/// The HTTP answer to one webhook request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookResponse {
    pub status: u16,
    pub body: Value,
}

impl WebhookResponse {
    /// 202 `{"accepted": true, "event_id": "..."}`: queued, applied later.
    pub fn accepted(event_id: &str) -> Self {
        WebhookResponse {
            status: 202,
            body: json!({"accepted": true, "event_id": event_id}),
        }
    }

    /// 200 `{"accepted": true, "duplicate": true}`: this event id (or legacy signature) was
    /// already received; nothing changes.
    pub fn duplicate() -> Self {
        WebhookResponse {
            status: 200,
            body: json!({"accepted": true, "duplicate": true}),
        }
    }

    /// 200 `{"success": true, "message": "..."}`: the original OMS's answer (legacy routes).
    pub fn legacy_success(message: &str) -> Self {
        WebhookResponse {
            status: 200,
            body: json!({"success": true, "message": message}),
        }
    }

    /// A storage fault while receiving: 500, generic text, safe to retry.
    pub fn internal() -> Self {
        WebhookResponse {
            status: 500,
            body: json!({"error": {"code": "INTERNAL", "message": "The event could not be received; retry later."}}),
        }
    }

    /// The queue refused the event: 503, nothing recorded, safe to retry.
    pub fn unavailable() -> Self {
        WebhookResponse {
            status: 503,
            body: json!({"error": {"code": "UNAVAILABLE", "message": "The event could not be queued; retry later."}}),
        }
    }

    /// The 4xx for a rejected request (docs/webhooks.md §2).
    pub fn rejected(error: &SyncError) -> Self {
        WebhookResponse {
            status: error.status(),
            body: error.body(),
        }
    }
}

impl From<SyncError> for WebhookResponse {
    fn from(error: SyncError) -> Self {
        WebhookResponse::rejected(&error)
    }
}
