//! The sender: each queued outbound event → `POST <events URL>` of its tenant, signed with the
//! tenant's events secret. Any 2xx acknowledges; anything else fails the record, which the queue
//! redelivers after its visibility timeout and dead-letters after its receive limit.

use std::sync::Arc;

use async_trait::async_trait;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use bytes::Bytes;
use oms_application::metrics::{Metric, Metrics};
use oms_application::ports::{Clock, SecretResolver, Store};
use oms_domain::ids::TenantId;
use oms_queue::{process_batch, RecordError};
use serde_json::Value;

/// How an event reaches the tenant (HTTPS in production; a loopback server in tests).
#[async_trait]
pub trait EventDelivery: Send + Sync {
    /// POSTs `body` with header `Oms-Signature: signature`; the answer's status.
    async fn post(&self, url: &str, signature: &str, body: Bytes) -> Result<u16, String>;
}

/// What the sender needs.
#[derive(Clone)]
pub struct SenderDeps {
    pub store: Arc<dyn Store>,
    pub delivery: Arc<dyn EventDelivery>,
    pub clock: Arc<dyn Clock>,
    /// EventsDelivered, EventDeliveryFailures, EventsNotSubscribed, counted per attempted event.
    pub metrics: Arc<Metrics>,
    /// Turns the stored events secret (a value or an `ssm:` reference) into the secret.
    pub secrets: Arc<dyn SecretResolver>,
}

/// What became of one event that did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// The tenant's events URL answered 2xx.
    Delivered,
    /// The tenant has no events URL: nothing to deliver, nothing to retry.
    NotSubscribed,
}

/// Sends one SQS batch of outbound events; failures are reported per record. Each event sent
/// counts once in `deps.metrics` (records skipped behind a failed one of their order are not
/// attempted and count nowhere).
pub async fn send_batch(deps: &SenderDeps, event: SqsEvent) -> SqsBatchResponse {
    process_batch(event, |message| async move {
        let result = send_one(deps, &message.tenant, &message.body).await;
        deps.metrics.incr(match &result {
            Ok(Sent::Delivered) => Metric::EventsDelivered,
            Ok(Sent::NotSubscribed) => Metric::EventsNotSubscribed,
            Err(_) => Metric::EventDeliveryFailures,
        });
        result.map(|_| ()).map_err(|e| {
            tracing::warn!(
                tenant = %message.tenant,
                message_id = %message.message_id,
                receive_count = message.receive_count,
                error = %e,
                "outbound event not delivered; the queue retries it"
            );
            e
        })
    })
    .await
}

/// Delivers one event of `tenant` (the tenant of the queue message, never of the body alone).
///
/// # Errors
/// The body names another tenant, the tenant's configuration cannot be read, the URL refuses or
/// cannot be reached.
pub async fn send_one(
    deps: &SenderDeps,
    tenant: &TenantId,
    body: &str,
) -> Result<Sent, RecordError> {
    let event: Value =
        serde_json::from_str(body).map_err(|_| RecordError::new("the queued event is not JSON"))?;
    // Isolation: an event is delivered only to its own tenant's URL.
    if event.get("tenant_id").and_then(Value::as_str) != Some(tenant.as_str()) {
        return Err(RecordError::new(
            "the event's tenant differs from the message's",
        ));
    }
    let config = deps
        .store
        .get_tenant_config(tenant)
        .await
        .map_err(|e| RecordError::new(format!("tenant configuration: {e}")))?;
    let Some(url) = config.and_then(|c| c.events_url) else {
        // Not subscribed: nothing to deliver (and nothing to retry).
        tracing::info!(tenant = %tenant, "no events URL configured: outbound event dropped");
        return Ok(Sent::NotSubscribed);
    };
    // The secret is read (and resolved) only to sign, apart from the configuration.
    let stored = deps
        .store
        .get_tenant_secrets(tenant)
        .await
        .map_err(|e| RecordError::new(format!("tenant secrets: {e}")))?
        .and_then(|s| s.events_secret);
    let Some(stored) = stored else {
        tracing::info!(tenant = %tenant, "no events secret configured: outbound event dropped");
        return Ok(Sent::NotSubscribed);
    };
    let secret = deps
        .secrets
        .resolve(&stored)
        .await
        .map_err(|e| RecordError::new(e.to_string()))?;
    let signature = oms_sync::signature::oms::sign(&secret, deps.clock.now_unix(), body.as_bytes());
    match deps
        .delivery
        .post(&url, &signature, Bytes::copy_from_slice(body.as_bytes()))
        .await
    {
        Ok(status) if (200..300).contains(&status) => {
            tracing::info!(tenant = %tenant, status, "outbound event delivered");
            Ok(Sent::Delivered)
        }
        Ok(status) => Err(RecordError::new(format!(
            "the events URL answered {status}"
        ))),
        Err(e) => Err(RecordError::new(e)),
    }
}
