//! GraphQL over HTTP: authenticate, then execute on the whole schema or one group's schema.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use oms_application::caller::Caller;
use oms_auth::VerifiedToken;
use serde_json::json;

use crate::request_id::RequestId;
use crate::{GraphqlState, MAX_GRAPHQL_BODY_BYTES};

fn error_body(code: &str, message: &str, request_id: &str) -> serde_json::Value {
    json!({"data": null, "errors": [{"message": message, "extensions": {"code": code, "requestId": request_id}}]})
}

fn caller_of(token: VerifiedToken, request_id: &str) -> Caller {
    Caller {
        tenant: token.tenant,
        sub: token.sub,
        roles: token.roles,
        vendor_id: token.vendor_id,
        email: token.email,
        given_name: token.given_name,
        family_name: token.family_name,
        name: token.name,
        request_id: request_id.to_string(),
    }
}

async fn execute(
    state: &GraphqlState,
    schema: &oms_graphql::AnySchema,
    headers: &HeaderMap,
    body: Bytes,
    request_id: &str,
) -> Response {
    if body.len() > MAX_GRAPHQL_BODY_BYTES {
        let body = error_body("PAYLOAD_TOO_LARGE", "request body too large", request_id);
        return (StatusCode::PAYLOAD_TOO_LARGE, Json(body)).into_response();
    }
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(_) => {
            let body = error_body(
                "BAD_REQUEST",
                "the body is not a GraphQL request (JSON with a `query`)",
                request_id,
            );
            return (StatusCode::BAD_REQUEST, Json(body)).into_response();
        }
    };
    let header = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let token = match state.auth.verify_at(header, state.clock.now()).await {
        Ok(t) => t,
        Err(e) => {
            tracing::info!(reason = e.reason().as_str(), "unauthenticated request");
            return Json(error_body("UNAUTHENTICATED", "unauthenticated", request_id))
                .into_response();
        }
    };
    tracing::Span::current().record("tenant", token.tenant.as_str());
    state.metrics.set_tenant(&token.tenant);
    let caller = caller_of(token, request_id);
    let response = schema.execute(request.data(caller)).await;
    Json(response).into_response()
}

pub async fn execute_full(
    State(state): State<Arc<GraphqlState>>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match &state.full {
        Some(full) => execute(&state, full, &headers, body, &id.0).await,
        None => (
            StatusCode::NOT_FOUND,
            Json(error_body("NOT_FOUND", "not served here", &id.0)),
        )
            .into_response(),
    }
}

pub async fn execute_group(
    State(state): State<Arc<GraphqlState>>,
    Path(group): Path<String>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match oms_graphql::Group::parse(&group).and_then(|g| state.groups.get(&g)) {
        Some(schema) => execute(&state, schema, &headers, body, &id.0).await,
        None => (
            StatusCode::NOT_FOUND,
            Json(error_body("NOT_FOUND", "unknown resolver group", &id.0)),
        )
            .into_response(),
    }
}
