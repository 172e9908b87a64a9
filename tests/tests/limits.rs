//! The limits that keep every command within DynamoDB's (100 items per transaction, 400 KB per
//! item; docs/data-model.md "Limits"), reached through the HTTP API (embedded store): one
//! scenario per kind of limit. A command past a limit answers INVALID_INPUT with the input's
//! field and a message naming the limit, and writes nothing; a snapshot past one is refused at
//! the webhook (400 naming the field), or by the updater when it depends on what is stored.

use std::collections::BTreeMap;
use std::time::Duration;

use oms_application::ports::{CatalogRequest, SnapshotWrite};
use oms_domain::catalog::{GiftProduct, Offer, OfferConditions, OfferKind};
use oms_domain::ids::{OfferId, Sku, VendorId};
use oms_domain::limits::{
    MAX_GIFT_LINES, MAX_LINE_ITEMS, MAX_NAME_CHARS, MAX_OFFERS_PER_VENDOR, MAX_OPTIONS_PER_PRODUCT,
    MAX_OPTION_NAME_CHARS, MAX_OPTION_VALUE_CHARS,
};
use oms_e2e::*;
use serde_json::{json, Value};

/// Runs `mutation(input)` and asserts it fails with INVALID_INPUT at `field`, writes nothing and
/// leaves `order_id` (when given) exactly as it was; returns the message.
async fn refused(
    app: &TestApp,
    token: &str,
    mutation: &str,
    input: Value,
    field: &[&str],
    order_id: Option<&str>,
) -> String {
    let before = match order_id {
        Some(id) => Some(app.get_order(token, id).await),
        None => None,
    };
    let writes = app.writes();
    let payload = app.mutate(token, mutation, input).await;
    let message = user_error(&payload, "INVALID_INPUT", Some(field));
    assert_eq!(app.writes(), writes, "{mutation} refused but wrote");
    if let (Some(id), Some(before)) = (order_id, before) {
        assert_eq!(
            app.get_order(token, id).await,
            before,
            "{mutation} changed the order"
        );
    }
    message
}

fn vendor() -> VendorId {
    VendorId::new(VENDOR).unwrap_or_else(|e| panic!("{e}"))
}

/// `n` products `{prefix}000…` of `v-demo` in stock.
async fn seed_products(app: &TestApp, prefix: &str, n: usize) -> Vec<String> {
    let mut skus = Vec::with_capacity(n);
    for i in 0..n {
        let sku = format!("{prefix}{i:03}");
        app.apply(
            TENANT,
            SnapshotWrite::Product(product(&sku, sgd("1.00"), 1000)),
            1,
        )
        .await;
        skus.push(sku);
    }
    skus
}

fn items(skus: &[String]) -> Value {
    json!(skus
        .iter()
        .map(|s| json!({"sku": s, "quantity": 1}))
        .collect::<Vec<_>>())
}

#[tokio::test]
async fn line_items_past_fifty_per_order_are_refused_naming_the_limit() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let skus = seed_products(&app, "L", MAX_LINE_ITEMS + 1).await;

    // checkoutItems with 51 lines.
    let message = refused(
        &app,
        &c,
        "checkoutItems",
        json!({"vendorId": VENDOR, "items": items(&skus), "destination": singapore()}),
        &["input", "items"],
        None,
    )
    .await;
    assert_eq!(
        message,
        "An order can hold at most 50 line items; 51 were given."
    );

    // addLineItems taking an order of one line to 51.
    let order = app.checkout(&c, &[(skus[0].as_str(), 1)], true).await;
    let id = id_of(&order);
    let message = refused(
        &app,
        &c,
        "addLineItems",
        json!({"orderId": id, "items": items(&skus[1..])}),
        &["input", "items"],
        Some(&id),
    )
    .await;
    assert_eq!(message, "An order can hold at most 50 line items.");
}

