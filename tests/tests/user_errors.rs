//! Every `UserErrorCode` of the contract, reached through the HTTP API (embedded store): each
//! test asserts `userErrors[0].code` and `.field`, no `order` in the payload, that nothing was
//! written to the store, and that a following getOrder shows the order exactly as before
//! (same version, same everything).

use chrono::{Duration, Utc};
use oms_application::ports::SnapshotWrite;
use oms_domain::auth::Role;
use oms_domain::catalog::{Coupon, Vendor};
use oms_domain::ids::VendorId;
use oms_domain::money::{Currency, Money};
use oms_e2e::*;
use serde_json::{json, Value};

/// Runs `mutation(input)` as `token` and asserts it fails with `code` at `field`, writes
/// nothing, and leaves `order_id` exactly as it was (seen through `token`).
async fn refused(
    app: &TestApp,
    token: &str,
    mutation: &str,
    input: Value,
    code: &str,
    field: Option<&[&str]>,
    order_id: &str,
) -> String {
    let before = app.get_order(token, order_id).await;
    assert!(
        before.is_object(),
        "order {order_id} not visible before the refusal"
    );
    let writes = app.writes();
    let payload = app.mutate(token, mutation, input).await;
    let message = user_error(&payload, code, field);
    assert_eq!(
        app.writes(),
        writes,
        "{mutation} refused with {code} but wrote to the store"
    );
    let after = app.get_order(token, order_id).await;
    assert_eq!(
        after, before,
        "{mutation} refused with {code} but the order changed"
    );
    message
}

fn coupon(code: &str, f: impl FnOnce(&mut Coupon)) -> SnapshotWrite {
    let mut c = demo_coupon(code);
    f(&mut c);
    SnapshotWrite::Coupon(c)
}

/// Records a provider payment through the signed `payments` webhook and waits until applied.
async fn pay(app: &TestApp, event_id: &str, order_id: &str, txn: &str, amount: &str) {
    let body = event(
        event_id,
        "payment.succeeded",
        TENANT,
        1,
        json!({"order_id": order_id, "transaction_id": txn, "method": "STRIPE", "amount": amount, "currency": "SGD"}),
    );
    let reply = app
        .post_webhook(TENANT, "payments", &body, WEBHOOK_SECRET)
        .await;
    assert_eq!(reply.status, 202, "payments webhook: {:?}", reply.body);
    app.wait_idle().await;
}

#[tokio::test]
async fn invalid_input_a_zero_quantity_is_refused_and_changes_nothing() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let id = id_of(&app.checkout(&c, &[("T-SHIRT-L", 1)], true).await);
    refused(
        &app,
        &c,
        "addLineItems",
        json!({"orderId": id, "items": [{"sku": "MUG-01", "quantity": 0}]}),
        "INVALID_INPUT",
        Some(&["input", "items", "0", "quantity"]),
        &id,
    )
    .await;
    // A negative quantity of an existing line too.
    refused(
        &app,
        &c,
        "changeOrderQuantity",
        json!({"orderId": id, "sku": "T-SHIRT-L", "quantity": -3}),
        "INVALID_INPUT",
        Some(&["input", "quantity"]),
        &id,
    )
    .await;
}

#[tokio::test]
async fn not_found_for_a_sku_that_is_not_on_the_order_and_for_an_unknown_order() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let id = id_of(&app.checkout(&c, &[("T-SHIRT-L", 1)], true).await);
    refused(
        &app,
        &c,
        "changeOrderQuantity",
        json!({"orderId": id, "sku": "MUG-01", "quantity": 2}),
        "NOT_FOUND",
        Some(&["input", "sku"]),
        &id,
    )
    .await;
    refused(
        &app,
        &c,
        "removeCoupon",
        json!({"orderId": id, "code": "WELCOME10"}),
        "NOT_FOUND",
        Some(&["input", "code"]),
        &id,
    )
    .await;
    // An order id that does not exist: NOT_FOUND on orderId, nothing written.
    let writes = app.writes();
    let payload = app
        .mutate(
            &c,
            "addLineItems",
            json!({"orderId": "ORD-DOES-NOT-EXIST", "items": [{"sku": "MUG-01", "quantity": 1}]}),
        )
        .await;
    user_error(&payload, "NOT_FOUND", Some(&["input", "orderId"]));
    assert_eq!(app.writes(), writes);
    assert_eq!(version_of(&app.get_order(&c, &id).await), 1);
}

