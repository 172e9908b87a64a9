//! What a webhook route answers: a status and a JSON body, mapped by the transport (axum, a
//! Lambda function URL) without further interpretation.

use oms_application::metrics::Metric;
use oms_sync::{SyncError, SyncErrorCode};
use serde_json::{json, Value};

/// The HTTP answer to one webhook request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookResponse {
    pub status: u16,
    pub body: Value,
    /// What happened, for metrics and logs (never sent).
    pub outcome: Outcome,
}

/// What a webhook request came to: each value is one metric ([`Outcome::metric`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Queued (or, for a legacy sender whose queue was down, applied inline).
    Accepted,
    /// The event id (or legacy signature) was received before.
    Duplicate,
    /// Answered 4xx for this reason; nothing was written.
    Rejected(Reason),
    /// A store or queue fault (500 / 503): the sender retries.
    Failed,
}

/// Why a webhook request was refused. The sender is told only the status and code (a signature
/// failure never says which part failed); the reason is for metrics and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// 413: the body, or the queue message it makes, is too large.
    TooLarge,
    /// 404: the route names no webhook kind.
    UnknownKind,
    /// 404: no such tenant, or a legacy route for a tenant without legacy senders.
    UnknownTenant,
    /// 401: no signature header, or one that cannot be read.
    MissingSignature,
    /// 401: the signed timestamp is outside the window.
    StaleTimestamp,
    /// 401: no active secret matches (or the tenant has none).
    BadSignature,
    /// 400: malformed JSON, a missing or invalid field, a `type` of another route.
    InvalidPayload,
    /// 422: the body names another tenant.
    TenantMismatch,
}

impl Reason {
    /// The reason a [`SyncError`] stands for when nothing more precise is known.
    pub fn of(error: &SyncError) -> Self {
        match error.code {
            SyncErrorCode::PayloadTooLarge => Reason::TooLarge,
            SyncErrorCode::NotFound => Reason::UnknownTenant,
            SyncErrorCode::InvalidSignature => Reason::BadSignature,
            SyncErrorCode::InvalidPayload => Reason::InvalidPayload,
            SyncErrorCode::TenantMismatch => Reason::TenantMismatch,
        }
    }

    /// The reason of a signature failure (its log reason: `missing_header`, `malformed_header`,
    /// `outside_window`, `no_secret`, `mismatch`).
    pub fn of_signature(log_reason: &str) -> Self {
        match log_reason {
            "missing_header" | "malformed_header" => Reason::MissingSignature,
            "outside_window" => Reason::StaleTimestamp,
            _ => Reason::BadSignature,
        }
    }

    pub fn metric(self) -> Metric {
        match self {
            Reason::TooLarge => Metric::WebhookRejectedTooLarge,
            Reason::UnknownKind => Metric::WebhookRejectedUnknownKind,
            Reason::UnknownTenant => Metric::WebhookRejectedUnknownTenant,
            Reason::MissingSignature => Metric::WebhookRejectedMissingSignature,
            Reason::StaleTimestamp => Metric::WebhookRejectedStaleTimestamp,
            Reason::BadSignature => Metric::WebhookRejectedBadSignature,
            Reason::InvalidPayload => Metric::WebhookRejectedInvalidPayload,
            Reason::TenantMismatch => Metric::WebhookRejectedTenantMismatch,
        }
    }
}

impl Outcome {
    /// The metric this outcome counts as.
    pub fn metric(self) -> Metric {
        match self {
            Outcome::Accepted => Metric::WebhooksAccepted,
            Outcome::Duplicate => Metric::WebhookDuplicates,
            Outcome::Rejected(reason) => reason.metric(),
            Outcome::Failed => Metric::WebhookFailures,
        }
    }
}

impl WebhookResponse {
    /// 202 `{"accepted": true, "event_id": "..."}`: queued, applied later.
    pub fn accepted(event_id: &str) -> Self {
        WebhookResponse {
            status: 202,
            body: json!({"accepted": true, "event_id": event_id}),
            outcome: Outcome::Accepted,
        }
    }

    /// 200 `{"accepted": true, "duplicate": true}`: this event id (or legacy signature) was
    /// already received; nothing changes.
    pub fn duplicate() -> Self {
        WebhookResponse {
            status: 200,
            body: json!({"accepted": true, "duplicate": true}),
            outcome: Outcome::Duplicate,
        }
    }

    /// 200 `{"success": true, "message": "..."}`: the original OMS's answer (legacy routes).
    pub fn legacy_success(message: &str) -> Self {
        WebhookResponse {
            status: 200,
            body: json!({"success": true, "message": message}),
            outcome: Outcome::Accepted,
        }
    }

    /// A storage fault while receiving: 500, generic text, safe to retry.
    pub fn internal() -> Self {
        WebhookResponse {
            status: 500,
            body: json!({"error": {"code": "INTERNAL", "message": "The event could not be received; retry later."}}),
            outcome: Outcome::Failed,
        }
    }

    /// The queue refused the event: 503, nothing recorded, safe to retry.
    pub fn unavailable() -> Self {
        WebhookResponse {
            status: 503,
            body: json!({"error": {"code": "UNAVAILABLE", "message": "The event could not be queued; retry later."}}),
            outcome: Outcome::Failed,
        }
    }

    /// The 4xx for a rejected request (docs/webhooks.md §2), its reason read from the error's
    /// code; [`because`](Self::because) makes it more precise.
    pub fn rejected(error: &SyncError) -> Self {
        WebhookResponse {
            status: error.status(),
            body: error.body(),
            outcome: Outcome::Rejected(Reason::of(error)),
        }
    }

    /// The same answer, refused for `reason`.
    #[must_use]
    pub fn because(mut self, reason: Reason) -> Self {
        self.outcome = Outcome::Rejected(reason);
        self
    }
}

impl From<SyncError> for WebhookResponse {
    fn from(error: SyncError) -> Self {
        WebhookResponse::rejected(&error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_answer_carries_the_outcome_it_counts_as() {
        assert_eq!(
            WebhookResponse::accepted("e").outcome.metric(),
            Metric::WebhooksAccepted
        );
        assert_eq!(
            WebhookResponse::legacy_success("ok").outcome.metric(),
            Metric::WebhooksAccepted
        );
        assert_eq!(
            WebhookResponse::duplicate().outcome.metric(),
            Metric::WebhookDuplicates
        );
        assert_eq!(
            WebhookResponse::internal().outcome.metric(),
            Metric::WebhookFailures
        );
        assert_eq!(
            WebhookResponse::unavailable().outcome.metric(),
            Metric::WebhookFailures
        );
        let unknown = WebhookResponse::rejected(&SyncError::not_found("Unknown webhook kind."))
            .because(Reason::UnknownKind);
        assert_eq!(
            (unknown.status, unknown.outcome.metric()),
            (404, Metric::WebhookRejectedUnknownKind)
        );
        assert_eq!(
            WebhookResponse::rejected(&SyncError::tenant_mismatch("tenant_id"))
                .outcome
                .metric(),
            Metric::WebhookRejectedTenantMismatch
        );
    }

    #[test]
    fn signature_failures_are_told_apart_for_metrics_only() {
        assert_eq!(
            Reason::of_signature("missing_header"),
            Reason::MissingSignature
        );
        assert_eq!(
            Reason::of_signature("malformed_header"),
            Reason::MissingSignature
        );
        assert_eq!(
            Reason::of_signature("outside_window"),
            Reason::StaleTimestamp
        );
        assert_eq!(Reason::of_signature("mismatch"), Reason::BadSignature);
        assert_eq!(Reason::of_signature("no_secret"), Reason::BadSignature);
    }
}
