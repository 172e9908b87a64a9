//! Depth and complexity limits, query cost, introspection switch, parse/validation error codes.

use oms_graphql::{build_schema, SchemaOptions};
use serde_json::{json, Value};

use crate::orders::ORDER;
use crate::support::{self, assert_no_errors, customer, error_codes, run};

/// graphql-js `getIntrospectionQuery()` (what GraphiQL sends), deeper than the depth limit.
const INTROSPECTION: &str = r"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }
}";

fn nested(levels: usize) -> String {
    let mut q = String::from("{ ");
    for i in 0..levels {
        q.push_str(&format!("f{i} {{ "));
    }
    q.push_str("leaf");
    for _ in 0..=levels {
        q.push_str(" }");
    }
    q
}

#[tokio::test]
async fn queries_deeper_than_the_limit_are_too_complex() {
    // The object graph has no cycles, so the default limit (12) is hit by a nonsense query; the
    // depth check runs before validation.
    let schema = support::schema().await;
    let response = run(&schema, Some(customer()), &nested(12), json!({})).await;
    assert_eq!(
        error_codes(&response),
        ["QUERY_TOO_COMPLEX"],
        "{response:#}"
    );
    assert!(response["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("depth 13") && m.contains("12")));

    // Past the parser's own recursion limit the answer is the same.
    let response = run(&schema, Some(customer()), &nested(40), json!({})).await;
    assert_eq!(
        error_codes(&response),
        ["QUERY_TOO_COMPLEX"],
        "{response:#}"
    );
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("recursion")),
        "{response:#}"
    );

    // A tight limit against real fields.
    let schema = build_schema(
        support::oms().await,
        SchemaOptions {
            max_depth: 3,
            ..SchemaOptions::default()
        },
    );
    let ok = run(
        &schema,
        Some(customer()),
        "{ listOrders(as: CUSTOMER) { edges { cursor } } }",
        json!({}),
    )
    .await;
    assert_no_errors(&ok);
    let deep = run(
        &schema,
        Some(customer()),
        "{ listOrders(as: CUSTOMER) { edges { node { id } } } }",
        json!({}),
    )
    .await;
    assert_eq!(error_codes(&deep), ["QUERY_TOO_COMPLEX"], "{deep:#}");
    assert_eq!(deep["data"], Value::Null);
    // Fragments count.
    let deep = run(&schema, Some(customer()), "{ listOrders(as: CUSTOMER) { ...E } } fragment E on OrderConnection { edges { node { id } } }", json!({})).await;
    assert_eq!(error_codes(&deep), ["QUERY_TOO_COMPLEX"], "{deep:#}");
}

