//! Webhook routes: the signed body goes to the shared receiver untouched (the signature covers
//! the raw bytes).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::AppState;

fn respond(status: u16, body: serde_json::Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(body)).into_response()
}

pub async fn receive(
    State(state): State<Arc<AppState>>,
    Path((tenant, kind)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    tracing::Span::current().record("tenant", tenant.as_str());
    let r = oms_webhooks::receive(
        &state.webhooks,
        &tenant,
        &kind,
        &headers,
        &body,
        chrono::Utc::now(),
    )
    .await;
    respond(r.status, r.body)
}

pub async fn receive_legacy(
    State(state): State<Arc<AppState>>,
    Path((tenant, kind)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    tracing::Span::current().record("tenant", tenant.as_str());
    let r = oms_webhooks::receive_legacy(
        &state.webhooks,
        &tenant,
        &kind,
        &headers,
        &body,
        chrono::Utc::now(),
    )
    .await;
    respond(r.status, r.body)
}
