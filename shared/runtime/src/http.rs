//! The HTTP surfaces (feature `http`): one resolver group's GraphQL function, the webhook
//! function, and the whole local server of `oms serve`.

use std::sync::Arc;

use aws_config::SdkConfig;
use axum::Router;
use oms_application::ports::{Clock, EventQueue, PaymentGateway, Store};
use oms_application::Oms;
use oms_auth::{AuthConfig, Authenticator};
use oms_graphql::{Group, SchemaOptions};
use oms_queue::SqsQueue;
use oms_server::{finish, graphql_routes, webhook_routes, GraphqlState, Surface};
use oms_webhooks::WebhookDeps;

use crate::{dynamo_store, sqs_client, Settings, SettingsError};

/// Why a process could not be composed (it refuses to start).
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("token verification: {0}")]
    Auth(#[from] oms_auth::ConfigError),
    #[error("no token verification configured: set OMS_JWKS_URL (production) or OMS_JWT_HS256_SECRET (development)")]
    NoAuth,
    #[error("payment providers: {0}")]
    Payments(#[from] oms_application::ports::ProviderError),
}

/// The payment gateways (Stripe, PayPal): credentials come from each tenant's configuration.
///
/// # Errors
/// The HTTP client cannot be built.
pub fn payments() -> Result<Arc<dyn PaymentGateway>, ComposeError> {
    Ok(Arc::new(oms_payments::ProviderGateway::new(
        oms_payments::ProviderSettings::default(),
    )?))
}

/// The token verifier of a GraphQL function: `config`, or the environment's (`OMS_JWKS_URL`,
/// `OMS_JWT_ISSUER`, `OMS_JWT_AUDIENCE`, `OMS_JWT_HS256_SECRET`, `OMS_DEFAULT_TENANT`). The
/// JWKS itself is fetched on the first token, not here.
///
/// # Errors
/// Nothing configured, or a malformed configuration.
pub fn authenticator(config: Option<AuthConfig>) -> Result<Authenticator, ComposeError> {
    let config = match config {
        Some(c) => c,
        None => AuthConfig::from_env()?.ok_or(ComposeError::NoAuth)?,
    };
    Ok(Authenticator::new(config)?)
}

/// One resolver group's router (`POST /graphql/{group}`; no GraphiQL; introspection only when
/// `introspection`).
pub fn graphql_app(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    payments: Arc<dyn PaymentGateway>,
    auth: Authenticator,
    group: Group,
    introspection: bool,
) -> Router {
    let oms = Oms::new(store, clock, payments);
    let options = SchemaOptions {
        introspection,
        ..SchemaOptions::default()
    };
    let state = GraphqlState::new(oms, auth, options, Surface::Group(group)).with_graphiql(false);
    finish(graphql_routes(Arc::new(state)))
}

/// The webhook receiver's router (both webhook routes, nothing else).
pub fn webhook_app(
    store: Arc<dyn Store>,
    queue: Arc<dyn EventQueue>,
    clock: Arc<dyn Clock>,
) -> Router {
    finish(webhook_routes(Arc::new(WebhookDeps {
        store,
        queue,
        clock,
    })))
}

/// The `graphql-<group>` function: DynamoDB table `OMS_TABLE_NAME`, the environment's token
/// verification, `OMS_GRAPHQL_INTROSPECTION`.
///
/// # Errors
/// A missing or malformed setting.
pub fn graphql_function(
    settings: &Settings,
    group: Group,
    auth: Option<AuthConfig>,
    config: &SdkConfig,
    clock: Arc<dyn Clock>,
) -> Result<Router, ComposeError> {
    let store = dynamo_store(config, settings.table()?, clock.clone());
    Ok(graphql_app(
        store,
        clock,
        payments()?,
        authenticator(auth)?,
        group,
        settings.introspection,
    ))
}

/// The `webhooks` function: DynamoDB table `OMS_TABLE_NAME`, SQS FIFO `OMS_SYNC_QUEUE_URL`.
///
/// # Errors
/// A missing setting.
pub fn webhook_function(
    settings: &Settings,
    config: &SdkConfig,
    clock: Arc<dyn Clock>,
) -> Result<Router, ComposeError> {
    let store = dynamo_store(config, settings.table()?, clock.clone());
    let queue = Arc::new(SqsQueue::new(&sqs_client(config), settings.sync_queue()?));
    Ok(webhook_app(store, queue, clock))
}