#[tokio::test]
async fn connection_cost_grows_with_first_and_is_reported() {
    let schema = support::schema().await;
    let query = "query($first: Int) { listOrders(as: CUSTOMER, first: $first) {
        edges { node { id version status currency subtotal { amount currency } total { amount currency } } } } }";
    // Objects cost 1, scalars 0; a connection 1 + 2 × first (each node read and its edge) +
    // its selection once (edges + node + subtotal + total).
    let ok = run(&schema, Some(customer()), query, json!({ "first": 50 })).await;
    assert_no_errors(&ok);
    assert_eq!(
        ok["extensions"]["cost"],
        json!({ "complexity": 105, "depth": 5, "maxComplexity": 1000, "maxDepth": 12 })
    );
    let default_page = run(&schema, Some(customer()), query, json!({})).await;
    assert_eq!(default_page["extensions"]["cost"]["complexity"], 45);

    // Fully selected orders (the ORDER fragment: 21 objects, + edges + node).
    let full = format!("query($first: Int) {{ listOrders(as: CUSTOMER, first: $first) {{ edges {{ cursor node {{ ...O }} }} }} }} {ORDER}");
    let ok = run(&schema, Some(customer()), &full, json!({})).await;
    assert_no_errors(&ok);
    assert_eq!(ok["extensions"]["cost"]["complexity"], 1 + 2 * 20 + 23);
    let ok = run(&schema, Some(customer()), &full, json!({ "first": 100 })).await;
    assert_no_errors(&ok);
    assert_eq!(ok["extensions"]["cost"]["complexity"], 1 + 2 * 100 + 23);

    // Whole lists under aliases each read their page: they add up (5 × 203).
    let aliases: String = (0..5)
        .map(|i| {
            format!(" a{i}: listOrders(as: CUSTOMER, first: 100) {{ edges {{ node {{ id }} }} }}")
        })
        .collect();
    let response = run(
        &schema,
        Some(customer()),
        &format!("{{{aliases} }}"),
        json!({}),
    )
    .await;
    assert_eq!(
        error_codes(&response),
        ["QUERY_TOO_COMPLEX"],
        "{:#}",
        response["errors"]
    );
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("1015") && m.contains("1000")),
        "{response:#}"
    );

    // A custom limit.
    let strict = build_schema(
        support::oms().await,
        SchemaOptions {
            max_complexity: 4,
            ..SchemaOptions::default()
        },
    );
    let fits = "{ me { sub } getOrder(orderId: \"x\") { total { amount } subtotal { amount } } }";
    assert_no_errors(&run(&strict, Some(customer()), fits, json!({})).await);
    let over = "{ me { sub } getOrder(orderId: \"x\") { total { amount } subtotal { amount } taxTotal { amount } } }";
    let response = run(&strict, Some(customer()), over, json!({})).await;
    assert_eq!(
        error_codes(&response),
        ["QUERY_TOO_COMPLEX"],
        "{response:#}"
    );
}

/// The selection of every field of `type_name`, objects expanded to their leaves, read from the
/// schema itself (so a field added to `Order` later is selected too). Fields with a required
/// argument are left out (the order types have none).
async fn every_field(schema: &oms_graphql::OmsSchema, type_name: &str) -> String {
    let response = run(
        schema,
        None,
        "{ __schema { types { name kind fields { name args { type { kind } }
           type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }",
        json!({}),
    )
    .await;
    assert_no_errors(&response);
    let types = response["data"]["__schema"]["types"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    fn named(t: &Value) -> &Value {
        if t["ofType"].is_null() {
            t
        } else {
            named(&t["ofType"])
        }
    }
    fn select(types: &[Value], name: &str, depth: usize) -> String {
        assert!(depth < 8, "{name}: the order types have no cycles");
        let Some(t) = types.iter().find(|t| t["name"] == name) else {
            panic!("type {name} not in the schema");
        };
        let mut out = Vec::new();
        for field in t["fields"].as_array().into_iter().flatten() {
            let required_arg = field["args"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|a| a["type"]["kind"] == "NON_NULL");
            if required_arg {
                continue;
            }
            let field_name = field["name"].as_str().unwrap_or_default();
            let inner = named(&field["type"]);
            match inner["kind"].as_str() {
                Some("OBJECT") => out.push(format!(
                    "{field_name} {{ {} }}",
                    select(types, inner["name"].as_str().unwrap_or_default(), depth + 1)
                )),
                _ => out.push(field_name.to_string()),
            }
        }
        out.join(" ")
    }
    select(&types, type_name, 0)
}

