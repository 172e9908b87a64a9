//! Creating the table of [`TABLE`] through the SDK (tests, `oms --create-table`).

use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, IndexStatus, KeySchemaElement, KeyType,
    Projection, ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TableStatus, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;

use crate::error::StoreError;
use crate::table::{KeySchema, ACTIVE_TIMEOUT, TABLE};

const POLL_INTERVAL: Duration = Duration::from_millis(500);

fn key_schema(keys: KeySchema) -> Result<Vec<KeySchemaElement>, StoreError> {
    [
        (keys.partition_key, KeyType::Hash),
        (keys.sort_key, KeyType::Range),
    ]
    .into_iter()
    .map(|(name, key_type)| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
            .map_err(|e| StoreError::Internal(Box::new(e)))
    })
    .collect()
}

/// Creates table `name` from [`TABLE`], waits until it and its indexes are ACTIVE (bounded by
/// [`ACTIVE_TIMEOUT`]), then enables TTL on `expires_at`.
///
/// # Errors
/// `Internal` when the table already exists or a call fails; `Unavailable` on timeout.
pub async fn create_table(client: &Client, name: &str) -> Result<(), StoreError> {
    let def = TABLE;
    let attributes = def
        .key_attributes()
        .into_iter()
        .map(|n| {
            AttributeDefinition::builder()
                .attribute_name(n)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| StoreError::Internal(Box::new(e)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let gsis = def
        .gsis
        .iter()
        .map(|gsi| {
            GlobalSecondaryIndex::builder()
                .index_name(gsi.name)
                .set_key_schema(Some(key_schema(gsi.keys)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(def.projection))
                        .set_non_key_attributes((!def.non_key_attributes.is_empty()).then(|| {
                            def.non_key_attributes
                                .iter()
                                .map(|a| (*a).to_owned())
                                .collect()
                        }))
                        .build(),
                )
                .build()
                .map_err(|e| StoreError::Internal(Box::new(e)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    client
        .create_table()
        .table_name(name)
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(key_schema(def.keys)?))
        .set_global_secondary_indexes(Some(gsis))
        .billing_mode(BillingMode::from(def.billing_mode))
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(def.stream_view_type))
                .build()
                .map_err(|e| StoreError::Internal(Box::new(e)))?,
        )
        .send()
        .await
        .map_err(|e| StoreError::Internal(Box::new(e)))?;
    wait_until_active(client, name).await?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(def.ttl_attribute)
                .build()
                .map_err(|e| StoreError::Internal(Box::new(e)))?,
        )
        .send()
        .await
        .map_err(|e| StoreError::Internal(Box::new(e)))?;
    Ok(())
}

async fn wait_until_active(client: &Client, name: &str) -> Result<(), StoreError> {
    let deadline = tokio::time::Instant::now() + ACTIVE_TIMEOUT;
    loop {
        let out = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(|e| StoreError::Internal(Box::new(e)))?;
        let active = out.table().is_some_and(|t| {
            t.table_status() == Some(&TableStatus::Active)
                && t.global_secondary_indexes()
                    .iter()
                    .all(|i| i.index_status() == Some(&IndexStatus::Active))
        });
        if active {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(StoreError::Unavailable(
                format!("table {name} not ACTIVE after {ACTIVE_TIMEOUT:?}").into(),
            ));
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}
