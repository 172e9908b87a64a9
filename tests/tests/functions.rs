//! Every Lambda function driven through its real event shape against moto: the sample events of
//! `events/` (the same files `cargo lambda invoke --data-file` takes) are fed to the exact
//! composition each function's `main` runs (`oms-runtime`), over a fresh DynamoDB table and SQS
//! FIFO queue. Nothing invokes Lambda here, so the tests play the event source: API Gateway and
//! the function URL (HTTP events), and the SQS event-source mapping (receive, call, delete).

use std::sync::Arc;

use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use axum::Router;
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use oms_application::ports::{CatalogRequest, Clock, ManualClock, Store};
use oms_auth::AuthConfig;
use oms_domain::auth::Role;
use oms_domain::ids::{CustomerId, Sku, TenantId, VendorId};
use oms_e2e::*;
use oms_graphql::Group;
use oms_runtime::Settings;
use serde_json::{json, Value};
use tower::ServiceExt;

const DEV_SECRET: &str = "functions-test-dev-secret";

/// 2026-11-25T10:00:00Z: the sample events' time; every component judges time by this clock.
fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_600_800, 0).unwrap_or_default()
}

struct Aws {
    config: aws_config::SdkConfig,
    settings: Settings,
    clock: Arc<ManualClock>,
    store: Arc<dyn Store>,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    queue_arn: String,
}

/// A fresh table (seeded with the demo tenant) and sync queue on moto, and the settings a
/// deployed function would read from its environment.
async fn aws() -> Aws {
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok_and(|v| !v.is_empty()),
        "AWS_ENDPOINT_URL is not set: run the tests with infra/test.sh (it starts moto)"
    );
    let id = ulid::Ulid::new().to_string().to_lowercase();
    let config = oms_runtime::aws_config(None).await;
    let table = format!("oms-fn-{id}");
    oms_store::create_table(&aws_sdk_dynamodb::Client::new(&config), &table)
        .await
        .unwrap_or_else(|e| panic!("create table: {e}"));
    let clock = Arc::new(ManualClock::new(at()));
    let store = oms_runtime::dynamo_store(&config, &table, clock.clone());
    oms_server::demo::seed(store.as_ref())
        .await
        .unwrap_or_else(|e| panic!("seed: {e:#}"));
    let sqs = oms_runtime::sqs_client(&config);
    let queue_url = sqs
        .create_queue()
        .queue_name(format!("oms-fn-sync-{id}.fifo"))
        .attributes(QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .unwrap_or_else(|e| panic!("create queue: {e}"))
        .queue_url()
        .unwrap_or_default()
        .to_owned();
    let queue_arn = format!("arn:aws:sqs:us-east-1:123456789012:oms-fn-sync-{id}.fifo");
    let settings = Settings {
        table_name: Some(table),
        sync_queue_url: Some(queue_url.clone()),
        in_lambda: true,
        ..Settings::default()
    };
    Aws {
        config,
        settings,
        clock,
        store,
        sqs,
        queue_url,
        queue_arn,
    }
}

impl Aws {
    async fn graphql_function(&self, group: Group) -> Router {
        oms_runtime::http::graphql_function(
            &self.settings,
            group,
            Some(AuthConfig::dev_hs256(DEV_SECRET.as_bytes().to_vec())),
            Some(&self.config),
            self.clock.clone(),
        )
        .await
        .unwrap_or_else(|e| panic!("compose graphql-{}: {e}", group.as_str()))
    }

    async fn webhook_function(&self) -> Router {
        oms_runtime::http::webhook_function(&self.settings, Some(&self.config), self.clock.clone())
            .await
            .unwrap_or_else(|e| panic!("compose webhooks: {e}"))
    }

    fn token(&self, sub: &str, roles: &[Role], vendor: Option<&str>) -> String {
        oms_auth::issue_dev_token(
            DEV_SECRET.as_bytes(),
            &TenantId::new(TENANT).unwrap_or_else(|e| panic!("{e}")),
            &CustomerId::new(sub).unwrap_or_else(|e| panic!("{e}")),
            roles,
            vendor
                .map(|v| VendorId::new(v).unwrap_or_else(|e| panic!("{e}")))
                .as_ref(),
            std::time::Duration::from_secs(3600),
            self.clock.now(),
        )
    }