#[tokio::test]
async fn an_order_past_its_stored_size_is_refused_naming_the_limit() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    // Products within every per-field limit, in four-byte characters: 50 of them on one order
    // would take it past 256 KB.
    let text = |n: usize| "𝄞".repeat(n);
    let mut skus = Vec::new();
    for i in 0..MAX_LINE_ITEMS {
        let sku = format!("HEAVY{i:02}");
        let mut p = product(&sku, sgd("1.00"), 1000);
        p.name = text(MAX_NAME_CHARS);
        p.options = (0..MAX_OPTIONS_PER_PRODUCT)
            .map(|o| {
                (
                    format!("{o:02}{}", text(MAX_OPTION_NAME_CHARS - 2)),
                    text(MAX_OPTION_VALUE_CHARS),
                )
            })
            .collect::<BTreeMap<_, _>>();
        app.apply(TENANT, SnapshotWrite::Product(p), 1).await;
        skus.push(sku);
    }
    let message = refused(
        &app,
        &c,
        "checkoutItems",
        json!({"vendorId": VENDOR, "items": items(&skus), "destination": singapore()}),
        &["input", "items"],
        None,
    )
    .await;
    assert!(
        message.starts_with("An order can hold at most 256 KB"),
        "{message}"
    );

    // A smaller order of them is fine; adding the rest is refused the same way, at `items`.
    let order = app
        .mutate(
            &c,
            "checkoutItems",
            json!({"vendorId": VENDOR, "items": items(&skus[..10]), "destination": singapore()}),
        )
        .await;
    let id = id_of(&ok(order));
    let message = refused(
        &app,
        &c,
        "addLineItems",
        json!({"orderId": id, "items": items(&skus[10..])}),
        &["input", "items"],
        Some(&id),
    )
    .await;
    assert!(message.contains("256 KB"), "{message}");
}

#[tokio::test]
async fn free_text_past_its_limit_is_refused_naming_the_limit() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let message = refused(
        &app,
        &c,
        "checkoutItems",
        json!({
            "vendorId": VENDOR,
            "items": [{"sku": "T-SHIRT-L", "quantity": 1}],
            "customer": {"firstName": "n".repeat(101)},
        }),
        &["input", "customer", "firstName"],
        None,
    )
    .await;
    assert_eq!(
        message,
        "Customer first name must be at most 100 characters."
    );

    let id = id_of(&app.checkout(&c, &[("T-SHIRT-L", 1)], true).await);
    let mut street = singapore();
    street["street"] = json!("s".repeat(201));
    let message = refused(
        &app,
        &c,
        "changeDestination",
        json!({"orderId": id, "destination": street}),
        &["input", "destination", "street"],
        Some(&id),
    )
    .await;
    assert_eq!(message, "Address street must be at most 200 characters.");

    let placed = app.pending_order(&c, &[("T-SHIRT-L", 1)]).await;
    let placed_id = id_of(&placed);
    let message = refused(
        &app,
        &c,
        "cancelOrder",
        json!({"orderId": placed_id, "reason": "r".repeat(1001)}),
        &["input", "reason"],
        Some(&placed_id),
    )
    .await;
    assert!(message.contains("at most 1000 characters"), "{message}");

    // syncUser: its own payload.
    let writes = app.writes();
    let data = app
        .gql_data(
            &c,
            "mutation($input: SyncUserInput!) { syncUser(input: $input) { user { sub } userErrors { code field message } } }",
            json!({"input": {"lastName": "n".repeat(101)}}),
        )
        .await;
    let payload = &data["syncUser"];
    assert!(payload["user"].is_null(), "{payload}");
    assert_eq!(
        payload["userErrors"][0]["code"], "INVALID_INPUT",
        "{payload}"
    );
    assert_eq!(
        payload["userErrors"][0]["field"],
        json!(["input", "lastName"]),
        "{payload}"
    );
    assert_eq!(
        payload["userErrors"][0]["message"],
        "Customer last name must be at most 100 characters."
    );
    assert_eq!(app.writes(), writes);
}

fn gift_offer(id: &str, priority: i32, skus: &[String]) -> SnapshotWrite {
    SnapshotWrite::Offer(Offer {
        offer_id: OfferId::new(id).unwrap_or_else(|e| panic!("{e}")),
        vendor_id: vendor(),
        name: format!("Gifts {id}"),
        kind: OfferKind::FreeGift,
        discount_value: Default::default(),
        conditions: OfferConditions {
            gift_products: skus
                .iter()
                .map(|s| GiftProduct {
                    sku: Sku::new(s).unwrap_or_else(|e| panic!("{e}")),
                    quantity: 1,
                    name: None,
                })
                .collect(),
            ..OfferConditions::default()
        },
        required_coupon: false,
        stackable: true,
        priority,
        starts_at: None,
        ends_at: None,
        is_active: true,
    })
}

