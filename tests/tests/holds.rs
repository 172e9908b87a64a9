//! Holds that lapse: a PENDING order not confirmed within the tenant's hold window is cancelled
//! by the hold sweep (reason `expired`), and the units it held are sold to the next buyer.
//! On the embedded store and on DynamoDB (moto).

use oms_application::ports::SnapshotWrite;
use oms_domain::auth::Role;
use oms_e2e::*;
use serde_json::json;

async fn a_lapsed_hold_frees_its_units_for_the_next_buyer(backend: Backend) {
    let app = spawn_app(backend).await;
    // Three units on hand, all of them held by the first buyer.
    app.apply(
        "demo",
        SnapshotWrite::Product(product("HOLD-1", sgd("5.00"), 3)),
        10,
    )
    .await;
    let first = app.customer_token();
    let held = app.pending_order(&first, &[("HOLD-1", 3)]).await;
    let held_id = id_of(&held);
    assert_eq!(held["status"], "PENDING");

    let second = app.token("demo", "c-second", &[Role::Customer], None);
    let refused = app
        .mutate(
            &second,
            "checkoutItems",
            json!({"vendorId": "v-demo", "items": [{"sku": "HOLD-1", "quantity": 1}]}),
        )
        .await;
    user_error(
        &refused,
        "OUT_OF_STOCK",
        Some(&["input", "items", "0", "quantity"]),
    );

    // Within the window the sweep leaves the order alone.
    app.clock.advance(chrono::Duration::minutes(29));
    let report = app.oms.sweep_holds(100).await.expect("sweep");
    assert_eq!(report.expired, 0);

    // The default window (30 minutes) lapses: the sweep cancels it with reason `expired`.
    app.clock.advance(chrono::Duration::minutes(2));
    let report = app.oms.sweep_holds(100).await.expect("sweep");
    assert_eq!(report.expired, 1, "{report:?}");
    let order = app.get_order(&first, &held_id).await;
    assert_eq!(order["status"], "CANCELLED");
    assert_eq!(order["cancellationReason"], "expired");
    // It can no longer be confirmed.
    let first = app.customer_token();
    let late = app
        .mutate(
            &first,
            "confirmOrder",
            json!({"orderId": held_id, "paymentMethod": "CASH_ON_DELIVERY"}),
        )
        .await;
    user_error(&late, "INVALID_STATE", None);
    // A second sweep finds nothing left to do.
    let report = app.oms.sweep_holds(100).await.expect("sweep");
    assert_eq!((report.expired, report.failed), (0, 0));

    // The next buyer gets the units.
    let second = app.token("demo", "c-second", &[Role::Customer], None);
    let placed = app.pending_order(&second, &[("HOLD-1", 1)]).await;
    assert_eq!(placed["status"], "PENDING");
    let more = app.pending_order(&second, &[("HOLD-1", 2)]).await;
    assert_eq!(more["status"], "PENDING", "all three units sold again");
}

#[tokio::test]
async fn a_lapsed_hold_frees_its_units_for_the_next_buyer_embedded() {
    a_lapsed_hold_frees_its_units_for_the_next_buyer(Backend::Embedded).await;
}

#[tokio::test]
async fn a_lapsed_hold_frees_its_units_for_the_next_buyer_dynamo() {
    a_lapsed_hold_frees_its_units_for_the_next_buyer(Backend::Dynamo).await;
}

async fn a_confirmed_order_never_expires(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.customer_token();
    let order = app.pending_order(&token, &[("MUG-01", 1)]).await;
    let id = id_of(&order);
    ok(app
        .mutate(
            &token,
            "confirmOrder",
            json!({"orderId": id, "paymentMethod": "CASH_ON_DELIVERY"}),
        )
        .await);
    app.clock.advance(chrono::Duration::hours(2));
    let report = app.oms.sweep_holds(100).await.expect("sweep");
    assert_eq!(report.expired, 0, "{report:?}");
    let token = app.customer_token();
    assert_eq!(app.get_order(&token, &id).await["status"], "CONFIRMED");
}

#[tokio::test]
async fn a_confirmed_order_never_expires_embedded() {
    a_confirmed_order_never_expires(Backend::Embedded).await;
}

#[tokio::test]
async fn a_confirmed_order_never_expires_dynamo() {
    a_confirmed_order_never_expires(Backend::Dynamo).await;
}

async fn an_untouched_draft_expires_after_the_draft_lifetime(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.customer_token();
    let draft = app.checkout(&token, &[("MUG-01", 1)], true).await;
    let id = id_of(&draft);
    app.clock.advance(chrono::Duration::days(29));
    let token = app.customer_token();
    assert_eq!(app.get_order(&token, &id).await["status"], "DRAFT");
    app.clock.advance(chrono::Duration::days(2));
    let token = app.customer_token();
    let gone = app
        .gql(
            &token,
            "query($id: ID!) { getOrder(orderId: $id) { order { id } userErrors { code } } }",
            json!({"id": id}),
        )
        .await;
    let errors = gone["data"]["getOrder"]["userErrors"].to_string();
    assert!(
        errors.contains("NOT_FOUND") || gone["data"]["getOrder"]["order"].is_null(),
        "an expired draft is no longer returned: {gone}"
    );
}

#[tokio::test]
async fn an_untouched_draft_expires_after_the_draft_lifetime_embedded() {
    an_untouched_draft_expires_after_the_draft_lifetime(Backend::Embedded).await;
}

#[tokio::test]
async fn an_untouched_draft_expires_after_the_draft_lifetime_dynamo() {
    an_untouched_draft_expires_after_the_draft_lifetime(Backend::Dynamo).await;
}
