//! The order flow through GraphQL over the real use cases: money strings, versions, payloads,
//! user errors with their field paths, visibility and pagination.

use oms_domain::auth::Role;
use oms_graphql::{build_schema, SchemaOptions};
use serde_json::{json, Value};

use crate::support::{
    self, assert_no_errors, caller, customer, error_codes, run, vendor, CUSTOMER, OTHER_CUSTOMER,
    OTHER_TENANT, TENANT, VENDOR,
};

pub const ORDER: &str = "
fragment O on Order {
  id version status currency
  customer { customerId firstName lastName email }
  vendor { vendorId name country }
  lineItems { sku productId productName productCategory options { name value } quantity
              unitPrice { amount currency } lineTotal { amount currency } isFreeGift }
  destination { street city state postal country }
  shipping { method name deliveryTime cost { amount currency } }
  shippingNotice
  coupons { code offerId }
  appliedOffers { offerId name kind discount { amount currency } }
  subtotal { amount currency } discountTotal { amount } shippingCost { amount }
  taxLines { name rate amount { amount currency } included } taxTotal { amount } total { amount currency }
  pricesIncludeTax
  payment { method transactionId paidAmount { amount } status }
  trackingReference cancellationReason createdAt updatedAt
}";

fn mutation(name: &str, input_type: &str) -> String {
    format!(
        "mutation($input: {input_type}!) {{ {name}(input: $input) {{ order {{ ...O }} userErrors {{ code field message }} }} }} {ORDER}"
    )
}

/// Runs a mutation and returns its payload (panics on top-level errors).
async fn mutate(
    schema: &oms_graphql::OmsSchema,
    who: oms_application::caller::Caller,
    name: &str,
    input_type: &str,
    input: Value,
) -> Value {
    let response = run(
        schema,
        Some(who),
        &mutation(name, input_type),
        json!({ "input": input }),
    )
    .await;
    assert_no_errors(&response);
    response["data"][name].clone()
}

fn sg_address() -> Value {
    json!({ "street": "1 Raffles Place", "city": "Singapore", "postal": "048616", "country": "Singapore" })
}

/// checkoutItems 2 × MUG-01 to Singapore; returns the order.
async fn checkout(schema: &oms_graphql::OmsSchema) -> Value {
    let payload = mutate(
        schema,
        customer(),
        "checkoutItems",
        "CheckoutItemsInput",
        json!({ "vendorId": VENDOR, "items": [{ "sku": "MUG-01", "quantity": 2 }], "destination": sg_address() }),
    )
    .await;
    assert_eq!(payload["userErrors"], json!([]), "{payload:#}");
    payload["order"].clone()
}

/// selectShippingOption STANDARD for the customer's order `id`; returns the order.
async fn select_standard(schema: &oms_graphql::OmsSchema, id: &str) -> Value {
    let payload = mutate(
        schema,
        customer(),
        "selectShippingOption",
        "SelectShippingOptionInput",
        json!({ "orderId": id, "method": "STANDARD" }),
    )
    .await;
    assert_eq!(payload["userErrors"], json!([]), "{payload:#}");
    payload["order"].clone()
}

/// placeOrder of the customer's order (`input`: orderId and any other field); returns the
/// order, PENDING.
async fn place(schema: &oms_graphql::OmsSchema, input: Value) -> Value {
    let payload = mutate(schema, customer(), "placeOrder", "PlaceOrderInput", input).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload:#}");
    assert_eq!(payload["order"]["status"], "PENDING", "{payload:#}");
    payload["order"].clone()
}

