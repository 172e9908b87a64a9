//! Top-level errors: UNAUTHENTICATED, FORBIDDEN, INTERNAL; and the caller queries.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use oms_application::ports::{
    ApplyOutcome, CatalogRepository, CatalogRequest, CatalogView, CommitError, CustomerRefresh,
    ListError, NoPaymentGateway, OrderCommit, OrderLoad, OrderLoadRequest, OrderPage, OrderQuery,
    OrderRepository, SnapshotWrite, StoreFault, SyncRepository, TenantRepository,
};
use oms_application::records::{PaymentRecord, TenantConfig, TenantSecrets};
use oms_application::Oms;
use oms_domain::auth::Role;
use oms_domain::catalog::{Customer, CustomerAddress, UserAuthorization};
use oms_domain::ids::{CustomerId, OrderId, TenantId, UserId};
use oms_domain::order::Order;
use oms_graphql::{build_schema, SchemaOptions};
use serde_json::{json, Value};

use crate::support::{
    self, assert_no_errors, caller, customer, error_codes, run, vendor, TENANT, VENDOR,
};

const SECRET: &str = "table oms-prod-secret throttled at 10.0.0.7";

fn fault() -> StoreFault {
    StoreFault::new(SECRET)
}

/// A store whose every call fails (an outage).
struct BrokenStore;

#[async_trait]
impl OrderRepository for BrokenStore {
    async fn get_order(&self, _: &TenantId, _: &OrderId) -> Result<Option<Order>, StoreFault> {
        Err(fault())
    }
    async fn load_order(
        &self,
        _: &TenantId,
        _: &OrderLoadRequest<'_>,
    ) -> Result<OrderLoad, StoreFault> {
        Err(fault())
    }
    async fn commit(&self, _: &TenantId, _: OrderCommit) -> Result<(), CommitError> {
        Err(CommitError::Fault(fault()))
    }
    async fn list_orders(&self, _: &TenantId, _: &OrderQuery) -> Result<OrderPage, ListError> {
        Err(ListError::Fault(fault()))
    }
}

#[async_trait]
impl CatalogRepository for BrokenStore {
    async fn load_catalog(
        &self,
        _: &TenantId,
        _: &CatalogRequest,
    ) -> Result<CatalogView, StoreFault> {
        Err(fault())
    }
    async fn list_customer_addresses(
        &self,
        _: &TenantId,
        _: &CustomerId,
    ) -> Result<Vec<CustomerAddress>, StoreFault> {
        Err(fault())
    }
    async fn get_user_authorization(
        &self,
        _: &TenantId,
        _: &UserId,
    ) -> Result<Option<UserAuthorization>, StoreFault> {
        Err(fault())
    }
    async fn get_customer(
        &self,
        _: &TenantId,
        _: &CustomerId,
    ) -> Result<Option<Customer>, StoreFault> {
        Err(fault())
    }
}

#[async_trait]
impl SyncRepository for BrokenStore {
    async fn apply_snapshot(
        &self,
        _: &TenantId,
        _: SnapshotWrite,
        _: u64,
    ) -> Result<ApplyOutcome, StoreFault> {
        Err(fault())
    }
    async fn apply_product_snapshot(
        &self,
        _: &TenantId,
        _: oms_domain::catalog::Product,
        _: u64,
        _: DateTime<Utc>,
    ) -> Result<ApplyOutcome, StoreFault> {
        Err(fault())
    }
    async fn record_event_id(
        &self,
        _: &TenantId,
        _: &str,
        _: DateTime<Utc>,
    ) -> Result<bool, StoreFault> {
        Err(fault())
    }
    async fn refresh_customer(
        &self,
        _: &TenantId,
        _: &CustomerId,
        _: &(dyn for<'c> Fn(Option<&'c Customer>) -> Customer + Send + Sync),
    ) -> Result<CustomerRefresh, StoreFault> {
        Err(fault())
    }
    async fn ensure_user_authorization(
        &self,
        _: &TenantId,
        _: UserAuthorization,
    ) -> Result<UserAuthorization, StoreFault> {
        Err(fault())
    }
    async fn record_payment(
        &self,
        _: &TenantId,
        _: PaymentRecord,
        _: u64,
    ) -> Result<ApplyOutcome, StoreFault> {
        Err(fault())
    }
}

