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
use oms_application::metrics::Metric;
use oms_application::ports::{CatalogRequest, Clock, ManualClock, Store};
use oms_auth::AuthConfig;
use oms_domain::auth::Role;
use oms_domain::ids::{CustomerId, Sku, TenantId, VendorId};
use oms_e2e::*;
use oms_graphql::Group;
use oms_runtime::http::HttpFunction;
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
    // The functions' own configuration (environment credentials and region only): every
    // function test below calls moto through it.
    let config = oms_runtime::function_aws_config()
        .unwrap_or_else(|e| panic!("function AWS configuration: {e}"));
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
    let (queue_url, queue_arn) = fifo_queue(&sqs, &format!("oms-fn-sync-{id}"), None).await;
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
        self.graphql_lambda(group).await.router
    }

    /// The function as its Lambda entry point runs it: the router and its metrics.
    async fn graphql_lambda(&self, group: Group) -> HttpFunction {
        oms_runtime::http::graphql_function(
            &self.settings,
            group,
            Some(AuthConfig::dev_hs256(DEV_SECRET.as_bytes().to_vec())),
            &self.config,
            self.clock.clone(),
        )
        .unwrap_or_else(|e| panic!("compose graphql-{}: {e}", group.as_str()))
    }

    async fn webhook_function(&self) -> Router {
        self.webhook_lambda().await.router
    }

    async fn webhook_lambda(&self) -> HttpFunction {
        oms_runtime::http::webhook_function(&self.settings, &self.config, self.clock.clone())
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
        let deps = oms_runtime::updater(&self.settings, &self.config, self.clock.clone())
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

/// One Lambda invocation of an HTTP function, as `lambda::run_*` performs it: the status, the
/// body and the metrics line (EMF) it writes.
async fn invoke_lambda(function: &HttpFunction, event: &Value) -> (u16, Value, Value) {
    let request = lambda_http::request::from_str(&event.to_string())
        .unwrap_or_else(|e| panic!("not an HTTP Lambda event: {e}"));
    let (response, line) = function.invoke(request).await;
    assert!(!line.contains('\n'), "one line per invocation: {line}");
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .unwrap_or_else(|e| panic!("body: {e}"))
        .to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let metrics = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    (status, body, metrics)
}

/// The metric names an EMF line declares, with their values.
fn declared(line: &Value) -> Vec<(String, u64)> {
    let definitions = line["_aws"]["CloudWatchMetrics"][0]["Metrics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    definitions
        .iter()
        .map(|d| {
            let name = d["Name"].as_str().unwrap_or_default().to_owned();
            assert_eq!(d["Unit"], "Count", "{name}");
            let value = line[&name]
                .as_u64()
                .unwrap_or_else(|| panic!("{name} has no value in {line}"));
            (name, value)
        })
        .collect()
}

/// The metrics of a line that are not zero.
fn counted(line: &Value) -> Vec<(String, u64)> {
    declared(line).into_iter().filter(|(_, n)| *n > 0).collect()
}

fn pair(name: &str, n: u64) -> (String, u64) {
    (name.to_owned(), n)
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
async fn each_webhook_invocation_writes_one_metrics_line_counting_its_outcome() {
    let aws = aws().await;
    let webhooks = aws.webhook_lambda().await;
    let event = sample("webhook-vendor-products.json");
    let raw = event["body"].as_str().unwrap_or_default().to_owned();
    let now = aws.clock.now_unix();
    let signed = |secret: &str, at: i64| {
        let signature = oms_sync::signature::oms::sign(secret, at, raw.as_bytes());
        with_header(event.clone(), "oms-signature", &signature)
    };

    // Signed with a secret the tenant does not have.
    let (status, _, line) = invoke_lambda(&webhooks, &signed("not-the-demo-secret", now)).await;
    assert_eq!(status, 401);
    assert_eq!(line["Function"], "webhooks");
    assert_eq!(line["Tenant"], TENANT, "a property of the line");
    assert_eq!(
        line["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["Function"]]),
        "no tenant dimension"
    );
    assert_eq!(line["_aws"]["CloudWatchMetrics"][0]["Namespace"], "OMS");
    assert_eq!(
        line["_aws"]["Timestamp"].as_i64(),
        Some(aws.clock.now().timestamp_millis())
    );
    assert_eq!(counted(&line), [pair("WebhookRejectedBadSignature", 1)]);
    // Every webhook outcome is declared on every line, zeros included.
    assert_eq!(declared(&line).len(), 11, "{line}");

    // The right secret, signed 301 s ago: stale. Then no signature at all, an unknown kind and
    // an unknown tenant. Each line counts only its own invocation.
    let (status, _, line) = invoke_lambda(&webhooks, &signed(WEBHOOK_SECRET, now - 301)).await;
    assert_eq!(status, 401);
    assert_eq!(counted(&line), [pair("WebhookRejectedStaleTimestamp", 1)]);
    let (status, _, line) = invoke_lambda(&webhooks, &event).await;
    assert_eq!(status, 401);
    assert_eq!(counted(&line), [pair("WebhookRejectedMissingSignature", 1)]);
    let elsewhere = with_body(event.clone(), "/webhooks/demo/vendor-teapots", &json!({}));
    let (status, _, line) = invoke_lambda(&webhooks, &elsewhere).await;
    assert_eq!(status, 404);
    assert_eq!(counted(&line), [pair("WebhookRejectedUnknownKind", 1)]);
    assert!(line.get("Tenant").is_none(), "no tenant was established");
    let nobody = with_body(
        event.clone(),
        "/webhooks/nobody/vendor-products",
        &json!({}),
    );
    let (status, _, line) = invoke_lambda(&webhooks, &nobody).await;
    assert_eq!(status, 404);
    assert_eq!(counted(&line), [pair("WebhookRejectedUnknownTenant", 1)]);

    // Accepted, then the same event again: a duplicate.
    let (status, _, line) = invoke_lambda(&webhooks, &signed(WEBHOOK_SECRET, now)).await;
    assert_eq!(status, 202);
    assert_eq!(counted(&line), [pair("WebhooksAccepted", 1)]);
    let (status, _, line) = invoke_lambda(&webhooks, &signed(WEBHOOK_SECRET, now)).await;
    assert_eq!(status, 200);
    assert_eq!(counted(&line), [pair("WebhookDuplicates", 1)]);
}

#[tokio::test]
async fn orders_placed_confirmed_and_cancelled_are_counted_once_never_for_a_replay() {
    let aws = aws().await;
    let checkout = aws.graphql_lambda(Group::Checkout).await;
    let customer = format!("Bearer {}", aws.token(CUSTOMER, &[Role::Customer], None));
    let mutate = |query: String| {
        let event = checkout_query(&customer, &query);
        let checkout = &checkout;
        async move {
            let (status, body, line) = invoke_lambda(checkout, &event).await;
            assert_eq!(status, 200);
            assert!(body["errors"].is_null(), "{body}");
            assert_eq!(line["Function"], "graphql-checkout");
            assert_eq!(declared(&line).len(), 3, "{line}");
            (body, line)
        }
    };

    // The sample checkout: a DRAFT, nothing placed.
    let (status, body, line) = invoke_lambda(&checkout, &sample_with(&customer)).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"]["checkoutItems"]["userErrors"],
        json!([]),
        "{body}"
    );
    assert_eq!(counted(&line), [], "a checkout places nothing");
    assert_eq!(line["Tenant"], TENANT);
    let id = checked_out(&body);
    mutate(select_standard(&id)).await;

    let place = place_order(&id, Some("place-1"));
    let (body, line) = mutate(place.clone()).await;
    assert_eq!(
        body["data"]["placeOrder"]["order"]["status"], "PENDING",
        "{body}"
    );
    assert_eq!(counted(&line), [pair("OrdersPlaced", 1)]);
    // The retried request replays the first answer: not another order placed.
    let (body, line) = mutate(place).await;
    assert_eq!(
        body["data"]["placeOrder"]["order"]["status"], "PENDING",
        "{body}"
    );
    assert_eq!(counted(&line), []);

    let confirm = format!("mutation {{ confirmOrder(input: {{orderId: \"{id}\", paymentMethod: CASH_ON_DELIVERY}}) {{ order {{ status }} userErrors {{ code }} }} }}");
    let (body, line) = mutate(confirm.clone()).await;
    assert_eq!(
        body["data"]["confirmOrder"]["order"]["status"], "CONFIRMED",
        "{body}"
    );
    assert_eq!(counted(&line), [pair("OrdersConfirmed", 1)]);
    let (_, line) = mutate(confirm).await;
    assert_eq!(counted(&line), [], "confirming again with the same payment");

    let cancel = format!("mutation {{ cancelOrder(input: {{orderId: \"{id}\", reason: \"changed my mind\"}}) {{ order {{ status }} userErrors {{ code }} }} }}");
    let (body, line) = mutate(cancel.clone()).await;
    assert_eq!(
        body["data"]["cancelOrder"]["order"]["status"], "CANCELLED",
        "{body}"
    );
    assert_eq!(counted(&line), [pair("OrdersCancelled", 1)]);
    // Refused (already cancelled): a user error, nothing counted.
    let (body, line) = mutate(cancel).await;
    assert_ne!(
        body["data"]["cancelOrder"]["userErrors"],
        json!([]),
        "{body}"
    );
    assert_eq!(counted(&line), []);
}

#[tokio::test]
async fn a_graphql_function_reads_its_dev_secret_from_the_ssm_parameter_it_is_given() {
    let mut aws = aws().await;
    let ssm = aws_sdk_ssm::Client::new(&aws.config);
    let name = format!(
        "/oms/test/jwt-hs256-secret-{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let stored = "stored-in-ssm-dev-secret";
    ssm.put_parameter()
        .name(&name)
        .value(stored)
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .unwrap_or_else(|e| panic!("put parameter: {e}"));
    // The function's environment names the parameter, never the secret.
    aws.settings.auth.set("OMS_JWT_HS256_SECRET_PARAM", &name);
    let account = oms_runtime::http::graphql_function(
        &aws.settings,
        Group::Account,
        None,
        &aws.config,
        aws.clock.clone(),
    )
    .unwrap_or_else(|e| panic!("compose graphql-account: {e}"))
    .router;
    let token = |secret: &str| {
        let jwt = oms_auth::issue_dev_token(
            secret.as_bytes(),
            &tenant(TENANT),
            &CustomerId::new(CUSTOMER).unwrap_or_else(|e| panic!("{e}")),
            &[Role::Customer],
            None,
            std::time::Duration::from_secs(600),
            aws.clock.now(),
        );
        with_header(
            sample("graphql-account.json"),
            "authorization",
            &format!("Bearer {jwt}"),
        )
    };

    let (status, body) = invoke(&account, &token(stored)).await;
    assert_eq!(
        (status, &body["data"]["me"]["sub"]),
        (200, &json!(CUSTOMER)),
        "{body}"
    );
    let (status, body) = invoke(&account, &token(DEV_SECRET)).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{body}"
    );
    // Read once per container: rotating the parameter changes nothing for this one.
    ssm.put_parameter()
        .name(&name)
        .value("rotated-dev-secret")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .unwrap_or_else(|e| panic!("overwrite parameter: {e}"));
    let (_, body) = invoke(&account, &token(stored)).await;
    assert_eq!(body["data"]["me"]["sub"], CUSTOMER, "{body}");

    // A parameter that does not exist: the function starts (nothing is read at init) and
    // refuses every token.
    aws.settings
        .auth
        .set("OMS_JWT_HS256_SECRET_PARAM", "/oms/test/no-such-parameter");
    let missing = oms_runtime::http::graphql_function(
        &aws.settings,
        Group::Account,
        None,
        &aws.config,
        aws.clock.clone(),
    )
    .unwrap_or_else(|e| panic!("compose graphql-account: {e}"))
    .router;
    let (_, body) = invoke(&missing, &token(stored)).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{body}"
    );

    // With a JWKS URL as well, the function refuses to start.
    aws.settings
        .auth
        .set("OMS_JWKS_URL", "https://idp.example/.well-known/jwks.json");
    let refused = oms_runtime::http::graphql_function(
        &aws.settings,
        Group::Account,
        None,
        &aws.config,
        aws.clock.clone(),
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(refused.contains("OMS_JWT_HS256_SECRET_PARAM"), "{refused}");
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
async fn the_updater_counts_a_failure_on_its_last_receive_as_dead_lettered() {
    let aws = aws().await;
    let deps = oms_runtime::updater(&aws.settings, &aws.config, aws.clock.clone())
        .unwrap_or_else(|e| panic!("compose sync-updater: {e}"));
    let event: aws_lambda_events::sqs::SqsEvent =
        serde_json::from_value(sample("sqs-sync-batch.json")).unwrap_or_else(|e| panic!("{e}"));
    let names = |metrics: Vec<(Metric, u64)>| -> Vec<(&'static str, u64)> {
        metrics.iter().map(|(m, n)| (m.name(), *n)).collect()
    };
    // The sample's records are on their first receive; with maxReceiveCount 1 that is the last.
    let (response, metrics) =
        oms_runtime::lambda::updater_batch(&deps, Some(1), event.clone()).await;
    assert_eq!(response.batch_item_failures.len(), 1);
    assert_eq!(
        names(metrics),
        [
            ("SnapshotsApplied", 2),
            ("StaleEvents", 0),
            ("PoisonMessages", 1),
            ("RecordsRetried", 1),
            ("MessagesDeadLettered", 1),
        ]
    );
    // Redelivered with receives to spare: the same poison message, retried, not dead-lettered;
    // the applied ones are now stale.
    let (_, metrics) = oms_runtime::lambda::updater_batch(&deps, Some(5), event.clone()).await;
    assert_eq!(
        names(metrics),
        [
            ("SnapshotsApplied", 0),
            ("StaleEvents", 2),
            ("PoisonMessages", 1),
            ("RecordsRetried", 1),
            ("MessagesDeadLettered", 0),
        ]
    );
    // Without OMS_MAX_RECEIVE_COUNT the function cannot tell, and does not report it.
    let (_, metrics) = oms_runtime::lambda::updater_batch(&deps, None, event).await;
    assert!(names(metrics)
        .iter()
        .all(|(n, _)| *n != "MessagesDeadLettered"));
}

#[tokio::test]
async fn a_function_without_its_settings_refuses_to_start() {
    let config = oms_runtime::aws_config(None).await;
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(at()));
    let none = Settings::default();
    let err = oms_runtime::http::webhook_function(&none, &config, clock.clone())
        .err()
        .map(|e| e.to_string());
    assert_eq!(err.as_deref(), Some("OMS_TABLE_NAME is not set"));
    let table_only = Settings {
        table_name: Some("t".into()),
        ..Settings::default()
    };
    let err = oms_runtime::http::webhook_function(&table_only, &config, clock.clone())
        .err()
        .map(|e| e.to_string());
    assert_eq!(err.as_deref(), Some("OMS_SYNC_QUEUE_URL is not set"));
    let err = oms_runtime::updater(&none, &config, clock)
        .err()
        .map(|e| e.to_string());
    assert_eq!(err.as_deref(), Some("OMS_TABLE_NAME is not set"));
}

// ---------------------------------------------------------------------------------------------
// Outbound order events: outbox-relay and event-sender
// ---------------------------------------------------------------------------------------------

/// An events FIFO queue with its dead-letter queue (redrive after `max_receives`).
async fn events_queue(aws: &Aws, max_receives: u32) -> (String, String, String) {
    let id = ulid::Ulid::new().to_string().to_lowercase();
    let (dlq_url, dlq_arn) = fifo_queue(&aws.sqs, &format!("oms-fn-events-dlq-{id}"), None).await;
    let redrive = json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives});
    let (url, arn) = fifo_queue(&aws.sqs, &format!("oms-fn-events-{id}"), Some(redrive)).await;
    (url, arn, dlq_url)
}

/// A FIFO queue `<name>.fifo` (dead-lettering per `redrive` when given): its URL and ARN.
async fn fifo_queue(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    redrive: Option<Value>,
) -> (String, String) {
    let mut request = sqs
        .create_queue()
        .queue_name(format!("{name}.fifo"))
        .attributes(QueueAttributeName::FifoQueue, "true");
    if let Some(redrive) = redrive {
        request = request.attributes(QueueAttributeName::RedrivePolicy, redrive.to_string());
    }
    let url = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("create queue {name}: {e}"))
        .queue_url()
        .unwrap_or_default()
        .to_owned();
    (
        url,
        format!("arn:aws:sqs:us-east-1:123456789012:{name}.fifo"),
    )
}

