//! The cross-tenant probe (issue 13 §1), generated from the committed schema: tenant A (`demo`)
//! and tenant B (`other`) hold objects with the SAME ids (vendor, products, customer, address
//! `addr-home`, coupon WELCOME10); A also owns orders and objects B has never seen. As every
//! role of B, every Query and Mutation field of `shared/graphql/schema.graphql` is called against
//! A's objects and must:
//! - touch no key of A: the item store below the repositories journals every key read and
//!   written ([`CountingStore::open_journal`]), so "zero reads, zero writes" is checked where it
//!   happens, not inferred from answers;
//! - answer byte for byte what the same call answers for an object B does not have (with the id
//!   swapped), so an answer cannot even tell that A's object exists;
//! - for the fields that take no id of A (the caller's own data: `me`, lists, checkout,
//!   `syncUser`), answer the same before and after A's data changes, while A's own answer to the
//!   same call does change (so the comparison can fail).
//!
//! A field without an entry in [`probe_table`] fails the test by name, and so does an entry for a
//! field the schema no longer has. The same table drives the group functions of the Lambda
//! deployment (`every_graphql_function_...` below), on DynamoDB.
//!
//! Webhooks (every event type, signed for B's path with B's secret, carrying A's ids), the CSV
//! import (every CSV kind, into B with A's ids) and the other Lambda handlers (sync-updater,
//! outbox-relay, event-sender, hold-sweeper) are probed the same way: only B's keys are touched.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use oms_application::ports::{
    CatalogRequest, Clock, EventQueue, NoPaymentGateway, QueueError, QueueMessage, SnapshotWrite,
    ValueSecrets,
};
use oms_auth::{AuthConfig, Authenticator};
use oms_domain::address::Address;
use oms_domain::auth::Role;
use oms_domain::catalog::{AddressType, Customer, CustomerAddress, UserAuthorization, Vendor};
use oms_domain::ids::{AddressId, CustomerId, Sku, UserId, VendorId};
use oms_e2e::*;
use oms_graphql::async_graphql::parser::parse_schema;
use oms_graphql::async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
use oms_graphql::Group;
use oms_store::{Index, Item, ItemStore, QueryRequest, SkCondition, Value as StoreValue, WriteOp};
use oms_sync::kind::{EventType, Kind};
use oms_sync::signature::wss;
use oms_webhooks::message::MESSAGE_FORMAT;
use oms_webhooks::{MessageSource, SyncMessage};
use serde_json::{json, Value};

/// The owner of the objects probed.
const A: &str = TENANT;
/// The intruder: same ids, other data.
const B: &str = OTHER_TENANT;

/// Where the id goes in a probe's variables.
const ID: &str = "{id}";

/// Objects only tenant A has, each with a missing counterpart of the same shape for B.
const A_ONLY_SKU: &str = "A-ONLY-01";
const MISSING_SKU: &str = "NO-SUCH-01";
const A_ONLY_VENDOR: &str = "v-a-only";
const MISSING_VENDOR: &str = "v-missing";
const A_ONLY_ADDRESS: &str = "addr-a-only";
const MISSING_ADDRESS: &str = "addr-missing";
const A_ONLY_COUPON: &str = "AONLY20";
const MISSING_COUPON: &str = "NOSUCH20";
const A_TRANSACTION: &str = "txn-shared-1";
const MISSING_TRANSACTION: &str = "txn-missing-1";
/// The idempotency key A's customer used for a checkout; B's customer (same id) uses it too.
const SHARED_IDEMPOTENCY_KEY: &str = "shared-checkout-key";

/// Text only A's data carries (street names, customer names): no answer to B may contain it.
const A_MARK: &str = "Tenant-A";

// ---------------------------------------------------------------------------------------------
// The schema's fields.
// ---------------------------------------------------------------------------------------------

/// `(root type, field)` of every operation of the committed SDL: the Query and Mutation fields
/// (a Subscription root would be listed too, and fail for want of a probe).
fn schema_operations() -> Vec<(String, String)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/graphql/schema.graphql"
    );
    let sdl = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let document = parse_schema(&sdl).unwrap_or_else(|e| panic!("{path} does not parse: {e}"));
    let mut roots = BTreeMap::new();
    for definition in &document.definitions {
        if let TypeSystemDefinition::Schema(schema) = definition {
            let schema = &schema.node;
            for (root, name) in [
                ("query", &schema.query),
                ("mutation", &schema.mutation),
                ("subscription", &schema.subscription),
            ] {
                if let Some(name) = name {
                    roots.insert(name.node.to_string(), root);
                }
            }
        }
    }
    assert!(
        roots.contains_key("Query"),
        "{path} declares no schema {{ query: ... }}"
    );
    let mut operations = Vec::new();
    for definition in &document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let name = ty.node.name.node.to_string();
        if !roots.contains_key(&name) {
            continue;
        }
        let TypeKind::Object(object) = &ty.node.kind else {
            panic!("root type {name} is not an object type");
        };
        for field in &object.fields {
            operations.push((name.clone(), field.node.name.node.to_string()));
        }
    }
    operations
}

// ---------------------------------------------------------------------------------------------
// The probe table: one entry per schema field.
// ---------------------------------------------------------------------------------------------

/// A call naming one of A's objects, answered exactly as the same call naming `missing_id`.
struct ByIdCase {
    /// Which object of A, e.g. "A's CONFIRMED order".
    label: String,
    query: String,
    /// The variables, with [`ID`] where the id goes.
    variables: Value,
    a_id: String,
    missing_id: String,
}

/// A call on the caller's own data (no id of A in it).
struct OwnCase {
    label: &'static str,
    query: String,
    variables: Value,
}

/// The by-id cases of one field, made from the world.
type ByIdCases = Box<dyn Fn(&World) -> Vec<ByIdCase>>;

/// How one schema field is probed.
struct Probe {
    by_id: ByIdCases,
    own: fn() -> Vec<OwnCase>,
}

fn no_id_cases(_: &World) -> Vec<ByIdCase> {
    Vec::new()
}

fn no_own_cases() -> Vec<OwnCase> {
    Vec::new()
}

