//! syncUser never revives a customer the customer system retired, and keeps what a newer
//! snapshot says, through the HTTP API (embedded store; the conditional writes themselves are in
//! the persistence suite on both backends).

use oms_application::ports::SnapshotWrite;
use oms_domain::catalog::Customer;
use oms_domain::ids::CustomerId;
use oms_e2e::*;
use serde_json::json;

const SYNC_USER: &str = "mutation($input: SyncUserInput!) { syncUser(input: $input) { user { sub customerId } userErrors { code field message } } }";

#[tokio::test]
async fn sync_user_of_a_retired_customer_is_invalid_state_and_writes_nothing() {
    let app = spawn_app(Backend::Embedded).await;
    let retired = Customer {
        customer_id: CustomerId::new("c-retired").unwrap_or_else(|e| panic!("{e}")),
        first_name: Some("Gone".into()),
        last_name: None,
        email: Some("gone@example.com".into()),
        is_active: false,
    };
    app.apply(TENANT, SnapshotWrite::Customer(retired.clone()), 3)
        .await;
    let token = app.token(
        TENANT,
        "c-retired",
        &[oms_domain::auth::Role::Customer],
        None,
    );
    let writes = app.writes();
    let data = app
        .gql_data(&token, SYNC_USER, json!({"input": {"firstName": "Back"}}))
        .await;
    let payload = &data["syncUser"];
    assert!(payload["user"].is_null(), "{payload}");
    assert_eq!(
        payload["userErrors"][0]["code"], "INVALID_STATE",
        "{payload}"
    );
    assert!(payload["userErrors"][0]["field"].is_null(), "{payload}");
    assert!(
        payload["userErrors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("was deactivated by the customer system")),
        "{payload}"
    );
    assert_eq!(app.writes(), writes, "a refused syncUser wrote");
    let stored = app
        .store
        .get_customer(&tenant(TENANT), &retired.customer_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stored, Some(retired));

    // An active customer is refreshed, keeping what the token and input leave out.
    let data = app
        .gql_data(
            &app.customer_token(),
            SYNC_USER,
            json!({"input": {"firstName": "Demo"}}),
        )
        .await;
    assert_eq!(data["syncUser"]["userErrors"], json!([]), "{data}");
    assert_eq!(data["syncUser"]["user"]["customerId"], CUSTOMER);
}
