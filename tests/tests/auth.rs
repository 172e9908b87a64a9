//! Authentication and authorization over HTTP (embedded store).
//!
//! - Every bad token is one top-level `UNAUTHENTICATED` error whose message is exactly
//!   "unauthenticated" (no hint of what failed), `data: null`, and nothing is written.
//! - A role that may never call an operation is `FORBIDDEN`, and nothing changes.
//! - A JWKS-mode server (RS256 keys served on loopback from the test keys of oms-auth) accepts a
//!   valid RS256 token and rejects HS256 tokens (algorithm confusion).

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use oms_auth::AuthConfig;
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

// ---------------------------------------------------------------------------------------------
// JWKS mode.
// ---------------------------------------------------------------------------------------------

const ISSUER: &str = "https://issuer.test";
const AUDIENCE: &str = "oms-e2e";

fn key_file(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/auth/tests/keys")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read test key {}: {e}", path.display()))
}

/// Serves `{"keys": [rsa-1]}` at `/jwks` on 127.0.0.1:0; counts hits.
async fn jwks_server() -> (
    String,
    Arc<std::sync::atomic::AtomicUsize>,
    tokio::task::JoinHandle<()>,
) {
    let jwk: Value = serde_json::from_slice(&key_file("rsa1.jwk.json")).unwrap();
    let doc = json!({"keys": [jwk]});
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    let router = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let doc = doc.clone();
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                axum::Json(doc)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (format!("http://{addr}/jwks"), hits, task)
}

fn rs256_claims() -> Value {
    json!({"sub": CUSTOMER, "tenant_id": TENANT, "roles": ["customer"], "iss": ISSUER, "aud": AUDIENCE, "iat": now(), "exp": now() + 600})
}

fn rs256(claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("rsa-1".into());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_rsa_pem(&key_file("rsa1.pem")).unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_jwks_server_accepts_rs256_tokens_and_rejects_hs256_ones() {
    let (url, hits, jwks) = jwks_server().await;
    let config = AuthConfig::jwks(url)
        .with_issuer(ISSUER)
        .with_audience(AUDIENCE);
    let app = spawn_app_with(Backend::Embedded, config, "not-used-in-jwks-mode".into()).await;

    // A valid RS256 token: accepted, and the caller can check out.
    let token = rs256(&rs256_claims());
    let me = app
        .gql_data(&token, "{ me { sub tenantId roles } }", json!({}))
        .await;
    assert_eq!(
        me["me"],
        json!({"sub": CUSTOMER, "tenantId": TENANT, "roles": ["CUSTOMER"]})
    );
    let order = app.checkout(&token, &[("MUG-01", 1)], true).await;
    assert_eq!(order["subtotal"]["amount"], "12.50");
    assert!(
        hits.load(std::sync::atomic::Ordering::SeqCst) >= 1,
        "the JWKS was never fetched"
    );

    let writes = app.writes();
    let mut hs_header = Header::new(Algorithm::HS256);
    hs_header.kid = Some("rsa-1".into());
    let confusion = [
        // HS256 "signed" with the RSA public key (the classic algorithm-confusion attack).
        (
            "HS256 with the public key as secret",
            jsonwebtoken::encode(
                &hs_header,
                &rs256_claims(),
                &EncodingKey::from_secret(&key_file("rsa1.pub.pem")),
            )
            .unwrap(),
        ),
        (
            "HS256 with the kid as secret",
            jsonwebtoken::encode(
                &hs_header,
                &rs256_claims(),
                &EncodingKey::from_secret(b"rsa-1"),
            )
            .unwrap(),
        ),
        (
            "HS256 dev-style token",
            hs256(b"any-dev-secret", &rs256_claims()),
        ),
        (
            "RS256 for another audience",
            rs256(&with(rs256_claims(), "aud", json!("someone-else"))),
        ),
        (
            "RS256 for another issuer",
            rs256(&with(rs256_claims(), "iss", json!("https://evil.example"))),
        ),
        (
            "RS256 expired",
            rs256(&with(rs256_claims(), "exp", json!(now() - 3600))),
        ),
        ("RS256 with an unknown kid", {
            let mut h = Header::new(Algorithm::RS256);
            h.kid = Some("rsa-unknown".into());
            jsonwebtoken::encode(
                &h,
                &rs256_claims(),
                &EncodingKey::from_rsa_pem(&key_file("rsa1.pem")).unwrap(),
            )
            .unwrap()
        }),
        ("RS256 signed by a key not in the JWKS", {
            let mut h = Header::new(Algorithm::RS256);
            h.kid = Some("rsa-1".into());
            jsonwebtoken::encode(
                &h,
                &rs256_claims(),
                &EncodingKey::from_rsa_pem(&key_file("rsa2.pem")).unwrap(),
            )
            .unwrap()
        }),
    ];
    for (case, token) in &confusion {
        let reply = app
            .post_graphql(
                Some(&format!("Bearer {token}")),
                &json!({"query": CHECKOUT}),
            )
            .await;
        assert_unauthenticated(&reply, case);
    }
    assert_eq!(app.writes(), writes, "a rejected request wrote something");
    assert_eq!(app.list_orders(&token, "CUSTOMER", None).await.len(), 1);
    jwks.abort();
}
