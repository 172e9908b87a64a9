//! Resolver groups: each serves exactly its documented fields, typed as in the full schema, and
//! executes against the same use cases.

use std::collections::BTreeMap;

use async_graphql_parser::parse_schema;
use async_graphql_parser::types::{TypeKind, TypeSystemDefinition};
use oms_graphql::{build_group_schema, group_sdl, schema_sdl, AnySchema, Group, SchemaOptions};
use serde_json::{json, Value};

use crate::support::{self, customer, error_codes, run_any, vendor};

/// `Type.field` → printed field signature (type and arguments) of the root types.
fn root_fields(sdl: &str) -> BTreeMap<String, String> {
    let doc = parse_schema(sdl).unwrap_or_else(|e| panic!("SDL does not parse: {e}"));
    let mut out = BTreeMap::new();
    for def in doc.definitions {
        if let TypeSystemDefinition::Type(t) = def {
            let name = t.node.name.node.to_string();
            if let (true, TypeKind::Object(o)) =
                (name == "Query" || name == "Mutation", &t.node.kind)
            {
                for f in &o.fields {
                    let args: Vec<String> = f
                        .node
                        .arguments
                        .iter()
                        .map(|a| format!("{}: {}", a.node.name.node, a.node.ty.node))
                        .collect();
                    out.insert(
                        format!("{name}.{}", f.node.name.node),
                        format!("({}): {}", args.join(", "), f.node.ty.node),
                    );
                }
            }
        }
    }
    out
}

#[test]
fn each_group_serves_exactly_its_fields_as_the_full_schema_does() {
    let full = root_fields(&schema_sdl());
    let mut covered = std::collections::BTreeSet::new();
    for group in Group::ALL {
        let served = root_fields(&group_sdl(group));
        let expected: Vec<String> = group
            .query_fields()
            .iter()
            .map(|f| format!("Query.{f}"))
            .chain(
                group
                    .mutation_fields()
                    .iter()
                    .map(|f| format!("Mutation.{f}")),
            )
            .collect();
        let mut names: Vec<String> = served.keys().cloned().collect();
        names.sort();
        let mut want = expected.clone();
        want.sort();
        assert_eq!(names, want, "group {group}");
        for (field, signature) in &served {
            assert_eq!(
                full.get(field),
                Some(signature),
                "group {group}: {field} differs from the full schema"
            );
            covered.insert(field.clone());
        }
    }
    // Every operation of the API belongs to some group.
    let all: std::collections::BTreeSet<String> = full.keys().cloned().collect();
    assert_eq!(covered, all);
}

#[test]
fn groups_parse_from_route_segments() {
    for group in Group::ALL {
        assert_eq!(Group::parse(group.as_str()), Some(group));
        assert_eq!(group.as_str().to_uppercase().parse::<Group>(), Ok(group));
    }
    assert!("admin".parse::<Group>().is_err());
}

#[tokio::test]
async fn group_schemas_execute_their_operations_only() {
    let oms = support::oms().await;
    let checkout = build_group_schema(Group::Checkout, oms.clone(), SchemaOptions::default());
    assert_eq!(checkout.group(), Some(Group::Checkout));
    let created = run_any(
        &checkout,
        Some(customer()),
        "mutation { checkoutItems(input: { vendorId: \"v-1\", items: [{ sku: \"MUG-01\", quantity: 1 }] }) { order { id total { amount } } userErrors { code } } }",
    )
    .await;
    assert_eq!(
        created["data"]["checkoutItems"]["order"]["total"]["amount"], "12.50",
        "{created:#}"
    );
    let id = created["data"]["checkoutItems"]["order"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    // listOrders is not part of the checkout group.
    let response = run_any(
        &checkout,
        Some(customer()),
        "{ listOrders(as: CUSTOMER) { edges { cursor } } }",
    )
    .await;
    assert_eq!(
        error_codes(&response),
        ["GRAPHQL_VALIDATION_FAILED"],
        "{response:#}"
    );

    // The orders group has no mutations; it sees the order created through the checkout group.
    let orders = build_group_schema(Group::Orders, oms.clone(), SchemaOptions::default());
    let response = run_any(
        &orders,
        Some(customer()),
        "{ listOrders(as: CUSTOMER) { edges { node { id } } } }",
    )
    .await;
    assert_eq!(
        response["data"]["listOrders"]["edges"],
        json!([{ "node": { "id": id } }]),
        "{response:#}"
    );
    assert!(!orders.sdl().contains("type Mutation"));

    let vendor_group = build_group_schema(Group::Vendor, oms.clone(), SchemaOptions::default());
    let response = run_any(&vendor_group, Some(vendor()), &format!("mutation {{ markAsShipped(input: {{ orderId: \"{id}\" }}) {{ order {{ id }} userErrors {{ code }} }} }}")).await;
    assert_eq!(
        response["data"]["markAsShipped"]["userErrors"][0]["code"], "INVALID_STATE",
        "{response:#}"
    );

    let account = build_group_schema(Group::Account, oms.clone(), SchemaOptions::default());
    let response = run_any(&account, None, "{ me { sub } }").await;
    assert_eq!(error_codes(&response), ["UNAUTHENTICATED"]);
    let response = run_any(&account, Some(customer()), "{ me { sub } }").await;
    assert_eq!(response["data"]["me"]["sub"], "c-1");

    // The full schema behind the same enum, and through async-graphql's Executor trait.
    let full = AnySchema::full(oms, SchemaOptions::default());
    assert_eq!(full.group(), None);
    assert_eq!(full.sdl(), schema_sdl());
    let request = async_graphql::Request::new("{ me { sub } }").data(customer());
    let response = async_graphql::Executor::execute(&full, request).await;
    let response: Value = serde_json::to_value(&response).unwrap_or_default();
    assert_eq!(response["data"]["me"]["sub"], "c-1");
}
