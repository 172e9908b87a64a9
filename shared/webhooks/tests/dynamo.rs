//! The receiver and the updater on DynamoDB (moto: `eval "$(infra/moto.sh start)"`). These tests
//! FAIL, never skip, when `AWS_ENDPOINT_URL` is unset: they must never reach real AWS, and a
//! missing emulator must not pass silently.

mod common;

use std::sync::Arc;

use serde_json::json;

use oms_domain::ids::{CustomerId, OrderId, UserId};
use oms_store::{client_from_env, create_table, DynamoStore, ItemStore};
use oms_webhooks::{receive, receive_legacy, Applied};

use common::*;

fn require_emulator_env() {
    let hint = "start moto with `eval \"$(infra/moto.sh start)\"` (AWS_ENDPOINT_URL=http://127.0.0.1:5005 \
                AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test)";
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok_and(|v| !v.is_empty()),
        "AWS_ENDPOINT_URL is not set: these tests need the moto emulator; {hint}"
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

/// A harness on a fresh DynamoDB table of its own.
async fn dynamo_harness() -> Harness {
    require_emulator_env();
    let client = client_from_env(None).await;
    let table = format!("oms-webhooks-test-{}", ulid::Ulid::new());
    create_table(&client, &table)
        .await
        .unwrap_or_else(|e| panic!("creating table {table} failed (is moto running?): {e:?}"));
    let clock = Arc::new(oms_application::ports::ManualClock::new(now()));
    let backend: Arc<dyn ItemStore> = Arc::new(DynamoStore::new(&client, table, clock.clone()));
    Harness::over(backend, clock).await
}

#[tokio::test]
async fn webhooks_are_received_deduped_and_applied_on_dynamodb() {
    let h = dynamo_harness().await;
    let t = now().timestamp();
    let post = |body: Vec<u8>, secret: &'static str, kind: &'static str| {
        let deps = h.deps.clone();
        async move {
            let headers = oms_headers(&[secret], t, &body);
            receive(&deps, "t1", kind, &headers, &body, now()).await
        }
    };

    // Rejections write nothing.
    let writes = h.writes();
    let v5 = envelope(
        "evt_5",
        "vendor_product.upserted",
        "t1",
        5,
        product_data("p-1", "SKU-1", 5, "10.00"),
    );
    assert_eq!(
        post(v5.clone(), "whsec_wrong", "vendor-products")
            .await
            .status,
        401
    );
    let foreign = envelope(
        "evt_x",
        "vendor_product.upserted",
        "t2",
        5,
        product_data("p-1", "SKU-1", 5, "10.00"),
    );
    assert_eq!(
        post(foreign, SECRET_NEW, "vendor-products").await.status,
        422
    );
    assert_eq!(
        post(v5.clone(), SECRET_NEW, "vendor-widgets").await.status,
        404
    );
    assert_eq!(h.writes(), writes);
    assert_eq!(h.queue.attempts(), 0);

    // Accepted, duplicate, then newer and older versions.
    assert_eq!(
        post(v5.clone(), SECRET_NEW, "vendor-products").await.status,
        202
    );
    let dup = post(v5, SECRET_OLD, "vendor-products").await;
    assert_eq!(dup.body, json!({"accepted": true, "duplicate": true}));
    let v7 = envelope(
        "evt_7",
        "vendor_product.upserted",
        "t1",
        7,
        product_data("p-1", "SKU-1", 7, "10.00"),
    );
    let v6 = envelope(
        "evt_6",
        "vendor_product.upserted",
        "t1",
        6,
        product_data("p-1", "SKU-1", 6, "10.00"),
    );
    assert_eq!(post(v7, SECRET_NEW, "vendor-products").await.status, 202);
    assert_eq!(post(v6, SECRET_NEW, "vendor-products").await.status, 202);
    assert_eq!(h.queue.len(), 3);
    let outcomes: Vec<Applied> = h.drain().await.into_iter().map(|o| o.unwrap()).collect();
    assert_eq!(
        outcomes,
        [Applied::Applied, Applied::Applied, Applied::Stale]
    );
    assert_eq!(h.updater.stats.stale(), 1);
    assert_eq!(
        h.catalog("t1", "v-1", &["SKU-1"], &[]).await.products[0].stock,
        7
    );

    // Identity in t1 only; a payment record.
    let login = envelope(
        "evt_login",
        "user.logged_in",
        "t1",
        1,
        json!({"sub": "u-1", "name": "Ada Lovelace", "roles": ["customer"]}),
    );
    assert_eq!(post(login, SECRET_NEW, "identity").await.status, 202);
    let paid = envelope(
        "evt_paid",
        "payment.succeeded",
        "t1",
        1,
        json!({"order_id": "ORD-1", "transaction_id": "txn_1", "method": "Stripe", "amount": "10.00", "currency": "SGD"}),
    );
    assert_eq!(post(paid, SECRET_NEW, "payments").await.status, 202);
    let outcomes: Vec<Applied> = h.drain().await.into_iter().map(|o| o.unwrap()).collect();
    assert_eq!(outcomes, [Applied::Applied, Applied::Applied]);
    let user = UserId::new("u-1").unwrap();
    assert!(h
        .store
        .get_user_authorization(&tenant("t1"), &user)
        .await
        .unwrap()
        .is_some());
    assert!(h
        .store
        .get_user_authorization(&tenant("t2"), &user)
        .await
        .unwrap()
        .is_none());
    let customer = h
        .store
        .get_customer(&tenant("t1"), &CustomerId::new("u-1").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(customer.first_name.as_deref(), Some("Ada"));
    let order_id = OrderId::new("ORD-1").unwrap();
    let request = oms_application::ports::OrderLoadRequest {
        order_id: &order_id,
        idempotency: None,
        transaction_id: Some("txn_1"),
        user: None,
    };
    assert!(h
        .store
        .load_order(&tenant("t1"), &request)
        .await
        .unwrap()
        .payment
        .is_some());
}

#[tokio::test]
async fn a_legacy_vector_is_accepted_once_and_applied_on_dynamodb() {
    let h = dynamo_harness().await;
    let body = r#"{"event_type":"order_management.internal_events.VendorDetailsUpdatedEvent","data":{"vendor_id":"v-234","tenant_id":"tenant123","name":"Vendor1","country":"Singapore","is_active":true}}"#;
    let headers = vec![
        (
            "X-Wss-Signature".to_string(),
            "364f990ba8904a307b6e25e9b83a15469d04637dac27f5c663c16ec670e7a520".to_string(),
        ),
        ("X-Wss-Timestamp".to_string(), now().timestamp().to_string()),
    ];
    let first = receive_legacy(
        &h.deps,
        LEGACY_TENANT,
        "vendor_details_update",
        &headers,
        body.as_bytes(),
        now(),
    )
    .await;
    assert_eq!(
        first.body,
        json!({"success": true, "message": "Vendor Details update has been published."})
    );
    let replay = receive_legacy(
        &h.deps,
        LEGACY_TENANT,
        "vendor_details_update",
        &headers,
        body.as_bytes(),
        now(),
    )
    .await;
    assert_eq!(replay.body, json!({"accepted": true, "duplicate": true}));
    assert_eq!(h.queue.len(), 1);
    assert!(matches!(h.drain().await.as_slice(), [Ok(Applied::Applied)]));
    let vendor = h
        .catalog(LEGACY_TENANT, "v-234", &[], &[])
        .await
        .vendor
        .unwrap();
    assert_eq!(vendor.country.code(), "SG");
}
