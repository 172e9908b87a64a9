//! Authentication and authorization over HTTP (embedded store).
//!
//! - Every bad token is one top-level `UNAUTHENTICATED` error whose message is exactly
//!   "unauthenticated" (no hint of what failed), `data: null`, and nothing is written.
//! - A role that may never call an operation is `FORBIDDEN`, and nothing changes.
//!
//! The production (JWKS) mode and the attacks on it (alg none, key confusion, tampering, unknown
//! kids, rotation, an IdP down or hanging, …) are the JWT attack suite, `tests/jwt_attacks.rs`.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use oms_domain::auth::Role;
use oms_e2e::*;
use serde_json::{json, Value};

const CHECKOUT: &str = "mutation { checkoutItems(input: {vendorId: \"v-demo\", items: [{sku: \"T-SHIRT-L\", quantity: 1}]}) { order { id } userErrors { code } } }";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Claims of a valid dev token for c-demo.
fn dev_claims() -> Value {
    json!({"sub": CUSTOMER, "tenant_id": TENANT, "roles": ["customer"], "iss": "oms-dev", "aud": "oms", "iat": now(), "exp": now() + 600})
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().unwrap().remove(key);
    claims
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims
        .as_object_mut()
        .unwrap()
        .insert(key.to_string(), value);
    claims
}

