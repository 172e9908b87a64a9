//! Tenant, customer and vendor isolation over HTTP (embedded store). Tenant `other` has the SAME
//! vendor, SKU, customer and user ids as `demo`, so only the tenant of the verified token keeps
//! them apart. An order of someone else is reported exactly like a missing one: getOrder null,
//! NOT_FOUND on every mutation, nothing written, and the order unchanged.
//! The same between tenants for every field of the schema, every webhook kind, the CSV import
//! and every Lambda handler, with the keys touched journaled: `cross_tenant_probe.rs`.

use std::collections::BTreeSet;

use oms_domain::auth::Role;
use oms_e2e::*;
use serde_json::{json, Value};

fn is_vendor_mutation(name: &str) -> bool {
    matches!(
        name,
        "markAsShipped" | "addShippingTrackingReference" | "markAsCompleted"
    )
}

/// The NOT_FOUND message of `mutation` for a missing order, with the id replaced by `{id}`.
async fn missing_message(app: &TestApp, token: &str, mutation: &str, input: Value) -> String {
    let payload = app.mutate(token, mutation, input).await;
    user_error(&payload, "NOT_FOUND", Some(&["input", "orderId"])).replace(MISSING_ORDER, "{id}")
}

/// `intruder` (with the roles its token has) must not see or touch `id`: getOrder null,
/// listShippingOptions NOT_FOUND, every mutation NOT_FOUND exactly as for a missing order, no
/// write, and the owner sees the order unchanged.
async fn cannot_touch(
    app: &TestApp,
    owner: &str,
    intruder_customer: &str,
    intruder_vendor: &str,
    id: &str,
) {
    let before = app.get_order(owner, id).await;
    assert!(before.is_object(), "the owner must see {id}");
    let writes = app.writes();
    assert!(
        app.get_order(intruder_customer, id).await.is_null(),
        "getOrder must be null for an intruder"
    );
    assert!(
        app.get_order(intruder_vendor, id).await.is_null(),
        "getOrder must be null for an intruder vendor"
    );
    let data = app
        .gql_data(intruder_customer, "query($id: ID!) { listShippingOptions(orderId: $id) { options { method } userErrors { code field } } }", json!({"id": id}))
        .await;
    assert_eq!(
        data["listShippingOptions"],
        json!({"options": [], "userErrors": [{"code": "NOT_FOUND", "field": ["orderId"]}]})
    );
    for (name, input) in order_mutation_inputs(id) {
        let token = if is_vendor_mutation(name) {
            intruder_vendor
        } else {
            intruder_customer
        };
        let payload = app.mutate(token, name, input).await;
        let message = user_error(&payload, "NOT_FOUND", Some(&["input", "orderId"]));
        let (_, missing_input) = order_mutation_inputs(MISSING_ORDER)
            .into_iter()
            .find(|(n, _)| *n == name)
            .unwrap();
        let expected = missing_message(app, token, name, missing_input).await;
        assert_eq!(
            message.replace(id, "{id}"),
            expected,
            "{name}: the answer differs from a missing order's"
        );
    }
    assert_eq!(
        app.writes(),
        writes,
        "an intruder's request wrote something"
    );
    assert_eq!(
        app.get_order(owner, id).await,
        before,
        "an intruder's request changed the order"
    );
}

/// A DRAFT (with a destination) and a CONFIRMED order of c-demo in tenant demo.
async fn demo_orders(app: &TestApp) -> (String, String) {
    let c = app.customer_token();
    let draft = id_of(
        &app.checkout(&c, &[("T-SHIRT-L", 1), ("MUG-01", 1)], true)
            .await,
    );
    let confirmed = id_of(
        &app.confirmed_order(&c, &[("T-SHIRT-L", 1), ("CAP-01", 1)])
            .await,
    );
    (draft, confirmed)
}

#[tokio::test]
async fn another_tenant_with_the_same_ids_cannot_see_or_touch_an_order() {
    let app = spawn_app(Backend::Embedded).await;
    let (draft, confirmed) = demo_orders(&app).await;
    let owner = app.customer_token();
    let customer_b = app.token(OTHER_TENANT, CUSTOMER, &[Role::Customer], None);
    let vendor_b = app.token(OTHER_TENANT, VENDOR_USER, &[Role::Vendor], Some(VENDOR));
    cannot_touch(&app, &owner, &customer_b, &vendor_b, &draft).await;
    cannot_touch(&app, &owner, &customer_b, &vendor_b, &confirmed).await;
    // A token with both roles in tenant B changes nothing either.
    let both_b = app.token(
        OTHER_TENANT,
        CUSTOMER,
        &[Role::Customer, Role::Vendor],
        Some(VENDOR),
    );
    assert!(app.get_order(&both_b, &confirmed).await.is_null());
}

