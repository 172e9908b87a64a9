//! Signed snapshot webhooks over HTTP (embedded store, in-process queue): an accepted event
//! changes what the NEXT checkout prices and reserves; every 4xx writes nothing; a repeated
//! event id is acknowledged as a duplicate and changes nothing.

use oms_domain::auth::Role;
use oms_e2e::*;
use serde_json::{json, Value};

const KIND: &str = "vendor-products";

fn tshirt_event(id: &str, version: u64, price: &str, stock: i64) -> Value {
    event(
        id,
        "vendor_product.upserted",
        TENANT,
        version,
        product_data("p-t-shirt-l", "T-SHIRT-L", price, stock),
    )
}

/// The T-SHIRT-L unit price a fresh checkout of one unit sees (a throwaway customer, no write
/// left behind that matters to the caller's assertions about the catalog).
async fn tshirt_price(app: &TestApp) -> String {
    let probe = app.token(
        TENANT,
        &format!("c-probe-{}", ulid::Ulid::new().to_string().to_lowercase()),
        &[Role::Customer],
        None,
    );
    let order = app.checkout(&probe, &[("T-SHIRT-L", 1)], false).await;
    order["lineItems"][0]["unitPrice"]["amount"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Asserts a rejected webhook: `status`, `error.code`, nothing written (after the queue is idle)
/// and the catalog unchanged.
async fn rejected(
    app: &TestApp,
    reply: Reply,
    status: u16,
    code: &str,
    writes_before: u64,
    case: &str,
) -> Value {
    assert_eq!(reply.status, status, "{case}: {:?}", reply.body);
    assert_eq!(
        reply.body["error"]["code"], code,
        "{case}: {:?}",
        reply.body
    );
    assert!(
        reply.body["error"]["message"].is_string(),
        "{case}: {:?}",
        reply.body
    );
    app.wait_idle().await;
    assert_eq!(
        app.writes(),
        writes_before,
        "{case}: a rejected webhook wrote something"
    );
    reply.body
}

#[tokio::test]
async fn a_signed_product_event_changes_the_price_and_stock_that_the_next_checkout_uses() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    // A draft made before the change (10.00 a unit).
    let early = app.checkout(&c, &[("T-SHIRT-L", 2)], true).await;
    assert_eq!(early["lineItems"][0]["unitPrice"]["amount"], "10.00");

    let reply = app
        .post_webhook(
            TENANT,
            KIND,
            &tshirt_event("evt-price-1", 2, "12.00", 3),
            WEBHOOK_SECRET,
        )
        .await;
    assert_eq!(reply.status, 202, "{:?}", reply.body);
    assert_eq!(
        reply.body,
        json!({"accepted": true, "event_id": "evt-price-1"})
    );
    app.wait_idle().await;

    // The next checkout uses the new price and the new stock.
    let order = app.checkout(&c, &[("T-SHIRT-L", 3)], true).await;
    assert_eq!(order["lineItems"][0]["unitPrice"]["amount"], "12.00");
    assert_eq!(order["subtotal"]["amount"], "36.00");
    let writes = app.writes();
    let payload = app
        .mutate(
            &c,
            "checkoutItems",
            json!({"vendorId": VENDOR, "items": [{"sku": "T-SHIRT-L", "quantity": 4}]}),
        )
        .await;
    let message = user_error(
        &payload,
        "OUT_OF_STOCK",
        Some(&["input", "items", "0", "quantity"]),
    );
    assert!(message.contains("only 3"), "{message}");
    assert_eq!(app.writes(), writes);

    // The earlier draft pays the catalog's current price when placed.
    let early_id = id_of(&early);
    ok(app
        .mutate(
            &c,
            "selectShippingOption",
            json!({"orderId": early_id, "method": "STANDARD"}),
        )
        .await);
    let placed = ok(app
        .mutate(&c, "placeOrder", json!({"orderId": early_id}))
        .await);
    assert_eq!(placed["lineItems"][0]["unitPrice"]["amount"], "12.00");
    assert_eq!(placed["subtotal"]["amount"], "24.00");

    // Tenant other's identical ids are untouched.
    let theirs = app
        .checkout(
            &app.token(OTHER_TENANT, CUSTOMER, &[Role::Customer], None),
            &[("T-SHIRT-L", 1)],
            false,
        )
        .await;
    assert_eq!(theirs["lineItems"][0]["unitPrice"]["amount"], "15.00");
}

#[tokio::test]
async fn an_event_not_newer_than_the_stored_version_is_accepted_and_ignored() {
    let app = spawn_app(Backend::Embedded).await;
    let reply = app
        .post_webhook(
            TENANT,
            KIND,
            &tshirt_event("evt-v5", 5, "13.00", 50),
            WEBHOOK_SECRET,
        )
        .await;
    assert_eq!(reply.status, 202);
    app.wait_idle().await;
    assert_eq!(tshirt_price(&app).await, "13.00");
    let writes = app.writes();
    for (id, version) in [("evt-v4", 4), ("evt-v5-again", 5)] {
        let reply = app
            .post_webhook(
                TENANT,
                KIND,
                &tshirt_event(id, version, "1.00", 50),
                WEBHOOK_SECRET,
            )
            .await;
        assert_eq!(reply.status, 202, "{:?}", reply.body);
        app.wait_idle().await;
    }
    // Only the two event ids were recorded; the stale snapshots were dropped.
    assert_eq!(app.writes(), writes + 2);
    assert_eq!(tshirt_price(&app).await, "13.00");
}

#[tokio::test]
async fn a_repeated_event_id_is_acknowledged_as_a_duplicate_and_changes_nothing() {
    let app = spawn_app(Backend::Embedded).await;
    let reply = app
        .post_webhook(
            TENANT,
            KIND,
            &tshirt_event("evt-dup", 2, "11.00", 50),
            WEBHOOK_SECRET,
        )
        .await;
    assert_eq!(reply.status, 202);
    app.wait_idle().await;
    assert_eq!(tshirt_price(&app).await, "11.00");
    let writes = app.writes();
    // The same id again, even with a newer version and another price.
    for body in [
        tshirt_event("evt-dup", 2, "11.00", 50),
        tshirt_event("evt-dup", 3, "99.00", 1),
    ] {
        let reply = app.post_webhook(TENANT, KIND, &body, WEBHOOK_SECRET).await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        assert_eq!(reply.body, json!({"accepted": true, "duplicate": true}));
        app.wait_idle().await;
    }
    assert_eq!(app.writes(), writes, "a duplicate wrote something");
    assert_eq!(tshirt_price(&app).await, "11.00");
}

#[tokio::test]
async fn bad_signatures_are_401_with_no_hint_and_write_nothing() {
    let app = spawn_app(Backend::Embedded).await;
    let body = tshirt_event("evt-sig", 9, "1.00", 1);
    let raw = serde_json::to_vec(&body).unwrap();
    let now = chrono::Utc::now().timestamp();
    let tampered = {
        let mut other = body.clone();
        other["data"]["product_price"] = json!("0.01");
        serde_json::to_vec(&other).unwrap()
    };
    let cases: Vec<(&str, Vec<u8>, Option<String>)> = vec![
        ("no signature", raw.clone(), None),
        (
            "another secret",
            raw.clone(),
            Some(sign("not-the-tenant-secret", &raw)),
        ),
        (
            "another tenant's secret",
            raw.clone(),
            Some(sign(OTHER_WEBHOOK_SECRET, &raw)),
        ),
        (
            "body changed after signing",
            tampered,
            Some(sign(WEBHOOK_SECRET, &raw)),
        ),
        (
            "timestamp 10 minutes old",
            raw.clone(),
            Some(oms_sync::signature::oms::sign(
                WEBHOOK_SECRET,
                now - 600,
                &raw,
            )),
        ),
        (
            "timestamp 10 minutes ahead",
            raw.clone(),
            Some(oms_sync::signature::oms::sign(
                WEBHOOK_SECRET,
                now + 600,
                &raw,
            )),
        ),
        ("malformed header", raw.clone(), Some("v1=deadbeef".into())),
    ];
    let writes = app.writes();
    let mut bodies = Vec::new();
    for (case, bytes, signature) in cases {
        let reply = app
            .post_webhook_raw(TENANT, KIND, bytes, signature.as_deref())
            .await;
        bodies.push(rejected(&app, reply, 401, "INVALID_SIGNATURE", writes, case).await);
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "the 401 answers differ (a hint of what failed): {bodies:?}"
    );
    assert_eq!(tshirt_price(&app).await, "10.00");
}

#[tokio::test]
async fn invalid_payloads_are_400_with_the_field_and_write_nothing() {
    let app = spawn_app(Backend::Embedded).await;
    let writes = app.writes();

    let raw = b"{\"id\": \"evt-bad\", \"type\": ".to_vec();
    let reply = app
        .post_webhook_raw(TENANT, KIND, raw.clone(), Some(&sign(WEBHOOK_SECRET, &raw)))
        .await;
    rejected(
        &app,
        reply,
        400,
        "INVALID_PAYLOAD",
        writes,
        "malformed JSON",
    )
    .await;

    let mut missing = tshirt_event("evt-missing", 9, "1.00", 1);
    missing["data"].as_object_mut().unwrap().remove("stock");
    let reply = app
        .post_webhook(TENANT, KIND, &missing, WEBHOOK_SECRET)
        .await;
    let body = rejected(&app, reply, 400, "INVALID_PAYLOAD", writes, "missing stock").await;
    assert_eq!(body["error"]["field"], "data.stock");

    let mut negative = tshirt_event("evt-negative", 9, "1.00", 1);
    negative["data"]["stock"] = json!(-1);
    let reply = app
        .post_webhook(TENANT, KIND, &negative, WEBHOOK_SECRET)
        .await;
    let body = rejected(
        &app,
        reply,
        400,
        "INVALID_PAYLOAD",
        writes,
        "negative stock",
    )
    .await;
    assert_eq!(body["error"]["field"], "data.stock");

    let wrong_type = event(
        "evt-type",
        "vendor_details.upserted",
        TENANT,
        9,
        json!({"vendor_id": VENDOR, "name": "X", "country": "SG"}),
    );
    let reply = app
        .post_webhook(TENANT, KIND, &wrong_type, WEBHOOK_SECRET)
        .await;
    rejected(
        &app,
        reply,
        400,
        "INVALID_PAYLOAD",
        writes,
        "a type of another route",
    )
    .await;

    let mut no_id = tshirt_event("x", 9, "1.00", 1);
    no_id.as_object_mut().unwrap().remove("id");
    let reply = app.post_webhook(TENANT, KIND, &no_id, WEBHOOK_SECRET).await;
    let body = rejected(&app, reply, 400, "INVALID_PAYLOAD", writes, "no id").await;
    assert_eq!(body["error"]["field"], "id");

    assert_eq!(tshirt_price(&app).await, "10.00");
}

#[tokio::test]
async fn unknown_tenants_and_kinds_are_404_and_write_nothing() {
    let app = spawn_app(Backend::Embedded).await;
    let writes = app.writes();
    let body = event(
        "evt-nowhere",
        "vendor_product.upserted",
        "nowhere",
        9,
        product_data("p-t-shirt-l", "T-SHIRT-L", "1.00", 1),
    );
    let reply = app
        .post_webhook("nowhere", KIND, &body, WEBHOOK_SECRET)
        .await;
    rejected(&app, reply, 404, "NOT_FOUND", writes, "unknown tenant").await;
    let reply = app
        .post_webhook(
            TENANT,
            "vendor-widgets",
            &tshirt_event("evt-kind", 9, "1.00", 1),
            WEBHOOK_SECRET,
        )
        .await;
    rejected(&app, reply, 404, "NOT_FOUND", writes, "unknown kind").await;
    assert_eq!(tshirt_price(&app).await, "10.00");
}

#[tokio::test]
async fn a_body_over_256_kib_is_413_and_writes_nothing() {
    let app = spawn_app(Backend::Embedded).await;
    let writes = app.writes();
    let mut big = tshirt_event("evt-big", 9, "1.00", 1);
    big["padding"] = json!("x".repeat(256 * 1024));
    let reply = app.post_webhook(TENANT, KIND, &big, WEBHOOK_SECRET).await;
    rejected(
        &app,
        reply,
        413,
        "PAYLOAD_TOO_LARGE",
        writes,
        "over 256 KiB",
    )
    .await;
    // Exactly at the limit is not refused for its size (it is a valid event).
    let mut at_limit = tshirt_event("evt-at-limit", 9, "10.50", 100);
    let len = serde_json::to_vec(&at_limit).unwrap().len();
    at_limit["padding"] = json!("");
    let overhead = serde_json::to_vec(&at_limit).unwrap().len() - len;
    at_limit["padding"] = json!("x".repeat(256 * 1024 - len - overhead));
    assert_eq!(serde_json::to_vec(&at_limit).unwrap().len(), 256 * 1024);
    let reply = app
        .post_webhook(TENANT, KIND, &at_limit, WEBHOOK_SECRET)
        .await;
    assert_eq!(reply.status, 202, "{:?}", reply.body);
    app.wait_idle().await;
    assert_eq!(tshirt_price(&app).await, "10.50");
}

#[tokio::test]
async fn a_body_for_another_tenant_is_422_and_writes_nothing() {
    let app = spawn_app(Backend::Embedded).await;
    let writes = app.writes();
    let cross = event(
        "evt-422",
        "vendor_product.upserted",
        OTHER_TENANT,
        9,
        product_data("p-t-shirt-l", "T-SHIRT-L", "1.00", 1),
    );
    let reply = app.post_webhook(TENANT, KIND, &cross, WEBHOOK_SECRET).await;
    rejected(
        &app,
        reply,
        422,
        "TENANT_MISMATCH",
        writes,
        "envelope tenant",
    )
    .await;
    let mut inner = tshirt_event("evt-422-data", 9, "1.00", 1);
    inner["data"]["tenant_id"] = json!(OTHER_TENANT);
    let reply = app.post_webhook(TENANT, KIND, &inner, WEBHOOK_SECRET).await;
    rejected(&app, reply, 422, "TENANT_MISMATCH", writes, "data tenant").await;
    assert_eq!(tshirt_price(&app).await, "10.00");
    let theirs = app
        .checkout(
            &app.token(OTHER_TENANT, CUSTOMER, &[Role::Customer], None),
            &[("T-SHIRT-L", 1)],
            false,
        )
        .await;
    assert_eq!(theirs["lineItems"][0]["unitPrice"]["amount"], "15.00");
}
