//! The HTTP face of the OMS: ONE axum [`Router`] that the Lambda functions
//! (`lambda_http::run(router)`) and `oms serve` both run, so there is one handler per route.
//!
//! Routes: `POST /graphql` (whole schema), `POST /graphql/{group}` (one resolver group),
//! `GET` on both (GraphiQL), `GET /healthz`, `POST /webhooks/{tenant}/{kind}`,
//! `POST /webhook/wss/{tenant}/{legacy_kind}`.

pub mod app;
pub mod demo;
mod graphql;
mod request_id;
pub mod updater;
mod webhooks;

use std::collections::HashMap;
use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use oms_application::ports::Clock;
use oms_application::Oms;
use oms_auth::Authenticator;
use oms_graphql::{build_group_schema, AnySchema, Group, SchemaOptions};
use oms_webhooks::WebhookDeps;

/// Largest GraphQL request body accepted.
pub const MAX_GRAPHQL_BODY_BYTES: usize = 256 * 1024;

/// Everything the handlers share. Built once per process (Lambda init or `oms serve` start).
pub struct AppState {
    full: AnySchema,
    groups: HashMap<Group, AnySchema>,
    auth: Authenticator,
    webhooks: WebhookDeps,
    /// The OMS's one clock (token `exp`/`nbf`, webhook timestamp windows).
    clock: Arc<dyn Clock>,
    /// Pre-filled `Authorization` header of the GraphiQL page (local demo only).
    graphiql_token: Option<String>,
}

impl AppState {
    pub fn new(
        oms: Oms,
        auth: Authenticator,
        webhooks: WebhookDeps,
        options: SchemaOptions,
    ) -> Self {
        let groups = Group::ALL
            .iter()
            .map(|g| (*g, build_group_schema(*g, oms.clone(), options)))
            .collect();
        let clock = oms.clock().clone();
        AppState {
            full: AnySchema::full(oms, options),
            groups,
            auth,
            webhooks,
            clock,
            graphiql_token: None,
        }
    }

    /// Pre-fills GraphiQL's `Authorization` header with this token (`oms serve --demo`), so a
    /// first-time user can run queries at once. Never set in AWS.
    pub fn with_graphiql_token(mut self, token: Option<String>) -> Self {
        self.graphiql_token = token;
        self
    }

    /// The SDL served at `POST /graphql`.
    pub fn sdl(&self) -> String {
        self.full.sdl()
    }
}

/// The one router.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(
            "/graphql",
            post(graphql::execute_full).get(graphql::graphiql),
        )
        .route(
            "/graphql/{group}",
            post(graphql::execute_group).get(graphql::graphiql_group),
        )
        .route("/healthz", get(health))
        .route("/webhooks/{tenant}/{kind}", post(webhooks::receive))
        .route(
            "/webhook/wss/{tenant}/{kind}",
            post(webhooks::receive_legacy),
        )
        .layer(axum::middleware::from_fn(request_id::assign))
        .with_state(state)
}

async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}