#[tokio::test]
async fn invalid_state_editing_a_placed_order_or_cancelling_a_draft() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let placed = id_of(&app.pending_order(&c, &[("T-SHIRT-L", 1)]).await);
    refused(
        &app,
        &c,
        "addLineItems",
        json!({"orderId": placed, "items": [{"sku": "MUG-01", "quantity": 1}]}),
        "INVALID_STATE",
        None,
        &placed,
    )
    .await;
    let v = app.vendor_token();
    refused(
        &app,
        &v,
        "markAsCompleted",
        json!({"orderId": placed}),
        "INVALID_STATE",
        None,
        &placed,
    )
    .await;
    let draft = id_of(&app.checkout(&c, &[("MUG-01", 1)], true).await);
    refused(
        &app,
        &c,
        "cancelOrder",
        json!({"orderId": draft, "reason": "changed my mind"}),
        "INVALID_STATE",
        None,
        &draft,
    )
    .await;
}

#[tokio::test]
async fn out_of_stock_when_adding_more_than_the_stock_and_when_another_order_took_it_first() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let id = id_of(&app.checkout(&c, &[("T-SHIRT-L", 1)], true).await);
    let message = refused(
        &app,
        &c,
        "addLineItems",
        json!({"orderId": id, "items": [{"sku": "HOODIE-M", "quantity": 11}]}),
        "OUT_OF_STOCK",
        Some(&["input", "items", "0", "quantity"]),
        &id,
    )
    .await;
    assert!(
        message.contains("10"),
        "the message should name the stock left: {message}"
    );

    // Two drafts of all 10 hoodies; the first placed wins, the second is refused at placement.
    let other = app.token(TENANT, "c-other", &[Role::Customer], None);
    let late = app.checkout(&c, &[("HOODIE-M", 10)], true).await;
    let late_id = id_of(&late);
    ok(app
        .mutate(
            &c,
            "selectShippingOption",
            json!({"orderId": late_id, "method": "STANDARD"}),
        )
        .await);
    let first = app.pending_order(&other, &[("HOODIE-M", 10)]).await;
    assert_eq!(first["status"], "PENDING");
    refused(
        &app,
        &c,
        "placeOrder",
        json!({"orderId": late_id}),
        "OUT_OF_STOCK",
        Some(&["input", "lineItems", "HOODIE-M"]),
        &late_id,
    )
    .await;
    assert_eq!(app.get_order(&c, &late_id).await["status"], "DRAFT");
}

#[tokio::test]
async fn product_unavailable_for_a_sku_the_vendor_does_not_offer() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let id = id_of(&app.checkout(&c, &[("T-SHIRT-L", 1)], true).await);
    refused(
        &app,
        &c,
        "addLineItems",
        json!({"orderId": id, "items": [{"sku": "NO-SUCH-SKU", "quantity": 1}]}),
        "PRODUCT_UNAVAILABLE",
        Some(&["input", "items", "0", "sku"]),
        &id,
    )
    .await;
    // A retired product too.
    let mut retired = product("RETIRED-1", sgd("5.00"), 10);
    retired.is_active = false;
    app.apply(TENANT, SnapshotWrite::Product(retired), 1).await;
    refused(
        &app,
        &c,
        "addLineItems",
        json!({"orderId": id, "items": [{"sku": "RETIRED-1", "quantity": 1}]}),
        "PRODUCT_UNAVAILABLE",
        Some(&["input", "items", "0", "sku"]),
        &id,
    )
    .await;
}