/// Every field of the schema and how it is probed. A field added to the schema needs an entry
/// here (`every_schema_operation_has_a_probe` fails by name otherwise).
fn probe_table() -> Vec<(&'static str, Probe)> {
    vec![
        // Queries.
        (
            "me",
            Probe {
                by_id: Box::new(no_id_cases),
                own: || {
                    vec![OwnCase {
                        label: "the caller",
                        query: "query { me { sub tenantId roles customerId vendorId } }".into(),
                        variables: json!({}),
                    }]
                },
            },
        ),
        (
            "listCustomerAddresses",
            Probe {
                by_id: Box::new(no_id_cases),
                own: || {
                    vec![OwnCase {
                        label: "the caller's address book",
                        query: "query { listCustomerAddresses { id street city state postal country isDefault } }".into(),
                        variables: json!({}),
                    }]
                },
            },
        ),
        (
            "getOrder",
            Probe {
                by_id: Box::new(|w| {
                    order_cases(
                        w,
                        &format!("query($orderId: ID!) {{ getOrder(orderId: $orderId) {{ {ORDER_FIELDS} }} }}"),
                        |id| json!({"orderId": id}),
                    )
                }),
                own: no_own_cases,
            },
        ),
        (
            "listShippingOptions",
            Probe {
                by_id: Box::new(|w| {
                    order_cases(
                        w,
                        "query($orderId: ID!) { listShippingOptions(orderId: $orderId) { options { method name deliveryTime cost { amount currency } } userErrors { code field message } } }",
                        |id| json!({"orderId": id}),
                    )
                }),
                own: no_own_cases,
            },
        ),
        (
            "listOrders",
            Probe {
                // A's cursor against B's cursor of another list: both are someone else's.
                by_id: Box::new(|w| {
                    vec![ByIdCase {
                        label: "A's list cursor".into(),
                        query: "query($after: String) { listOrders(as: CUSTOMER, first: 1, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }".into(),
                        variables: json!({"after": ID}),
                        a_id: w.a_cursor.clone(),
                        missing_id: w.b_foreign_cursor.clone(),
                    }]
                }),
                own: || {
                    let list = |label, side: &str, status: Option<&str>| {
                        OwnCase {
                        label,
                        query: format!(
                            "query($status: OrderStatus) {{ listOrders(as: {side}, status: $status, first: 20) {{ edges {{ cursor node {{ {ORDER_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
                        ),
                        variables: json!({"status": status}),
                    }
                    };
                    vec![
                        list("the caller's orders", "CUSTOMER", None),
                        list("the caller's PENDING orders", "CUSTOMER", Some("PENDING")),
                        list("the vendor's orders", "VENDOR", None),
                        list("the vendor's CONFIRMED orders", "VENDOR", Some("CONFIRMED")),
                    ]
                },
            },
        ),
        // Mutations.
        (
            "syncUser",
            Probe {
                by_id: Box::new(no_id_cases),
                own: || {
                    let sync = |label, input: &str| {
                        OwnCase {
                        label,
                        query: format!("mutation {{ syncUser{input} {{ user {{ sub tenantId roles customerId vendorId }} userErrors {{ code field message }} }} }}"),
                        variables: json!({}),
                    }
                    };
                    vec![
                        sync("the caller, from the token", ""),
                        sync("the caller, with details", "(input: { firstName: \"Bea\", lastName: \"Other\", email: \"bea@other.example\" })"),
                    ]
                },
            },
        ),
        (
            "checkoutItems",
            Probe {
                by_id: Box::new(|_| {
                    vec![
                        order_mutation_case(
                            "checkoutItems",
                            "A's vendor",
                            json!({"vendorId": ID, "items": [{"sku": "T-SHIRT-L", "quantity": 1}]}),
                            A_ONLY_VENDOR,
                            MISSING_VENDOR,
                        ),
                        order_mutation_case(
                            "checkoutItems",
                            "A's product",
                            json!({"vendorId": VENDOR, "items": [{"sku": ID, "quantity": 1}]}),
                            A_ONLY_SKU,
                            MISSING_SKU,
                        ),
                    ]
                }),
                own: || {
                    let checkout = |label, input: Value| OwnCase {
                        label,
                        query: order_mutation("checkoutItems"),
                        variables: json!({ "input": input }),
                    };
                    vec![
                        checkout(
                            "a cart of the shared vendor's shared SKUs",
                            json!({"vendorId": VENDOR, "items": [{"sku": "T-SHIRT-L", "quantity": 2}, {"sku": "MUG-01", "quantity": 1}], "destination": singapore()}),
                        ),
                        checkout(
                            "the idempotency key A's customer used",
                            json!({"vendorId": VENDOR, "items": [{"sku": "T-SHIRT-L", "quantity": 1}], "destination": singapore(), "idempotencyKey": SHARED_IDEMPOTENCY_KEY}),
                        ),
                    ]
                },
            },
        ),
        order_mutation_entry_with(
            "addLineItems",
            "A's product",
            json!({"items": [{"sku": ID, "quantity": 1}]}),
            A_ONLY_SKU,
            MISSING_SKU,
        ),
        order_mutation_entry_with(
            "removeLineItems",
            "A's product",
            json!({"skus": [ID]}),
            A_ONLY_SKU,
            MISSING_SKU,
        ),
        order_mutation_entry_with(
            "changeOrderQuantity",
            "A's product",
            json!({"sku": ID, "quantity": 2}),
            A_ONLY_SKU,
            MISSING_SKU,
        ),
        order_mutation_entry_with(
            "changeDestination",
            "A's address",
            json!({"addressId": ID}),
            A_ONLY_ADDRESS,
            MISSING_ADDRESS,
        ),
        order_mutation_entry_with(
            "addCoupon",
            "A's coupon",
            json!({"code": ID}),
            A_ONLY_COUPON,
            MISSING_COUPON,
        ),
        order_mutation_entry_with(
            "removeCoupon",
            "A's coupon",
            json!({"code": ID}),
            A_ONLY_COUPON,
            MISSING_COUPON,
        ),
        order_mutation_entry("selectShippingOption"),
        order_mutation_entry("placeOrder"),
        order_mutation_entry_plus("confirmOrder", |w| {
            // A's verified payment, quoted for B's own PENDING order.
            let mut case = order_mutation_case(
                "confirmOrder",
                "A's payment",
                json!({"orderId": w.b_pending, "paymentMethod": "STRIPE", "transactionId": ID}),
                A_TRANSACTION,
                MISSING_TRANSACTION,
            );
            case.label = format!("{} on B's PENDING order", case.label);
            vec![case]
        }),
        order_mutation_entry("cancelOrder"),
        order_mutation_entry("markAsShipped"),
        order_mutation_entry("addShippingTrackingReference"),
        order_mutation_entry("markAsCompleted"),
    ]
}

/// The order mutation `field` on each of A's orders ([`order_mutation_cases`]).
fn order_mutation_entry(field: &'static str) -> (&'static str, Probe) {
    order_mutation_entry_plus(field, |_| Vec::new())
}

/// The order mutation `field` on each of A's orders, and once more on B's own DRAFT order
/// naming A's object `a_id` where `input` has [`ID`] ([`on_b_draft`]).
fn order_mutation_entry_with(
    field: &'static str,
    label: &'static str,
    input: Value,
    a_id: &'static str,
    missing_id: &'static str,
) -> (&'static str, Probe) {
    order_mutation_entry_plus(field, move |w| {
        vec![on_b_draft(w, field, label, input.clone(), a_id, missing_id)]
    })
}

/// The order mutation `field` on each of A's orders, then the cases `more` gives.
fn order_mutation_entry_plus(
    field: &'static str,
    more: impl Fn(&World) -> Vec<ByIdCase> + 'static,
) -> (&'static str, Probe) {
    (
        field,
        Probe {
            by_id: Box::new(move |w| {
                let mut cases = order_mutation_cases(w, field);
                cases.extend(more(w));
                cases
            }),
            own: no_own_cases,
        },
    )
}

/// `field(input: $input) { order { ... } userErrors { ... } }` with the input type the SDL's
/// naming rule gives (`addCoupon` → `AddCouponInput`).
fn order_mutation(field: &str) -> String {
    let mut chars = field.chars();
    let input_type = match chars.next() {
        Some(first) => format!("{}{}Input", first.to_ascii_uppercase(), chars.as_str()),
        None => panic!("empty field name"),
    };
    format!(
        "mutation($input: {input_type}!) {{ {field}(input: $input) {{ order {{ {ORDER_FIELDS} }} userErrors {{ code field message }} }} }}"
    )
}

fn order_mutation_case(
    field: &str,
    label: &str,
    input: Value,
    a_id: &str,
    missing_id: &str,
) -> ByIdCase {
    ByIdCase {
        label: label.into(),
        query: order_mutation(field),
        variables: json!({ "input": input }),
        a_id: a_id.into(),
        missing_id: missing_id.into(),
    }
}

/// `field` on B's own DRAFT order, naming A's object where `fields` has [`ID`].
fn on_b_draft(
    w: &World,
    field: &str,
    label: &str,
    mut fields: Value,
    a_id: &str,
    missing_id: &str,
) -> ByIdCase {
    fields["orderId"] = json!(w.b_draft);
    let mut case = order_mutation_case(field, label, fields, a_id, missing_id);
    case.label = format!("{label} on B's DRAFT order");
    case
}

/// `query` (with `$orderId`) on each of A's orders.
fn order_cases(w: &World, query: &str, variables: fn(&str) -> Value) -> Vec<ByIdCase> {
    w.a_orders
        .iter()
        .map(|(label, id)| ByIdCase {
            label: format!("A's {label} order"),
            query: query.into(),
            variables: variables(ID),
            a_id: id.clone(),
            missing_id: MISSING_ORDER.into(),
        })
        .collect()
}