    /// What the SQS event-source mapping does once: receive, invoke the updater, delete what
    /// did not fail. Returns the ids reported failed.
    async fn deliver_sync_queue(&self) -> Vec<String> {
        let out = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .unwrap_or_else(|e| panic!("receive: {e}"));
        let messages = out.messages.unwrap_or_default();
        assert!(!messages.is_empty(), "nothing was queued");
        let event = oms_queue::lambda_event(&messages, &self.queue_arn, "us-east-1");
        let failed = self.run_updater(event).await;
        for m in &messages {
            if !failed.iter().any(|f| Some(f.as_str()) == m.message_id()) {
                self.sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("delete: {e}"));
            }
        }
        failed
    }

    /// The sync-updater function on one SQS event: the ids in `batchItemFailures`.
    async fn run_updater(&self, event: aws_lambda_events::sqs::SqsEvent) -> Vec<String> {
        let deps = oms_runtime::updater(&self.settings, self.clock.clone())
            .await
            .unwrap_or_else(|e| panic!("compose sync-updater: {e}"));
        let response = oms_webhooks::handle_sqs_batch(&deps, event).await;
        response
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect()
    }

    async fn product(&self, sku: &str) -> Option<oms_domain::catalog::Product> {
        let request = CatalogRequest {
            vendor_id: Some(VendorId::new(VENDOR).unwrap_or_else(|e| panic!("{e}"))),
            skus: vec![Sku::new(sku).unwrap_or_else(|e| panic!("{e}"))],
            ..CatalogRequest::default()
        };
        let view = self
            .store
            .load_catalog(&tenant(TENANT), &request)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        view.products.into_iter().next()
    }
}

fn sample(name: &str) -> Value {
    let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Feeds an API Gateway v2 / function URL event to a router the way `lambda_http::run` does.
async fn invoke(router: &Router, event: &Value) -> (u16, Value) {
    let request = lambda_http::request::from_str(&event.to_string())
        .unwrap_or_else(|e| panic!("not an HTTP Lambda event: {e}"));
    let response = router
        .clone()
        .oneshot(request)
        .await
        .unwrap_or_else(|e| match e {});
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .unwrap_or_else(|e| panic!("body: {e}"))
        .to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, body)
}

fn with_header(mut event: Value, name: &str, value: &str) -> Value {
    event["headers"][name] = json!(value);
    event
}

fn with_body(mut event: Value, path: &str, body: &Value) -> Value {
    event["rawPath"] = json!(path);
    event["requestContext"]["http"]["path"] = json!(path);
    event["body"] = json!(body.to_string());
    event
}

#[tokio::test]
async fn each_graphql_function_serves_its_group_from_its_sample_event() {
    let aws = aws().await;
    let customer = format!("Bearer {}", aws.token(CUSTOMER, &[Role::Customer], None));
    let vendor = format!(
        "Bearer {}",
        aws.token(VENDOR_USER, &[Role::Vendor], Some(VENDOR))
    );

    let checkout = aws.graphql_function(Group::Checkout).await;
    let event = with_header(sample("graphql-checkout.json"), "authorization", &customer);
    let (status, body) = invoke(&checkout, &event).await;
    assert_eq!(status, 200, "{body}");
    let placed = &body["data"]["checkoutItems"];
    assert_eq!(placed["userErrors"], json!([]), "{body}");
    assert_eq!(placed["order"]["status"], "DRAFT");
    assert_eq!(placed["order"]["subtotal"]["amount"], "20.00");

    let orders = aws.graphql_function(Group::Orders).await;
    let event = with_header(sample("graphql-orders.json"), "authorization", &customer);
    let (status, body) = invoke(&orders, &event).await;
    assert_eq!(status, 200, "{body}");
    let edges = &body["data"]["listOrders"]["edges"];
    assert_eq!(edges[0]["node"]["id"], placed["order"]["id"], "{body}");

    let account = aws.graphql_function(Group::Account).await;
    let event = with_header(sample("graphql-account.json"), "authorization", &customer);
    let (status, body) = invoke(&account, &event).await;
    assert_eq!(
        (status, &body["data"]["me"]["sub"]),
        (200, &json!(CUSTOMER))
    );

    let vendor_fn = aws.graphql_function(Group::Vendor).await;
    let event = with_header(sample("graphql-vendor.json"), "authorization", &vendor);
    let (status, body) = invoke(&vendor_fn, &event).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["listOrders"]["edges"],
        json!([]),
        "nothing confirmed yet"
    );

    // A group's function serves only its group: no other group, no whole schema, no GraphiQL,
    // no introspection (off unless OMS_GRAPHQL_INTROSPECTION says otherwise).
    let elsewhere = with_body(
        with_header(sample("graphql-checkout.json"), "authorization", &customer),
        "/graphql/orders",
        &json!({"query": "{ me { sub } }"}),
    );
    assert_eq!(invoke(&checkout, &elsewhere).await.0, 404);
    let whole = with_body(
        elsewhere.clone(),
        "/graphql",
        &json!({"query": "{ me { sub } }"}),
    );
    assert_eq!(invoke(&checkout, &whole).await.0, 404);
    let mut graphiql = sample("graphql-checkout.json");
    graphiql["requestContext"]["http"]["method"] = json!("GET");
    assert_eq!(invoke(&checkout, &graphiql).await.0, 405);
    let introspect = with_body(
        elsewhere,
        "/graphql/account",
        &json!({"query": "{ __schema { queryType { name } } }"}),
    );
    let (status, body) = invoke(&account, &introspect).await;
    assert_eq!(status, 200);
    assert!(
        body["errors"].is_array(),
        "introspection must be off: {body}"
    );

    // The sample's placeholder token is refused (a real deployment's tokens are verified here
    // too, behind the API Gateway authorizer).
    let (status, body) = invoke(&checkout, &sample("graphql-checkout.json")).await;
    assert_eq!(status, 200);
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_signed_webhook_sample_is_queued_and_the_updater_applies_it() {
    let aws = aws().await;
    let webhooks = aws.webhook_function().await;
    let event = sample("webhook-vendor-products.json");
    let raw = event["body"].as_str().unwrap_or_default().to_owned();
    let signature =
        oms_sync::signature::oms::sign(WEBHOOK_SECRET, aws.clock.now_unix(), raw.as_bytes());
    let (status, body) = invoke(
        &webhooks,
        &with_header(event.clone(), "oms-signature", &signature),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["event_id"], "evt_sample_product_1");
    assert_eq!(
        aws.product("SAMPLE-1").await,
        None,
        "queued, not applied yet"
    );

    // The same event again is a duplicate; the sample's placeholder signature is refused.
    let (status, body) = invoke(
        &webhooks,
        &with_header(event.clone(), "oms-signature", &signature),
    )
    .await;
    assert_eq!((status, &body["duplicate"]), (200, &json!(true)));
    assert_eq!(invoke(&webhooks, &event).await.0, 401);
    // The webhook function serves nothing else.
    let graphql = with_body(event, "/graphql", &json!({"query": "{ me { sub } }"}));
    assert_eq!(invoke(&webhooks, &graphql).await.0, 404);

    assert_eq!(aws.deliver_sync_queue().await, Vec::<String>::new());
    let product = aws
        .product("SAMPLE-1")
        .await
        .unwrap_or_else(|| panic!("not applied"));
    assert_eq!(product.price.to_string(), "15.00 SGD");
}