#[tokio::test]
async fn free_gift_offers_give_at_most_twenty_gift_lines_and_the_order_places() {
    let app = spawn_app(Backend::Embedded).await;
    let c = app.customer_token();
    let gifts = seed_products(&app, "GIFT", 30).await;
    for (i, chunk) in gifts.chunks(10).enumerate() {
        let priority = 100 - i32::try_from(i).unwrap_or_default();
        app.apply(
            TENANT,
            gift_offer(&format!("o-gifts{i}"), priority, chunk),
            1,
        )
        .await;
    }
    let order = app.pending_order(&c, &[("T-SHIRT-L", 1)]).await;
    let lines = order["lineItems"].as_array().cloned().unwrap_or_default();
    let gift_lines = lines.iter().filter(|l| l["isFreeGift"] == true).count();
    assert_eq!(gift_lines, MAX_GIFT_LINES, "{order}");
    let applied: Vec<&str> = order["appliedOffers"]
        .as_array()
        .map(|a| a.iter().filter_map(|o| o["offerId"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        applied.contains(&"o-gifts0") && applied.contains(&"o-gifts1"),
        "{applied:?}"
    );
    assert!(
        !applied.contains(&"o-gifts2"),
        "the third offer's gifts do not fit: {applied:?}"
    );
    assert_eq!(order["status"], "PENDING");
}

#[tokio::test]
async fn snapshots_past_their_limits_are_refused_at_the_webhook_naming_the_limit() {
    let app = spawn_app(Backend::Embedded).await;
    let writes = app.writes();

    let mut data = product_data("p-opts", "OPTS", "10.00", 5);
    data["options"] = json!((0..=MAX_OPTIONS_PER_PRODUCT)
        .map(|i| (format!("o{i}"), json!("v")))
        .collect::<serde_json::Map<_, _>>());
    let body = event("evt-opts", "vendor_product.upserted", TENANT, 1, data);
    let reply = app
        .post_webhook(TENANT, "vendor-products", &body, WEBHOOK_SECRET)
        .await;
    assert_eq!(reply.status, 400, "{:?}", reply.body);
    assert_eq!(reply.body["error"]["code"], "INVALID_PAYLOAD");
    assert_eq!(reply.body["error"]["field"], "data.options");
    assert_eq!(
        reply.body["error"]["message"],
        "options: A product can have at most 10 options; this one has 11."
    );

    let gifts: Vec<Value> = (0..11)
        .map(|i| json!({"sku": format!("G{i}"), "quantity": 1}))
        .collect();
    let data = json!({
        "offer_id": "o-many-gifts", "vendor_id": VENDOR, "name": "Many gifts",
        "offer_type": "free_gift", "conditions": {"gift_products": gifts}, "is_active": true
    });
    let body = event("evt-gifts", "vendor_offer.upserted", TENANT, 1, data);
    let reply = app
        .post_webhook(TENANT, "vendor-offers", &body, WEBHOOK_SECRET)
        .await;
    assert_eq!(reply.status, 400, "{:?}", reply.body);
    assert_eq!(
        reply.body["error"]["field"],
        "data.conditions.gift_products"
    );
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("at most 10 gift products")),
        "{:?}",
        reply.body
    );
    assert_eq!(app.writes(), writes, "a refused snapshot wrote");
}

#[tokio::test]
async fn a_vendors_101st_offer_is_rejected_by_the_updater_naming_the_limit() {
    let app = spawn_app(Backend::Embedded).await;
    let t = tenant(TENANT);
    let catalog = CatalogRequest {
        vendor_id: Some(vendor()),
        ..CatalogRequest::default()
    };
    let offers = |view: oms_application::ports::CatalogView| view.offers.len();
    let seeded = offers(
        app.store
            .load_catalog(&t, &catalog)
            .await
            .unwrap_or_default(),
    );
    for i in seeded..MAX_OFFERS_PER_VENDOR {
        app.apply(TENANT, gift_offer(&format!("o-filler{i:03}"), 1, &[]), 1)
            .await;
    }
    assert_eq!(
        offers(
            app.store
                .load_catalog(&t, &catalog)
                .await
                .unwrap_or_default()
        ),
        MAX_OFFERS_PER_VENDOR
    );

    let data = json!({
        "offer_id": "o-one-too-many", "vendor_id": VENDOR, "name": "Half off",
        "offer_type": "percentage_discount", "discount_value": "50", "is_active": true,
        "stackable": true
    });
    let body = event("evt-101", "vendor_offer.upserted", TENANT, 1, data);
    let reply = app
        .post_webhook(TENANT, "vendor-offers", &body, WEBHOOK_SECRET)
        .await;
    assert_eq!(reply.status, 202, "{:?}", reply.body);
    tokio::time::timeout(Duration::from_secs(10), app.queue.wait_idle())
        .await
        .unwrap_or_else(|_| panic!("the sync queue did not become idle"));
    let dead = app.queue.dead_letters();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert!(
        dead[0]
            .error
            .contains("A vendor can have at most 100 offers"),
        "{}",
        dead[0].error
    );
    let view = app
        .store
        .load_catalog(&t, &catalog)
        .await
        .unwrap_or_default();
    assert_eq!(view.offers.len(), MAX_OFFERS_PER_VENDOR);
    assert!(!view
        .offers
        .iter()
        .any(|o| o.offer_id.as_str() == "o-one-too-many"));
}