#[tokio::test]
async fn vendor_unavailable_for_an_unknown_vendor_and_for_a_retired_one() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let id = id_of(&app.checkout(&c, &[("T-SHIRT-L", 1)], true).await);

    let writes = app.writes();
    let payload = app
        .mutate(&c, "checkoutItems", json!({"vendorId": "v-nope", "items": [{"sku": "T-SHIRT-L", "quantity": 1}], "destination": singapore()}))
        .await;
    user_error(&payload, "VENDOR_UNAVAILABLE", Some(&["input", "vendorId"]));
    assert_eq!(app.writes(), writes);
    assert_eq!(
        app.list_orders(&c, "CUSTOMER", None).await.len(),
        1,
        "a refused checkout created an order"
    );

    // The vendor retires (newer snapshot): edits of its drafts are refused.
    let retired = Vendor {
        vendor_id: VendorId::new(VENDOR).unwrap(),
        name: "Demo Vendor".into(),
        country: country("SG"),
        is_active: false,
    };
    app.apply(TENANT, SnapshotWrite::Vendor(retired), 2).await;
    refused(
        &app,
        &c,
        "addLineItems",
        json!({"orderId": id, "items": [{"sku": "MUG-01", "quantity": 1}]}),
        "VENDOR_UNAVAILABLE",
        None,
        &id,
    )
    .await;
}

#[tokio::test]
async fn duplicate_line_item_for_a_sku_already_on_the_order() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let id = id_of(&app.checkout(&c, &[("T-SHIRT-L", 1)], true).await);
    refused(
        &app,
        &c,
        "addLineItems",
        json!({"orderId": id, "items": [{"sku": "T-SHIRT-L", "quantity": 1}]}),
        "DUPLICATE_LINE_ITEM",
        Some(&["input", "items", "0", "sku"]),
        &id,
    )
    .await;
    refused(&app, &c, "addLineItems", json!({"orderId": id, "items": [{"sku": "MUG-01", "quantity": 1}, {"sku": "MUG-01", "quantity": 2}]}),
        "DUPLICATE_LINE_ITEM", Some(&["input", "items", "1", "sku"]), &id).await;
}

#[tokio::test]
async fn last_line_item_cannot_be_removed() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let id = id_of(&app.checkout(&c, &[("T-SHIRT-L", 1)], true).await);
    refused(
        &app,
        &c,
        "removeLineItems",
        json!({"orderId": id, "skus": ["T-SHIRT-L"]}),
        "LAST_LINE_ITEM",
        Some(&["input", "skus"]),
        &id,
    )
    .await;
}

#[tokio::test]
async fn currency_mismatch_for_a_usd_product_on_an_sgd_order() {
    let app = spawn_app(Backend::Embedded).await;
    let usd = Money::parse("7.00", Currency::USD).unwrap();
    app.apply(
        TENANT,
        SnapshotWrite::Product(product("USD-CAP", usd, 10)),
        1,
    )
    .await;
    let c = app.customer_token();
    let id = id_of(&app.checkout(&c, &[("T-SHIRT-L", 1)], true).await);
    refused(
        &app,
        &c,
        "addLineItems",
        json!({"orderId": id, "items": [{"sku": "USD-CAP", "quantity": 1}]}),
        "CURRENCY_MISMATCH",
        Some(&["input", "items", "0", "sku"]),
        &id,
    )
    .await;
}

#[tokio::test]
async fn coupon_invalid_for_an_unknown_code_and_for_a_code_already_applied() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let id = id_of(&app.checkout(&c, &[("T-SHIRT-L", 1)], true).await);
    refused(
        &app,
        &c,
        "addCoupon",
        json!({"orderId": id, "code": "NOPE10"}),
        "COUPON_INVALID",
        Some(&["input", "code"]),
        &id,
    )
    .await;
    ok(app
        .mutate(&c, "addCoupon", json!({"orderId": id, "code": "WELCOME10"}))
        .await);
    refused(
        &app,
        &c,
        "addCoupon",
        json!({"orderId": id, "code": "welcome10"}),
        "COUPON_INVALID",
        Some(&["input", "code"]),
        &id,
    )
    .await;
}

