//! Snapshot sync the way AWS runs it, on the local emulator (moto): a signed webhook is accepted
//! and published to the FIFO sync queue (SQS), the test acts as the SQS event-source mapping
//! (docs/development.md) and hands each batch to the updater Lambda's handler
//! (`oms_webhooks::handle_sqs_batch`), which applies snapshots to DynamoDB.
//! Fails, never skips, when AWS_ENDPOINT_URL is unset.

use std::sync::Arc;

use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use oms_application::ports::{CatalogRequest, Clock, EventQueue, ManualClock, QueueMessage, Store};
use oms_application::records::{TenantConfig, TenantSecrets};
use oms_domain::ids::{Sku, TenantId, VendorId};
use oms_persistence::Repository;
use oms_queue::SqsQueue;
use oms_store::DynamoStore;
use oms_webhooks::handle_sqs_batch;
use oms_webhooks::{receive, UpdaterDeps, WebhookDeps};

const SECRET: &str = "sqs-test-secret";

struct Env {
    sqs: aws_sdk_sqs::Client,
    url: String,
    arn: String,
    dlq_url: String,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    tenant: TenantId,
}

async fn fifo(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    attrs: &[(QueueAttributeName, String)],
) -> (String, String) {
    let mut req = sqs
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::FifoQueue, "true");
    for (k, v) in attrs {
        req = req.attributes(k.clone(), v);
    }
    let url = req
        .send()
        .await
        .expect("CreateQueue (is moto running?)")
        .queue_url()
        .expect("url")
        .to_owned();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("GetQueueAttributes")
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .expect("arn");
    (url, arn)
}

async fn env() -> Env {
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok_and(|v| !v.is_empty()),
        "AWS_ENDPOINT_URL is not set: start moto with `infra/moto.sh start` (infra/test.sh does it)"
    );
    let id = ulid::Ulid::new().to_string().to_lowercase();
    let dynamo = oms_store::client_from_env(None).await;
    let table = format!("oms-sync-{id}");
    oms_store::create_table(&dynamo, &table)
        .await
        .expect("create table");
    // Pinned anywhere: the store, receiver and updater all judge time by this one clock.
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(
        chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("instant"),
    ));
    let store: Arc<dyn Store> = Arc::new(Repository::new(Arc::new(DynamoStore::new(
        &dynamo,
        table,
        clock.clone(),
    ))));
    let tenant = TenantId::new("t-sqs").expect("tenant");
    store
        .put_tenant_config(&TenantConfig::new(tenant.clone()))
        .await
        .expect("tenant config");
    let mut secrets = TenantSecrets::new(tenant.clone());
    secrets.webhook_secrets = vec![SECRET.into()];
    store
        .put_tenant_secrets(&secrets)
        .await
        .expect("tenant secrets");

    let sqs = oms_queue::client_from_env(None).await;
    let (dlq_url, dlq_arn) = fifo(&sqs, &format!("oms-sync-{id}-dlq.fifo"), &[]).await;
    let redrive = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"2"}}"#);
    let (url, arn) = fifo(
        &sqs,
        &format!("oms-sync-{id}.fifo"),
        &[
            // No test outlives it: a failed record comes back only when the test makes it
            // visible again (what the visibility timeout does in AWS), never by waiting.
            (QueueAttributeName::VisibilityTimeout, "3600".into()),
            (QueueAttributeName::RedrivePolicy, redrive),
        ],
    )
    .await;
    Env {
        sqs,
        url,
        arn,
        dlq_url,
        store,
        clock,
        tenant,
    }
}

fn vendor_event(id: &str, version: u64, name: &str) -> Vec<u8> {
    serde_json::json!({
        "id": id, "type": "vendor_details.upserted", "tenant_id": "t-sqs", "version": version,
        "occurred_at": "2026-11-25T10:00:00Z",
        "data": {"vendor_id": "v-1", "name": name, "country": "Singapore", "is_active": true}
    })
    .to_string()
    .into_bytes()
}

fn product_event(id: &str) -> Vec<u8> {
    serde_json::json!({
        "id": id, "type": "vendor_product.upserted", "tenant_id": "t-sqs", "version": 1,
        "occurred_at": "2026-11-25T10:00:00Z",
        "data": {"product_id": "p-1", "vendor_id": "v-1", "product_sku": "SKU-1", "product_name": "Thing",
                 "product_category": "Stuff", "options": {}, "product_price": "4.20", "stock": 9,
                 "product_currency": "SGD", "package_weight": "0.4", "package_length": 10,
                 "package_width": 10, "package_height": 10, "is_active": true}
    })
    .to_string()
    .into_bytes()
}

async fn post(deps: &WebhookDeps, kind: &str, body: &[u8]) -> u16 {
    let now = deps.clock.now();
    let header = oms_sync::signature::oms::sign(SECRET, now.timestamp(), body);
    let headers = vec![("Oms-Signature".to_string(), header)];
    receive(deps, "t-sqs", kind, &headers, body, now)
        .await
        .status
}

