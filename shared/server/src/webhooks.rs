//! Webhook routes: the signed body goes to the shared receiver untouched (the signature covers
//! the raw bytes).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use oms_webhooks::WebhookDeps;

/// `/webhooks/{tenant}/{kind}` or the legacy `/webhook/wss/...` (docs/webhooks.md §2, §3).
#[derive(Clone, Copy)]
enum Route {
    Current,
    Legacy,
}

async fn handle(
    deps: &WebhookDeps,
    route: Route,
    tenant: &str,
    kind: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    tracing::Span::current().record("tenant", tenant);
    let now = deps.clock.now();
    let r = match route {
        Route::Current => oms_webhooks::receive(deps, tenant, kind, headers, body, now).await,
        Route::Legacy => oms_webhooks::receive_legacy(deps, tenant, kind, headers, body, now).await,
    };
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(r.body)).into_response()
}

pub async fn receive(
    State(deps): State<Arc<WebhookDeps>>,
    Path((tenant, kind)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(&deps, Route::Current, &tenant, &kind, &headers, &body).await
}

pub async fn receive_legacy(
    State(deps): State<Arc<WebhookDeps>>,
    Path((tenant, kind)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(&deps, Route::Legacy, &tenant, &kind, &headers, &body).await
}