/// A PENDING order of the demo customer (three changes: versions 1 to 3): the sample checkout,
/// then STANDARD shipping and placeOrder, through the checkout function.
async fn placed_order(aws: &Aws) -> String {
    let checkout = aws.graphql_function(Group::Checkout).await;
    let customer = format!("Bearer {}", aws.token(CUSTOMER, &[Role::Customer], None));
    let (_, body) = invoke(&checkout, &sample_with(&customer)).await;
    let id = checked_out(&body);
    for query in [select_standard(&id), place_order(&id, None)] {
        let (status, body) = invoke(&checkout, &checkout_query(&customer, &query)).await;
        assert_eq!(status, 200);
        assert!(body["errors"].is_null(), "{body}");
    }
    id
}

/// The id of the order a checkoutItems answer created.
fn checked_out(body: &Value) -> String {
    body["data"]["checkoutItems"]["order"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

/// selectShippingOption STANDARD for order `id`.
fn select_standard(id: &str) -> String {
    format!("mutation {{ selectShippingOption(input: {{orderId: \"{id}\", method: STANDARD}}) {{ userErrors {{ code }} }} }}")
}

/// placeOrder of order `id` (with an idempotency key when given).
fn place_order(id: &str, idempotency_key: Option<&str>) -> String {
    let key = idempotency_key
        .map(|k| format!(", idempotencyKey: \"{k}\""))
        .unwrap_or_default();
    format!("mutation {{ placeOrder(input: {{orderId: \"{id}\"{key}}}) {{ order {{ status }} userErrors {{ code }} }} }}")
}

/// The checkout function's sample event carrying `query` for the `authorization` header.
fn checkout_query(authorization: &str, query: &str) -> Value {
    with_body(
        sample_with(authorization),
        "/graphql/checkout",
        &json!({ "query": query }),
    )
}

fn sample_with(authorization: &str) -> Value {
    with_header(
        sample("graphql-checkout.json"),
        "authorization",
        authorization,
    )
}

/// The stream records DynamoDB would deliver for the outbox items of `order` (INSERTs with
/// their new image, in DynamoDB JSON), read back from the table.
async fn outbox_records(aws: &Aws, order: &str) -> Vec<Value> {
    let client = aws_sdk_dynamodb::Client::new(&aws.config);
    let items = client
        .query()
        .table_name(aws.settings.table_name.clone().unwrap_or_default())
        .key_condition_expression("pk = :pk AND begins_with(sk, :o)")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("T#{TENANT}#ORDER#{order}")),
        )
        .expression_attribute_values(
            ":o",
            aws_sdk_dynamodb::types::AttributeValue::S("OUTBOX#".into()),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("query: {e}"))
        .items
        .unwrap_or_default();
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let image: serde_json::Map<String, Value> = item
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        aws_sdk_dynamodb::types::AttributeValue::S(s) => json!({ "S": s }),
                        aws_sdk_dynamodb::types::AttributeValue::N(n) => json!({ "N": n }),
                        other => panic!("unexpected attribute {k}: {other:?}"),
                    };
                    (k.clone(), v)
                })
                .collect();
            json!({"eventName": "INSERT", "dynamodb": {"SequenceNumber": format!("{}", 1000 + i), "NewImage": image}})
        })
        .collect()
}

