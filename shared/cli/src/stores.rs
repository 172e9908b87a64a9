//! `--data-dir DIR` (embedded store, the default) or `--dynamodb-table NAME`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;
use oms_application::ports::{Clock, Store};
use oms_persistence::cursor::CursorKey;
use oms_persistence::Repository;
use oms_runtime::StoreChoice;
use oms_store::ItemStore;

/// A store opened for `oms serve`.
pub struct Opened {
    pub store: Arc<dyn Store>,
    pub embedded: Option<Arc<oms_store::SqliteStore>>,
}

#[derive(Args, Debug, Clone)]
pub struct StoreArgs {
    /// Directory of the embedded durable store (created if missing).
    #[arg(long, default_value = ".oms-data", conflicts_with = "dynamodb_table")]
    pub data_dir: PathBuf,
    /// Use this DynamoDB table instead of the embedded store (standard AWS environment).
    #[arg(long, env = "OMS_TABLE_NAME")]
    pub dynamodb_table: Option<String>,
    /// Endpoint of a DynamoDB-compatible server (e.g. moto on http://127.0.0.1:5005).
    #[arg(long, requires = "dynamodb_table")]
    pub dynamodb_endpoint: Option<String>,
    /// Create the DynamoDB table if it does not exist.
    #[arg(long, requires = "dynamodb_table")]
    pub create_table: bool,
}

impl StoreArgs {
    /// The item store these flags name (built by the one composition, `oms-runtime`); `clock`
    /// decides which items have expired.
    pub async fn open_items(&self, clock: Arc<dyn Clock>) -> Result<Arc<dyn ItemStore>> {
        let choice = match &self.dynamodb_table {
            Some(table) => StoreChoice::Dynamo {
                table: table.clone(),
                endpoint: self.dynamodb_endpoint.clone(),
                create: self.create_table,
            },
            None => StoreChoice::Embedded(self.data_dir.clone()),
        };
        oms_runtime::open_store(&choice, clock)
            .await
            .with_context(|| format!("opening the {}", self.describe()))
    }

    /// The repositories over that store.
    pub async fn open(&self, clock: Arc<dyn Clock>) -> Result<Arc<dyn Store>> {
        Ok(Arc::new(Repository::new(self.open_items(clock).await?)))
    }

    /// The repositories, signing list cursors with `cursor_key` (`OMS_CURSOR_SECRET`), and the
    /// embedded store's file itself when that is the store (its change stream and queue journals
    /// make `oms serve` durable).
    pub async fn open_serving(
        &self,
        clock: Arc<dyn Clock>,
        cursor_key: CursorKey,
    ) -> Result<Opened> {
        if self.dynamodb_table.is_some() {
            let items = self.open_items(clock.clone()).await?;
            return Ok(Opened {
                store: Arc::new(
                    Repository::new(items)
                        .with_cursor_key(cursor_key)
                        .with_tenant_config_cache(oms_runtime::config_cache(clock)),
                ),
                embedded: None,
            });
        }
        let file = oms_runtime::local::open_embedded(&self.data_dir, clock.clone())
            .with_context(|| format!("opening the {}", self.describe()))?;
        let items: Arc<dyn ItemStore> = file.clone();
        Ok(Opened {
            store: Arc::new(
                Repository::new(items)
                    .with_cursor_key(cursor_key)
                    .with_tenant_config_cache(oms_runtime::config_cache(clock)),
            ),
            embedded: Some(file),
        })
    }

    pub fn describe(&self) -> String {
        match &self.dynamodb_table {
            Some(t) => format!("DynamoDB table {t}"),
            None => format!("embedded store in {}", self.data_dir.display()),
        }
    }
}