#[tokio::test]
async fn coupon_expired_after_its_end_date() {
    let app = spawn_app(Backend::Embedded).await;
    app.apply(
        TENANT,
        coupon("OLD10", |c| {
            c.ends_at = Some(Utc::now() - Duration::days(1))
        }),
        1,
    )
    .await;
    let c = app.customer_token();
    let id = id_of(&app.checkout(&c, &[("T-SHIRT-L", 1)], true).await);
    refused(
        &app,
        &c,
        "addCoupon",
        json!({"orderId": id, "code": "OLD10"}),
        "COUPON_EXPIRED",
        Some(&["input", "code"]),
        &id,
    )
    .await;
}

#[tokio::test]
async fn coupon_usage_limit_reached_once_the_customer_used_it() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    // WELCOME10 allows one use per customer: the first placed order uses it.
    let first = id_of(&app.checkout(&c, &[("T-SHIRT-L", 1)], true).await);
    ok(app
        .mutate(
            &c,
            "addCoupon",
            json!({"orderId": first, "code": "WELCOME10"}),
        )
        .await);
    ok(app
        .mutate(
            &c,
            "selectShippingOption",
            json!({"orderId": first, "method": "STANDARD"}),
        )
        .await);
    ok(app
        .mutate(&c, "placeOrder", json!({"orderId": first}))
        .await);

    let second = id_of(&app.checkout(&c, &[("MUG-01", 1)], true).await);
    refused(
        &app,
        &c,
        "addCoupon",
        json!({"orderId": second, "code": "WELCOME10"}),
        "COUPON_USAGE_LIMIT_REACHED",
        Some(&["input", "code"]),
        &second,
    )
    .await;
    // Another customer still may.
    let other = app.token(TENANT, "c-other", &[Role::Customer], None);
    let theirs = id_of(&app.checkout(&other, &[("MUG-01", 1)], true).await);
    ok(app
        .mutate(
            &other,
            "addCoupon",
            json!({"orderId": theirs, "code": "WELCOME10"}),
        )
        .await);
}

#[tokio::test]
async fn coupon_minimum_not_met_below_the_coupon_minimum_subtotal() {
    let app = spawn_app(Backend::Embedded).await;
    app.apply(
        TENANT,
        coupon("BIG100", |c| {
            c.minimum_subtotal = Some("100".parse().unwrap())
        }),
        1,
    )
    .await;
    let c = app.customer_token();
    let id = id_of(&app.checkout(&c, &[("T-SHIRT-L", 1)], true).await);
    let message = refused(
        &app,
        &c,
        "addCoupon",
        json!({"orderId": id, "code": "BIG100"}),
        "COUPON_MINIMUM_NOT_MET",
        Some(&["input", "code"]),
        &id,
    )
    .await;
    assert!(
        message.contains("100.00") && message.contains("10.00"),
        "{message}"
    );
}

#[tokio::test]
async fn shipping_option_unavailable_for_a_method_the_vendor_does_not_offer() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let id = id_of(&app.checkout(&c, &[("T-SHIRT-L", 1)], true).await);
    refused(
        &app,
        &c,
        "selectShippingOption",
        json!({"orderId": id, "method": "SAME_DAY"}),
        "SHIPPING_OPTION_UNAVAILABLE",
        Some(&["input", "method"]),
        &id,
    )
    .await;
    // Standard is domestic only: not to the US.
    ok(app.mutate(&c, "changeDestination", json!({"orderId": id, "destination": {"street": "1 Main St", "city": "Austin", "state": "TX", "postal": "73301", "country": "US"}})).await);
    refused(
        &app,
        &c,
        "selectShippingOption",
        json!({"orderId": id, "method": "STANDARD"}),
        "SHIPPING_OPTION_UNAVAILABLE",
        Some(&["input", "method"]),
        &id,
    )
    .await;
}

#[tokio::test]
async fn shipping_not_selected_blocks_placement() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let id = id_of(&app.checkout(&c, &[("T-SHIRT-L", 1)], true).await);
    refused(
        &app,
        &c,
        "placeOrder",
        json!({"orderId": id}),
        "SHIPPING_NOT_SELECTED",
        None,
        &id,
    )
    .await;
}