#[async_trait]
impl TenantRepository for BrokenStore {
    async fn get_tenant_config(&self, _: &TenantId) -> Result<Option<TenantConfig>, StoreFault> {
        Err(fault())
    }
    async fn put_tenant_config(&self, _: &TenantConfig) -> Result<(), StoreFault> {
        Err(fault())
    }
    async fn get_tenant_secrets(&self, _: &TenantId) -> Result<Option<TenantSecrets>, StoreFault> {
        Err(fault())
    }
    async fn put_tenant_secrets(&self, _: &TenantSecrets) -> Result<(), StoreFault> {
        Err(fault())
    }
}

#[async_trait]
impl oms_application::ports::HoldRepository for BrokenStore {
    async fn lapsed_holds(
        &self,
        _: &TenantId,
        _: DateTime<Utc>,
        _: usize,
    ) -> Result<Vec<oms_application::ports::Hold>, StoreFault> {
        Err(fault())
    }
    async fn drop_hold(
        &self,
        _: &TenantId,
        _: &oms_application::ports::Hold,
    ) -> Result<(), StoreFault> {
        Err(fault())
    }
    async fn tenants(&self) -> Result<Vec<TenantId>, StoreFault> {
        Err(fault())
    }
}

#[async_trait]
impl oms_application::ports::OutboxRepository for BrokenStore {
    async fn outbox_event_pending(
        &self,
        _: &TenantId,
        _: &oms_application::ports::OutboxPosition,
    ) -> Result<bool, StoreFault> {
        Err(fault())
    }
    async fn expire_outbox_event(
        &self,
        _: &TenantId,
        _: &oms_application::ports::OutboxPosition,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreFault> {
        Err(fault())
    }
}

#[tokio::test]
async fn without_a_caller_every_field_is_unauthenticated() {
    let schema = support::schema().await;
    let queries = [
        ("{ me { sub } }", json!({})),
        ("{ getOrder(orderId: \"ORD-1\") { id } }", json!({})),
        (
            "{ listOrders(as: CUSTOMER) { edges { cursor } } }",
            json!({}),
        ),
        ("{ listCustomerAddresses { id } }", json!({})),
        (
            "{ listShippingOptions(orderId: \"ORD-1\") { options { name } } }",
            json!({}),
        ),
        ("mutation { syncUser { user { sub } } }", json!({})),
        (
            "mutation { placeOrder(input: { orderId: \"ORD-1\" }) { order { id } } }",
            json!({}),
        ),
        (
            "mutation { changeDestination(input: { orderId: \"ORD-1\" }) { order { id } } }",
            json!({}),
        ),
        (
            "mutation { markAsShipped(input: { orderId: \"ORD-1\" }) { order { id } } }",
            json!({}),
        ),
    ];
    for (query, variables) in queries {
        let response = run(&schema, None, query, variables).await;
        assert_eq!(
            error_codes(&response),
            ["UNAUTHENTICATED"],
            "{query}: {response:#}"
        );
        assert_eq!(response["errors"][0]["message"], "unauthenticated");
        assert_eq!(response["data"], Value::Null, "{query}");
    }
    // Two root fields: each fails on its own.
    let response = run(
        &schema,
        None,
        "{ a: getOrder(orderId: \"x\") { id } b: getOrder(orderId: \"y\") { id } }",
        json!({}),
    )
    .await;
    assert_eq!(
        error_codes(&response),
        ["UNAUTHENTICATED", "UNAUTHENTICATED"]
    );
}

#[tokio::test]
async fn a_role_that_may_never_call_the_operation_is_forbidden() {
    let schema = support::schema().await;
    let response = run(
        &schema,
        Some(vendor()),
        "mutation($input: CheckoutItemsInput!) { checkoutItems(input: $input) { order { id } userErrors { code } } }",
        json!({ "input": { "vendorId": VENDOR, "items": [{ "sku": "MUG-01", "quantity": 1 }] } }),
    )
    .await;
    assert_eq!(error_codes(&response), ["FORBIDDEN"], "{response:#}");
    assert_eq!(response["errors"][0]["message"], "forbidden");
    assert_eq!(response["errors"][0]["path"], json!(["checkoutItems"]));
    assert_eq!(response["data"], Value::Null);

    let response = run(
        &schema,
        Some(vendor()),
        "{ listCustomerAddresses { id } }",
        json!({}),
    )
    .await;
    assert_eq!(error_codes(&response), ["FORBIDDEN"], "{response:#}");
}

#[tokio::test]
async fn faults_are_internal_with_the_request_id_and_no_detail() {
    let oms = Oms::new(
        Arc::new(BrokenStore),
        Arc::new(oms_application::ports::ManualClock::new(support::now())),
        Arc::new(NoPaymentGateway),
    );
    let schema = build_schema(oms, SchemaOptions::default());
    let queries = [
        "{ me { sub } }",
        "{ getOrder(orderId: \"ORD-1\") { id } }",
        "{ listOrders(as: CUSTOMER) { edges { cursor } } }",
        "mutation { syncUser { user { sub } userErrors { code } } }",
        "mutation { checkoutItems(input: { vendorId: \"v-1\", items: [{ sku: \"MUG-01\", quantity: 1 }] }) { order { id } userErrors { code } } }",
    ];
    for query in queries {
        let response = run(&schema, Some(customer()), query, json!({})).await;
        assert_eq!(
            error_codes(&response),
            ["INTERNAL"],
            "{query}: {response:#}"
        );
        assert_eq!(response["errors"][0]["message"], "internal error");
        assert_eq!(response["errors"][0]["extensions"]["requestId"], "req-c-1");
        let text = response.to_string();
        assert!(
            !text.contains("secret") && !text.contains("10.0.0.7") && !text.contains("storage"),
            "leak: {text}"
        );
    }
}

#[tokio::test]
async fn me_and_sync_user_describe_the_caller() {
    let schema = support::schema().await;
    let me = run(
        &schema,
        Some(customer()),
        "{ me { sub tenantId roles customerId vendorId } }",
        json!({}),
    )
    .await;
    assert_no_errors(&me);
    assert_eq!(
        me["data"]["me"],
        json!({ "sub": "c-1", "tenantId": TENANT, "roles": ["CUSTOMER"], "customerId": "c-1", "vendorId": null })
    );

    let me = run(
        &schema,
        Some(vendor()),
        "{ me { sub roles customerId vendorId } }",
        json!({}),
    )
    .await;
    assert_eq!(
        me["data"]["me"],
        json!({ "sub": "u-vendor", "roles": ["VENDOR"], "customerId": null, "vendorId": VENDOR })
    );

    let both = caller(TENANT, "u-both", &[Role::Customer, Role::Vendor], None);
    let synced = run(
        &schema,
        Some(both.clone()),
        "mutation($input: SyncUserInput) { syncUser(input: $input) { user { sub tenantId roles customerId vendorId } userErrors { code } } }",
        json!({ "input": { "firstName": "Sam" } }),
    )
    .await;
    assert_no_errors(&synced);
    assert_eq!(
        synced["data"]["syncUser"],
        json!({ "user": { "sub": "u-both", "tenantId": TENANT, "roles": ["CUSTOMER", "VENDOR"], "customerId": "u-both", "vendorId": "u-both" }, "userErrors": [] })
    );
    // The input is optional.
    let synced = run(
        &schema,
        Some(both),
        "mutation { syncUser { user { sub } userErrors { code } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        synced["data"]["syncUser"]["user"]["sub"], "u-both",
        "{synced:#}"
    );

    // A caller without roles cannot see orders at all.
    let nobody = caller(TENANT, "u-none", &[], None);
    let response = run(
        &schema,
        Some(nobody),
        "{ getOrder(orderId: \"ORD-1\") { id } }",
        json!({}),
    )
    .await;
    assert_eq!(error_codes(&response), ["FORBIDDEN"], "{response:#}");
}
