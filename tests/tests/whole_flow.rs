//! The customer's and the vendor's whole journey over HTTP, on the embedded store and on
//! DynamoDB (moto): exact money strings, versions, statuses and round trips at every step.
//!
//! Prices (demo tenant, SG destination, GST 9 %):
//! - 2 × T-SHIRT-L 10.00 = 20.00 → GST 1.80 → 21.80
//! - + MUG-01 12.50 = 32.50 → GST 2.925 → 2.93 → 35.43
//! - + WELCOME10: 10 % of 32.50 = 3.25 → GST (29.25) 2.6325 → 2.63 → 31.88
//! - weight 2 × 1.0 + 0.5 = 2.5 kg: STANDARD 5.00 + 1.50 × 2.5 = 8.75, EXPRESS 12.00 + 2.00 × 2.5 = 17.00
//! - STANDARD: GST (29.25 + 8.75 = 38.00) 3.42 → total 29.25 + 8.75 + 3.42 = 41.42

use oms_domain::auth::Role;
use oms_e2e::*;
use serde_json::{json, Value};

#[tokio::test]
async fn a_customer_and_a_vendor_walk_an_order_from_cart_to_completed_on_the_embedded_store() {
    whole_flow(Backend::Embedded).await;
}

#[tokio::test]
async fn a_customer_and_a_vendor_walk_an_order_from_cart_to_completed_on_dynamodb() {
    whole_flow(Backend::Dynamo).await;
}

#[tokio::test]
async fn a_payment_recorded_by_a_signed_webhook_confirms_a_stripe_order_on_the_embedded_store() {
    paid_by_webhook(Backend::Embedded).await;
}

#[tokio::test]
async fn a_payment_recorded_by_a_signed_webhook_confirms_a_stripe_order_on_dynamodb() {
    paid_by_webhook(Backend::Dynamo).await;
}

fn amount(v: &Value) -> &str {
    v["amount"]
        .as_str()
        .unwrap_or_else(|| panic!("no amount string in {v}"))
}

/// Round trips of one request.
async fn counted<F: std::future::Future<Output = T>, T>(app: &TestApp, f: F) -> (T, u64) {
    let before = app.round_trips();
    let out = f.await;
    (out, app.round_trips() - before)
}