#[tokio::test]
async fn another_customer_of_the_same_tenant_cannot_see_or_touch_an_order() {
    let app = spawn_app(Backend::Embedded).await;
    let (draft, confirmed) = demo_orders(&app).await;
    let owner = app.customer_token();
    let stranger = app.token(TENANT, "c-stranger", &[Role::Customer], None);
    let other_vendor = app.token(TENANT, "u-other-vendor", &[Role::Vendor], Some("v-other"));
    cannot_touch(&app, &owner, &stranger, &other_vendor, &draft).await;
    cannot_touch(&app, &owner, &stranger, &other_vendor, &confirmed).await;
}

#[tokio::test]
async fn another_vendor_cannot_ship_an_order_and_sees_none_of_it() {
    let app = spawn_app(Backend::Embedded).await;
    let (_, confirmed) = demo_orders(&app).await;
    let owner_vendor = app.vendor_token();
    let other_vendor = app.token(TENANT, "u-other-vendor", &[Role::Vendor], Some("v-other"));
    let before = app.get_order(&owner_vendor, &confirmed).await;
    let writes = app.writes();
    for step in ["markAsShipped", "markAsCompleted"] {
        let payload = app
            .mutate(&other_vendor, step, json!({"orderId": confirmed}))
            .await;
        user_error(&payload, "NOT_FOUND", Some(&["input", "orderId"]));
    }
    assert!(app.get_order(&other_vendor, &confirmed).await.is_null());
    assert!(app
        .list_orders(&other_vendor, "VENDOR", None)
        .await
        .is_empty());
    assert!(app
        .list_orders(&other_vendor, "VENDOR", Some("CONFIRMED"))
        .await
        .is_empty());
    assert_eq!(app.writes(), writes);
    assert_eq!(app.get_order(&owner_vendor, &confirmed).await, before);
    // The right vendor can.
    let shipped = ok(app
        .mutate(
            &owner_vendor,
            "markAsShipped",
            json!({"orderId": confirmed}),
        )
        .await);
    assert_eq!(shipped["status"], "SHIPPED");
}

fn ids(orders: &[Value]) -> BTreeSet<String> {
    orders.iter().map(id_of).collect()
}

#[tokio::test]
async fn lists_show_only_the_callers_own_orders_in_the_callers_tenant() {
    let app = spawn_app(Backend::Embedded).await;
    let a_demo = app.customer_token();
    let a_two = app.token(TENANT, "c-two", &[Role::Customer], None);
    let b_demo = app.token(OTHER_TENANT, CUSTOMER, &[Role::Customer], None);
    let a_vendor = app.vendor_token();
    let b_vendor = app.token(OTHER_TENANT, VENDOR_USER, &[Role::Vendor], Some(VENDOR));

    let a1 = id_of(&app.pending_order(&a_demo, &[("T-SHIRT-L", 1)]).await);
    let a2 = id_of(&app.checkout(&a_demo, &[("MUG-01", 1)], true).await);
    let a3 = id_of(&app.pending_order(&a_two, &[("CAP-01", 1)]).await);
    let b1 = app.pending_order(&b_demo, &[("T-SHIRT-L", 1)]).await;
    // Tenant other prices its own catalog: 15.00, not demo's 10.00.
    assert_eq!(b1["subtotal"]["amount"], "15.00");
    let b1 = id_of(&b1);

    let set = |v: &[&String]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(
        ids(&app.list_orders(&a_demo, "CUSTOMER", None).await),
        set(&[&a1, &a2])
    );
    assert_eq!(
        ids(&app.list_orders(&a_two, "CUSTOMER", None).await),
        set(&[&a3])
    );
    assert_eq!(
        ids(&app.list_orders(&b_demo, "CUSTOMER", None).await),
        set(&[&b1])
    );
    assert_eq!(
        ids(&app.list_orders(&a_vendor, "VENDOR", Some("PENDING")).await),
        set(&[&a1, &a3])
    );
    assert_eq!(
        ids(&app.list_orders(&b_vendor, "VENDOR", Some("PENDING")).await),
        set(&[&b1])
    );
    let a_vendor_all = ids(&app.list_orders(&a_vendor, "VENDOR", None).await);
    assert!(
        !a_vendor_all.contains(&b1),
        "tenant demo's vendor sees tenant other's order"
    );
    let b_vendor_all = ids(&app.list_orders(&b_vendor, "VENDOR", None).await);
    assert!(
        b_vendor_all.is_disjoint(&set(&[&a1, &a2, &a3])),
        "tenant other's vendor sees tenant demo's orders"
    );
    // Newest first.
    let mine = app.list_orders(&a_demo, "CUSTOMER", None).await;
    assert_eq!(id_of(&mine[0]), a2);
}

