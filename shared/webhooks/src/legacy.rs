//! `POST /webhook/wss/{tenant}/{legacy_kind}`: the original OMS's senders (docs/webhooks.md §3).
//!
//! Pipeline: size (413); legacy kind and a tenant configured with `legacy_wss` (404); the `wss`
//! signature (`X-Wss-Signature` = hex HMAC-SHA256 of the raw body, `X-Wss-Timestamp` within
//! 300 s; 401); `data` through oms-sync for the ROUTE's kind (`event_type` is informational; 400,
//! and 422 for a `data.tenant_id` of another tenant); then the replay key, the queue, and
//! 200 `{"success": true, "message": <the original's message for the kind>}`.
//!
//! The body has no event id and no version:
//! - the event id is the replay key `wss:<hex MAC>`, recorded once (TTL
//!   [`crate::EVENT_ID_TTL_DAYS`]): the same signed body again answers
//!   200 `{"accepted": true, "duplicate": true}` and changes nothing;
//! - the version is the receive time in milliseconds, so the later of two deliveries for one
//!   entity wins.
//!
//! Order of recording and publishing (the opposite of [`crate::receive`], on purpose): the
//! timestamp is not signed, so a captured request can be replayed at any time with a fresh
//! timestamp, and because the version is the receive time a replayed copy that reached the
//! updater would be applied as NEWER data. The replay key is therefore recorded BEFORE anything
//! is queued. To keep a queue outage from losing the event (its retry would be a "duplicate"),
//! a failed publish falls back to applying the event right here through the updater, with the
//! same message; only if that fails too (the store failing right after it recorded the key) is
//! the event lost, which is logged as an error with the tenant and kind.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use oms_sync::signature::{Headers, WssScheme};
use oms_sync::{check_size, decode_legacy_webhook, Kind, SyncError};

use crate::message::{MessageSource, SyncMessage, MESSAGE_FORMAT};
use crate::receiver::{publish, record, tenant_config, verify, webhook_secrets, WebhookDeps};
use crate::response::{Reason, WebhookResponse};
use crate::updater::{apply, UpdaterDeps};

/// Handles `POST /webhook/wss/{path_tenant}/{legacy_kind}` with the request's headers and exact
/// body bytes. `now` is the receive time (signature window, replay TTL, event version).
pub async fn receive_legacy(
    deps: &WebhookDeps,
    path_tenant: &str,
    legacy_kind: &str,
    headers: &(dyn Headers + Sync),
    raw_body: &[u8],
    now: DateTime<Utc>,
) -> WebhookResponse {
    let response = receive_checked(deps, path_tenant, legacy_kind, headers, raw_body, now)
        .await
        .unwrap_or_else(|answer| answer);
    deps.counted(response)
}

async fn receive_checked(
    deps: &WebhookDeps,
    path_tenant: &str,
    legacy_kind: &str,
    headers: &(dyn Headers + Sync),
    raw_body: &[u8],
    now: DateTime<Utc>,
) -> Result<WebhookResponse, WebhookResponse> {
    check_size(raw_body.len())?;
    let kind = Kind::parse_legacy(legacy_kind)
        .map_err(|e| WebhookResponse::rejected(&e).because(Reason::UnknownKind))?;
    let (tenant, config) = tenant_config(deps, path_tenant).await?;
    if !config.legacy_wss {
        return Err(SyncError::not_found("Unknown tenant.").into());
    }
    let secrets = webhook_secrets(deps, &tenant).await?;
    let verified = verify(
        &WssScheme,
        headers,
        raw_body,
        (&tenant, &secrets),
        now,
        kind,
    )?;

    let event = decode_legacy_webhook(raw_body, &tenant, kind)?;
    let group = event.snapshot.entity_key();
    let data = legacy_data(raw_body)?;
    // The wss scheme always returns a replay key; without one the request is refused rather
    // than accepted without replay protection.
    let replay_key = verified
        .replay_key
        .ok_or_else(|| WebhookResponse::rejected(&SyncError::invalid_signature()))?;
    let event_type = kind.snapshot_event_type().ok_or_else(|| {
        WebhookResponse::rejected(&SyncError::not_found("Unknown webhook kind."))
            .because(Reason::UnknownKind)
    })?;
    let message = SyncMessage {
        format: MESSAGE_FORMAT,
        source: MessageSource::LegacyWss,
        tenant: tenant.to_string(),
        kind: kind.route().to_string(),
        event_type: event_type.as_str().to_string(),
        event_id: replay_key.clone(),
        version: receive_version(now),
        occurred_at: now,
        data,
    };
    let body = message.encode()?;
    let success = WebhookResponse::legacy_success(kind.legacy_success_message().unwrap_or(""));

    if !record(deps, &tenant, &replay_key, now).await? {
        tracing::info!(tenant = %tenant, kind = %kind, "legacy webhook replay ignored");
        return Ok(WebhookResponse::duplicate());
    }
    if publish(deps, &tenant, kind, group, &replay_key, body.clone())
        .await
        .is_ok()
    {
        tracing::info!(tenant = %tenant, kind = %kind, "legacy webhook accepted");
        return Ok(success);
    }
    let updater = UpdaterDeps::new(deps.store.clone(), deps.clock.clone());
    match apply(&updater, &body).await {
        Ok(outcome) => {
            tracing::warn!(tenant = %tenant, kind = %kind, ?outcome, "queue unavailable: legacy webhook applied inline");
            Ok(success)
        }
        Err(e) => {
            tracing::error!(tenant = %tenant, kind = %kind, error = %e, "queue unavailable and inline apply failed: legacy webhook lost");
            Err(WebhookResponse::unavailable())
        }
    }
}

/// The receive time in ms: the version of a legacy event.
fn receive_version(now: DateTime<Utc>) -> u64 {
    u64::try_from(now.timestamp_millis()).unwrap_or(0)
}

/// The body's `data` object, as sent (already validated by `decode_legacy_webhook`).
fn legacy_data(raw_body: &[u8]) -> Result<Map<String, Value>, WebhookResponse> {
    match serde_json::from_slice::<Value>(raw_body) {
        Ok(Value::Object(mut body)) => match body.remove("data") {
            Some(Value::Object(data)) => Ok(data),
            _ => Err(SyncError::invalid("data", "data must be a JSON object.").into()),
        },
        _ => Err(SyncError::invalid("data", "The body must be a JSON object.").into()),
    }
}