#[tokio::test]
async fn the_legacy_sender_sample_is_accepted_for_a_legacy_tenant() {
    let aws = aws().await;
    let mut config = aws
        .store
        .get_tenant_config(&tenant(TENANT))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("demo tenant"));
    config.legacy_wss = true;
    aws.store
        .put_tenant_config(&config)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let webhooks = aws.webhook_function().await;
    let event = sample("webhook-legacy-product-update.json");
    let raw = event["body"].as_str().unwrap_or_default().to_owned();
    let event = with_header(
        with_header(
            event,
            "x-wss-signature",
            &oms_sync::signature::wss::sign(WEBHOOK_SECRET, raw.as_bytes()),
        ),
        "x-wss-timestamp",
        &aws.clock.now_unix().to_string(),
    );
    let (status, body) = invoke(&webhooks, &event).await;
    assert_eq!((status, &body["success"]), (200, &json!(true)), "{body}");
    assert_eq!(aws.deliver_sync_queue().await, Vec::<String>::new());
    assert!(aws.product("SAMPLE-2").await.is_some());
}

#[tokio::test]
async fn the_updater_sample_batch_applies_in_order_and_reports_only_the_poison_message() {
    let aws = aws().await;
    let event: aws_lambda_events::sqs::SqsEvent =
        serde_json::from_value(sample("sqs-sync-batch.json")).unwrap_or_else(|e| panic!("{e}"));
    let failed = aws.run_updater(event.clone()).await;
    assert_eq!(failed, ["0a1b2c3d-0000-4000-8000-000000000002"]);
    let cap = aws
        .product("SAMPLE-3")
        .await
        .unwrap_or_else(|| panic!("not applied"));
    assert_eq!(
        (cap.price.to_string(), cap.stock),
        ("19.00 SGD".to_string(), 6)
    );
    // Redelivered (at least once): nothing changes, the poison message fails again.
    assert_eq!(aws.run_updater(event).await, failed);
    let again = aws
        .product("SAMPLE-3")
        .await
        .unwrap_or_else(|| panic!("gone"));
    assert_eq!(again, cap);
}

#[tokio::test]
async fn a_function_without_its_settings_refuses_to_start() {
    let config = oms_runtime::aws_config(None).await;
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(at()));
    let none = Settings::default();
    let err = oms_runtime::http::webhook_function(&none, Some(&config), clock.clone())
        .await
        .err()
        .map(|e| e.to_string());
    assert_eq!(err.as_deref(), Some("OMS_TABLE_NAME is not set"));
    let table_only = Settings {
        table_name: Some("t".into()),
        ..Settings::default()
    };
    let err = oms_runtime::http::webhook_function(&table_only, Some(&config), clock.clone())
        .await
        .err()
        .map(|e| e.to_string());
    assert_eq!(err.as_deref(), Some("OMS_SYNC_QUEUE_URL is not set"));
    let err = oms_runtime::updater(&none, clock)
        .await
        .err()
        .map(|e| e.to_string());
    assert_eq!(err.as_deref(), Some("OMS_TABLE_NAME is not set"));
}
