//! Stores and AWS clients.

use std::sync::Arc;

use aws_config::SdkConfig;
use oms_application::ports::{Clock, Store};
use oms_persistence::config_cache::{TenantConfigCache, TENANT_CONFIG_TTL};
use oms_persistence::Repository;
use oms_store::{DynamoStore, ItemStore, StoreError};
use oms_webhooks::UpdaterDeps;

use crate::{Settings, SettingsError};

/// The AWS configuration of the process, loaded once and shared by every client (the SDKs are
/// built without a default HTTP client: this one brings the ring-based rustls client; without
/// it every call would fail at run time). `endpoint` overrides `AWS_ENDPOINT_URL` (moto).
/// Credentials are resolved on the first call, not here.
pub async fn aws_config(endpoint: Option<String>) -> SdkConfig {
    oms_store::aws_config(endpoint).await
}

/// The AWS configuration of a Lambda function, built from the environment Lambda gives every
/// function and nothing else: `AWS_REGION`, the execution role's credentials
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) and, for local runs
/// against moto, `AWS_ENDPOINT_URL`. No network I/O here, and none of the standard chain's other
/// sources (profiles, SSO, STS web identity, IMDS, ECS): a function never uses them, and leaving
/// them out keeps ~250 KB off every binary (docs/deploy.md, "Binary size"). `oms serve`, `oms
/// import` and the tests keep [`aws_config`], the standard chain.
///
/// # Errors
/// `AWS_REGION` is not set.
pub fn function_aws_config() -> Result<SdkConfig, SettingsError> {
    let variable = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let region = variable("AWS_REGION").ok_or(SettingsError::Missing("AWS_REGION"))?;
    let credentials = aws_config::environment::EnvironmentVariableCredentialsProvider::new();
    let mut config = SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region))
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            credentials,
        ))
        .http_client(oms_store::https_client());
    if let Some(endpoint) = variable("AWS_ENDPOINT_URL") {
        config = config.endpoint_url(endpoint);
    }
    Ok(config.build())
}

/// The repositories over the DynamoDB table `table`, judging expiry by `clock`.
/// Tenant configurations are cached per container for a minute ([`config_cache`]).
pub fn dynamo_store(config: &SdkConfig, table: &str, clock: Arc<dyn Clock>) -> Arc<dyn Store> {
    let client = aws_sdk_dynamodb::Client::new(config);
    Arc::new(
        Repository::new(Arc::new(DynamoStore::new(&client, table, clock.clone())))
            .with_tenant_config_cache(config_cache(clock)),
    )
}

/// The per-process tenant configuration cache of every composition: a change made with
/// `oms tenant put` takes effect within [`TENANT_CONFIG_TTL`] everywhere.
pub fn config_cache(clock: Arc<dyn Clock>) -> TenantConfigCache {
    TenantConfigCache::new(clock, TENANT_CONFIG_TTL)
}

/// The repositories of a GraphQL function: [`dynamo_store`] on `OMS_TABLE_NAME`, signing list
/// cursors with the key of `OMS_CURSOR_SECRET`. Unset in Lambda, the public local key is used and
/// a warning logged: cursors then stay bound to their tenant, caller and filter (those are inside
/// the MAC, and the partition comes from the request), but anyone can sign one.
///
/// # Errors
/// `OMS_TABLE_NAME` is missing.
#[cfg(feature = "http")]
pub fn graphql_store(
    config: &SdkConfig,
    settings: &Settings,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn Store>, SettingsError> {
    if settings.cursor_key.is_none() && settings.in_lambda {
        tracing::warn!(
            "OMS_CURSOR_SECRET is not set: list cursors are signed with the public local key"
        );
    }
    let client = aws_sdk_dynamodb::Client::new(config);
    let items = Arc::new(DynamoStore::new(&client, settings.table()?, clock.clone()));
    Ok(Arc::new(
        Repository::new(items)
            .with_cursor_key(settings.cursor_key())
            .with_tenant_config_cache(config_cache(clock)),
    ))
}

/// The SQS client of the process.
pub fn sqs_client(config: &SdkConfig) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(config)
}

/// Where the data of a CLI command or `oms serve` lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChoice {
    /// The embedded durable store: a SQLite file in this directory.
    #[cfg(feature = "sqlite")]
    Embedded(std::path::PathBuf),
    /// A DynamoDB table (`endpoint` for a local DynamoDB-compatible server); `create` creates it
    /// when missing.
    Dynamo {
        table: String,
        endpoint: Option<String>,
        create: bool,
    },
}

/// Opens the item store `choice` names; `clock` decides which items have expired.
///
/// # Errors
/// The embedded file cannot be opened, or the table cannot be created.
pub async fn open_store(
    choice: &StoreChoice,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn ItemStore>, StoreError> {
    match choice {
        #[cfg(feature = "sqlite")]
        StoreChoice::Embedded(dir) => Ok(crate::local::open_embedded(dir, clock)?),
        StoreChoice::Dynamo {
            table,
            endpoint,
            create,
        } => {
            let config = aws_config(endpoint.clone()).await;
            let client = aws_sdk_dynamodb::Client::new(&config);
            if *create {
                let exists = client
                    .describe_table()
                    .table_name(table)
                    .send()
                    .await
                    .is_ok();
                if !exists {
                    oms_store::create_table(&client, table).await?;
                }
            }
            Ok(Arc::new(DynamoStore::new(&client, table.clone(), clock)))
        }
    }
}

/// The snapshot updater of the sync-updater function: the DynamoDB table of `settings`.
///
/// # Errors
/// `OMS_TABLE_NAME` is missing.
pub fn updater(
    settings: &Settings,
    config: &SdkConfig,
    clock: Arc<dyn Clock>,
) -> Result<UpdaterDeps, SettingsError> {
    let store = dynamo_store(config, settings.table()?, clock.clone());
    Ok(UpdaterDeps::new(store, clock))
}