async fn whole_flow(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = app.customer_token();
    let vendor = app.vendor_token();

    // 1. checkoutItems: a DRAFT at version 1, priced at once (GST on the goods).
    let input = json!({
        "vendorId": VENDOR,
        "items": [{"sku": "T-SHIRT-L", "quantity": 2}],
        "destination": singapore(),
    });
    let (payload, trips) = counted(&app, app.mutate(&customer, "checkoutItems", input)).await;
    let order = ok(payload);
    assert_eq!(trips, 2, "checkoutItems: one catalog read and one commit");
    let id = id_of(&order);
    assert!(id.starts_with("ORD-"), "order id {id}");
    assert_eq!(order["version"], 1);
    assert_eq!(order["status"], "DRAFT");
    assert_eq!(order["currency"], "SGD");
    assert_eq!(order["customer"]["customerId"], CUSTOMER);
    assert_eq!(
        order["vendor"],
        json!({"vendorId": VENDOR, "name": "Demo Vendor", "country": "SG"})
    );
    assert_eq!(order["lineItems"].as_array().map(Vec::len), Some(1));
    let line = &order["lineItems"][0];
    assert_eq!(line["sku"], "T-SHIRT-L");
    assert_eq!(line["quantity"], 2);
    assert_eq!(
        line["unitPrice"],
        json!({"amount": "10.00", "currency": "SGD"})
    );
    assert_eq!(amount(&line["lineTotal"]), "20.00");
    assert_eq!(line["isFreeGift"], false);
    assert_eq!(
        order["destination"],
        json!({"street": "1 Raffles Place", "city": "Singapore", "postal": "048616", "country": "SG"})
    );
    assert_eq!(
        order["subtotal"],
        json!({"amount": "20.00", "currency": "SGD"})
    );
    assert_eq!(amount(&order["discountTotal"]), "0.00");
    assert_eq!(amount(&order["shippingCost"]), "0.00");
    assert_eq!(
        order["taxLines"],
        json!([{"name": "GST", "rate": "9", "amount": {"amount": "1.80"}}])
    );
    assert_eq!(
        order["total"],
        json!({"amount": "21.80", "currency": "SGD"})
    );
    assert!(order["shipping"].is_null() && order["payment"].is_null());

    // 2. addLineItems.
    let input = json!({"orderId": id, "items": [{"sku": "MUG-01", "quantity": 1}]});
    let (payload, trips) = counted(&app, app.mutate(&customer, "addLineItems", input)).await;
    let order = ok(payload);
    assert_eq!(
        trips, 3,
        "addLineItems: order read, catalog read, one commit"
    );
    assert_eq!(order["version"], 2);
    assert_eq!(amount(&order["subtotal"]), "32.50");
    assert_eq!(amount(&order["taxTotal"]), "2.93");
    assert_eq!(amount(&order["total"]), "35.43");
    let skus: Vec<&str> = order["lineItems"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["sku"].as_str())
        .collect();
    assert_eq!(skus, ["T-SHIRT-L", "MUG-01"]);

    // 3. addCoupon (lower case, as in the README).
    let order = ok(app
        .mutate(
            &customer,
            "addCoupon",
            json!({"orderId": id, "code": "welcome10"}),
        )
        .await);
    assert_eq!(order["version"], 3);
    assert_eq!(
        order["coupons"],
        json!([{"code": "WELCOME10", "offerId": "o-welcome10"}])
    );
    assert_eq!(
        order["appliedOffers"],
        json!([{"offerId": "o-welcome10", "name": "Welcome 10% off", "kind": "coupon_discount", "discount": {"amount": "3.25"}}])
    );
    assert_eq!(amount(&order["discountTotal"]), "3.25");
    assert_eq!(amount(&order["taxTotal"]), "2.63");
    assert_eq!(amount(&order["total"]), "31.88");

    // 4. listShippingOptions: reads only.
    let writes = app.writes();
    let query = "query($id: ID!) { listShippingOptions(orderId: $id) { options { method name deliveryTime cost { amount currency } } userErrors { code field message } } }";
    let (data, trips) = counted(&app, app.gql_data(&customer, query, json!({"id": id}))).await;
    assert_eq!(trips, 2, "listShippingOptions: order read and catalog read");
    assert_eq!(
        data["listShippingOptions"],
        json!({
            "options": [
                {"method": "STANDARD", "name": "Standard", "deliveryTime": "2-3 Days", "cost": {"amount": "8.75", "currency": "SGD"}},
                {"method": "EXPRESS", "name": "Express", "deliveryTime": "Next day", "cost": {"amount": "17.00", "currency": "SGD"}},
            ],
            "userErrors": [],
        })
    );
    assert_eq!(
        app.writes(),
        writes,
        "listing shipping options wrote something"
    );
    assert_eq!(version_of(&app.get_order(&customer, &id).await), 3);

    // 5. selectShippingOption: shipping is taxed (GST on 38.00).
    let order = ok(app
        .mutate(
            &customer,
            "selectShippingOption",
            json!({"orderId": id, "method": "STANDARD"}),
        )
        .await);
    assert_eq!(order["version"], 4);
    assert_eq!(
        order["shipping"],
        json!({"method": "STANDARD", "name": "Standard", "deliveryTime": "2-3 Days", "cost": {"amount": "8.75"}})
    );
    assert_eq!(amount(&order["shippingCost"]), "8.75");
    assert_eq!(
        order["taxLines"],
        json!([{"name": "GST", "rate": "9", "amount": {"amount": "3.42"}}])
    );
    assert_eq!(amount(&order["subtotal"]), "32.50");
    assert_eq!(amount(&order["discountTotal"]), "3.25");
    assert_eq!(
        order["total"],
        json!({"amount": "41.42", "currency": "SGD"})
    );

    // 6. placeOrder with an idempotency key; a replay answers the same order and writes nothing.
    let place = json!({"orderId": id, "idempotencyKey": "place-1"});
    let (payload, trips) = counted(&app, app.mutate(&customer, "placeOrder", place.clone())).await;
    let order = ok(payload);
    assert_eq!(trips, 3, "placeOrder: order read, catalog read, one commit");
    assert_eq!(order["status"], "PENDING");
    assert_eq!(order["version"], 5);
    assert_eq!(amount(&order["total"]), "41.42");
    let writes = app.writes();
    let replay = ok(app.mutate(&customer, "placeOrder", place).await);
    assert_eq!(
        (
            replay["id"].clone(),
            replay["version"].clone(),
            replay["status"].clone()
        ),
        (json!(id), json!(5), json!("PENDING"))
    );
    assert_eq!(app.writes(), writes, "an idempotent replay wrote something");

    // Stock was reserved: 100 - 2 = 98 T-SHIRT-L left (another customer probes it; nothing written).
    let probe = app.token(TENANT, "c-probe", &[Role::Customer], None);
    let refused = app
        .mutate(
            &probe,
            "checkoutItems",
            json!({"vendorId": VENDOR, "items": [{"sku": "T-SHIRT-L", "quantity": 99}]}),
        )
        .await;
    let message = user_error(
        &refused,
        "OUT_OF_STOCK",
        Some(&["input", "items", "0", "quantity"]),
    );
    assert!(
        message.contains("98"),
        "stock after placement should be 98: {message}"
    );
    assert_eq!(app.writes(), writes, "a refused checkout wrote something");

    // 7. confirmOrder with cash on delivery.
    let (payload, trips) = counted(
        &app,
        app.mutate(
            &customer,
            "confirmOrder",
            json!({"orderId": id, "paymentMethod": "CASH_ON_DELIVERY"}),
        ),
    )
    .await;
    let order = ok(payload);
    assert_eq!(trips, 2, "confirmOrder (COD): order read and one commit");
    assert_eq!(order["status"], "CONFIRMED");
    assert_eq!(order["version"], 6);
    assert_eq!(
        order["payment"],
        json!({"method": "CASH_ON_DELIVERY", "transactionId": null, "paidAmount": {"amount": "0.00", "currency": "SGD"}, "status": "UNPAID"})
    );

    // 8. The vendor's incoming confirmed orders: exactly this one.
    let (incoming, trips) =
        counted(&app, app.list_orders(&vendor, "VENDOR", Some("CONFIRMED"))).await;
    assert_eq!(
        trips, 3,
        "listOrders: authorization read, one query of the index's keys, one batch of bodies"
    );
    assert_eq!(incoming.len(), 1, "vendor's confirmed orders: {incoming:?}");
    assert_eq!(incoming[0]["id"], json!(id));
    assert_eq!(amount(&incoming[0]["total"]), "41.42");
    assert!(app
        .list_orders(&vendor, "VENDOR", Some("DRAFT"))
        .await
        .is_empty());

    // 9. markAsShipped.
    let (payload, trips) = counted(
        &app,
        app.mutate(&vendor, "markAsShipped", json!({"orderId": id})),
    )
    .await;
    let order = ok(payload);
    assert_eq!(trips, 2, "markAsShipped: order read and one commit");
    assert_eq!(
        (order["status"].clone(), order["version"].clone()),
        (json!("SHIPPED"), json!(7))
    );

    // 10. addShippingTrackingReference.
    let order = ok(app
        .mutate(
            &vendor,
            "addShippingTrackingReference",
            json!({"orderId": id, "trackingReference": "https://track.example.com/X1"}),
        )
        .await);
    assert_eq!(order["version"], 8);
    assert_eq!(order["trackingReference"], "https://track.example.com/X1");

    // 11. markAsCompleted: the cash collected on delivery is recorded as paid.
    let order = ok(app
        .mutate(&vendor, "markAsCompleted", json!({"orderId": id}))
        .await);
    assert_eq!(order["status"], "COMPLETED");
    assert_eq!(order["version"], 9);
    assert_eq!(
        order["payment"],
        json!({"method": "CASH_ON_DELIVERY", "transactionId": null, "paidAmount": {"amount": "41.42", "currency": "SGD"}, "status": "PAID"})
    );

    // 12. The customer's history: this one order, completed; getOrder agrees for both sides.
    let history = app.list_orders(&customer, "CUSTOMER", None).await;
    assert_eq!(history.len(), 1, "customer's orders: {history:?}");
    assert_eq!(history[0]["id"], json!(id));
    assert_eq!(history[0]["status"], "COMPLETED");
    assert_eq!(amount(&history[0]["total"]), "41.42");
    let (seen, trips) = counted(&app, app.get_order(&customer, &id)).await;
    assert_eq!(trips, 1, "getOrder: one read");
    assert_eq!(seen, history[0]);
    assert_eq!(app.get_order(&vendor, &id).await, seen);

    // Nothing else was written along the way for another tenant: its customer sees no orders.
    let other = app.token(OTHER_TENANT, CUSTOMER, &[Role::Customer], None);
    assert!(app.list_orders(&other, "CUSTOMER", None).await.is_empty());
}

