//! The HTTP surfaces (feature `http`): one resolver group's GraphQL function, the webhook
//! function, and the whole local server of `oms serve`.

use std::sync::Arc;

use aws_config::SdkConfig;
use axum::Router;
use oms_application::metrics::{Metric, Metrics};
use oms_application::ports::{Clock, EventQueue, PaymentGateway, SecretResolver, Store};
use oms_application::Oms;
use oms_auth::{AuthConfig, Authenticator};
use oms_graphql::{GroupSchema, SchemaOptions};
use oms_queue::SqsQueue;
use oms_server::{finish, graphql_routes, webhook_routes, GraphqlState};
use oms_webhooks::WebhookDeps;

use crate::{dynamo_store, sqs_client, Settings, SettingsError};

/// Why a process could not be composed (it refuses to start).
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("token verification: {0}")]
    Auth(#[from] oms_auth::ConfigError),
    #[error("no token verification configured: set OMS_JWKS_URL (production), or OMS_JWT_HS256_SECRET_PARAM or OMS_JWT_HS256_SECRET (development)")]
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

/// The token verifier of a GraphQL function: `config`, or the one the token variables of
/// `settings` describe (`OMS_JWKS_URL`, `OMS_JWT_ISSUER`, `OMS_JWT_AUDIENCE`,
/// `OMS_JWT_HS256_SECRET`, `OMS_JWT_HS256_SECRET_PARAM`, `OMS_DEFAULT_TENANT`). Nothing is fetched
/// here: the JWKS, or the HS256 secret from the SSM parameter (SecureString, decrypted, with the
/// clients of `aws`), is read on the first token and kept for the life of the container.
///
/// # Errors
/// Nothing configured, a malformed configuration, or a secret parameter in a binary built
/// without the feature `ssm`.
pub fn authenticator(
    settings: &Settings,
    config: Option<AuthConfig>,
    aws: &SdkConfig,
) -> Result<Authenticator, ComposeError> {
    let config = match config {
        Some(c) => c,
        None => {
            AuthConfig::from_lookup(|name| settings.auth.get(name))?.ok_or(ComposeError::NoAuth)?
        }
    };
    match config.secret_parameter().map(str::to_owned) {
        None => Ok(Authenticator::new(config)?),
        Some(name) => stored_secret(config, name, aws),
    }
}

#[cfg(feature = "ssm")]
fn stored_secret(
    config: AuthConfig,
    name: String,
    aws: &SdkConfig,
) -> Result<Authenticator, ComposeError> {
    let fetcher = Arc::new(SsmParameter {
        client: aws_sdk_ssm::Client::new(aws),
        name,
    });
    Ok(Authenticator::with_secret_fetcher(config, fetcher)?)
}

#[cfg(not(feature = "ssm"))]
fn stored_secret(
    _config: AuthConfig,
    _name: String,
    _aws: &SdkConfig,
) -> Result<Authenticator, ComposeError> {
    Err(oms_auth::ConfigError::NoSecretFetcher.into())
}

/// An SSM SecureString parameter, read with decryption (`ssm:GetParameter`; parameters under
/// the default `aws/ssm` key need no KMS grant).
#[cfg(feature = "ssm")]
struct SsmParameter {
    client: aws_sdk_ssm::Client,
    name: String,
}

#[cfg(feature = "ssm")]
#[async_trait::async_trait]
impl oms_auth::SecretFetcher for SsmParameter {
    async fn fetch(&self) -> Result<Vec<u8>, oms_auth::SecretFetchError> {
        let out = self
            .client
            .get_parameter()
            .name(&self.name)
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| {
                oms_auth::SecretFetchError(format!(
                    "SSM GetParameter {}: {}",
                    self.name,
                    aws_sdk_ssm::error::DisplayErrorContext(&e)
                ))
            })?;
        out.parameter
            .and_then(|p| p.value)
            .map(String::into_bytes)
            .ok_or_else(|| {
                oms_auth::SecretFetchError(format!("SSM parameter {} has no value", self.name))
            })
    }
}

