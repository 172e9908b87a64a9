//! The HTTP face of the OMS: one handler per route, mounted by `oms serve` (every route) and by
//! each HTTP Lambda function (`lambda_http::run(router)`: one resolver group, or the webhooks).
//!
//! Routes: `POST /graphql` (whole schema), `POST /graphql/{group}` (one resolver group),
//! `GET` on both (GraphiQL, with its assets at `GET /graphiql/assets/{file}`), `GET /healthz`, `POST /webhooks/{tenant}/{kind}`,
//! `POST /webhook/wss/{tenant}/{legacy_kind}`.

pub mod app;
pub mod demo;
#[cfg(feature = "graphiql")]
mod graphiql;
mod graphql;
mod request_id;
mod webhooks;

use std::collections::HashMap;
use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use oms_application::metrics::Metrics;
use oms_application::ports::Clock;
use oms_application::Oms;
use oms_auth::Authenticator;
use oms_graphql::{build_group_schema, AnySchema, Group, GroupSchema, SchemaOptions};
use oms_webhooks::WebhookDeps;

/// Largest GraphQL request body accepted.
pub const MAX_GRAPHQL_BODY_BYTES: usize = 256 * 1024;

/// Which GraphQL schemas a process serves: `oms serve` serves the whole schema and every group;
/// a resolver group's Lambda builds only its own group's schema (less work at init).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Everything,
    Group(Group),
}

/// What the GraphQL handlers share. Built once per process (Lambda init or `oms serve` start).
pub struct GraphqlState {
    full: Option<AnySchema>,
    groups: HashMap<Group, AnySchema>,
    auth: Authenticator,
    /// The OMS's one clock (token `exp`/`nbf`).
    clock: Arc<dyn Clock>,
    /// The use cases' counts; a request's authenticated tenant is noted on them.
    metrics: Arc<Metrics>,
    /// GraphiQL on `GET` (local only). Compiled in with the feature `graphiql` only (`oms serve`):
    /// the Lambda functions are built without it and never serve the page.
    #[cfg_attr(not(feature = "graphiql"), allow(dead_code))]
    graphiql: bool,
    /// Pre-filled `Authorization` header of the GraphiQL page (local demo only).
    #[cfg_attr(not(feature = "graphiql"), allow(dead_code))]
    graphiql_token: Option<String>,
}

impl GraphqlState {
    pub fn new(oms: Oms, auth: Authenticator, options: SchemaOptions, surface: Surface) -> Self {
        match surface {
            Surface::Everything => {
                let full = AnySchema::full(oms.clone(), options);
                let groups = Group::ALL
                    .iter()
                    .map(|g| (*g, build_group_schema(*g, oms.clone(), options)))
                    .collect();
                Self::serving(&oms, auth, Some(full), groups, true)
            }
            Surface::Group(g) => Self::group(oms, auth, options, g.into()),
        }
    }

    /// Only `group`'s schema (what a resolver group's Lambda function serves). Unlike
    /// [`GraphqlState::new`] it names no other schema, so a function built on it links none of
    /// the other groups' resolvers.
    pub fn group(
        oms: Oms,
        auth: Authenticator,
        options: SchemaOptions,
        group: GroupSchema,
    ) -> Self {
        let schema = group.build(oms.clone(), options);
        Self::serving(
            &oms,
            auth,
            None,
            HashMap::from([(group.group, schema)]),
            false,
        )
    }

    fn serving(
        oms: &Oms,
        auth: Authenticator,
        full: Option<AnySchema>,
        groups: HashMap<Group, AnySchema>,
        graphiql: bool,
    ) -> Self {
        GraphqlState {
            full,
            groups,
            auth,
            clock: oms.clock().clone(),
            metrics: oms.metrics().clone(),
            graphiql,
            graphiql_token: None,
        }
    }

    /// Pre-fills GraphiQL's `Authorization` header with this token (`oms serve --demo`), so a
    /// first-time user can run queries at once. Never set in AWS.
    pub fn with_graphiql_token(mut self, token: Option<String>) -> Self {
        self.graphiql_token = token;
        self
    }

    /// Turns the GraphiQL page on or off.
    pub fn with_graphiql(mut self, on: bool) -> Self {
        self.graphiql = on;
        self
    }

    /// The SDL served at `POST /graphql` (the whole schema, or the one group's).
    pub fn sdl(&self) -> String {
        match (&self.full, self.groups.values().next()) {
            (Some(full), _) => full.sdl(),
            (None, Some(group)) => group.sdl(),
            (None, None) => String::new(),
        }
    }
}

/// The GraphQL routes: `POST /graphql` (whole schema, when served), `POST /graphql/{group}`,
/// and GraphiQL on `GET` when enabled (and compiled in: feature `graphiql`).
pub fn graphql_routes(state: Arc<GraphqlState>) -> Router {
    let mut routes = Router::new();
    if state.full.is_some() {
        routes = routes.route("/graphql", post(graphql::execute_full));
        #[cfg(feature = "graphiql")]
        if state.graphiql {
            routes = routes.route("/graphql", get(graphiql::graphiql));
        }
    }
    #[cfg(feature = "graphiql")]
    if state.graphiql {
        routes = routes.route(graphiql::ASSETS_PATH, get(graphiql::asset));
    }
    let group = post(graphql::execute_group);
    #[cfg(feature = "graphiql")]
    let group = if state.graphiql {
        group.get(graphiql::graphiql_group)
    } else {
        group
    };
    routes.route("/graphql/{group}", group).with_state(state)
}

/// The webhook routes: `POST /webhooks/{tenant}/{kind}` and the legacy senders'
/// `POST /webhook/wss/{tenant}/{kind}`.
pub fn webhook_routes(deps: Arc<WebhookDeps>) -> Router {
    Router::new()
        .route("/webhooks/{tenant}/{kind}", post(webhooks::receive))
        .route(
            "/webhook/wss/{tenant}/{kind}",
            post(webhooks::receive_legacy),
        )
        .with_state(deps)
}

/// Adds what every HTTP surface has: the request id (echoed, and on every log line) and
/// `GET /healthz`.
pub fn finish(routes: Router) -> Router {
    routes
        .route("/healthz", get(health))
        .layer(axum::middleware::from_fn(request_id::assign))
}

/// The one router of `oms serve`: every GraphQL route and every webhook route.
pub fn router(graphql: Arc<GraphqlState>, webhooks: Arc<WebhookDeps>) -> Router {
    finish(graphql_routes(graphql).merge(webhook_routes(webhooks)))
}

async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}