/// 1 × CAP-01 18.90 with STANDARD (0.2 kg: 5.00 + 0.30 = 5.30): GST (24.20) 2.178 → 2.18,
/// total 26.38.
async fn paid_by_webhook(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = app.customer_token();
    let vendor = app.vendor_token();
    let order = app.pending_order(&customer, &[("CAP-01", 1)]).await;
    let id = id_of(&order);
    assert_eq!(order["status"], "PENDING");
    assert_eq!(order["version"], 3);
    assert_eq!(amount(&order["shippingCost"]), "5.30");
    assert_eq!(amount(&order["taxTotal"]), "2.18");
    assert_eq!(amount(&order["total"]), "26.38");

    // Before the provider's event, STRIPE cannot be confirmed (no provider configured either).
    let writes = app.writes();
    let early = app
        .mutate(
            &customer,
            "confirmOrder",
            json!({"orderId": id, "paymentMethod": "STRIPE", "transactionId": "pi_e2e_1"}),
        )
        .await;
    user_error(
        &early,
        "PAYMENT_NOT_VERIFIED",
        Some(&["input", "transactionId"]),
    );
    assert_eq!(app.writes(), writes);
    assert_eq!(version_of(&app.get_order(&customer, &id).await), 3);

    // The provider's signed event records the payment.
    let body = event(
        "evt_pay_e2e_1",
        "payment.succeeded",
        TENANT,
        1,
        json!({"order_id": id, "transaction_id": "pi_e2e_1", "method": "STRIPE", "amount": "26.38", "currency": "SGD"}),
    );
    let reply = app
        .post_webhook(TENANT, "payments", &body, WEBHOOK_SECRET)
        .await;
    assert_eq!(reply.status, 202, "payments webhook: {:?}", reply.body);
    assert_eq!(
        reply.body,
        json!({"accepted": true, "event_id": "evt_pay_e2e_1"})
    );
    app.wait_idle().await;

    let order = ok(app
        .mutate(
            &customer,
            "confirmOrder",
            json!({"orderId": id, "paymentMethod": "STRIPE", "transactionId": "pi_e2e_1"}),
        )
        .await);
    assert_eq!(order["status"], "CONFIRMED");
    assert_eq!(order["version"], 4);
    assert_eq!(
        order["payment"],
        json!({"method": "STRIPE", "transactionId": "pi_e2e_1", "paidAmount": {"amount": "26.38", "currency": "SGD"}, "status": "PAID"})
    );

    // Confirming again with the same payment is idempotent (no new version, nothing written).
    let writes = app.writes();
    let again = ok(app
        .mutate(
            &customer,
            "confirmOrder",
            json!({"orderId": id, "paymentMethod": "STRIPE", "transactionId": "pi_e2e_1"}),
        )
        .await);
    assert_eq!(again["version"], 4);
    assert_eq!(app.writes(), writes);

    ok(app
        .mutate(&vendor, "markAsShipped", json!({"orderId": id}))
        .await);
    let done = ok(app
        .mutate(&vendor, "markAsCompleted", json!({"orderId": id}))
        .await);
    assert_eq!(done["status"], "COMPLETED");
    assert_eq!(done["version"], 6);
    assert_eq!(done["payment"]["status"], "PAID");
    assert_eq!(amount(&done["payment"]["paidAmount"]), "26.38");
}
