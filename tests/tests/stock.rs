//! Stock that sync cannot erase, over HTTP (signed product webhooks through the queue, GraphQL
//! mutations), on the embedded store and on DynamoDB (moto): a product snapshot's `stock` is the
//! warehouse's on-hand count, and the units that placed orders hold stay held whatever the
//! catalog re-sends (docs/data-model.md "Stock").

use oms_domain::auth::Role;
use oms_e2e::*;
use serde_json::json;

#[tokio::test]
async fn a_product_snapshot_arriving_after_orders_were_placed_never_frees_their_units_on_the_embedded_store(
) {
    story(Backend::Embedded).await;
}

#[tokio::test]
async fn a_product_snapshot_arriving_after_orders_were_placed_never_frees_their_units_on_dynamodb()
{
    story(Backend::Dynamo).await;
}

/// The catalog says MUG-01 has `on_hand` units (a signed `vendor-products` webhook).
async fn catalog_says(app: &TestApp, id: &str, version: u64, on_hand: i64) {
    let body = event(
        id,
        "vendor_product.upserted",
        TENANT,
        version,
        product_data("p-mug-01", "MUG-01", "12.50", on_hand),
    );
    let reply = app
        .post_webhook(TENANT, "vendor-products", &body, WEBHOOK_SECRET)
        .await;
    assert_eq!(reply.status, 202, "{:?}", reply.body);
    app.wait_idle().await;
}

/// checkoutItems of `units` MUG-01 that must be refused OUT_OF_STOCK; returns the message.
async fn refused(app: &TestApp, token: &str, units: i64) -> String {
    let payload = app
        .mutate(
            token,
            "checkoutItems",
            json!({"vendorId": VENDOR, "items": [{"sku": "MUG-01", "quantity": units}]}),
        )
        .await;
    user_error(
        &payload,
        "OUT_OF_STOCK",
        Some(&["input", "items", "0", "quantity"]),
    )
}

async fn story(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.customer_token();
    let bob = app.token(TENANT, "c-bob", &[Role::Customer], None);
    let cleo = app.token(TENANT, "c-cleo", &[Role::Customer], None);

    // The warehouse has 5 mugs.
    catalog_says(&app, "evt-mug-5", 2, 5).await;
    // Ada places an order for 3: they are hers while it is PENDING.
    let adas = app.pending_order(&ada, &[("MUG-01", 3)]).await;
    assert_eq!(adas["status"], "PENDING");
    let message = refused(&app, &bob, 3).await;
    assert!(message.contains("only 2"), "{message}");

    // The catalog syncs the product again: nothing left the warehouse, so it still says 5.
    catalog_says(&app, "evt-mug-5-again", 3, 5).await;
    // Ada's 3 are still hers: Bob can buy 2, not 3.
    let message = refused(&app, &bob, 3).await;
    assert!(message.contains("only 2"), "{message}");
    let bobs = app.pending_order(&bob, &[("MUG-01", 2)]).await;
    assert_eq!(bobs["status"], "PENDING");
    // Sold out: Cleo cannot have one, whatever the catalog re-sends.
    catalog_says(&app, "evt-mug-5-once-more", 4, 5).await;
    let message = refused(&app, &cleo, 1).await;
    assert!(message.contains("only 0"), "{message}");

    // Ada cancels: her 3 go back on sale, and Cleo takes them.
    ok(app
        .mutate(
            &ada,
            "cancelOrder",
            json!({"orderId": id_of(&adas), "reason": "bought elsewhere"}),
        )
        .await);
    let cleos = app.pending_order(&cleo, &[("MUG-01", 3)]).await;
    assert_eq!(cleos["status"], "PENDING");
    let message = refused(&app, &ada, 1).await;
    assert!(message.contains("only 0"), "{message}");
}