#[tokio::test]
async fn destination_required_to_select_shipping_and_to_place() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let id = id_of(&app.checkout(&c, &[("T-SHIRT-L", 1)], false).await);
    refused(
        &app,
        &c,
        "selectShippingOption",
        json!({"orderId": id, "method": "STANDARD"}),
        "DESTINATION_REQUIRED",
        None,
        &id,
    )
    .await;
    refused(
        &app,
        &c,
        "placeOrder",
        json!({"orderId": id}),
        "DESTINATION_REQUIRED",
        None,
        &id,
    )
    .await;
    // listShippingOptions answers the same code in its payload.
    let data = app
        .gql_data(&c, "query($id: ID!) { listShippingOptions(orderId: $id) { options { method } userErrors { code field } } }", json!({"id": id}))
        .await;
    assert_eq!(data["listShippingOptions"]["options"], json!([]));
    assert_eq!(
        data["listShippingOptions"]["userErrors"][0]["code"],
        "DESTINATION_REQUIRED"
    );
}

#[tokio::test]
async fn payment_not_verified_without_a_recorded_payment_or_for_another_orders_payment() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let id = id_of(&app.pending_order(&c, &[("T-SHIRT-L", 1)]).await);
    refused(
        &app,
        &c,
        "confirmOrder",
        json!({"orderId": id, "paymentMethod": "STRIPE", "transactionId": "pi_unknown"}),
        "PAYMENT_NOT_VERIFIED",
        Some(&["input", "transactionId"]),
        &id,
    )
    .await;
    // A payment recorded for another order does not verify this one.
    let other = id_of(&app.pending_order(&c, &[("MUG-01", 1)]).await);
    pay(&app, "evt-other", &other, "pi_other", "100.00").await;
    refused(
        &app,
        &c,
        "confirmOrder",
        json!({"orderId": id, "paymentMethod": "STRIPE", "transactionId": "pi_other"}),
        "PAYMENT_NOT_VERIFIED",
        Some(&["input", "transactionId"]),
        &id,
    )
    .await;
}

#[tokio::test]
async fn payment_insufficient_when_the_recorded_payment_is_below_the_total() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let order = app.pending_order(&c, &[("T-SHIRT-L", 1)]).await;
    let id = id_of(&order);
    // 10.00 + STANDARD (5.00 + 1.50) + GST 9 % of 16.50 (1.485 → 1.49) = 17.99
    assert_eq!(order["total"]["amount"], "17.99");
    pay(&app, "evt-short", &id, "pi_short", "17.98").await;
    refused(
        &app,
        &c,
        "confirmOrder",
        json!({"orderId": id, "paymentMethod": "STRIPE", "transactionId": "pi_short"}),
        "PAYMENT_INSUFFICIENT",
        Some(&["input", "transactionId"]),
        &id,
    )
    .await;
}

#[tokio::test]
async fn payment_already_used_when_one_transaction_confirms_a_second_order() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let first = app.pending_order(&c, &[("T-SHIRT-L", 1)]).await;
    let first_id = id_of(&first);
    pay(&app, "evt-first", &first_id, "pi_once", "17.99").await;
    ok(app
        .mutate(
            &c,
            "confirmOrder",
            json!({"orderId": first_id, "paymentMethod": "STRIPE", "transactionId": "pi_once"}),
        )
        .await);
    let second = id_of(&app.pending_order(&c, &[("MUG-01", 1)]).await);
    refused(
        &app,
        &c,
        "confirmOrder",
        json!({"orderId": second, "paymentMethod": "STRIPE", "transactionId": "pi_once"}),
        "PAYMENT_ALREADY_USED",
        Some(&["input", "transactionId"]),
        &second,
    )
    .await;
}

#[tokio::test]
async fn cancellation_reason_required_for_a_blank_reason() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let id = id_of(&app.pending_order(&c, &[("T-SHIRT-L", 1)]).await);
    refused(
        &app,
        &c,
        "cancelOrder",
        json!({"orderId": id, "reason": "   "}),
        "CANCELLATION_REASON_REQUIRED",
        Some(&["input", "reason"]),
        &id,
    )
    .await;
    // With a reason it goes through.
    let cancelled = ok(app
        .mutate(
            &c,
            "cancelOrder",
            json!({"orderId": id, "reason": "Found it cheaper"}),
        )
        .await);
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(cancelled["cancellationReason"], "Found it cheaper");
}

