//! The conformance suite on DynamoDB, run against moto (`infra/moto.sh start`). These tests
//! fail, never skip, when `AWS_ENDPOINT_URL` is unset: they must never reach real AWS, and a
//! missing emulator must not pass silently.

#[macro_use]
mod conformance;

use std::sync::Arc;

use oms_clock::Clock;
use oms_store::{client_from_env, create_table, DynamoStore};

/// Test environment check: endpoint, region and credentials must all be set.
fn require_emulator_env() {
    let hint = "start moto with `infra/moto.sh start` and export what it prints: \
                AWS_ENDPOINT_URL=http://127.0.0.1:5005 AWS_REGION=us-east-1 \
                AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test";
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok_and(|v| !v.is_empty()),
        "AWS_ENDPOINT_URL is not set: the DynamoDB tests need the moto emulator; {hint}"
    );
    assert!(
        std::env::var("AWS_REGION")
            .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
            .is_ok(),
        "AWS_REGION is not set; {hint}"
    );
    for var in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
        assert!(std::env::var(var).is_ok(), "{var} is not set; {hint}");
    }
}

fn unique_table_name() -> String {
    format!("oms-test-{}", ulid::Ulid::new())
}

/// A store on a fresh table of its own.
async fn dynamo_store(clock: Arc<dyn Clock>) -> DynamoStore {
    require_emulator_env();
    let client = client_from_env(None).await;
    let table = unique_table_name();
    create_table(&client, &table)
        .await
        .unwrap_or_else(|e| panic!("creating table {table} failed (is moto running?): {e:?}"));
    DynamoStore::new(&client, table, clock)
}

conformance_tests!(dynamo_store);

/// Guards the SDK gotcha: without an explicit HTTP client every call fails at run time.
#[tokio::test]
async fn client_from_env_reaches_the_endpoint_with_the_ring_http_client() {
    require_emulator_env();
    let endpoint = std::env::var("AWS_ENDPOINT_URL").ok();
    for client in [client_from_env(None).await, client_from_env(endpoint).await] {
        client
            .list_tables()
            .limit(1)
            .send()
            .await
            .unwrap_or_else(|e| panic!("ListTables failed: {e:?}"));
    }
}

#[tokio::test]
async fn create_table_builds_the_table_definition() {
    require_emulator_env();
    let client = client_from_env(None).await;
    let name = unique_table_name();
    create_table(&client, &name).await.unwrap();

    let table = client
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    let table = table.table().unwrap();
    assert_eq!(table.table_status().map(|s| s.as_str()), Some("ACTIVE"));
    let keys: Vec<&str> = table
        .key_schema()
        .iter()
        .map(|k| k.attribute_name())
        .collect();
    // Golden values, written out (not read back from `TABLE`): a wrong constant fails here.
    assert_eq!(keys, ["pk", "sk"]);
    type Gsi = (String, Vec<String>, Option<String>, Vec<String>);
    let mut gsis: Vec<Gsi> = table
        .global_secondary_indexes()
        .iter()
        .map(|g| {
            (
                g.index_name().unwrap_or_default().to_owned(),
                g.key_schema()
                    .iter()
                    .map(|k| k.attribute_name().to_owned())
                    .collect(),
                g.projection()
                    .and_then(|p| p.projection_type())
                    .map(|p| p.as_str().to_owned()),
                g.projection()
                    .map(|p| p.non_key_attributes().to_vec())
                    .unwrap_or_default(),
            )
        })
        .collect();
    gsis.sort();
    // Keys and the TTL attribute only: no order body on the list indexes.
    let expected: Vec<Gsi> = (1..=4)
        .map(|n| {
            (
                format!("gsi{n}"),
                vec![format!("gsi{n}pk"), format!("gsi{n}sk")],
                Some("INCLUDE".to_owned()),
                vec!["expires_at".to_owned()],
            )
        })
        .collect();
    assert_eq!(gsis, expected);
    let billing = table.billing_mode_summary().and_then(|b| b.billing_mode());
    assert_eq!(billing.map(|b| b.as_str()), Some("PAY_PER_REQUEST"));
    let stream = table.stream_specification().unwrap();
    assert!(stream.stream_enabled());
    assert_eq!(
        stream.stream_view_type().map(|v| v.as_str()),
        Some("NEW_AND_OLD_IMAGES")
    );

    let ttl = client
        .describe_time_to_live()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), Some("expires_at"));
    assert_eq!(
        ttl.time_to_live_status().map(|s| s.as_str()),
        Some("ENABLED")
    );

    // Creating it again is an error, not a silent success on a possibly different table.
    assert!(create_table(&client, &name).await.is_err());
}