#[tokio::test]
async fn checkout_to_completion_through_graphql() {
    let schema = support::schema().await;

    // checkoutItems: a DRAFT with exact money strings at the SGD scale.
    let order = checkout(&schema).await;
    let id = order["id"].as_str().unwrap_or_default().to_string();
    assert!(id.starts_with("ORD-"), "{order:#}");
    assert_eq!(order["status"], "DRAFT");
    assert_eq!(order["version"], 1);
    assert_eq!(order["currency"], "SGD");
    assert_eq!(
        order["customer"],
        json!({ "customerId": CUSTOMER, "firstName": "Casey", "lastName": "Doe", "email": "c-1@example.com" })
    );
    assert_eq!(
        order["vendor"],
        json!({ "vendorId": VENDOR, "name": "Vendor One", "country": "SG" })
    );
    assert_eq!(
        order["destination"],
        json!({ "street": "1 Raffles Place", "city": "Singapore", "state": null, "postal": "048616", "country": "SG" })
    );
    let line = &order["lineItems"][0];
    assert_eq!(line["sku"], "MUG-01");
    assert_eq!(line["productId"], "p-mug-01");
    assert_eq!(
        line["options"],
        json!([{ "name": "Color", "value": "White" }])
    );
    assert_eq!(line["quantity"], 2);
    assert_eq!(
        line["unitPrice"],
        json!({ "amount": "12.50", "currency": "SGD" })
    );
    assert_eq!(
        line["lineTotal"],
        json!({ "amount": "25.00", "currency": "SGD" })
    );
    assert_eq!(line["isFreeGift"], false);
    assert_eq!(
        order["subtotal"],
        json!({ "amount": "25.00", "currency": "SGD" })
    );
    assert_eq!(order["shipping"], Value::Null);
    assert_eq!(order["shippingCost"]["amount"], "0.00");
    assert_eq!(
        order["taxLines"],
        json!([{ "name": "GST", "rate": "9", "amount": { "amount": "2.25", "currency": "SGD" }, "included": false }])
    );
    assert_eq!(
        order["total"],
        json!({ "amount": "27.25", "currency": "SGD" })
    );
    assert_eq!(order["pricesIncludeTax"], false);
    assert_eq!(order["createdAt"], "2026-11-25T02:00:00.000Z");
    assert_eq!(order["payment"], Value::Null);

    // listShippingOptions: the quote for 1.0 kg.
    let options = run(
        &schema,
        Some(customer()),
        "query($id: ID!) { listShippingOptions(orderId: $id) { options { method name deliveryTime cost { amount currency } } userErrors { code } } }",
        json!({ "id": id }),
    )
    .await;
    assert_no_errors(&options);
    assert_eq!(
        options["data"]["listShippingOptions"],
        json!({ "options": [{ "method": "STANDARD", "name": "Standard", "deliveryTime": "2-3 Days", "cost": { "amount": "6.50", "currency": "SGD" } }], "userErrors": [] })
    );

    // addCoupon: 10 % off, tax on the discounted goods.
    let payload = mutate(
        &schema,
        customer(),
        "addCoupon",
        "AddCouponInput",
        json!({ "orderId": id, "code": "WELCOME10", "expectedVersion": 1 }),
    )
    .await;
    assert_eq!(payload["userErrors"], json!([]), "{payload:#}");
    let order = &payload["order"];
    assert_eq!(order["version"], 2);
    assert_eq!(
        order["coupons"],
        json!([{ "code": "WELCOME10", "offerId": "o-welcome10" }])
    );
    assert_eq!(
        order["appliedOffers"],
        json!([{ "offerId": "o-welcome10", "name": "Welcome 10% off", "kind": "coupon_discount", "discount": { "amount": "2.50", "currency": "SGD" } }])
    );
    assert_eq!(order["discountTotal"]["amount"], "2.50");
    assert_eq!(order["taxTotal"]["amount"], "2.03");
    assert_eq!(order["total"]["amount"], "24.53");

    // A stale expectedVersion is a VERSION_CONFLICT user error; nothing changes.
    let stale = mutate(
        &schema,
        customer(),
        "selectShippingOption",
        "SelectShippingOptionInput",
        json!({ "orderId": id, "method": "STANDARD", "expectedVersion": 1 }),
    )
    .await;
    assert_eq!(stale["order"], Value::Null);
    assert_eq!(
        stale["userErrors"][0]["code"], "VERSION_CONFLICT",
        "{stale:#}"
    );

    // selectShippingOption: shipping is taxed in SG.
    let payload = mutate(
        &schema,
        customer(),
        "selectShippingOption",
        "SelectShippingOptionInput",
        json!({ "orderId": id, "method": "STANDARD", "expectedVersion": 2 }),
    )
    .await;
    assert_eq!(payload["userErrors"], json!([]), "{payload:#}");
    let order = &payload["order"];
    assert_eq!(order["version"], 3);
    assert_eq!(
        order["shipping"],
        json!({ "method": "STANDARD", "name": "Standard", "deliveryTime": "2-3 Days", "cost": { "amount": "6.50", "currency": "SGD" } })
    );
    assert_eq!(order["shippingCost"]["amount"], "6.50");
    assert_eq!(order["shippingNotice"], Value::Null);
    assert_eq!(order["taxLines"][0]["amount"]["amount"], "2.61");
    assert_eq!(order["total"]["amount"], "31.61");

    // placeOrder: DRAFT → PENDING with the same totals.
    let payload = mutate(
        &schema,
        customer(),
        "placeOrder",
        "PlaceOrderInput",
        json!({ "orderId": id, "expectedVersion": 3, "idempotencyKey": "place-1" }),
    )
    .await;
    assert_eq!(payload["userErrors"], json!([]), "{payload:#}");
    let placed = payload["order"].clone();
    assert_eq!(placed["status"], "PENDING");
    assert_eq!(placed["version"], 4);
    assert_eq!(
        placed["total"],
        json!({ "amount": "31.61", "currency": "SGD" })
    );

    // The same key and input replays the first result.
    let replay = mutate(
        &schema,
        customer(),
        "placeOrder",
        "PlaceOrderInput",
        json!({ "orderId": id, "expectedVersion": 3, "idempotencyKey": "place-1" }),
    )
    .await;
    assert_eq!(replay["userErrors"], json!([]), "{replay:#}");
    assert_eq!(replay["order"]["version"], 4);

    // listShippingOptions of a placed order is a user error in the payload, not a top-level one.
    let options = run(&schema, Some(customer()), "query($id: ID!) { listShippingOptions(orderId: $id) { options { method } userErrors { code field message } } }", json!({ "id": id })).await;
    assert_no_errors(&options);
    assert_eq!(options["data"]["listShippingOptions"]["options"], json!([]));
    assert_eq!(
        options["data"]["listShippingOptions"]["userErrors"][0]["code"],
        "INVALID_STATE"
    );

    // confirmOrder with cash on delivery.
    let payload = mutate(
        &schema,
        customer(),
        "confirmOrder",
        "ConfirmOrderInput",
        json!({ "orderId": id, "paymentMethod": "CASH_ON_DELIVERY" }),
    )
    .await;
    assert_eq!(payload["userErrors"], json!([]), "{payload:#}");
    assert_eq!(payload["order"]["status"], "CONFIRMED");
    assert_eq!(
        payload["order"]["payment"],
        json!({ "method": "CASH_ON_DELIVERY", "transactionId": null, "paidAmount": { "amount": "0.00" }, "status": "UNPAID" })
    );

    // The vendor sees it and fulfils it.
    let seen = run(
        &schema,
        Some(vendor()),
        "query($id: ID!) { getOrder(orderId: $id) { id status } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(
        seen["data"]["getOrder"],
        json!({ "id": id, "status": "CONFIRMED" })
    );
    let payload = mutate(
        &schema,
        vendor(),
        "markAsShipped",
        "MarkAsShippedInput",
        json!({ "orderId": id }),
    )
    .await;
    assert_eq!(payload["order"]["status"], "SHIPPED", "{payload:#}");
    let bad = mutate(
        &schema,
        vendor(),
        "addShippingTrackingReference",
        "AddShippingTrackingReferenceInput",
        json!({ "orderId": id, "trackingReference": "not a url" }),
    )
    .await;
    assert_eq!(bad["order"], Value::Null);
    assert_eq!(bad["userErrors"][0]["code"], "INVALID_TRACKING_REFERENCE");
    assert_eq!(
        bad["userErrors"][0]["field"],
        json!(["input", "trackingReference"])
    );
    let payload = mutate(
        &schema,
        vendor(),
        "addShippingTrackingReference",
        "AddShippingTrackingReferenceInput",
        json!({ "orderId": id, "trackingReference": "https://track.example.com/T123" }),
    )
    .await;
    assert_eq!(
        payload["order"]["trackingReference"], "https://track.example.com/T123",
        "{payload:#}"
    );
    let payload = mutate(
        &schema,
        vendor(),
        "markAsCompleted",
        "MarkAsCompletedInput",
        json!({ "orderId": id }),
    )
    .await;
    assert_eq!(payload["order"]["status"], "COMPLETED", "{payload:#}");
    assert_eq!(payload["order"]["payment"]["status"], "PAID");

    // The customer cannot fulfil; FORBIDDEN is top-level.
    let response = run(
        &schema,
        Some(customer()),
        &mutation("markAsShipped", "MarkAsShippedInput"),
        json!({ "input": { "orderId": id } }),
    )
    .await;
    assert_eq!(error_codes(&response), ["FORBIDDEN"]);
}