/// An HTTP function ready to serve: its router, and the counts its handlers record, which the
/// Lambda entry point flushes as one EMF line per invocation ([`HttpFunction::metrics_line`]).
pub struct HttpFunction {
    /// The `Function` dimension of its metrics (`graphql-checkout`, `webhooks`).
    pub name: String,
    pub router: Router,
    pub metrics: Arc<Metrics>,
    /// The metrics it reports on every invocation, zeros included.
    pub reports: &'static [Metric],
    pub clock: Arc<dyn Clock>,
}

impl HttpFunction {
    /// The EMF line of everything counted since the last call (the entry point calls it once
    /// after each invocation), with the tenant the request was authenticated for as a property.
    pub fn metrics_line(&self) -> String {
        let snapshot = self.metrics.take();
        crate::metrics::emf_line(
            &self.name,
            self.clock.now().timestamp_millis(),
            snapshot.tenant.as_ref().map(|t| t.as_str()),
            &snapshot.reported(self.reports),
        )
    }
}

/// One resolver group's function (`POST /graphql/{group}`; no GraphiQL; introspection only
/// when `introspection`), counting orders placed, confirmed and cancelled. `secrets` resolves
/// the provider credentials confirmOrder reads.
pub fn graphql_app(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    payments: Arc<dyn PaymentGateway>,
    secrets: Arc<dyn SecretResolver>,
    auth: Authenticator,
    group: impl Into<GroupSchema>,
    introspection: bool,
) -> HttpFunction {
    let oms = Oms::new(store, clock.clone(), payments).with_secrets(secrets);
    let metrics = oms.metrics().clone();
    let options = SchemaOptions {
        introspection,
        ..SchemaOptions::default()
    };
    let group = group.into();
    let state = GraphqlState::group(oms, auth, options, group);
    HttpFunction {
        name: format!("graphql-{}", group.group.as_str()),
        router: finish(graphql_routes(Arc::new(state))),
        metrics,
        reports: Metric::ORDERS,
        clock,
    }
}

/// The webhook receiver's function (both webhook routes, nothing else), counting every
/// request's outcome. `secrets` resolves the tenants' webhook secrets.
pub fn webhook_app(
    store: Arc<dyn Store>,
    queue: Arc<dyn EventQueue>,
    clock: Arc<dyn Clock>,
    secrets: Arc<dyn SecretResolver>,
) -> HttpFunction {
    let deps = WebhookDeps::new(store, queue, clock.clone()).with_secrets(secrets);
    let metrics = deps.metrics.clone();
    HttpFunction {
        name: "webhooks".into(),
        router: finish(webhook_routes(Arc::new(deps))),
        metrics,
        reports: Metric::WEBHOOKS,
        clock,
    }
}

/// The `graphql-<group>` function: DynamoDB table `OMS_TABLE_NAME`, the environment's token
/// verification, `OMS_GRAPHQL_INTROSPECTION`.
///
/// # Errors
/// A missing or malformed setting.
pub fn graphql_function(
    settings: &Settings,
    group: impl Into<GroupSchema>,
    auth: Option<AuthConfig>,
    config: &SdkConfig,
    clock: Arc<dyn Clock>,
) -> Result<HttpFunction, ComposeError> {
    let store = crate::store::graphql_store(config, settings, clock.clone())?;
    let secrets = crate::secrets::resolver(config, clock.clone());
    Ok(graphql_app(
        store,
        clock,
        payments()?,
        secrets,
        authenticator(settings, auth, config)?,
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
) -> Result<HttpFunction, ComposeError> {
    let store = dynamo_store(config, settings.table()?, clock.clone());
    let queue = Arc::new(SqsQueue::new(&sqs_client(config), settings.sync_queue()?));
    let secrets = crate::secrets::resolver(config, clock.clone());
    Ok(webhook_app(store, queue, clock, secrets))
}