/// One poll of the mapping: receive ≤ 10, invoke the handler, delete what did not fail.
/// Returns (records handed over, failed record ids).
async fn poll(env: &Env, updater: &UpdaterDeps) -> (usize, Vec<String>) {
    let out = env
        .sqs
        .receive_message()
        .queue_url(&env.url)
        .max_number_of_messages(10)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .message_attribute_names("All")
        .send()
        .await
        .expect("ReceiveMessage");
    let messages = out.messages.unwrap_or_default();
    let event = oms_queue::lambda_event(&messages, &env.arn, "us-east-1");
    let response = handle_sqs_batch(updater, event).await;
    let failed: Vec<String> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    for m in &messages {
        let Some(handle) = m.receipt_handle() else {
            continue;
        };
        if failed.iter().any(|f| Some(f.as_str()) == m.message_id()) {
            // The visibility timeout elapsing, without waiting for it.
            env.sqs
                .change_message_visibility()
                .queue_url(&env.url)
                .receipt_handle(handle)
                .visibility_timeout(0)
                .send()
                .await
                .expect("change visibility");
        } else {
            env.sqs
                .delete_message()
                .queue_url(&env.url)
                .receipt_handle(handle)
                .send()
                .await
                .expect("delete");
        }
    }
    (messages.len(), failed)
}

async fn vendor_name(env: &Env) -> Option<String> {
    let request = CatalogRequest {
        vendor_id: Some(VendorId::new("v-1").expect("id")),
        ..CatalogRequest::default()
    };
    env.store
        .load_catalog(&env.tenant, &request)
        .await
        .expect("catalog")
        .vendor
        .map(|v| v.name)
}

#[tokio::test]
async fn a_signed_webhook_travels_through_sqs_and_the_updater_into_dynamodb() {
    let env = env().await;
    let queue: Arc<dyn EventQueue> = Arc::new(SqsQueue::new(&env.sqs, &env.url));
    let deps = WebhookDeps::new(env.store.clone(), queue, env.clock.clone());
    let updater = UpdaterDeps::new(env.store.clone(), env.clock.clone());

    assert_eq!(
        post(
            &deps,
            "vendor-details",
            &vendor_event("evt-v2", 2, "Vendor Two")
        )
        .await,
        202
    );
    assert_eq!(
        post(&deps, "vendor-products", &product_event("evt-p1")).await,
        202
    );
    // An older version of the same vendor arrives late: accepted, then dropped as stale.
    assert_eq!(
        post(
            &deps,
            "vendor-details",
            &vendor_event("evt-v1", 1, "Vendor One")
        )
        .await,
        202
    );
    assert_eq!(
        vendor_name(&env).await,
        None,
        "nothing is applied before the updater runs"
    );

    let mut handled = 0;
    for _ in 0..10 {
        let (n, failed) = poll(&env, &updater).await;
        assert!(failed.is_empty(), "no record fails: {failed:?}");
        handled += n;
        if handled >= 3 {
            break;
        }
    }
    assert_eq!(handled, 3);
    assert_eq!(
        vendor_name(&env).await.as_deref(),
        Some("Vendor Two"),
        "the newer version wins"
    );
    assert_eq!(
        updater.stats.stale(),
        1,
        "the late older event is counted as stale"
    );
    let request = CatalogRequest {
        vendor_id: Some(VendorId::new("v-1").expect("id")),
        skus: vec![Sku::new("SKU-1").expect("sku")],
        ..CatalogRequest::default()
    };
    let view = env
        .store
        .load_catalog(&env.tenant, &request)
        .await
        .expect("catalog");
    assert_eq!(
        view.products
            .first()
            .map(|p| (p.price.amount_string(), p.stock)),
        Some(("4.20".into(), 9))
    );
}

#[tokio::test]
async fn a_poison_message_is_reported_alone_and_ends_in_the_dead_letter_queue() {
    let env = env().await;
    let sqs_queue = SqsQueue::new(&env.sqs, &env.url);
    let queue: Arc<dyn EventQueue> = Arc::new(SqsQueue::new(&env.sqs, &env.url));
    let deps = WebhookDeps::new(env.store.clone(), queue, env.clock.clone());
    let updater = UpdaterDeps::new(env.store.clone(), env.clock.clone());

    let poison = QueueMessage {
        tenant: env.tenant.clone(),
        group: "poison".into(),
        dedup_id: "bad-1".into(),
        body: "not a sync message".into(),
    };
    sqs_queue.publish(poison).await.expect("publish poison");
    assert_eq!(
        post(
            &deps,
            "vendor-details",
            &vendor_event("evt-good", 3, "Good Vendor")
        )
        .await,
        202
    );

    // Delivery 1: both records handed over; only the poison one fails.
    let (handed, failed) = poll(&env, &updater).await;
    assert_eq!(
        (handed, failed.len()),
        (2, 1),
        "only the poison record fails"
    );
    let poison_id = failed[0].clone();
    // Delivery 2: only the poison record is left; it fails again (its second receive).
    assert_eq!(poll(&env, &updater).await, (1, vec![poison_id]));
    // Past maxReceiveCount (2) the queue moves it to the DLQ instead of handing it over.
    assert_eq!(poll(&env, &updater).await, (0, vec![]));
    let dead = env
        .sqs
        .receive_message()
        .queue_url(&env.dlq_url)
        .max_number_of_messages(10)
        .send()
        .await
        .expect("dlq")
        .messages
        .unwrap_or_default();
    assert_eq!(
        vendor_name(&env).await.as_deref(),
        Some("Good Vendor"),
        "the good message is applied despite the poison"
    );
    let bodies: Vec<&str> = dead.iter().filter_map(|m| m.body()).collect();
    assert_eq!(
        bodies,
        ["not a sync message"],
        "only the poison message is dead-lettered"
    );
    assert_eq!(
        updater.stats.permanent_failures(),
        2,
        "one per delivery of the poison record"
    );
}