#[tokio::test]
async fn user_errors_carry_the_input_path_and_no_order() {
    let schema = support::schema().await;
    let payload = mutate(
        &schema,
        customer(),
        "checkoutItems",
        "CheckoutItemsInput",
        json!({ "vendorId": VENDOR, "items": [{ "sku": "MUG-01", "quantity": 1 }, { "sku": "CAP-01", "quantity": 0 }] }),
    )
    .await;
    assert_eq!(payload["order"], Value::Null);
    let errors = payload["userErrors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(errors.len(), 1, "{payload:#}");
    assert_eq!(errors[0]["code"], "INVALID_INPUT");
    assert_eq!(
        errors[0]["field"],
        json!(["input", "items", "1", "quantity"])
    );
    assert!(errors[0]["message"].as_str().is_some_and(|m| !m.is_empty()));

    // A product the vendor does not offer.
    let payload = mutate(
        &schema,
        customer(),
        "checkoutItems",
        "CheckoutItemsInput",
        json!({ "vendorId": VENDOR, "items": [{ "sku": "NOPE", "quantity": 1 }] }),
    )
    .await;
    assert_eq!(payload["userErrors"][0]["code"], "PRODUCT_UNAVAILABLE");
    assert_eq!(
        payload["userErrors"][0]["field"],
        json!(["input", "items", "0", "sku"])
    );

    // An unknown order is NOT_FOUND at its orderId.
    let payload = mutate(
        &schema,
        customer(),
        "addCoupon",
        "AddCouponInput",
        json!({ "orderId": "ORD-MISSING", "code": "WELCOME10" }),
    )
    .await;
    assert_eq!(payload["userErrors"][0]["code"], "NOT_FOUND");
    assert_eq!(
        payload["userErrors"][0]["field"],
        json!(["input", "orderId"])
    );
}

#[tokio::test]
async fn change_destination_needs_exactly_one_of_address_id_or_destination() {
    let schema = support::schema().await;
    let order = checkout(&schema).await;
    let id = order["id"].clone();
    for input in [
        json!({ "orderId": id }),
        json!({ "orderId": id, "addressId": "addr-home", "destination": sg_address() }),
    ] {
        let payload = mutate(
            &schema,
            customer(),
            "changeDestination",
            "ChangeDestinationInput",
            input,
        )
        .await;
        assert_eq!(payload["order"], Value::Null);
        assert_eq!(
            payload["userErrors"][0]["code"], "INVALID_INPUT",
            "{payload:#}"
        );
        assert_eq!(payload["userErrors"][0]["field"], json!(["input"]));
    }
    // A billing address from the book is refused as a destination.
    let payload = mutate(
        &schema,
        customer(),
        "changeDestination",
        "ChangeDestinationInput",
        json!({ "orderId": id, "addressId": "addr-billing" }),
    )
    .await;
    assert_eq!(payload["order"], Value::Null);
    assert_eq!(
        payload["userErrors"],
        json!([{ "code": "INVALID_INPUT", "field": ["input", "addressId"],
                 "message": "Address addr-billing is a billing address; choose a shipping address or enter a destination." }])
    );
    // From the address book.
    let payload = mutate(
        &schema,
        customer(),
        "changeDestination",
        "ChangeDestinationInput",
        json!({ "orderId": id, "addressId": "addr-home" }),
    )
    .await;
    assert_eq!(payload["userErrors"], json!([]), "{payload:#}");
    assert_eq!(payload["order"]["destination"]["postal"], "048616");
    assert_eq!(payload["order"]["version"], 2);
    // A new address, saved to the address book.
    let payload = mutate(
        &schema,
        customer(),
        "changeDestination",
        "ChangeDestinationInput",
        json!({ "orderId": id, "destination": { "street": "2 Orchard Rd", "city": "Singapore", "postal": "238801", "country": "SG" }, "saveDestination": true }),
    )
    .await;
    assert_eq!(payload["userErrors"], json!([]), "{payload:#}");
    assert_eq!(payload["order"]["destination"]["street"], "2 Orchard Rd");
    let book = run(
        &schema,
        Some(customer()),
        "{ listCustomerAddresses { id street isDefault country } }",
        json!({}),
    )
    .await;
    assert_no_errors(&book);
    let streets: Vec<&str> = book["data"]["listCustomerAddresses"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["street"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(streets, ["1 Raffles Place", "2 Orchard Rd"], "{book:#}");
    assert_eq!(book["data"]["listCustomerAddresses"][0]["isDefault"], true);
}

#[tokio::test]
async fn line_item_changes_reprice_the_draft() {
    let schema = support::schema().await;
    let id = checkout(&schema).await["id"].clone();
    let payload = mutate(
        &schema,
        customer(),
        "addLineItems",
        "AddLineItemsInput",
        json!({ "orderId": id, "items": [{ "sku": "CAP-01", "quantity": 1 }] }),
    )
    .await;
    assert_eq!(payload["userErrors"], json!([]), "{payload:#}");
    assert_eq!(payload["order"]["subtotal"]["amount"], "43.90");
    let payload = mutate(
        &schema,
        customer(),
        "changeOrderQuantity",
        "ChangeOrderQuantityInput",
        json!({ "orderId": id, "sku": "MUG-01", "quantity": 1 }),
    )
    .await;
    assert_eq!(
        payload["order"]["subtotal"]["amount"], "31.40",
        "{payload:#}"
    );
    let payload = mutate(
        &schema,
        customer(),
        "removeLineItems",
        "RemoveLineItemsInput",
        json!({ "orderId": id, "skus": ["CAP-01"] }),
    )
    .await;
    assert_eq!(
        payload["order"]["subtotal"]["amount"], "12.50",
        "{payload:#}"
    );
    assert_eq!(payload["order"]["version"], 4);
    let payload = mutate(
        &schema,
        customer(),
        "removeLineItems",
        "RemoveLineItemsInput",
        json!({ "orderId": id, "skus": ["MUG-01"] }),
    )
    .await;
    assert_eq!(
        payload["userErrors"][0]["code"], "LAST_LINE_ITEM",
        "{payload:#}"
    );
    let payload = mutate(
        &schema,
        customer(),
        "addCoupon",
        "AddCouponInput",
        json!({ "orderId": id, "code": "WELCOME10" }),
    )
    .await;
    assert_eq!(
        payload["order"]["discountTotal"]["amount"], "1.25",
        "{payload:#}"
    );
    let payload = mutate(
        &schema,
        customer(),
        "removeCoupon",
        "RemoveCouponInput",
        json!({ "orderId": id, "code": "WELCOME10" }),
    )
    .await;
    assert_eq!(
        payload["order"]["discountTotal"]["amount"], "0.00",
        "{payload:#}"
    );
    assert_eq!(payload["order"]["coupons"], json!([]));
}

#[tokio::test]
async fn cancel_order_returns_the_cancelled_order() {
    let schema = support::schema().await;
    let order = checkout(&schema).await;
    let id = order["id"].as_str().unwrap_or_default();
    let payload = mutate(
        &schema,
        customer(),
        "cancelOrder",
        "CancelOrderInput",
        json!({ "orderId": id, "reason": "changed my mind" }),
    )
    .await;
    assert_eq!(
        payload["userErrors"][0]["code"], "INVALID_STATE",
        "a DRAFT cannot be cancelled: {payload:#}"
    );
    select_standard(&schema, id).await;
    place(&schema, json!({ "orderId": id })).await;
    let payload = mutate(
        &schema,
        customer(),
        "cancelOrder",
        "CancelOrderInput",
        json!({ "orderId": id, "reason": "changed my mind" }),
    )
    .await;
    assert_eq!(payload["order"]["status"], "CANCELLED", "{payload:#}");
    assert_eq!(payload["order"]["cancellationReason"], "changed my mind");
}

#[tokio::test]
async fn get_order_is_null_for_anyone_who_may_not_see_it() {
    let schema = support::schema().await;
    let id = checkout(&schema).await["id"].clone();
    let query = "query($id: ID!) { getOrder(orderId: $id) { id } }";
    let own = run(&schema, Some(customer()), query, json!({ "id": id })).await;
    assert_eq!(own["data"]["getOrder"]["id"], id);

    let strangers = [
        caller(TENANT, OTHER_CUSTOMER, &[Role::Customer], None),
        caller(OTHER_TENANT, CUSTOMER, &[Role::Customer], None),
        caller(TENANT, "u-other-vendor", &[Role::Vendor], Some("v-2")),
    ];
    for who in strangers {
        let response = run(&schema, Some(who), query, json!({ "id": id })).await;
        assert_no_errors(&response);
        assert_eq!(response["data"]["getOrder"], Value::Null, "{response:#}");
    }
    let missing = run(
        &schema,
        Some(customer()),
        query,
        json!({ "id": "ORD-NONE" }),
    )
    .await;
    assert_eq!(missing["data"]["getOrder"], Value::Null);

    // Another customer's mutation gets NOT_FOUND, like a missing order.
    let payload = mutate(
        &schema,
        caller(TENANT, OTHER_CUSTOMER, &[Role::Customer], None),
        "addCoupon",
        "AddCouponInput",
        json!({ "orderId": id, "code": "WELCOME10" }),
    )
    .await;
    assert_eq!(payload["userErrors"][0]["code"], "NOT_FOUND");
}

#[tokio::test]
async fn list_orders_pages_newest_first_with_opaque_cursors() {
    let (oms, clock) = support::oms_with_clock().await;
    let schema = build_schema(oms, SchemaOptions::default());
    let first = checkout(&schema).await["id"].clone();
    // A minute later (not the same instant: "newest" must not hinge on an id's random bits).
    clock.advance(chrono::Duration::minutes(1));
    let second = checkout(&schema).await["id"].clone();
    let query = "query($as: Role!, $first: Int, $after: String, $status: OrderStatus) {
        listOrders(as: $as, first: $first, after: $after, status: $status) {
            edges { cursor node { id status } } pageInfo { hasNextPage endCursor hasPreviousPage startCursor } } }";

    let page = run(
        &schema,
        Some(customer()),
        query,
        json!({ "as": "CUSTOMER", "first": 1 }),
    )
    .await;
    assert_no_errors(&page);
    let list = &page["data"]["listOrders"];
    assert_eq!(list["edges"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        list["edges"][0]["node"]["id"], second,
        "newest first: {page:#}"
    );
    assert_eq!(list["pageInfo"]["hasNextPage"], true);
    assert_eq!(list["pageInfo"]["endCursor"], list["edges"][0]["cursor"]);
    assert_eq!(list["pageInfo"]["startCursor"], list["edges"][0]["cursor"]);
    let cursor = list["pageInfo"]["endCursor"].clone();

    let next = run(
        &schema,
        Some(customer()),
        query,
        json!({ "as": "CUSTOMER", "first": 1, "after": cursor }),
    )
    .await;
    assert_no_errors(&next);
    assert_eq!(next["data"]["listOrders"]["edges"][0]["node"]["id"], first);
    assert_eq!(next["data"]["listOrders"]["pageInfo"]["hasNextPage"], false);

    // Default page size, status filter, the vendor side.
    let all = run(
        &schema,
        Some(customer()),
        query,
        json!({ "as": "CUSTOMER" }),
    )
    .await;
    assert_eq!(
        all["data"]["listOrders"]["edges"].as_array().map(Vec::len),
        Some(2)
    );
    let pending = run(
        &schema,
        Some(customer()),
        query,
        json!({ "as": "CUSTOMER", "status": "PENDING" }),
    )
    .await;
    assert_eq!(pending["data"]["listOrders"]["edges"], json!([]));
    // Drafts are not on the vendor's list; a placed order is.
    let incoming = run(&schema, Some(vendor()), query, json!({ "as": "VENDOR" })).await;
    assert_eq!(
        incoming["data"]["listOrders"]["edges"],
        json!([]),
        "{incoming:#}"
    );
    let shipping = mutate(
        &schema,
        customer(),
        "selectShippingOption",
        "SelectShippingOptionInput",
        json!({ "orderId": first, "method": "STANDARD" }),
    )
    .await;
    assert_eq!(shipping["userErrors"], json!([]), "{shipping:#}");
    let placed = mutate(
        &schema,
        customer(),
        "placeOrder",
        "PlaceOrderInput",
        json!({ "orderId": first }),
    )
    .await;
    assert_eq!(placed["order"]["status"], "PENDING", "{placed:#}");
    for status in [None, Some("PENDING")] {
        let incoming = run(
            &schema,
            Some(vendor()),
            query,
            json!({ "as": "VENDOR", "status": status }),
        )
        .await;
        assert_eq!(
            incoming["data"]["listOrders"]["edges"],
            json!([{ "cursor": incoming["data"]["listOrders"]["edges"][0]["cursor"], "node": { "id": first, "status": "PENDING" } }]),
            "{incoming:#}"
        );
    }
    let drafts = run(
        &schema,
        Some(vendor()),
        query,
        json!({ "as": "VENDOR", "status": "DRAFT" }),
    )
    .await;
    assert_eq!(
        drafts["data"]["listOrders"]["edges"],
        json!([]),
        "{drafts:#}"
    );

    // Another customer's cursor, or a page too large, is INVALID_INPUT at the argument.
    let foreign = run(
        &schema,
        Some(caller(TENANT, OTHER_CUSTOMER, &[Role::Customer], None)),
        query,
        json!({ "as": "CUSTOMER", "after": cursor }),
    )
    .await;
    assert_eq!(error_codes(&foreign), ["INVALID_INPUT"], "{foreign:#}");
    assert_eq!(
        foreign["errors"][0]["extensions"]["field"],
        json!(["after"])
    );
    let huge = run(
        &schema,
        Some(customer()),
        query,
        json!({ "as": "CUSTOMER", "first": 500 }),
    )
    .await;
    assert_eq!(error_codes(&huge), ["INVALID_INPUT"], "{huge:#}");
    assert_eq!(huge["errors"][0]["extensions"]["field"], json!(["first"]));
    assert_eq!(huge["data"], Value::Null);

    // A customer-only caller cannot list as a vendor.
    let forbidden = run(&schema, Some(customer()), query, json!({ "as": "VENDOR" })).await;
    assert_eq!(error_codes(&forbidden), ["FORBIDDEN"]);
}

#[tokio::test]
async fn gift_lines_follow_the_customer_lines() {
    let schema = support::schema().await;
    let payload = mutate(
        &schema,
        customer(),
        "checkoutItems",
        "CheckoutItemsInput",
        json!({ "vendorId": VENDOR, "items": [{ "sku": "MUG-01", "quantity": 4 }, { "sku": "CAP-01", "quantity": 1 }] }),
    )
    .await;
    assert_eq!(payload["userErrors"], json!([]), "{payload:#}");
    let order = &payload["order"];
    let lines: Vec<(String, bool, String)> = order["lineItems"]
        .as_array()
        .map(|ls| {
            ls.iter()
                .map(|l| {
                    (
                        l["sku"].as_str().unwrap_or_default().to_string(),
                        l["isFreeGift"].as_bool().unwrap_or(false),
                        l["lineTotal"]["amount"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        lines,
        [
            ("MUG-01".to_string(), false, "50.00".to_string()),
            ("CAP-01".into(), false, "18.90".into()),
            ("COASTER".into(), true, "0.00".into())
        ]
    );
    assert_eq!(order["lineItems"][2]["productName"], "Coaster");
    assert_eq!(order["appliedOffers"][0]["kind"], "free_gift");
    assert_eq!(order["appliedOffers"][0]["discount"]["amount"], "0.00");
    assert_eq!(order["subtotal"]["amount"], "68.90");
    // No destination: no tax, no shipping.
    assert_eq!(order["taxLines"], json!([]));
    assert_eq!(order["total"]["amount"], "68.90");
}

/// A tenant whose prices include tax: GST is extracted from the amounts, shown as included, and
/// the total is what the shelf prices add up to.
#[tokio::test]
async fn a_tax_inclusive_tenant_shows_the_extracted_tax_without_adding_it() {
    let mut config = oms_application::records::TenantConfig::new(
        oms_domain::ids::TenantId::new(TENANT).unwrap_or_else(|e| panic!("{e}")),
    );
    config.prices_include_tax = true;
    let schema = build_schema(
        support::oms_with_tenant_config(config).await,
        SchemaOptions::default(),
    );
    let order = checkout(&schema).await;
    let id = order["id"].as_str().unwrap_or_default().to_string();
    assert_eq!(order["pricesIncludeTax"], true);
    // 25.00 × 9 / 109 = 2.0642… → 2.06, contained in the 25.00 total.
    assert_eq!(
        order["taxLines"],
        json!([{ "name": "GST", "rate": "9", "amount": { "amount": "2.06", "currency": "SGD" }, "included": true }])
    );
    assert_eq!(order["taxTotal"]["amount"], "2.06");
    assert_eq!(
        order["total"],
        json!({ "amount": "25.00", "currency": "SGD" })
    );
    let order = &select_standard(&schema, &id).await;
    // Shipping is a gross price too, its tax extracted as a line of its own: 2.06 from the goods
    // + 6.50 × 9 / 109 = 0.5366… → 0.54 = 2.60.
    assert_eq!(order["shippingCost"]["amount"], "6.50");
    assert_eq!(order["taxLines"][0]["amount"]["amount"], "2.60");
    assert_eq!(order["taxLines"][0]["included"], true);
    assert_eq!(order["total"]["amount"], "31.50");
    // Placed and read back from the store: the same figures.
    place(
        &schema,
        json!({ "orderId": id, "idempotencyKey": "incl-1" }),
    )
    .await;
    let read = run(
        &schema,
        Some(customer()),
        &format!("query($id: ID!) {{ getOrder(orderId: $id) {{ ...O }} }} {ORDER}"),
        json!({ "id": id }),
    )
    .await;
    assert_no_errors(&read);
    let order = &read["data"]["getOrder"];
    assert_eq!(order["status"], "PENDING");
    assert_eq!(order["pricesIncludeTax"], true);
    assert_eq!(order["taxLines"][0]["amount"]["amount"], "2.60");
    assert_eq!(order["taxLines"][0]["included"], true);
    assert_eq!(order["total"]["amount"], "31.50");
}