#[tokio::test]
async fn invalid_tracking_reference_for_a_value_that_is_not_an_http_url() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let v = app.vendor_token();
    let id = id_of(&app.confirmed_order(&c, &[("T-SHIRT-L", 1)]).await);
    ok(app
        .mutate(&v, "markAsShipped", json!({"orderId": id}))
        .await);
    for bad in [
        "not a url",
        "ftp://track.example.com/1",
        "javascript:alert(1)",
    ] {
        refused(
            &app,
            &v,
            "addShippingTrackingReference",
            json!({"orderId": id, "trackingReference": bad}),
            "INVALID_TRACKING_REFERENCE",
            Some(&["input", "trackingReference"]),
            &id,
        )
        .await;
    }
}

#[tokio::test]
async fn version_conflict_for_a_stale_expected_version() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let id = id_of(&app.checkout(&c, &[("T-SHIRT-L", 1)], true).await);
    ok(app.mutate(&c, "addLineItems", json!({"orderId": id, "items": [{"sku": "MUG-01", "quantity": 1}], "expectedVersion": 1})).await);
    let message = refused(
        &app,
        &c,
        "changeOrderQuantity",
        json!({"orderId": id, "sku": "MUG-01", "quantity": 3, "expectedVersion": 1}),
        "VERSION_CONFLICT",
        Some(&["input", "expectedVersion"]),
        &id,
    )
    .await;
    assert!(
        message.contains('2'),
        "the message should name the current version: {message}"
    );
}

#[tokio::test]
async fn idempotency_key_reused_with_a_different_checkout_input() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let first = ok(app
        .mutate(&c, "checkoutItems", json!({"vendorId": VENDOR, "items": [{"sku": "T-SHIRT-L", "quantity": 1}], "idempotencyKey": "cart-1"}))
        .await);
    let id = id_of(&first);
    refused(&app, &c, "checkoutItems", json!({"vendorId": VENDOR, "items": [{"sku": "MUG-01", "quantity": 1}], "idempotencyKey": "cart-1"}),
        "IDEMPOTENCY_KEY_REUSED", Some(&["input", "idempotencyKey"]), &id).await;
    assert_eq!(app.list_orders(&c, "CUSTOMER", None).await.len(), 1);
}

#[tokio::test]
async fn try_again_when_the_transaction_still_conflicts_after_the_retries() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let order = app.checkout(&c, &[("MUG-01", 1)], true).await;
    let id = id_of(&order);
    ok(app
        .mutate(
            &c,
            "selectShippingOption",
            json!({"orderId": id, "method": "STANDARD"}),
        )
        .await);
    app.items.contend_next_transactions(1);
    let message = refused(
        &app,
        &c,
        "placeOrder",
        json!({"orderId": id}),
        "TRY_AGAIN",
        None,
        &id,
    )
    .await;
    assert!(message.contains("conflict"), "{message}");
    // Nothing changed: the same request now goes through.
    let placed = ok(app.mutate(&c, "placeOrder", json!({"orderId": id})).await);
    assert_eq!(placed["status"], "PENDING");
}

/// Guard: every `UserErrorCode` of the served schema (equal to the committed
/// shared/graphql/schema.graphql, checked in oms-graphql) has a scenario in this file.
#[test]
fn every_user_error_code_of_the_schema_has_a_scenario_here() {
    let sdl = oms_graphql::schema_sdl();
    let start = sdl
        .find("enum UserErrorCode")
        .expect("the schema has enum UserErrorCode");
    let body = &sdl[start..];
    let body = &body[body.find('{').unwrap() + 1..body.find('}').unwrap()];
    let codes: Vec<&str> = body.split_whitespace().collect();
    assert!(codes.len() >= 23, "unexpectedly few codes: {codes:?}");
    let source = include_str!("user_errors.rs");
    for code in codes {
        let test_name = format!("fn {}_", code.to_lowercase());
        assert!(
            source.contains(&test_name),
            "no scenario for {code} (a test named `{test_name}...`)"
        );
        assert!(
            source.contains(&format!("\"{code}\"")),
            "no assertion on {code}"
        );
    }
}