/// What the visibility timeout does for failed records, without waiting for it.
async fn make_visible(aws: &Aws, url: &str, messages: &[aws_sdk_sqs::types::Message]) {
    for m in messages {
        aws.sqs
            .change_message_visibility()
            .queue_url(url)
            .receipt_handle(m.receipt_handle().unwrap_or_default())
            .visibility_timeout(0)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

async fn receive_all(aws: &Aws, url: &str) -> Vec<aws_sdk_sqs::types::Message> {
    aws.sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .message_attribute_names("All")
        .send()
        .await
        .unwrap_or_else(|e| panic!("receive: {e}"))
        .messages
        .unwrap_or_default()
}

#[tokio::test]
async fn the_relay_publishes_each_event_once_in_version_order_despite_duplicates_and_reordering_and_only_for_subscribed_tenants(
) {
    let mut aws = aws().await;
    let (events_url, _, _) = events_queue(&aws, 5).await;
    aws.settings.events_queue_url = Some(events_url.clone());
    let order = placed_order(&aws).await;
    let records = outbox_records(&aws, &order).await;
    assert_eq!(records.len(), 3, "created, shipping selected, placed");

    // The stream hands them over shuffled and with a duplicate (a retried batch).
    let shuffled = json!({"Records": [records[2], records[0], records[1], records[0]]});
    let event: oms_outbound::StreamEvent =
        serde_json::from_value(shuffled.clone()).unwrap_or_else(|e| panic!("{e}"));
    let relay = oms_runtime::outbound::relay(&aws.settings, &aws.config, aws.clock.clone())
        .unwrap_or_else(|e| panic!("{e}"));

    // Not subscribed yet: nobody to deliver to, so nothing is queued (nor marked relayed).
    let (response, report) = oms_outbound::relay(&relay, event.clone()).await;
    assert_eq!(response.batch_item_failures, vec![]);
    assert_eq!(
        (report.published, report.not_subscribed, report.failed),
        (0, 3, 0)
    );
    assert!(receive_all(&aws, &events_url).await.is_empty());

    // Subscribed: once the configuration cache's minute has passed, the next batch (the same
    // records again) is published.
    subscribe(
        &aws,
        TENANT,
        "https://hooks.example.com/oms",
        "events-secret",
    )
    .await;
    aws.clock
        .advance(oms_persistence::config_cache::TENANT_CONFIG_TTL + chrono::Duration::seconds(1));
    let (response, report) = oms_outbound::relay(&relay, event).await;
    assert_eq!(response.batch_item_failures, vec![]);
    assert_eq!(
        (
            report.published,
            report.already_relayed,
            report.not_subscribed
        ),
        (3, 0, 0)
    );

    let messages = receive_all(&aws, &events_url).await;
    let types: Vec<String> = messages
        .iter()
        .map(|m| {
            let body: Value =
                serde_json::from_str(m.body().unwrap_or_default()).unwrap_or_default();
            assert_eq!(body["data"]["order_id"], order.as_str());
            format!(
                "{}@{}",
                body["type"].as_str().unwrap_or_default(),
                body["version"]
            )
        })
        .collect();
    assert_eq!(
        types,
        [
            "order.created@1",
            "order.shipping_option_selected@2",
            "order.placed@3"
        ]
    );

    // The same batch again (Lambda retries it): nothing is published twice.
    let event: oms_outbound::StreamEvent =
        serde_json::from_value(shuffled).unwrap_or_else(|e| panic!("{e}"));
    let (_, report) = oms_outbound::relay(&relay, event).await;
    assert_eq!((report.published, report.already_relayed), (0, 3));

    // The sample batch: an order modification and a removal are ignored; its outbox insert is
    // not in this table (nothing pending), so nothing is published.
    let event: oms_outbound::StreamEvent =
        serde_json::from_value(sample("dynamodb-outbox-batch.json"))
            .unwrap_or_else(|e| panic!("{e}"));
    let (response, report) = oms_outbound::relay(&relay, event).await;
    assert_eq!(response.batch_item_failures, vec![]);
    assert_eq!(
        (report.published, report.already_relayed, report.ignored),
        (0, 1, 2)
    );
}

/// A loopback receiver standing in for a tenant's events URL: records every request and answers
/// with the next scripted status (then 200).
#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<std::sync::Mutex<Vec<(String, String)>>>,
    answers: Arc<std::sync::Mutex<std::collections::VecDeque<u16>>>,
}

impl Receiver {
    async fn start(&self) -> String {
        let me = self.clone();
        let app = Router::new().route(
            "/hooks",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let me = me.clone();
                async move {
                    let signature = headers
                        .get("oms-signature")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    me.seen
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((signature, body));
                    let status = me
                        .answers
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .pop_front()
                        .unwrap_or(200);
                    axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind: {e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        format!("http://{addr}/hooks")
    }

    /// The next request is answered with `status`.
    fn refuse_next(&self, status: u16) {
        self.answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(status);
    }

    fn seen(&self) -> Vec<(String, String)> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

async fn subscribe(aws: &Aws, tenant_id: &str, url: &str, secret: &str) {
    let t = tenant(tenant_id);
    edit_tenant_config(aws.store.as_ref(), &t, |config| {
        config.events_url = Some(url.to_owned());
    })
    .await;
    edit_tenant_secrets(aws.store.as_ref(), &t, |secrets| {
        secrets.events_secret = Some(secret.to_owned());
    })
    .await;
}

#[tokio::test]
async fn the_sender_signs_each_event_retries_refusals_and_dead_letters_what_keeps_failing() {
    let mut aws = aws().await;
    let (events_url, events_arn, dlq_url) = events_queue(&aws, 2).await;
    aws.settings.events_queue_url = Some(events_url.clone());
    let receiver = Receiver::default();
    let url = receiver.start().await;
    subscribe(&aws, TENANT, &url, "events-secret-demo").await;
    let order = placed_order(&aws).await;
    let relay = oms_runtime::outbound::relay(&aws.settings, &aws.config, aws.clock.clone())
        .unwrap_or_else(|e| panic!("{e}"));
    let records = json!({ "Records": outbox_records(&aws, &order).await });
    let event = serde_json::from_value(records).unwrap_or_else(|e| panic!("{e}"));
    oms_outbound::relay(&relay, event).await;
    let sender = oms_runtime::outbound::sender(&aws.settings, &aws.config, aws.clock.clone())
        .unwrap_or_else(|e| panic!("{e}"));

    // The receiver refuses the first delivery: that event and the rest of its order's group are
    // reported failed (kept in order), nothing is acknowledged out of order.
    receiver.refuse_next(503);
    let messages = receive_all(&aws, &events_url).await;
    assert_eq!(messages.len(), 3);
    let event = oms_queue::lambda_event(&messages, &events_arn, "us-east-1");
    let response = oms_outbound::send_batch(&sender, event).await;
    assert_eq!(
        response.batch_item_failures.len(),
        3,
        "the whole order group waits"
    );
    assert_eq!(receiver.seen().len(), 1);
    // (The event source mapping makes them visible again after the visibility timeout.)
    make_visible(&aws, &events_url, &messages).await;
    let messages = receive_all(&aws, &events_url).await;
    let event = oms_queue::lambda_event(&messages, &events_arn, "us-east-1");
    let response = oms_outbound::send_batch(&sender, event).await;
    assert_eq!(response.batch_item_failures, vec![]);
    let seen = receiver.seen();
    assert_eq!(seen.len(), 4, "one refused, then three delivered");
    // The retry sent the same bytes (same id), each signed with the tenant's events secret.
    assert_eq!(seen[0].1, seen[1].1);
    for (signature, body) in &seen {
        use oms_sync::signature::SignatureScheme as _;
        let verified = oms_sync::signature::OmsScheme.verify(
            &[("Oms-Signature", signature.as_str())],
            body.as_bytes(),
            &["events-secret-demo".to_string()],
            aws.clock.now_unix(),
        );
        assert!(verified.is_ok(), "bad signature {signature}");
    }
    let ids: Vec<String> = seen[1..]
        .iter()
        .map(|(_, b)| {
            serde_json::from_str::<Value>(b).unwrap_or_default()["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(
        ids,
        [
            format!("{order}-1-0"),
            format!("{order}-2-0"),
            format!("{order}-3-0")
        ]
    );

    // A receiver that keeps refusing: after the queue's receive limit the event is dead-lettered.
    let sample_event: aws_lambda_events::sqs::SqsEvent =
        serde_json::from_value(sample("sqs-outbound-batch.json")).unwrap_or_else(|e| panic!("{e}"));
    let body = sample_event.records[0].body.clone().unwrap_or_default();
    aws.sqs
        .send_message()
        .queue_url(&events_url)
        .message_body(&body)
        .message_group_id("demo#ORD-01KSAMPLE0000000000000000")
        .message_deduplication_id("sample-1")
        .message_attributes(
            "tenant",
            aws_sdk_sqs::types::MessageAttributeValue::builder()
                .data_type("String")
                .string_value(TENANT)
                .build()
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // So far (batches sent without the entry point): one refusal, three deliveries; the two
    // records skipped behind the refusal were not attempted and count nowhere.
    let so_far = sender.metrics.take();
    assert_eq!(
        (
            so_far.get(Metric::EventsDelivered),
            so_far.get(Metric::EventDeliveryFailures)
        ),
        (3, 1)
    );
    // The function's metrics say which failure was the last: the second receive of a queue
    // whose maxReceiveCount is 2 (OMS_MAX_RECEIVE_COUNT).
    for dead_lettered in [0, 1] {
        receiver.refuse_next(500);
        let messages = receive_all(&aws, &events_url).await;
        assert_eq!(messages.len(), 1);
        let event = oms_queue::lambda_event(&messages, &events_arn, "us-east-1");
        let (response, metrics) = oms_runtime::lambda::sender_batch(&sender, Some(2), event).await;
        assert_eq!(response.batch_item_failures.len(), 1);
        let metrics: Vec<(&str, u64)> = metrics.iter().map(|(m, n)| (m.name(), *n)).collect();
        assert_eq!(
            metrics,
            [
                ("RecordsRetried", 1),
                ("MessagesDeadLettered", dead_lettered),
                ("EventsDelivered", 0),
                ("EventDeliveryFailures", 1),
                ("EventsNotSubscribed", 0),
            ]
        );
        make_visible(&aws, &events_url, &messages).await;
    }
    assert!(receive_all(&aws, &events_url).await.is_empty(), "moved on");
    let dead = receive_all(&aws, &dlq_url).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body(), Some(body.as_str()));
}

#[tokio::test]
async fn a_tenants_events_never_reach_another_tenants_url() {
    let aws = aws().await;
    let ours = Receiver::default();
    let theirs = Receiver::default();
    subscribe(&aws, TENANT, &ours.start().await, "events-secret-demo").await;
    subscribe(&aws, "other", &theirs.start().await, "events-secret-other").await;
    let sender = oms_runtime::outbound::sender(&aws.settings, &aws.config, aws.clock.clone())
        .unwrap_or_else(|e| panic!("{e}"));
    let event: aws_lambda_events::sqs::SqsEvent =
        serde_json::from_value(sample("sqs-outbound-batch.json")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        oms_outbound::send_batch(&sender, event.clone())
            .await
            .batch_item_failures,
        vec![]
    );
    assert_eq!(ours.seen().len(), 1);
    // The same body queued for tenant `other` (a forged or misrouted message) is refused and
    // never posted anywhere: the body names `demo`.
    let mut forged = event;
    if let Some(attr) = forged.records[0].message_attributes.get_mut("tenant") {
        attr.string_value = Some("other".into());
    }
    let failures = oms_outbound::send_batch(&sender, forged)
        .await
        .batch_item_failures;
    assert_eq!(failures.len(), 1);
    assert!(theirs.seen().is_empty());
    assert_eq!(ours.seen().len(), 1);
}

#[tokio::test]
async fn the_hold_sweeper_sample_expires_a_lapsed_pending_order_on_the_table() {
    let aws = aws().await;
    let id = placed_order(&aws).await;
    let oms = oms_application::Oms::new(
        aws.store.clone(),
        aws.clock.clone(),
        Arc::new(oms_application::ports::NoPaymentGateway),
    );
    let _scheduled: Value = sample("eventbridge-hold-sweep.json");

    // Within the 30-minute window: nothing to do.
    aws.clock.advance(chrono::Duration::minutes(29));
    let (answer, metrics) = oms_runtime::lambda::hold_sweep(&oms).await.expect("sweep");
    assert_eq!(answer, json!({"expired": 0, "skipped": 0, "failed": 0}));
    assert_eq!(metrics[0].1, 0);

    aws.clock.advance(chrono::Duration::minutes(2));
    let (answer, metrics) = oms_runtime::lambda::hold_sweep(&oms).await.expect("sweep");
    assert_eq!(answer, json!({"expired": 1, "skipped": 0, "failed": 0}));
    assert_eq!((metrics[0].0.name(), metrics[0].1), ("OrdersExpired", 1));
    let tenant = oms_domain::ids::TenantId::new(TENANT).expect("tenant");
    let order = aws
        .store
        .get_order(&tenant, &oms_domain::ids::OrderId::new(&id).expect("id"))
        .await
        .expect("read")
        .expect("the order");
    assert_eq!(order.status, oms_domain::order::OrderStatus::Cancelled);
    assert_eq!(order.cancellation_reason.as_deref(), Some("expired"));
}