/// A storefront's ordinary query: a page of 100 orders with every `Order` field (lines,
/// addresses, shipping, totals, payment, …) and the whole `pageInfo`. It passes the default
/// limits, returns 100 orders, and pages on to the 101st.
#[tokio::test]
async fn a_page_of_100_orders_with_every_field_passes_the_default_limits() {
    use oms_application::usecases::{AddressInput, CheckoutInput, ItemInput};
    let (oms, clock) = support::oms_with_clock().await;
    for i in 0..101 {
        let input = CheckoutInput {
            vendor_id: support::VENDOR.into(),
            items: ["MUG-01", "CAP-01"]
                .iter()
                .map(|sku| ItemInput {
                    sku: (*sku).to_string(),
                    quantity: 1 + i % 3,
                })
                .collect(),
            customer: None,
            destination: Some(AddressInput {
                street: "1 Raffles Place".into(),
                city: "Singapore".into(),
                state: None,
                postal: "048616".into(),
                country: "SG".into(),
            }),
            save_destination: false,
            idempotency_key: None,
        };
        oms.checkout_items(&customer(), input)
            .await
            .unwrap_or_else(|e| panic!("checkout {i}: {e:?}"));
        clock.advance(chrono::Duration::seconds(1));
    }
    let schema = build_schema(oms, SchemaOptions::default());
    let fields = every_field(&schema, "Order").await;
    for field in [
        "lineItems { sku",
        "unitPrice { amount",
        "destination {",
        "payment {",
        "total {",
    ] {
        assert!(fields.contains(field), "{field} in {fields}");
    }
    let query = format!(
        "query($after: String) {{ listOrders(as: CUSTOMER, first: 100, after: $after) {{
            edges {{ cursor node {{ {fields} }} }}
            pageInfo {{ hasNextPage endCursor hasPreviousPage startCursor }} }} }}"
    );
    let page = run(&schema, Some(customer()), &query, json!({})).await;
    assert_no_errors(&page);
    let cost = &page["extensions"]["cost"];
    assert_eq!(cost["depth"], 6, "{cost}");
    // 1 + 2 × 100 nodes + the selection once: edges, node, one per object field of the order
    // (each `{` of the selection), pageInfo. 226 today.
    let objects = fields.matches('{').count();
    assert_eq!(
        cost["complexity"],
        json!(1 + 2 * 100 + 2 + objects + 1),
        "{cost}"
    );
    assert!(cost["complexity"].as_u64() < Some(300), "{cost}");
    let list = &page["data"]["listOrders"];
    let edges = list["edges"].as_array().cloned().unwrap_or_default();
    assert_eq!(edges.len(), 100);
    assert_eq!(edges[0]["node"]["lineItems"][0]["sku"], "MUG-01");
    assert_eq!(list["pageInfo"]["hasNextPage"], true);
    let next = run(
        &schema,
        Some(customer()),
        &query,
        json!({ "after": list["pageInfo"]["endCursor"] }),
    )
    .await;
    assert_no_errors(&next);
    assert_eq!(
        next["data"]["listOrders"]["edges"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(next["data"]["listOrders"]["pageInfo"]["hasNextPage"], false);
}

/// What the cost model is for: queries that multiply work or output are still refused, each
/// with `QUERY_TOO_COMPLEX`, no data, and the figures in the message.
#[tokio::test]
async fn abusive_queries_are_still_refused() {
    let schema = support::schema().await;
    let refused = |response: &Value| {
        assert_eq!(error_codes(response), ["QUERY_TOO_COMPLEX"], "{response:#}");
        assert_eq!(response["data"], Value::Null, "{response:#}");
    };
    // Aliased copies inside every node: 12 copies of the lines × 100 nodes.
    let copies: String = (0..12)
        .map(|i| format!(" l{i}: lineItems {{ sku }}"))
        .collect();
    let q = format!(
        "{{ listOrders(as: CUSTOMER, first: 100) {{ edges {{ node {{ id{copies} }} }} }} }}"
    );
    refused(&run(&schema, Some(customer()), &q, json!({})).await);
    // The same through a fragment.
    let q = format!(
        "{{ listOrders(as: CUSTOMER, first: 100) {{ edges {{ node {{ ...C }} }} }} }} fragment C on Order {{ id{copies} }}"
    );
    refused(&run(&schema, Some(customer()), &q, json!({})).await);
    // Copies of `edges`: every node rendered again and again.
    let q = format!(
        "{{ listOrders(as: CUSTOMER, first: 100) {{ a: edges {{ node {{ ...O }} }} b: edges {{ node {{ ...O }} }} }} }} {ORDER}"
    );
    refused(&run(&schema, Some(customer()), &q, json!({})).await);
    // Five full pages under aliases (4 fit: a dashboard's few lists).
    let pages: String = (0..5)
        .map(|i| {
            format!(" p{i}: listOrders(as: CUSTOMER, first: 100) {{ edges {{ node {{ ...O }} }} }}")
        })
        .collect();
    let q = format!("{{{pages} }} {ORDER}");
    refused(&run(&schema, Some(customer()), &q, json!({})).await);
    // Deep nesting, with and without fragments.
    refused(&run(&schema, Some(customer()), &nested(12), json!({})).await);
    let mut q = String::from("{ me { ...F0 } }");
    for i in 0..14 {
        q.push_str(&format!(
            " fragment F{i} on User {{ a{i}: me {{ ...F{} }} }}",
            i + 1
        ));
    }
    q.push_str(" fragment F14 on User { sub }");
    refused(&run(&schema, Some(customer()), &q, json!({})).await);
}

#[tokio::test]
async fn introspection_is_on_by_default_and_can_be_switched_off() {
    let schema = support::schema().await;
    // GraphiQL's introspection query passes the limits (its nesting is not data depth).
    let response = run(&schema, None, INTROSPECTION, json!({})).await;
    assert_no_errors(&response);
    assert_eq!(response["data"]["__schema"]["queryType"]["name"], "Query");
    assert_eq!(
        response["data"]["__schema"]["mutationType"]["name"],
        "Mutation"
    );

    // Lists nested deeper than GraphiQL needs are refused (their work multiplies).
    let nested = run(
        &schema,
        None,
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
        json!({}),
    )
    .await;
    assert_eq!(error_codes(&nested), ["QUERY_TOO_COMPLEX"], "{nested:#}");
    let nested = run(&schema, None, "{ __type(name: \"Order\") { fields { type { fields { type { fields { type { fields { name } } } } } } } } }", json!({})).await;
    assert_eq!(error_codes(&nested), ["QUERY_TOO_COMPLEX"], "{nested:#}");

    let off = build_schema(
        support::oms().await,
        SchemaOptions {
            introspection: false,
            ..SchemaOptions::default()
        },
    );
    for query in [
        INTROSPECTION,
        "{ __type(name: \"Order\") { name } }",
        "{ me { sub } ...F } fragment F on Query { __schema { types { name } } }",
    ] {
        let response = run(&off, Some(customer()), query, json!({})).await;
        assert_eq!(response["data"], Value::Null, "{response:#}");
        assert_eq!(
            error_codes(&response),
            ["GRAPHQL_VALIDATION_FAILED"],
            "{response:#}"
        );
    }
    // Data queries still work, and __typename is not introspection.
    let response = run(
        &off,
        Some(customer()),
        "{ me { __typename sub } }",
        json!({}),
    )
    .await;
    assert_no_errors(&response);
    assert_eq!(
        response["data"]["me"],
        json!({ "__typename": "User", "sub": "c-1" })
    );
}

#[tokio::test]
async fn malformed_queries_get_codes_too() {
    let schema = support::schema().await;
    let response = run(&schema, Some(customer()), "{ me { sub }", json!({})).await;
    assert_eq!(error_codes(&response), ["GRAPHQL_PARSE_FAILED"]);
    let response = run(&schema, Some(customer()), "{ me { password } }", json!({})).await;
    assert_eq!(error_codes(&response), ["GRAPHQL_VALIDATION_FAILED"]);
    let response = run(
        &schema,
        Some(customer()),
        "{ listOrders(as: ADMIN) { edges { cursor } } }",
        json!({}),
    )
    .await;
    assert_eq!(error_codes(&response), ["GRAPHQL_VALIDATION_FAILED"]);
}
