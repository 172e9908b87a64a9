//! `POST /webhooks/{tenant}/{kind}` (docs/webhooks.md §2): verify, validate, queue, dedupe.
//!
//! Pipeline (each step may answer; nothing is written before step 6, so no 4xx writes anything):
//! 1. body size, before anything is parsed or read (413);
//! 2. kind from the route, then the tenant's config (404 for either unknown);
//! 3. the tenant's signature scheme over the raw bytes with every active secret, read from the
//!    tenant's secrets (`ssm:` references resolved) and never from the cached configuration
//!    (401, no hint; 500 when no secret can be read);
//! 4. the envelope and `data` through oms-sync (400 with `field`, 422 for another tenant, 400 for
//!    a `type` of another route);
//! 5. the queue message (413 if the queue could not carry it);
//! 6. publish with the event id as the queue's deduplication id (503 on failure, nothing recorded);
//! 7. record the event id with a TTL of [`EVENT_ID_TTL_DAYS`] (500 on a store fault): newly
//!    recorded → 202, already recorded → 200 duplicate.
//!
//! Why publish BEFORE recording the id: if the id were recorded first and the publish then
//! failed, the sender's retry would be answered "duplicate" and the event would be lost. With
//! this order a failed publish leaves no trace, so the retry goes through. A retry of an event
//! that was already queued publishes again under the same deduplication id (the queue drops it
//! within its 5-minute window); after that window the copy reaches the updater, whose version
//! check drops it as stale (the version is part of the signed body). Either way it changes
//! nothing, and the sender is answered "duplicate".

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use oms_application::metrics::Metrics;
use oms_application::ports::{
    Clock, EventQueue, QueueMessage, SecretResolver, Store, ValueSecrets,
};
use oms_application::records::{SignatureScheme as SchemeName, TenantConfig};
use oms_domain::ids::TenantId;
use oms_sync::signature::{Headers, OmsScheme, SignatureScheme, WssScheme};
use oms_sync::{check_size, validate_event, Envelope, Kind, SyncError};

use crate::message::{MessageSource, SyncMessage, MESSAGE_FORMAT};
use crate::response::{Reason, WebhookResponse};

/// How long a received event id (or legacy signature) is remembered: the 7 days of
/// docs/data-model.md, over twice the longest sender retry window we know of (Stripe: 3 days).
pub const EVENT_ID_TTL_DAYS: i64 = 7;

/// What the receivers need: the store (tenant configs, dedupe records) and the sync queue.
#[derive(Clone)]
pub struct WebhookDeps {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn EventQueue>,
    /// The OMS's one clock (used when an event must be applied inline).
    pub clock: Arc<dyn Clock>,
    /// Every request's [`Outcome`](crate::Outcome) is counted here (accepted, duplicate,
    /// rejected by reason, failed).
    pub metrics: Arc<Metrics>,
    /// Turns stored webhook secrets (values or `ssm:` references) into secrets.
    pub secrets: Arc<dyn SecretResolver>,
}

impl WebhookDeps {
    /// The receivers over `store` and `queue`, counting into a recorder of their own.
    pub fn new(store: Arc<dyn Store>, queue: Arc<dyn EventQueue>, clock: Arc<dyn Clock>) -> Self {
        WebhookDeps {
            store,
            queue,
            clock,
            metrics: Arc::new(Metrics::new()),
            secrets: Arc::new(ValueSecrets),
        }
    }

    /// Resolves `ssm:` references among webhook secrets with `secrets` (without: values only).
    #[must_use]
    pub fn with_secrets(mut self, secrets: Arc<dyn SecretResolver>) -> Self {
        self.secrets = secrets;
        self
    }

    /// Counts the outcome of one request (the one place both routes count).
    pub(crate) fn counted(&self, response: WebhookResponse) -> WebhookResponse {
        self.metrics.incr(response.outcome.metric());
        response
    }
}

/// Handles `POST /webhooks/{path_tenant}/{path_kind}` with the request's headers and exact body
/// bytes. `now` is the receive time (signature window, dedupe TTL).
pub async fn receive(
    deps: &WebhookDeps,
    path_tenant: &str,
    path_kind: &str,
    headers: &(dyn Headers + Sync),
    raw_body: &[u8],
    now: DateTime<Utc>,
) -> WebhookResponse {
    let response = receive_checked(deps, path_tenant, path_kind, headers, raw_body, now)
        .await
        .unwrap_or_else(|answer| answer);
    deps.counted(response)
}

