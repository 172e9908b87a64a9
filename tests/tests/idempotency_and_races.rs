//! Idempotency keys and optimistic concurrency over HTTP (embedded store), one request at a
//! time: replays, a key reused for another input, a stale expected version. The concurrent
//! versions of these scenarios (one key sent by many requests at once, edits of one version at
//! once) are in races.rs, on both backends.

use oms_domain::auth::Role;
use oms_e2e::*;
use serde_json::json;

#[tokio::test]
async fn a_checkout_replayed_with_the_same_key_returns_the_same_order_and_writes_nothing() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let input = json!({"vendorId": VENDOR, "items": [{"sku": "T-SHIRT-L", "quantity": 2}], "destination": singapore(), "idempotencyKey": "cart-42"});
    let first = ok(app.mutate(&c, "checkoutItems", input.clone()).await);
    let writes = app.writes();
    for _ in 0..3 {
        let again = ok(app.mutate(&c, "checkoutItems", input.clone()).await);
        assert_eq!(
            again, first,
            "a replay must answer the first order as it is"
        );
    }
    assert_eq!(app.writes(), writes, "a replay wrote something");
    let orders = app.list_orders(&c, "CUSTOMER", None).await;
    assert_eq!(orders.len(), 1, "one order for one key: {orders:?}");
    assert_eq!(orders[0]["id"], first["id"]);

    // Keys belong to the caller: another customer's identical key is a new order.
    let other = app.token(TENANT, "c-other", &[Role::Customer], None);
    let theirs = ok(app.mutate(&other, "checkoutItems", input).await);
    assert_ne!(theirs["id"], first["id"]);
}

#[tokio::test]
async fn the_same_key_with_a_different_input_is_refused_for_checkout_and_for_placement() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let first = ok(app
        .mutate(&c, "checkoutItems", json!({"vendorId": VENDOR, "items": [{"sku": "T-SHIRT-L", "quantity": 1}], "destination": singapore(), "idempotencyKey": "k-1"}))
        .await);
    let id = id_of(&first);
    let writes = app.writes();
    let payload = app
        .mutate(&c, "checkoutItems", json!({"vendorId": VENDOR, "items": [{"sku": "T-SHIRT-L", "quantity": 3}], "destination": singapore(), "idempotencyKey": "k-1"}))
        .await;
    user_error(
        &payload,
        "IDEMPOTENCY_KEY_REUSED",
        Some(&["input", "idempotencyKey"]),
    );
    assert_eq!(app.writes(), writes);
    assert_eq!(app.list_orders(&c, "CUSTOMER", None).await.len(), 1);
    assert_eq!(app.get_order(&c, &id).await, first);

    // placeOrder: key p-1 placed order A; the same key for order B is refused and B stays DRAFT.
    ok(app
        .mutate(
            &c,
            "selectShippingOption",
            json!({"orderId": id, "method": "STANDARD"}),
        )
        .await);
    let placed = ok(app
        .mutate(
            &c,
            "placeOrder",
            json!({"orderId": id, "idempotencyKey": "p-1"}),
        )
        .await);
    assert_eq!(placed["status"], "PENDING");
    let b = id_of(&app.checkout(&c, &[("MUG-01", 1)], true).await);
    ok(app
        .mutate(
            &c,
            "selectShippingOption",
            json!({"orderId": b, "method": "STANDARD"}),
        )
        .await);
    let b_before = app.get_order(&c, &b).await;
    let writes = app.writes();
    let payload = app
        .mutate(
            &c,
            "placeOrder",
            json!({"orderId": b, "idempotencyKey": "p-1"}),
        )
        .await;
    user_error(
        &payload,
        "IDEMPOTENCY_KEY_REUSED",
        Some(&["input", "idempotencyKey"]),
    );
    assert_eq!(app.writes(), writes);
    assert_eq!(app.get_order(&c, &b).await, b_before);
    assert_eq!(b_before["status"], "DRAFT");
}

#[tokio::test]
async fn a_stale_expected_version_is_a_version_conflict_and_changes_nothing() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let id = id_of(&app.checkout(&c, &[("T-SHIRT-L", 1)], true).await);
    let v2 = ok(app
        .mutate(
            &c,
            "changeOrderQuantity",
            json!({"orderId": id, "sku": "T-SHIRT-L", "quantity": 2, "expectedVersion": 1}),
        )
        .await);
    assert_eq!(v2["version"], 2);
    let writes = app.writes();
    for (name, input) in [
        (
            "changeOrderQuantity",
            json!({"orderId": id, "sku": "T-SHIRT-L", "quantity": 5, "expectedVersion": 1}),
        ),
        (
            "addLineItems",
            json!({"orderId": id, "items": [{"sku": "MUG-01", "quantity": 1}], "expectedVersion": 1}),
        ),
        (
            "selectShippingOption",
            json!({"orderId": id, "method": "STANDARD", "expectedVersion": 3}),
        ),
        ("placeOrder", json!({"orderId": id, "expectedVersion": 1})),
    ] {
        let payload = app.mutate(&c, name, input).await;
        user_error(
            &payload,
            "VERSION_CONFLICT",
            Some(&["input", "expectedVersion"]),
        );
    }
    assert_eq!(app.writes(), writes);
    assert_eq!(app.get_order(&c, &id).await, v2);
}