/// The order mutation `field` on each of A's orders, with an input that would be valid for it.
fn order_mutation_cases(w: &World, field: &str) -> Vec<ByIdCase> {
    let input = order_mutation_inputs(ID)
        .into_iter()
        .find(|(name, _)| *name == field)
        .map(|(_, input)| input)
        .unwrap_or_else(|| panic!("no order input for {field}"));
    w.a_orders
        .iter()
        .map(|(label, id)| ByIdCase {
            label: format!("A's {label} order"),
            query: order_mutation(field),
            variables: json!({ "input": input }),
            a_id: id.clone(),
            missing_id: MISSING_ORDER.into(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The two tenants' objects.
// ---------------------------------------------------------------------------------------------

/// What the probe aims at: A's orders in every state a mutation acts on, and B's own orders to
/// carry A's other ids.
struct World {
    /// `(state, id)` of A's orders (customer c-demo, vendor v-demo).
    a_orders: Vec<(&'static str, String)>,
    a_cursor: String,
    /// A cursor of B's own customer for another list: rejected like A's must be.
    b_foreign_cursor: String,
    b_draft: String,
    b_pending: String,
}

fn a_customer(app: &TestApp) -> String {
    app.customer_token()
}

fn a_vendor(app: &TestApp) -> String {
    app.vendor_token()
}

/// The roles of B: `(name, B's token, the token of the same user in A)`.
fn roles(app: &TestApp) -> Vec<(&'static str, String, String)> {
    let both = [Role::Customer, Role::Vendor];
    let pairs: [(&'static str, &str, &[Role], Option<&str>); 4] = [
        // A verified user of B the token grants nothing (B's snapshots may).
        ("user without a role", CUSTOMER, &[], None),
        ("customer", CUSTOMER, &[Role::Customer], None),
        ("vendor", VENDOR_USER, &[Role::Vendor], Some(VENDOR)),
        ("customer and vendor", CUSTOMER, &both, Some(VENDOR)),
    ];
    pairs
        .into_iter()
        .map(|(name, sub, roles, vendor)| {
            (
                name,
                app.token(B, sub, roles, vendor),
                app.token(A, sub, roles, vendor),
            )
        })
        .collect()
}

fn address(street: &str) -> Address {
    Address::new(street, "Singapore", None, "048616", "SG").unwrap_or_else(|e| panic!("{e}"))
}

fn customer_address(id: &str, street: &str, is_default: bool) -> SnapshotWrite {
    SnapshotWrite::CustomerAddress(CustomerAddress {
        customer_id: CustomerId::new(CUSTOMER).unwrap_or_else(|e| panic!("{e}")),
        address_id: AddressId::new(id).unwrap_or_else(|e| panic!("{e}")),
        address_type: AddressType::Shipping,
        address: address(street),
        is_default,
        is_active: true,
    })
}

fn customer_details(first: &str, version: u64) -> SnapshotWrite {
    SnapshotWrite::Customer(Customer {
        customer_id: CustomerId::new(CUSTOMER).unwrap_or_else(|e| panic!("{e}")),
        first_name: Some(first.into()),
        last_name: Some(A_MARK.into()),
        email: Some(format!("ada{version}@tenant-a.example")),
        is_active: true,
    })
}

fn vendor_id(id: &str) -> VendorId {
    VendorId::new(id).unwrap_or_else(|e| panic!("{e}"))
}

/// A's own objects: B has the same ids for the shared ones (seeded), never these.
async fn seed_a_only(app: &TestApp) {
    let writes = vec![
        customer_details("Ada", 2),
        // Same address id as B's `addr-home`, other street.
        customer_address("addr-home", &format!("1 {A_MARK} Place"), true),
        customer_address(A_ONLY_ADDRESS, &format!("7 {A_MARK} Road"), false),
        SnapshotWrite::Coupon(demo_coupon(A_ONLY_COUPON)),
        SnapshotWrite::Product(product(A_ONLY_SKU, sgd("7.00"), 50)),
        SnapshotWrite::Vendor(Vendor {
            vendor_id: vendor_id(A_ONLY_VENDOR),
            name: format!("{A_MARK} Vendor"),
            country: country("SG"),
            is_active: true,
        }),
    ];
    for write in writes {
        app.apply(A, write, 2).await;
    }
}

/// Seeds A's objects and orders and B's carrier orders (journal closed: this is the owners'
/// own activity).
async fn world(app: &TestApp) -> World {
    seed_a_only(app).await;
    let c = a_customer(app);
    let v = a_vendor(app);
    // A's cart, created with the idempotency key B's customer will reuse.
    let draft = ok(app
        .mutate(
            &c,
            "checkoutItems",
            json!({"vendorId": VENDOR, "items": [{"sku": "T-SHIRT-L", "quantity": 1}, {"sku": "MUG-01", "quantity": 1}], "destination": singapore(), "idempotencyKey": SHARED_IDEMPOTENCY_KEY}),
        )
        .await);
    let draft = id_of(&draft);
    ok(app
        .mutate(
            &c,
            "addCoupon",
            json!({"orderId": draft, "code": "WELCOME10"}),
        )
        .await);
    let pending = app
        .pending_order(&c, &[("T-SHIRT-L", 1), ("MUG-01", 1)])
        .await;
    let pending_total = pending["total"]["amount"].clone();
    let pending = id_of(&pending);
    // A's verified payment for its pending order: B quotes its transaction id.
    let paid = event(
        "evt-a-paid",
        "payment.succeeded",
        A,
        1,
        json!({"order_id": pending, "transaction_id": A_TRANSACTION, "method": "Stripe", "amount": pending_total, "currency": "SGD"}),
    );
    let reply = app.post_webhook(A, "payments", &paid, WEBHOOK_SECRET).await;
    assert_eq!(reply.status, 202, "A's payment: {:?}", reply.body);
    app.wait_idle().await;
    let confirmed = id_of(&app.confirmed_order(&c, &[("CAP-01", 1)]).await);
    let shipped = id_of(&app.confirmed_order(&c, &[("HOODIE-M", 1)]).await);
    ok(app
        .mutate(&v, "markAsShipped", json!({"orderId": shipped}))
        .await);
    let cancelled = id_of(&app.pending_order(&c, &[("MUG-01", 1)]).await);
    ok(app
        .mutate(
            &c,
            "cancelOrder",
            json!({"orderId": cancelled, "reason": "changed my mind"}),
        )
        .await);
    let a_cursor = first_cursor(app, &c, "CUSTOMER", None).await;

    let b = app.token(B, CUSTOMER, &[Role::Customer], None);
    let b_draft = id_of(
        &app.checkout(&b, &[("T-SHIRT-L", 1), ("MUG-01", 1)], true)
            .await,
    );
    let b_pending = id_of(&app.pending_order(&b, &[("CAP-01", 1)]).await);
    let b_foreign_cursor = first_cursor(app, &b, "CUSTOMER", Some("DRAFT")).await;
    World {
        a_orders: vec![
            ("DRAFT", draft),
            ("PENDING", pending),
            ("CONFIRMED", confirmed),
            ("SHIPPED", shipped),
            ("CANCELLED", cancelled),
        ],
        a_cursor,
        b_foreign_cursor,
        b_draft,
        b_pending,
    }
}

/// The end cursor of the first page (one order) of a list.
async fn first_cursor(app: &TestApp, token: &str, side: &str, status: Option<&str>) -> String {
    let query = format!(
        "query($status: OrderStatus) {{ listOrders(as: {side}, status: $status, first: 1) {{ pageInfo {{ endCursor }} }} }}"
    );
    let data = app
        .gql_data(token, &query, json!({ "status": status }))
        .await;
    data["listOrders"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap_or_else(|| panic!("no cursor: {data}"))
        .to_string()
}

/// Everything of A an intruder could change, as A sees it.
async fn a_state(app: &TestApp, w: &World) -> Vec<Value> {
    let c = a_customer(app);
    let v = a_vendor(app);
    let mut state = Vec::new();
    for (_, id) in &w.a_orders {
        state.push(app.get_order(&c, id).await);
    }
    state.push(json!(app.list_orders(&c, "CUSTOMER", None).await));
    state.push(json!(app.list_orders(&v, "VENDOR", None).await));
    state.push(
        app.gql_data(
            &c,
            "query { me { sub tenantId roles customerId vendorId } listCustomerAddresses { id street city postal country isDefault } }",
            json!({}),
        )
        .await,
    );
    let skus = ["T-SHIRT-L", "MUG-01", "CAP-01", "HOODIE-M", A_ONLY_SKU]
        .iter()
        .map(|s| Sku::new(s).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let catalog = app
        .store
        .load_catalog(
            &tenant(A),
            &CatalogRequest {
                vendor_id: Some(vendor_id(VENDOR)),
                skus,
                ..CatalogRequest::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("A's catalog: {e}"));
    state.push(json!(format!("{catalog:?}")));
    state
}

/// Changes A's data everywhere B's answers would show a leak: the customer's details and
/// address book (same address id as B's), a price, both users' authorizations, a new CONFIRMED
/// order of the shared customer and vendor. `n` grows with every call (snapshot versions).
async fn change_a(app: &TestApp, n: u64) {
    let version = 100 + n;
    let writes = vec![
        customer_details(&format!("Ada{n}"), version),
        customer_address("addr-home", &format!("{n} {A_MARK} Street"), true),
        customer_address(&format!("addr-a-{n}"), &format!("{n} {A_MARK} Lane"), false),
        SnapshotWrite::Product(product(
            "T-SHIRT-L",
            sgd(&format!("3.{:02}", n % 100)),
            1000,
        )),
        SnapshotWrite::UserAuthorization(UserAuthorization {
            user_id: UserId::new(CUSTOMER).unwrap_or_else(|e| panic!("{e}")),
            // A new vendor every time: `me` and `syncUser` of A's customer change with it.
            roles: vec![Role::Vendor],
            vendor_id: Some(vendor_id(&format!("{A_ONLY_VENDOR}-{n}"))),
            is_active: true,
        }),
        SnapshotWrite::UserAuthorization(UserAuthorization {
            user_id: UserId::new(VENDOR_USER).unwrap_or_else(|e| panic!("{e}")),
            roles: if n.is_multiple_of(2) {
                vec![Role::Vendor, Role::Customer]
            } else {
                vec![Role::Vendor]
            },
            vendor_id: Some(vendor_id(VENDOR)),
            is_active: true,
        }),
    ];
    for write in writes {
        app.apply(A, write, version).await;
    }
    let c = a_customer(app);
    app.confirmed_order(&c, &[("T-SHIRT-L", 1)]).await;
}

// ---------------------------------------------------------------------------------------------
// Running the probe.
// ---------------------------------------------------------------------------------------------

/// Numbers the changes of A (their snapshot versions must grow, whichever probe run asks).
static CHANGES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Where GraphQL requests go: the whole API (`/graphql`) or one group function's route.
struct Api<'a> {
    app: &'a TestApp,
    url: String,
    /// The fields this endpoint serves (None: all).
    serves: Option<BTreeSet<&'static str>>,
}

impl Api<'_> {
    fn serves(&self, field: &str) -> bool {
        self.serves.as_ref().is_none_or(|s| s.contains(field))
    }

    async fn call(&self, token: &str, query: &str, variables: &Value) -> Value {
        let response = self
            .app
            .http
            .post(&self.url)
            .header("authorization", format!("Bearer {token}"))
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {}: {e}", self.url));
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .unwrap_or_else(|e| panic!("reading the body: {e}"));
        assert_eq!(status, 200, "{} answered HTTP {status}: {text}", self.url);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }
}

fn with_id(variables: &Value, id: &str) -> Value {
    let text = variables.to_string().replace(ID, id);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Asserts the call reached the field's resolver: `data` names the field, or the error is one
/// of the API's own (with a code), never a document the schema rejects (a stale probe would
/// otherwise compare two identical validation errors and pass).
fn assert_resolved(field: &str, what: &str, body: &Value) {
    if body["data"].get(field).is_some() {
        return;
    }
    let code = body["errors"][0]["extensions"]["code"].as_str();
    assert!(
        code.is_some_and(|c| c.chars().all(|ch| ch.is_ascii_uppercase() || ch == '_')
            && !c.starts_with("GRAPHQL")),
        "{what}: the call did not reach {field}: {body}"
    );
}

/// Asserts no key of A was read or written (and, for `writes_allowed` false, nothing at all was
/// written).
fn assert_clear(touched: &[StoreAccess], what: &str, writes_allowed: bool) {
    let of_a: Vec<String> = touched
        .iter()
        .filter(|t| t.reaches(A))
        .map(ToString::to_string)
        .collect();
    assert!(
        of_a.is_empty(),
        "{what}: tenant B's call touched tenant A's keys: {of_a:#?}"
    );
    if !writes_allowed {
        let writes: Vec<String> = touched
            .iter()
            .filter(|t| t.write)
            .map(ToString::to_string)
            .collect();
        assert!(
            writes.is_empty(),
            "{what}: a refused call wrote {writes:#?}"
        );
    }
}

/// Order ids and times in an answer, replaced by placeholders (two checkouts create two orders).
fn normalised(body: &Value) -> Value {
    match body {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("createdAt" | "updatedAt", Value::String(_)) => json!("{time}"),
                        ("id", Value::String(s)) if s.starts_with("ORD-") => json!("{order}"),
                        _ => normalised(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalised).collect()),
        other => other.clone(),
    }
}

/// What the probe saw, to check afterwards that it proved something for every field.
#[derive(Default)]
struct Coverage {
    /// Fields whose resolver answered at least once.
    resolved: BTreeSet<String>,
    /// Fields with own-data cases whose A-side answer moved when A's data changed.
    sensitive: BTreeSet<String>,
    own_fields: BTreeSet<String>,
    calls: usize,
    /// Every answer B got, to search for A's text at the end.
    answers: Vec<(String, String)>,
}

impl Coverage {
    /// `answer` is what is searched for A's data afterwards (`body` with B's own id replaced).
    fn note(&mut self, field: &str, what: &str, body: &Value, answer: String) {
        assert_resolved(field, what, body);
        if body["data"].get(field).is_some() {
            self.resolved.insert(field.to_string());
        }
        self.calls += 1;
        self.answers.push((what.to_string(), answer));
    }
}

/// Runs the whole table through `api` as every role of B; returns what it covered.
async fn run_probe(app: &TestApp, api: &Api<'_>, w: &World) -> Coverage {
    let roles = roles(app);
    let mut coverage = Coverage::default();
    let before = a_state(app, w).await;
    // By id first, while A's data stays put: afterwards A must be exactly as it was.
    for (field, probe) in probe_table() {
        if !api.serves(field) {
            continue;
        }
        for case in (probe.by_id)(w) {
            for (role, token, _) in &roles {
                let what = format!("{field} as B's {role} on {}", case.label);
                app.items.open_journal();
                let on_a = api
                    .call(token, &case.query, &with_id(&case.variables, &case.a_id))
                    .await;
                let touched = app.items.close_journal();
                assert_clear(&touched, &what, false);
                let on_missing = api
                    .call(
                        token,
                        &case.query,
                        &with_id(&case.variables, &case.missing_id),
                    )
                    .await;
                assert_eq!(
                    on_a.to_string().replace(&case.a_id, ID),
                    on_missing.to_string().replace(&case.missing_id, ID),
                    "{what}: the answer differs from the answer for an object B does not have"
                );
                let answer = on_a.to_string().replace(&case.a_id, ID);
                coverage.note(field, &what, &on_a, answer);
            }
        }
    }
    assert_eq!(
        a_state(app, w).await,
        before,
        "tenant A's objects changed while tenant B probed them"
    );
    // Own data: the same call before and after A's data changes.
    for (field, probe) in probe_table() {
        if !api.serves(field) {
            continue;
        }
        for case in (probe.own)() {
            coverage.own_fields.insert(field.to_string());
            // Every role before, one change of A, every role after.
            let mut before = Vec::new();
            for (role, token, a_twin) in &roles {
                let what = format!("{field} as B's {role} ({})", case.label);
                app.items.open_journal();
                let first = api.call(token, &case.query, &case.variables).await;
                assert_clear(&app.items.close_journal(), &what, true);
                let a_first = api.call(a_twin, &case.query, &case.variables).await;
                before.push((what, first, a_first));
            }
            change_a(
                app,
                CHANGES.fetch_add(1, std::sync::atomic::Ordering::SeqCst),
            )
            .await;
            for ((what, first, a_first), (_, token, a_twin)) in before.into_iter().zip(&roles) {
                app.items.open_journal();
                let second = api.call(token, &case.query, &case.variables).await;
                assert_clear(&app.items.close_journal(), &what, true);
                let a_second = api.call(a_twin, &case.query, &case.variables).await;
                assert_eq!(
                    normalised(&first),
                    normalised(&second),
                    "{what}: B's answer moved when only tenant A's data changed"
                );
                if normalised(&a_first) != normalised(&a_second) {
                    coverage.sensitive.insert(field.to_string());
                }
                coverage.note(field, &what, &first, first.to_string());
                coverage.note(field, &what, &second, second.to_string());
            }
        }
    }
    // No answer to B carries A's text or A's order ids (by-id answers are kept with the id B
    // itself sent replaced, so only what the server added is searched).
    for (what, answer) in &coverage.answers {
        assert!(
            !answer.contains(A_MARK) && !answer.contains(A_ONLY_VENDOR),
            "{what}: the answer carries tenant A's data: {answer}"
        );
        for (state, id) in &w.a_orders {
            assert!(
                !answer.contains(id.as_str()),
                "{what}: the answer names A's {state} order: {answer}"
            );
        }
    }
    coverage
}

fn assert_covers_everything(coverage: &Coverage, fields: &BTreeSet<String>) {
    let unresolved: Vec<&String> = fields.difference(&coverage.resolved).collect();
    assert!(
        unresolved.is_empty(),
        "no probe call reached these fields: {unresolved:?}"
    );
    let insensitive: Vec<&String> = coverage
        .own_fields
        .difference(&coverage.sensitive)
        .collect();
    assert!(
        insensitive.is_empty(),
        "changing A's data did not change A's own answer for {insensitive:?}: \
         their own-data probes cannot tell a leak from no leak"
    );
}

// ---------------------------------------------------------------------------------------------
// The tests: the table against the schema.
// ---------------------------------------------------------------------------------------------

#[test]
fn every_schema_operation_has_a_probe() {
    let probed: BTreeSet<&str> = probe_table().iter().map(|(f, _)| *f).collect();
    let missing: Vec<String> = schema_operations()
        .into_iter()
        .filter(|(_, field)| !probed.contains(field.as_str()))
        .map(|(root, field)| format!("{root}.{field}"))
        .collect();
    assert!(
        missing.is_empty(),
        "operations without a cross-tenant probe (add them to probe_table in \
         tests/tests/cross_tenant_probe.rs): {missing:?}"
    );
}

#[test]
fn every_probe_names_an_operation_of_the_schema_once_and_proves_something() {
    let fields: BTreeSet<String> = schema_operations().into_iter().map(|(_, f)| f).collect();
    let table = probe_table();
    let mut seen = BTreeSet::new();
    for (field, probe) in &table {
        assert!(
            fields.contains(*field),
            "probe_table has an entry for {field}, which the schema does not have"
        );
        assert!(seen.insert(*field), "probe_table lists {field} twice");
        let world = World {
            a_orders: vec![("DRAFT", "ORD-A".into())],
            a_cursor: "a-cursor".into(),
            b_foreign_cursor: "b-cursor".into(),
            b_draft: "ORD-B".into(),
            b_pending: "ORD-BP".into(),
        };
        let by_id = (probe.by_id)(&world);
        let own = (probe.own)();
        assert!(
            !by_id.is_empty() || !own.is_empty(),
            "the probe of {field} makes no call"
        );
        // Each call selects the field it stands for, and by-id calls put the id somewhere.
        for query in by_id
            .iter()
            .map(|c| &c.query)
            .chain(own.iter().map(|c| &c.query))
        {
            assert!(
                query.contains(&format!("{{ {field}(")) || query.contains(&format!("{{ {field} ")),
                "a call of the {field} probe does not select {field}: {query}"
            );
        }
        for case in &by_id {
            assert!(
                case.variables.to_string().contains(ID),
                "{field} / {}: the variables have no {ID}",
                case.label
            );
            assert_ne!(case.a_id, case.missing_id);
        }
    }
}

/// The whole API on the embedded store.
#[tokio::test]
async fn tenant_b_can_neither_see_nor_touch_tenant_a_through_any_graphql_operation() {
    let app = spawn_app(Backend::Embedded).await;
    let w = world(&app).await;
    let api = Api {
        app: &app,
        url: app.graphql_url(),
        serves: None,
    };
    let coverage = run_probe(&app, &api, &w).await;
    let fields = schema_operations().into_iter().map(|(_, f)| f).collect();
    assert_covers_everything(&coverage, &fields);
    eprintln!("{} probe calls", coverage.calls);
}

// ---------------------------------------------------------------------------------------------
// Webhooks and the CSV import: B's data, A's ids.
// ---------------------------------------------------------------------------------------------

fn a_order(w: &World, state: &str) -> String {
    w.a_orders
        .iter()
        .find(|(s, _)| *s == state)
        .map(|(_, id)| id.clone())
        .unwrap_or_else(|| panic!("A has no {state} order"))
}

/// The `data` of an event of `event_type` for tenant B that names A's objects: the shared ids
/// (vendor, product, customer, user, offer) and ids only A has (address, coupon, vendor, order,
/// payment). Every event type needs one (the match has no catch-all).
fn data_naming_a(event_type: EventType, w: &World) -> Value {
    match event_type {
        EventType::VendorProductUpserted => product_data("p-t-shirt-l", "T-SHIRT-L", "16.00", 40),
        EventType::VendorDetailsUpserted => {
            json!({"vendor_id": A_ONLY_VENDOR, "name": "B's vendor", "country": "SG"})
        }
        EventType::VendorCouponUpserted => {
            json!({"vendor_id": VENDOR, "coupon_code": A_ONLY_COUPON, "offer_id": "o-welcome10", "is_active": true})
        }
        EventType::VendorOfferUpserted => {
            json!({"vendor_id": VENDOR, "offer_id": "o-welcome10", "name": "B's 10% off", "offer_type": "coupon_discount", "discount_value": 10, "is_active": true})
        }
        EventType::VendorShippingOptionUpserted => {
            json!({"vendor_id": VENDOR, "name": "Standard", "delivery_time": "2-3 Days", "base_cost": "6", "conditions": {"max_weight": 30}, "is_active": true})
        }
        EventType::CustomerDetailsUpserted => {
            json!({"customer_id": CUSTOMER, "first_name": "Bea", "email": "bea@other.example"})
        }
        EventType::CustomerAddressUpserted => {
            json!({"customer_id": CUSTOMER, "address_id": A_ONLY_ADDRESS, "street": "2 B Street", "city": "Singapore", "postal": "048616", "country": "SG"})
        }
        EventType::UserAuthorizationUpserted => {
            json!({"user_id": VENDOR_USER, "roles": ["vendor"], "vendor_id": VENDOR})
        }
        EventType::UserLoggedIn => {
            json!({"sub": CUSTOMER, "email": "bea@other.example", "name": "Bea Other", "tenant_id": B, "roles": ["customer"]})
        }
        EventType::PaymentSucceeded => {
            json!({"order_id": a_order(w, "PENDING"), "transaction_id": "txn-b-1", "method": "Stripe", "amount": "10.00", "currency": "SGD"})
        }
        EventType::PaymentRefunded => {
            json!({"order_id": a_order(w, "PENDING"), "transaction_id": A_TRANSACTION, "method": "Stripe", "amount": "1.00", "currency": "SGD"})
        }
    }
}

/// Where webhooks go: the whole server or the webhook function's router.
struct Hooks<'a> {
    app: &'a TestApp,
    base_url: String,
}

impl Hooks<'_> {
    async fn post(&self, tenant: &str, kind: Kind, body: &Value, secret: &str) -> (u16, Value) {
        let raw = serde_json::to_vec(body).unwrap_or_else(|e| panic!("{e}"));
        let response = self
            .app
            .http
            .post(format!(
                "{}/webhooks/{tenant}/{}",
                self.base_url,
                kind.route()
            ))
            .header("content-type", "application/json")
            .header("oms-signature", sign(secret, &raw))
            .body(raw)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST webhook: {e}"));
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

impl Hooks<'_> {
    /// `POST /webhook/wss/{tenant}/{legacy kind}` as the original OMS's senders sign it.
    async fn post_legacy(
        &self,
        tenant: &str,
        kind: Kind,
        body: &str,
        secret: &str,
    ) -> (u16, Value) {
        let legacy_kind = kind
            .legacy_name()
            .unwrap_or_else(|| panic!("{kind:?} has no legacy route"));
        let response = self
            .app
            .http
            .post(format!(
                "{}/webhook/wss/{tenant}/{legacy_kind}",
                self.base_url
            ))
            .header(wss::SIGNATURE_HEADER, wss::sign(secret, body.as_bytes()))
            .header(
                wss::TIMESTAMP_HEADER,
                chrono::Utc::now().timestamp().to_string(),
            )
            .body(body.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST legacy webhook: {e}"));
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

/// Both tenants take the original OMS's senders too (the legacy route exists for them only).
async fn enable_legacy_senders(app: &TestApp) {
    for t in [A, B] {
        edit_tenant_config(app.store.as_ref(), &tenant(t), |config| {
            config.legacy_wss = true;
        })
        .await;
    }
}

/// Every event type, signed for B's path with B's secret and naming A's objects, is accepted
/// and applied to B alone; the same events signed with B's secret on A's path are refused
/// exactly like a bad signature, and write nothing. The same for the legacy route.
async fn probe_webhooks(app: &TestApp, hooks: &Hooks<'_>, w: &World) {
    enable_legacy_senders(app).await;
    let before = a_state(app, w).await;
    let mut kinds = BTreeSet::new();
    for (i, event_type) in EventType::ALL.into_iter().enumerate() {
        let kind = event_type.kind();
        kinds.insert(kind);
        let what = format!("{} webhook of tenant B", event_type.as_str());
        let body = event(
            &format!("evt-b-{i}"),
            event_type.as_str(),
            B,
            50,
            data_naming_a(event_type, w),
        );
        app.items.open_journal();
        let (status, reply) = hooks.post(B, kind, &body, OTHER_WEBHOOK_SECRET).await;
        app.wait_idle().await;
        let touched = app.items.close_journal();
        assert_eq!(status, 202, "{what}: {reply}");
        assert_clear(&touched, &what, true);
        assert!(
            touched.iter().any(|t| t.write && t.reaches(B)),
            "{what}: nothing was written to B, so the probe proves nothing: {touched:#?}"
        );

        // B's secret on A's path (the event claiming A) is a bad signature, nothing more.
        let forged = event(
            &format!("evt-forged-{i}"),
            event_type.as_str(),
            A,
            60,
            data_naming_a(event_type, w),
        );
        app.items.open_journal();
        let with_b_secret = hooks.post(A, kind, &forged, OTHER_WEBHOOK_SECRET).await;
        app.wait_idle().await;
        let touched = app.items.close_journal();
        let with_no_secret = hooks.post(A, kind, &forged, "a-secret-nobody-has").await;
        assert_eq!(
            with_b_secret.0, 401,
            "{what} on A's path: {with_b_secret:?}"
        );
        assert_eq!(
            with_b_secret, with_no_secret,
            "{what} on A's path: B's secret is answered unlike a bad signature"
        );
        let writes: Vec<String> = touched
            .iter()
            .filter(|t| t.write)
            .map(ToString::to_string)
            .collect();
        assert!(writes.is_empty(), "{what} on A's path wrote {writes:#?}");
    }
    assert_eq!(
        kinds,
        Kind::ALL.into_iter().collect::<BTreeSet<_>>(),
        "a webhook kind has no event type in the probe"
    );
    // The legacy route, for every kind the original senders have.
    for event_type in EventType::ALL {
        let kind = event_type.kind();
        let (Some(_), Some(legacy_type)) = (kind.legacy_name(), kind.legacy_event_type()) else {
            continue;
        };
        let what = format!("legacy {} webhook of tenant B", kind.route());
        let body_for = |t: &str| {
            let mut data = data_naming_a(event_type, w);
            data["tenant_id"] = json!(t);
            json!({"event_type": legacy_type, "data": data}).to_string()
        };
        app.items.open_journal();
        let (status, reply) = hooks
            .post_legacy(B, kind, &body_for(B), OTHER_WEBHOOK_SECRET)
            .await;
        app.wait_idle().await;
        let touched = app.items.close_journal();
        assert_eq!(status, 200, "{what}: {reply}");
        assert_clear(&touched, &what, true);
        assert!(
            touched.iter().any(|t| t.write && t.reaches(B)),
            "{what}: nothing was written to B: {touched:#?}"
        );
        let forged = body_for(A);
        app.items.open_journal();
        let with_b_secret = hooks
            .post_legacy(A, kind, &forged, OTHER_WEBHOOK_SECRET)
            .await;
        app.wait_idle().await;
        let touched = app.items.close_journal();
        let with_no_secret = hooks
            .post_legacy(A, kind, &forged, "a-secret-nobody-has")
            .await;
        assert_eq!(
            with_b_secret.0, 401,
            "{what} on A's path: {with_b_secret:?}"
        );
        assert_eq!(
            with_b_secret, with_no_secret,
            "{what} on A's path: B's secret is answered unlike a bad signature"
        );
        assert!(
            touched.iter().all(|t| !t.write),
            "{what} on A's path wrote {touched:#?}"
        );
    }
    assert_eq!(
        a_state(app, w).await,
        before,
        "tenant A's objects changed through tenant B's webhooks"
    );
}

/// One CSV cell of a `data` value (JSON columns hold JSON text), RFC 4180-quoted when needed.
fn cell(value: &Value) -> String {
    let text = match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(_) | Value::Bool(_) => value.to_string(),
        other => other.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[tokio::test]
async fn tenant_b_webhooks_of_every_kind_naming_tenant_a_objects_change_only_tenant_b() {
    let app = spawn_app(Backend::Embedded).await;
    let w = world(&app).await;
    let hooks = Hooks {
        app: &app,
        base_url: app.base_url.clone(),
    };
    probe_webhooks(&app, &hooks, &w).await;
}

#[tokio::test]
async fn a_csv_import_into_tenant_b_naming_tenant_a_objects_writes_only_tenant_b() {
    let app = spawn_app(Backend::Embedded).await;
    let w = world(&app).await;
    let before = a_state(&app, &w).await;
    for kind in Kind::CSV {
        let event_type = EventType::ALL
            .into_iter()
            .find(|t| t.kind() == kind)
            .unwrap_or_else(|| panic!("no event type of {kind:?}"));
        let data = data_naming_a(event_type, &w);
        let columns = data
            .as_object()
            .unwrap_or_else(|| panic!("data is not an object: {data}"));
        let header: Vec<&str> = columns.keys().map(String::as_str).collect();
        let row: Vec<String> = columns.values().map(cell).collect();
        let csv = format!("{},version\n{},70\n", header.join(","), row.join(","));
        let options = oms_webhooks::ImportOptions {
            dry_run: false,
            default_version: 70,
            imported_at: chrono::Utc::now(),
            rows_in_flight: oms_webhooks::IMPORT_CONCURRENCY,
        };
        app.items.open_journal();
        let report = oms_webhooks::import_csv(
            app.store.as_ref(),
            &tenant(B),
            kind,
            csv.as_bytes(),
            options,
            &mut |_| {},
        )
        .await
        .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        let touched = app.items.close_journal();
        let what = format!("CSV import of {} into B", kind.route());
        assert_eq!(
            (report.applied, report.invalid),
            (1, 0),
            "{what}: {report:?}\n{csv}"
        );
        assert_clear(&touched, &what, true);
        assert!(
            touched.iter().any(|t| t.write && t.reaches(B)),
            "{what}: nothing was written to B"
        );
    }
    assert_eq!(
        a_state(&app, &w).await,
        before,
        "tenant A's objects changed through tenant B's import"
    );
}

// ---------------------------------------------------------------------------------------------
// The Lambda handlers, composed as their mains compose them but over the journaled store.
// ---------------------------------------------------------------------------------------------

fn clock_of(app: &TestApp) -> Arc<dyn Clock> {
    app.clock.clone()
}

/// The graphql-<group> functions (each serving its part of the schema) on DynamoDB: together
/// they serve every field, and each field passes the probe there too.
#[tokio::test]
async fn every_graphql_function_as_tenant_b_neither_sees_nor_touches_tenant_a_on_dynamodb() {
    let app = spawn_app(Backend::Dynamo).await;
    let w = world(&app).await;
    let mut resolved = BTreeSet::new();
    for group in Group::ALL {
        let auth = Authenticator::new(AuthConfig::dev_hs256(app.secret.clone().into_bytes()))
            .unwrap_or_else(|e| panic!("{e}"));
        let function = oms_runtime::http::graphql_app(
            app.store.clone(),
            clock_of(&app),
            Arc::new(NoPaymentGateway),
            Arc::new(ValueSecrets),
            auth,
            group,
            false,
        );
        let (base, server) = serve(function.router).await;
        let serves: BTreeSet<&'static str> = group
            .query_fields()
            .iter()
            .chain(group.mutation_fields())
            .copied()
            .collect();
        let api = Api {
            app: &app,
            url: format!("{base}/graphql/{}", group.as_str()),
            serves: Some(serves.clone()),
        };
        let coverage = run_probe(&app, &api, &w).await;
        assert_covers_everything(&coverage, &serves.iter().map(|f| f.to_string()).collect());
        resolved.extend(coverage.resolved);
        server.abort();
    }
    let fields: BTreeSet<String> = schema_operations().into_iter().map(|(_, f)| f).collect();
    assert_eq!(
        resolved, fields,
        "the group functions together do not serve exactly the schema's fields"
    );
}

/// The webhooks function (its router over the journaled table) and the sync-updater handler
/// (an SQS batch of B's messages naming A's objects) on DynamoDB.
#[tokio::test]
async fn the_webhooks_and_sync_updater_functions_as_tenant_b_touch_only_tenant_b_on_dynamodb() {
    let app = spawn_app(Backend::Dynamo).await;
    let w = world(&app).await;
    let function = oms_runtime::http::webhook_app(
        app.store.clone(),
        Arc::new(app.queue.clone()),
        clock_of(&app),
        Arc::new(ValueSecrets),
    );
    let (base, server) = serve(function.router).await;
    probe_webhooks(
        &app,
        &Hooks {
            app: &app,
            base_url: base,
        },
        &w,
    )
    .await;
    server.abort();

    // The updater on an SQS batch, as the event-source mapping hands it over.
    let before = a_state(&app, &w).await;
    let later_than_now_ms =
        u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or_default() + 3_600_000;
    let records: Vec<Value> = EventType::ALL
        .into_iter()
        .enumerate()
        .map(|(i, event_type)| {
            let message = SyncMessage {
                format: MESSAGE_FORMAT,
                source: MessageSource::Webhook,
                tenant: B.into(),
                kind: event_type.kind().route().into(),
                event_type: event_type.as_str().into(),
                event_id: format!("evt-sqs-b-{i}"),
                // Past the legacy senders' versions (their receive time in ms).
                version: later_than_now_ms,
                occurred_at: chrono::Utc::now(),
                data: data_naming_a(event_type, &w)
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            };
            let body = message.encode().unwrap_or_else(|e| panic!("{e}"));
            json!({
                "messageId": format!("msg-b-{i}"),
                "receiptHandle": format!("receipt-b-{i}"),
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "MessageGroupId": format!("{B}#{}:{i}", event_type.kind().route()),
                },
                "messageAttributes": {"tenant": {"stringValue": B, "dataType": "String"}},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:oms-sync.fifo",
                "awsRegion": "us-east-1"
            })
        })
        .collect();
    let event: aws_lambda_events::sqs::SqsEvent =
        serde_json::from_value(json!({ "Records": records }))
            .unwrap_or_else(|e| panic!("not an SQS event: {e}"));
    let deps = oms_webhooks::UpdaterDeps::new(app.store.clone(), clock_of(&app));
    app.items.open_journal();
    let (response, _) = oms_runtime::lambda::updater_batch(&deps, None, event).await;
    let touched = app.items.close_journal();
    assert!(
        response.batch_item_failures.is_empty(),
        "the updater failed records: {:?}",
        response.batch_item_failures
    );
    assert_eq!(
        deps.stats.applied(),
        EventType::ALL.len() as u64,
        "every message of B should have been applied"
    );
    assert_clear(&touched, "sync-updater on B's batch", true);
    assert_eq!(
        a_state(&app, &w).await,
        before,
        "tenant A's objects changed through the updater"
    );
}

/// The relay's events queue, keeping what it is given.
#[derive(Default)]
struct KeptQueue(std::sync::Mutex<Vec<QueueMessage>>);

#[async_trait::async_trait]
impl EventQueue for KeptQueue {
    async fn publish(&self, message: QueueMessage) -> Result<(), QueueError> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(message);
        Ok(())
    }
}

/// The sender's HTTPS client, keeping the URLs it is asked to post to.
#[derive(Default)]
struct KeptDeliveries(std::sync::Mutex<Vec<String>>);

#[async_trait::async_trait]
impl oms_outbound::EventDelivery for KeptDeliveries {
    async fn post(
        &self,
        url: &str,
        _signature: &str,
        _body: axum::body::Bytes,
    ) -> Result<u16, String> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(url.to_string());
        Ok(200)
    }
}

/// A stream record of an outbox insert in partition `pk_tenant`'s order `order`, whose event
/// body says `body_tenant`.
fn outbox_record(seq: u32, pk_tenant: &str, order: &str, body_tenant: &str, sk: &str) -> Value {
    let pk = format!("T#{pk_tenant}#ORDER#{order}");
    let event_id = format!("{order}-3-0");
    let body = json!({
        "id": event_id, "type": "order.placed", "tenant_id": body_tenant, "version": 3,
        "occurred_at": "2026-11-25T10:00:00Z",
        "data": {"order_id": order, "status": "PENDING", "customer_id": CUSTOMER, "vendor_id": VENDOR,
                 "currency": "SGD", "total": "10.00",
                 "change": {"type": "order.placed", "customer_id": CUSTOMER, "vendor_id": VENDOR}}
    });
    json!({
        "eventID": format!("evt-{seq}"),
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1795600800,
            "Keys": {"pk": {"S": pk}, "sk": {"S": sk}},
            "SequenceNumber": format!("{:021}", seq),
            "SizeBytes": 512,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
            "NewImage": {
                "pk": {"S": pk}, "sk": {"S": sk}, "entity": {"S": "OutboxEvent"},
                "event_id": {"S": event_id}, "body": {"S": body.to_string()},
                "expires_at": {"N": "1796205600"}
            }
        },
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/oms/stream/2026-11-25T00:00:00.000"
    })
}

/// The outbox-relay, event-sender and hold-sweeper handlers on DynamoDB, fed B's records that
/// name A's orders (and records whose key and body disagree on the tenant).
#[tokio::test]
async fn the_relay_sender_and_hold_sweeper_as_tenant_b_touch_only_tenant_b_on_dynamodb() {
    let app = spawn_app(Backend::Dynamo).await;
    let w = world(&app).await;
    // Both tenants subscribed to their order events (the relay queues only those).
    let a_url = "https://events.tenant-a.example/hook";
    let b_url = "https://events.tenant-b.example/hook";
    for (t, url) in [(A, a_url), (B, b_url)] {
        edit_tenant_config(app.store.as_ref(), &tenant(t), |config| {
            config.events_url = Some(url.into());
        })
        .await;
        edit_tenant_secrets(app.store.as_ref(), &tenant(t), |secrets| {
            secrets.events_secret = Some(format!("events-secret-{t}"));
        })
        .await;
    }
    let a_pending = a_order(&w, "PENDING");
    let before = a_state(&app, &w).await;

    // outbox-relay: B's own outbox event (published, B's keys only), an insert in B's partition
    // naming A's order (nothing of A read), and records whose key and body name different
    // tenants (ignored).
    let mut request = QueryRequest::new(Index::Primary, format!("T#{B}#ORDER#{}", w.b_pending));
    request.sk = SkCondition::BeginsWith("OUTBOX#".into());
    let page = app
        .items
        .query(request)
        .await
        .unwrap_or_else(|e| panic!("B's outbox: {e}"));
    let b_outbox_sk = page
        .items
        .iter()
        .find_map(|item| item.get("sk").and_then(|v| v.as_s()).map(str::to_string))
        .unwrap_or_else(|| panic!("B's pending order has no outbox event"));
    let records = vec![
        outbox_record(1, B, &w.b_pending, B, &b_outbox_sk),
        outbox_record(2, B, &a_pending, B, "OUTBOX#000000000003#000"),
        outbox_record(3, B, &a_pending, A, "OUTBOX#000000000003#000"),
        outbox_record(4, A, &a_pending, B, "OUTBOX#000000000003#000"),
    ];
    let event: oms_outbound::StreamEvent = serde_json::from_value(json!({ "Records": records }))
        .unwrap_or_else(|e| panic!("not a stream event: {e}"));
    let queue = Arc::new(KeptQueue::default());
    let relay = oms_outbound::RelayDeps {
        store: app.store.clone(),
        queue: queue.clone(),
        clock: clock_of(&app),
    };
    app.items.open_journal();
    let (_, report) = oms_outbound::relay(&relay, event).await;
    let touched = app.items.close_journal();
    assert_clear(&touched, "outbox-relay on B's records", true);
    let published = queue
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    assert_eq!(report.published, 1, "{report:?}");
    assert_eq!(published.len(), 1, "{published:?}");
    assert_eq!(published[0].tenant.as_str(), B);
    assert!(
        published[0].body.contains(&w.b_pending) && !published[0].body.contains(&a_pending),
        "{published:?}"
    );

    // event-sender: both tenants subscribed; B's messages (one naming A's order, one whose body
    // claims tenant A) never reach A's URL nor read A's configuration or secrets.
    let message = |i: u32, body_tenant: &str| {
        let body = json!({
            "id": format!("{a_pending}-3-{i}"), "type": "order.placed", "tenant_id": body_tenant,
            "version": 3, "occurred_at": "2026-11-25T10:00:00Z",
            "data": {"order_id": a_pending, "status": "PENDING", "customer_id": CUSTOMER,
                     "vendor_id": VENDOR, "currency": "SGD", "total": "10.00"}
        });
        json!({
            "messageId": format!("out-{i}"),
            "receiptHandle": format!("receipt-out-{i}"),
            "body": body.to_string(),
            "attributes": {"ApproximateReceiveCount": "1", "MessageGroupId": format!("{a_pending}-{i}")},
            "messageAttributes": {"tenant": {"stringValue": B, "dataType": "String"}},
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:oms-events.fifo",
            "awsRegion": "us-east-1"
        })
    };
    let event: aws_lambda_events::sqs::SqsEvent =
        serde_json::from_value(json!({"Records": [message(0, B), message(1, A)]}))
            .unwrap_or_else(|e| panic!("not an SQS event: {e}"));
    let deliveries = Arc::new(KeptDeliveries::default());
    let sender = oms_outbound::SenderDeps {
        store: app.store.clone(),
        delivery: deliveries.clone(),
        clock: clock_of(&app),
        metrics: Arc::new(oms_application::metrics::Metrics::new()),
        secrets: Arc::new(ValueSecrets),
    };
    app.items.open_journal();
    oms_runtime::lambda::sender_batch(&sender, None, event).await;
    let touched = app.items.close_journal();
    assert_clear(&touched, "event-sender on B's messages", true);
    let urls = deliveries
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    assert!(
        !urls.is_empty() && urls.iter().all(|u| u == b_url),
        "B's events went to {urls:?}"
    );

    // hold-sweeper: a lapsed entry in B's hold index naming A's PENDING order. The sweep walks
    // every tenant's hold index (A's included: that is its job), but acting on B's entry it
    // reads B's order of that id only, and A's order stays PENDING.
    let lapsed = chrono::Utc::now() - chrono::Duration::minutes(1);
    let order_id = oms_domain::ids::OrderId::new(&a_pending).unwrap_or_else(|e| panic!("{e}"));
    let key = oms_persistence::keys::hold(&tenant(B), lapsed, &order_id);
    let mut item = Item::new();
    item.insert("pk".into(), StoreValue::S(key.pk.clone()));
    item.insert("sk".into(), StoreValue::S(key.sk.clone()));
    item.insert("entity".into(), StoreValue::S("Hold".into()));
    item.insert("order_id".into(), StoreValue::S(a_pending.clone()));
    item.insert(
        "hold_expires_at".into(),
        StoreValue::S(lapsed.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
    );
    app.items
        .write(WriteOp::Put { item, cond: None })
        .await
        .unwrap_or_else(|e| panic!("B's hold entry: {e}"));
    app.items.open_journal();
    let (answer, _) = oms_runtime::lambda::hold_sweep(&app.oms)
        .await
        .unwrap_or_else(|e| panic!("sweep: {e}"));
    let touched = app.items.close_journal();
    let of_a: Vec<String> = touched
        .iter()
        .filter(|t| t.reaches(A))
        .filter(|t| {
            // Listing the tenants and reading A's own hold index is the sweep's job.
            t.write
                || t.sk.is_some()
                || !(t.pk == oms_persistence::keys::TENANTS_PK
                    || t.pk.starts_with(&format!("T#{A}#HOLDS#")))
        })
        .map(ToString::to_string)
        .collect();
    assert!(
        of_a.is_empty(),
        "the sweep of B's entry touched A's data: {of_a:#?} ({answer})"
    );
    let b_order_key = format!("T#{B}#ORDER#{a_pending}");
    assert!(
        touched.iter().any(|t| !t.write && t.pk == b_order_key),
        "the sweep did not look B's entry up, so it proves nothing: {touched:#?}"
    );
    assert!(
        touched.iter().any(|t| t.write && t.pk == key.pk),
        "the sweep left B's lapsed entry in place: {touched:#?}"
    );
    assert_eq!(
        a_state(&app, &w).await,
        before,
        "tenant A's objects changed through the relay, sender or sweep"
    );
}