fn hs256(secret: &[u8], claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

fn raw_token(header: &Value, claims: &Value, signature: &str) -> String {
    format!(
        "{}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// Asserts the reply is exactly one UNAUTHENTICATED error with no detail, and `data` is null.
fn assert_unauthenticated(reply: &Reply, case: &str) {
    assert_eq!(reply.status, 200, "{case}: {:?}", reply.body);
    let body = &reply.body;
    assert!(body["data"].is_null(), "{case}: data must be null: {body}");
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{case}: no errors: {body}"));
    assert_eq!(errors.len(), 1, "{case}: {body}");
    assert_eq!(errors[0]["message"], "unauthenticated", "{case}: {body}");
    assert_eq!(
        errors[0]["extensions"]["code"], "UNAUTHENTICATED",
        "{case}: {body}"
    );
    let extensions = errors[0]["extensions"].as_object().unwrap();
    for key in extensions.keys() {
        assert!(
            key == "code" || key == "requestId",
            "{case}: unexpected extension {key}: {body}"
        );
    }
    // The request id is random text: leave it out of the scan for hints.
    let mut scanned = body.clone();
    if let Some(ext) = scanned["errors"][0]["extensions"].as_object_mut() {
        ext.remove("requestId");
    }
    let text = scanned.to_string().to_lowercase();
    for hint in [
        "expired",
        "signature",
        "issuer",
        "audience",
        "alg",
        "tenant",
        "roles",
        "subject",
        "secret",
        "bearer",
        "malformed",
        "key",
    ] {
        assert!(
            !text.contains(hint),
            "{case}: the answer hints at the reason ({hint}): {body}"
        );
    }
}

#[tokio::test]
async fn every_kind_of_bad_token_is_unauthenticated_without_detail_and_writes_nothing() {
    let app = spawn_app(Backend::Embedded).await;
    let secret = app.secret.clone();
    let valid = app.customer_token();
    let mut tampered: Vec<&str> = valid.split('.').collect();
    let forged_sig = hs256(b"another-secret-entirely", &dev_claims());
    let forged_sig = forged_sig.rsplit('.').next().unwrap().to_string();
    tampered[2] = &forged_sig;
    let tampered = tampered.join(".");
    let expired = oms_auth::issue_dev_token(
        secret.as_bytes(),
        &tenant(TENANT),
        &oms_domain::ids::CustomerId::new(CUSTOMER).unwrap(),
        &[Role::Customer],
        None,
        Duration::from_secs(3600),
        chrono::Utc::now() - chrono::Duration::hours(2),
    );
    let none_header = json!({"alg": "none", "typ": "JWT"});
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no Authorization header", None),
        ("garbage bearer", Some("Bearer garbage".into())),
        ("three garbage parts", Some("Bearer aaa.bbb.ccc".into())),
        ("Basic scheme", Some("Basic dXNlcjpwYXNzd29yZA==".into())),
        ("bearer without a token", Some("Bearer".into())),
        ("expired", Some(format!("Bearer {expired}"))),
        (
            "wrong issuer",
            Some(format!(
                "Bearer {}",
                hs256(
                    secret.as_bytes(),
                    &with(dev_claims(), "iss", json!("https://evil.example"))
                )
            )),
        ),
        (
            "wrong audience",
            Some(format!(
                "Bearer {}",
                hs256(
                    secret.as_bytes(),
                    &with(dev_claims(), "aud", json!("someone-else"))
                )
            )),
        ),
        ("bad signature", Some(format!("Bearer {tampered}"))),
        (
            "alg none",
            Some(format!(
                "Bearer {}",
                raw_token(&none_header, &dev_claims(), "")
            )),
        ),
        (
            "HS256 with another secret",
            Some(format!(
                "Bearer {}",
                hs256(b"not-the-server-secret", &dev_claims())
            )),
        ),
        (
            "missing tenant_id",
            Some(format!(
                "Bearer {}",
                hs256(secret.as_bytes(), &without(dev_claims(), "tenant_id"))
            )),
        ),
        (
            "missing sub",
            Some(format!(
                "Bearer {}",
                hs256(secret.as_bytes(), &without(dev_claims(), "sub"))
            )),
        ),
        (
            "missing roles",
            Some(format!(
                "Bearer {}",
                hs256(secret.as_bytes(), &without(dev_claims(), "roles"))
            )),
        ),
        (
            "missing exp",
            Some(format!(
                "Bearer {}",
                hs256(secret.as_bytes(), &without(dev_claims(), "exp"))
            )),
        ),
    ];
    let writes = app.writes();
    for (case, header) in &cases {
        let reply = app
            .post_graphql(header.as_deref(), &json!({"query": CHECKOUT}))
            .await;
        assert_unauthenticated(&reply, case);
        let reply = app
            .post_graphql(
                header.as_deref(),
                &json!({"query": "{ me { sub tenantId roles } }"}),
            )
            .await;
        assert_unauthenticated(&reply, case);
    }
    assert_eq!(app.writes(), writes, "a rejected request wrote something");
    assert!(
        app.list_orders(&valid, "CUSTOMER", None).await.is_empty(),
        "a rejected checkout created an order"
    );

    // The control: the same requests with the valid token go through.
    let me = app
        .gql_data(
            &valid,
            "{ me { sub tenantId roles customerId } }",
            json!({}),
        )
        .await;
    assert_eq!(
        me["me"],
        json!({"sub": CUSTOMER, "tenantId": TENANT, "roles": ["CUSTOMER"], "customerId": CUSTOMER})
    );
    let data = app.gql_data(&valid, CHECKOUT, json!({})).await;
    assert!(data["checkoutItems"]["order"]["id"].is_string(), "{data}");
}

#[tokio::test]
async fn a_vendor_only_token_is_forbidden_to_check_out_and_nothing_is_written() {
    let app = spawn_app(Backend::Embedded).await;
    let vendor = app.vendor_token();
    let writes = app.writes();
    let body = app.gql(&vendor, CHECKOUT, json!({})).await;
    assert_eq!(top_level_code(&body), "FORBIDDEN", "{body}");
    assert_eq!(body["errors"][0]["message"], "forbidden");
    assert!(
        body["data"].is_null() || body["data"]["checkoutItems"].is_null(),
        "{body}"
    );
    assert_eq!(app.writes(), writes);
    assert!(app.list_orders(&vendor, "VENDOR", None).await.is_empty());
}

#[tokio::test]
async fn a_customer_only_token_is_forbidden_to_ship_and_the_order_is_unchanged() {
    let app = spawn_app(Backend::Embedded).await;
    let customer = app.customer_token();
    let id = id_of(&app.pending_order(&customer, &[("T-SHIRT-L", 1)]).await);
    ok(app
        .mutate(
            &customer,
            "confirmOrder",
            json!({"orderId": id, "paymentMethod": "CASH_ON_DELIVERY"}),
        )
        .await);
    let before = app.get_order(&customer, &id).await;
    let writes = app.writes();
    let body = app
        .gql(&customer, "mutation($id: ID!) { markAsShipped(input: {orderId: $id}) { order { status } userErrors { code } } }", json!({"id": id}))
        .await;
    assert_eq!(top_level_code(&body), "FORBIDDEN", "{body}");
    assert_eq!(app.writes(), writes);
    assert_eq!(app.get_order(&customer, &id).await, before);
    assert_eq!(before["status"], "CONFIRMED");
    // A customer cannot list as a vendor either.
    let body = app
        .gql(
            &customer,
            "{ listOrders(as: VENDOR) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(top_level_code(&body), "FORBIDDEN", "{body}");
}
