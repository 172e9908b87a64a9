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
    // Objects cost 1, scalars 0: 1 + first × (edges + node + subtotal + total).
    let ok = run(&schema, Some(customer()), query, json!({ "first": 50 })).await;
    assert_no_errors(&ok);
    assert_eq!(
        ok["extensions"]["cost"],
        json!({ "complexity": 201, "depth": 5, "maxComplexity": 1000, "maxDepth": 12 })
    );
    let default_page = run(&schema, Some(customer()), query, json!({})).await;
    assert_eq!(default_page["extensions"]["cost"]["complexity"], 81);

    // A default page of fully selected orders fits; 50 of them do not.
    let full = format!("query($first: Int) {{ listOrders(as: CUSTOMER, first: $first) {{ edges {{ cursor node {{ ...O }} }} }} }} {ORDER}");
    let ok = run(&schema, Some(customer()), &full, json!({})).await;
    assert_no_errors(&ok);
    assert_eq!(ok["extensions"]["cost"]["complexity"], 461);
    let too_big = run(&schema, Some(customer()), &full, json!({ "first": 50 })).await;
    assert_eq!(error_codes(&too_big), ["QUERY_TOO_COMPLEX"], "{too_big:#}");
    assert_eq!(too_big["data"], Value::Null);
    assert!(
        too_big["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("1151") && m.contains("1000")),
        "{too_big:#}"
    );

    // Aliases add up.
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