async fn receive_checked(
    deps: &WebhookDeps,
    path_tenant: &str,
    path_kind: &str,
    headers: &(dyn Headers + Sync),
    raw_body: &[u8],
    now: DateTime<Utc>,
) -> Result<WebhookResponse, WebhookResponse> {
    check_size(raw_body.len())?;
    let kind = Kind::parse_route(path_kind)
        .map_err(|e| WebhookResponse::rejected(&e).because(Reason::UnknownKind))?;
    let (tenant, config) = tenant_config(deps, path_tenant).await?;
    let secrets = webhook_secrets(deps, &tenant).await?;
    verify(
        tenant_scheme(&config),
        headers,
        raw_body,
        (&tenant, &secrets),
        now,
        kind,
    )?;

    let envelope = Envelope::parse(raw_body, &tenant, kind)?;
    let event = validate_event(envelope.event_type, &envelope.data, &tenant)?;
    let group = event.entity_key();
    let event_id = envelope.id;
    let message = SyncMessage {
        format: MESSAGE_FORMAT,
        source: MessageSource::Webhook,
        tenant: tenant.to_string(),
        kind: kind.route().to_string(),
        event_type: envelope.event_type.as_str().to_string(),
        event_id: event_id.clone(),
        version: envelope.version,
        occurred_at: envelope.occurred_at,
        data: envelope.data,
    };
    let body = message.encode()?;

    publish(deps, &tenant, kind, group, &event_id, body).await?;
    match record(deps, &tenant, &event_id, now).await? {
        true => {
            tracing::info!(tenant = %tenant, kind = %kind, event_id = %event_id, "webhook accepted");
            Ok(WebhookResponse::accepted(&event_id))
        }
        false => {
            tracing::info!(tenant = %tenant, kind = %kind, event_id = %event_id, "duplicate webhook");
            Ok(WebhookResponse::duplicate())
        }
    }
}

/// The tenant named by the path and its config; an invalid or unknown tenant is 404.
pub(crate) async fn tenant_config(
    deps: &WebhookDeps,
    path_tenant: &str,
) -> Result<(TenantId, TenantConfig), WebhookResponse> {
    let unknown = || WebhookResponse::rejected(&SyncError::not_found("Unknown tenant."));
    let tenant = TenantId::new(path_tenant).map_err(|_| unknown())?;
    match deps.store.get_tenant_config(&tenant).await {
        Ok(Some(config)) => {
            deps.metrics.set_tenant(&tenant);
            Ok((tenant, config))
        }
        Ok(None) => Err(unknown()),
        Err(fault) => {
            tracing::error!(tenant = %tenant, error = %fault, "tenant config read failed");
            Err(WebhookResponse::internal())
        }
    }
}

/// The tenant's active webhook secrets, resolved. A reference that cannot be resolved is logged
/// and left out (during a rotation the other secret still verifies); when every one fails the
/// answer is 500, which the sender retries.
pub(crate) async fn webhook_secrets(
    deps: &WebhookDeps,
    tenant: &TenantId,
) -> Result<Vec<String>, WebhookResponse> {
    let stored = match deps.store.get_tenant_secrets(tenant).await {
        Ok(secrets) => secrets.map(|s| s.webhook_secrets).unwrap_or_default(),
        Err(fault) => {
            tracing::error!(tenant = %tenant, error = %fault, "tenant secrets read failed");
            return Err(WebhookResponse::internal());
        }
    };
    let mut resolved = Vec::with_capacity(stored.len());
    for secret in &stored {
        match deps.secrets.resolve(secret).await {
            Ok(value) => resolved.push(value),
            Err(e) => tracing::error!(tenant = %tenant, error = %e, "webhook secret unavailable"),
        }
    }
    if resolved.is_empty() && !stored.is_empty() {
        return Err(WebhookResponse::internal());
    }
    Ok(resolved)
}

fn tenant_scheme(config: &TenantConfig) -> &'static dyn SignatureScheme {
    match config.signature_scheme {
        SchemeName::Oms => &OmsScheme,
        SchemeName::Wss => &WssScheme,
    }
}

/// Verifies the raw body; the response never says what failed (the log does).
pub(crate) fn verify(
    scheme: &dyn SignatureScheme,
    headers: &(dyn Headers + Sync),
    raw_body: &[u8],
    (tenant, secrets): (&TenantId, &[String]),
    now: DateTime<Utc>,
    kind: Kind,
) -> Result<oms_sync::Verified, WebhookResponse> {
    scheme
        .verify(headers, raw_body, secrets, now.timestamp())
        .map_err(|e| {
            tracing::warn!(
                tenant = %tenant,
                kind = %kind,
                scheme = scheme.name(),
                reason = e.log_reason(),
                "webhook signature rejected"
            );
            let reason = Reason::of_signature(e.log_reason());
            WebhookResponse::rejected(&SyncError::from(e)).because(reason)
        })
}

/// Publishes one message; a failure is 503 (the sender retries).
pub(crate) async fn publish(
    deps: &WebhookDeps,
    tenant: &TenantId,
    kind: Kind,
    group: String,
    event_id: &str,
    body: String,
) -> Result<(), WebhookResponse> {
    let message = QueueMessage {
        tenant: tenant.clone(),
        group,
        dedup_id: event_id.to_string(),
        body,
    };
    deps.queue.publish(message).await.map_err(|e| {
        tracing::error!(tenant = %tenant, kind = %kind, error = %e, "publishing a sync event failed");
        WebhookResponse::unavailable()
    })
}

/// Records a received event id (or legacy replay key): `true` when it is new.
pub(crate) async fn record(
    deps: &WebhookDeps,
    tenant: &TenantId,
    event_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, WebhookResponse> {
    let expires_at = now + Duration::days(EVENT_ID_TTL_DAYS);
    deps.store
        .record_event_id(tenant, event_id, expires_at)
        .await
        .map_err(|fault| {
            tracing::error!(tenant = %tenant, error = %fault, "recording a webhook event id failed");
            WebhookResponse::internal()
        })
}
