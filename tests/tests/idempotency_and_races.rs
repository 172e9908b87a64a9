//! Idempotency keys, optimistic concurrency and races over HTTP (embedded store). The races send
//! real concurrent HTTP requests (multi-threaded runtime, all released together by a barrier);
//! only the store's conditions may decide who wins, so every assertion is on counts and states.

use std::collections::BTreeSet;
use std::sync::Arc;

use oms_application::ports::SnapshotWrite;
use oms_domain::auth::Role;
use oms_e2e::*;
use serde_json::{json, Value};
use tokio::sync::Barrier;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_edits_of_one_version_let_exactly_one_win() {
    let app = Arc::new(spawn_app(Backend::Embedded).await);
    let c = app.customer_token();
    let id = id_of(&app.checkout(&c, &[("T-SHIRT-L", 1)], true).await);
    let skus = ["MUG-01", "CAP-01", "HOODIE-M", "MUG-01", "CAP-01"];
    let barrier = Arc::new(Barrier::new(skus.len()));
    let mut tasks = Vec::new();
    for sku in skus {
        let (app, c, id, barrier) = (app.clone(), c.clone(), id.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            app.mutate(&c, "addLineItems", json!({"orderId": id, "items": [{"sku": sku, "quantity": 1}], "expectedVersion": 1})).await
        }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        let payload = task.await.unwrap();
        match payload["userErrors"].as_array().map(Vec::len) {
            Some(0) => winners.push(payload["order"].clone()),
            _ => assert_eq!(
                payload["userErrors"][0]["code"], "VERSION_CONFLICT",
                "{payload}"
            ),
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "exactly one edit of version 1 may win: {winners:?}"
    );
    let order = app.get_order(&c, &id).await;
    assert_eq!(order["version"], 2);
    assert_eq!(
        order["lineItems"].as_array().map(Vec::len),
        Some(2),
        "no lost or doubled update: {order}"
    );
    assert_eq!(order, winners[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_checkouts_with_one_key_create_one_order() {
    let app = Arc::new(spawn_app(Backend::Embedded).await);
    let c = app.customer_token();
    let input = json!({"vendorId": VENDOR, "items": [{"sku": "MUG-01", "quantity": 1}], "idempotencyKey": "double-click"});
    let n = 8;
    let barrier = Arc::new(Barrier::new(n));
    let mut tasks = Vec::new();
    for _ in 0..n {
        let (app, c, input, barrier) = (app.clone(), c.clone(), input.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            app.mutate(&c, "checkoutItems", input).await
        }));
    }
    let mut ids = BTreeSet::new();
    for task in tasks {
        let payload = task.await.unwrap();
        ids.insert(id_of(&ok(payload)));
    }
    assert_eq!(
        ids.len(),
        1,
        "every request with one key must answer one order: {ids:?}"
    );
    assert_eq!(app.list_orders(&c, "CUSTOMER", None).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_placements_with_one_key_place_once_and_all_answer_the_first_result() {
    let app = Arc::new(spawn_app(Backend::Embedded).await);
    let c = app.customer_token();
    let id = id_of(&app.checkout(&c, &[("MUG-01", 1)], true).await);
    ok(app
        .mutate(
            &c,
            "selectShippingOption",
            json!({"orderId": id, "method": "STANDARD"}),
        )
        .await);
    let n = 8;
    let barrier = Arc::new(Barrier::new(n));
    let mut tasks = Vec::new();
    for _ in 0..n {
        let (app, c, id, barrier) = (app.clone(), c.clone(), id.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            app.mutate(
                &c,
                "placeOrder",
                json!({"orderId": id, "idempotencyKey": "pay-click"}),
            )
            .await
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        // A request that lost the race must replay the winner, never answer VERSION_CONFLICT.
        answers.push(ok(task.await.unwrap()));
    }
    assert!(
        answers.iter().all(|a| *a == answers[0]),
        "every request with one key answers the same result: {answers:#?}"
    );
    assert_eq!(answers[0]["status"], "PENDING");

    // Later, after the order moved on, the key still answers the first result.
    ok(app
        .mutate(
            &c,
            "cancelOrder",
            json!({"orderId": id, "reason": "too slow"}),
        )
        .await);
    let late = ok(app
        .mutate(
            &c,
            "placeOrder",
            json!({"orderId": id, "idempotencyKey": "pay-click"}),
        )
        .await);
    assert_eq!(late, answers[0]);
    assert_eq!(app.get_order(&c, &id).await["status"], "CANCELLED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_customers_placing_at_once_on_a_stock_of_five_get_exactly_five_pending_orders() {
    let app = Arc::new(spawn_app(Backend::Embedded).await);
    app.apply(
        TENANT,
        SnapshotWrite::Product(product("LIMITED-1", sgd("20.00"), 5)),
        1,
    )
    .await;
    let n = 20;
    let mut drafts: Vec<(String, String, Value)> = Vec::new();
    for i in 0..n {
        let token = app.token(TENANT, &format!("c-race-{i:02}"), &[Role::Customer], None);
        let id = id_of(&app.checkout(&token, &[("LIMITED-1", 1)], true).await);
        let draft = ok(app
            .mutate(
                &token,
                "selectShippingOption",
                json!({"orderId": id, "method": "STANDARD"}),
            )
            .await);
        drafts.push((token, id, draft));
    }
    let barrier = Arc::new(Barrier::new(n));
    let mut tasks = Vec::new();
    for (token, id, _) in &drafts {
        let (app, token, id, barrier) = (app.clone(), token.clone(), id.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            app.mutate(&token, "placeOrder", json!({"orderId": id}))
                .await
        }));
    }
    let mut placed = BTreeSet::new();
    let mut refused = 0;
    for (task, (_, id, _)) in tasks.into_iter().zip(&drafts) {
        let payload = task.await.unwrap();
        if payload["userErrors"].as_array().is_some_and(Vec::is_empty) {
            assert_eq!(payload["order"]["status"], "PENDING");
            placed.insert(id.clone());
        } else {
            user_error(
                &payload,
                "OUT_OF_STOCK",
                Some(&["input", "lineItems", "LIMITED-1"]),
            );
            refused += 1;
        }
    }
    assert_eq!(placed.len(), 5, "exactly the stock may be sold: {placed:?}");
    assert_eq!(refused, 15);

    // The losers are untouched DRAFTs; the winners are PENDING.
    for (token, id, draft) in &drafts {
        let now = app.get_order(token, id).await;
        if placed.contains(id) {
            assert_eq!(now["status"], "PENDING");
            assert_eq!(now["version"], 3);
        } else {
            assert_eq!(&now, draft, "a refused placement changed the order");
        }
    }
    let vendor = app.vendor_token();
    let pending: BTreeSet<String> = app
        .list_orders(&vendor, "VENDOR", Some("PENDING"))
        .await
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(pending, placed);
    // Nothing is left: a new cart of one unit is refused.
    let probe = app.token(TENANT, "c-probe", &[Role::Customer], None);
    let payload = app
        .mutate(
            &probe,
            "checkoutItems",
            json!({"vendorId": VENDOR, "items": [{"sku": "LIMITED-1", "quantity": 1}]}),
        )
        .await;
    let message = user_error(
        &payload,
        "OUT_OF_STOCK",
        Some(&["input", "items", "0", "quantity"]),
    );
    assert!(message.contains("only 0"), "{message}");
}