#[tokio::test]
async fn a_list_cursor_is_rejected_for_another_tenant_and_another_customer() {
    let app = spawn_app(Backend::Embedded).await;
    let a = app.customer_token();
    let first = id_of(&app.checkout(&a, &[("T-SHIRT-L", 1)], true).await);
    let second = id_of(&app.checkout(&a, &[("MUG-01", 1)], true).await);
    let page = "query($after: String) { listOrders(as: CUSTOMER, first: 1, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }";
    let data = app.gql_data(&a, page, json!({"after": null})).await;
    assert_eq!(data["listOrders"]["edges"][0]["node"]["id"], json!(second));
    assert_eq!(data["listOrders"]["pageInfo"]["hasNextPage"], true);
    let cursor = data["listOrders"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_string();
    // The owner pages on.
    let data = app.gql_data(&a, page, json!({"after": cursor})).await;
    assert_eq!(data["listOrders"]["edges"][0]["node"]["id"], json!(first));

    let b = app.token(OTHER_TENANT, CUSTOMER, &[Role::Customer], None);
    app.checkout(&b, &[("T-SHIRT-L", 1)], true).await;
    let stranger = app.token(TENANT, "c-stranger", &[Role::Customer], None);
    for (who, token) in [
        ("tenant other, same customer id", &b),
        ("another customer of tenant demo", &stranger),
    ] {
        let body = app.gql(token, page, json!({"after": cursor})).await;
        assert_eq!(top_level_code(&body), "INVALID_INPUT", "{who}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["field"],
            json!(["after"]),
            "{who}: {body}"
        );
        assert!(
            !body.to_string().contains(&first),
            "{who}: the answer leaks an order id: {body}"
        );
    }
}

#[tokio::test]
async fn a_webhook_to_one_tenant_signed_with_another_tenants_secret_is_refused_and_writes_nothing()
{
    let app = spawn_app(Backend::Embedded).await;
    let body = event(
        "evt-cross-1",
        "vendor_product.upserted",
        TENANT,
        50,
        product_data("p-t-shirt-l", "T-SHIRT-L", "1.00", 100),
    );
    let writes = app.writes();
    let reply = app
        .post_webhook(TENANT, "vendor-products", &body, OTHER_WEBHOOK_SECRET)
        .await;
    assert_eq!(reply.status, 401, "{:?}", reply.body);
    assert_eq!(reply.body["error"]["code"], "INVALID_SIGNATURE");
    app.wait_idle().await;
    assert_eq!(app.writes(), writes);
    // The price is still demo's own.
    let order = app
        .checkout(&app.customer_token(), &[("T-SHIRT-L", 1)], false)
        .await;
    assert_eq!(order["subtotal"]["amount"], "10.00");
    // And tenant other's secret cannot reach tenant other's data through demo's path either:
    // the same event with tenant_id "other" on demo's path, signed with demo's secret, is a mismatch.
    let cross = event(
        "evt-cross-2",
        "vendor_product.upserted",
        OTHER_TENANT,
        50,
        product_data("p-t-shirt-l", "T-SHIRT-L", "1.00", 100),
    );
    let writes = app.writes();
    let reply = app
        .post_webhook(TENANT, "vendor-products", &cross, WEBHOOK_SECRET)
        .await;
    assert_eq!(reply.status, 422, "{:?}", reply.body);
    assert_eq!(reply.body["error"]["code"], "TENANT_MISMATCH");
    app.wait_idle().await;
    assert_eq!(app.writes(), writes);
    let theirs = app
        .checkout(
            &app.token(OTHER_TENANT, CUSTOMER, &[Role::Customer], None),
            &[("T-SHIRT-L", 1)],
            false,
        )
        .await;
    assert_eq!(theirs["subtotal"]["amount"], "15.00");
}
