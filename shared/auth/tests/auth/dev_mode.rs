//! Development HS256 mode, dev tokens, and the claim rules (sub, tenant, roles, header).

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use oms_auth::{issue_dev_token, AuthConfig, Authenticator, ConfigError, Rejection};
use oms_domain::auth::Role;
use oms_domain::ids::{CustomerId, TenantId, VendorId};
use serde_json::{json, Value};

use crate::helpers::*;

const SECRET: &[u8] = b"dev-secret-for-tests";

fn tenant(id: &str) -> TenantId {
    TenantId::new(id).unwrap_or_else(|e| panic!("{e}"))
}

fn customer(id: &str) -> CustomerId {
    CustomerId::new(id).unwrap_or_else(|e| panic!("{e}"))
}

fn dev() -> Authenticator {
    authenticator(AuthConfig::dev_hs256(SECRET))
}

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0)
        .single()
        .unwrap_or_else(|| panic!("bad timestamp {secs}"))
}

/// Valid dev-mode claims (issuer oms-dev, audience oms).
fn dev_claims() -> Value {
    json!({"sub": "c-1", "tenant_id": "t1", "roles": ["customer"], "iss": "oms-dev", "aud": "oms", "exp": now() + 300})
}

#[tokio::test]
async fn a_dev_token_is_accepted_in_dev_mode() {
    let vendor = VendorId::new("v-demo").ok();
    let jwt = issue_dev_token(
        SECRET,
        &tenant("demo"),
        &customer("c-demo"),
        &[Role::Customer, Role::Vendor],
        vendor.as_ref(),
        Duration::from_secs(3600),
        utc_now(),
    );
    let token = accepted(&dev(), &jwt).await;
    assert_eq!(token.tenant.as_str(), "demo");
    assert_eq!(token.sub.as_str(), "c-demo");
    assert_eq!(token.roles, vec![Role::Customer, Role::Vendor]);
    assert_eq!(token.vendor_id, vendor);
}

#[tokio::test]
async fn dev_tokens_carry_the_contract_claims() {
    let jwt = issue_dev_token(
        SECRET,
        &tenant("t1"),
        &customer("c-1"),
        &[Role::Vendor],
        None,
        Duration::from_secs(60),
        at(1_900_000_000),
    );
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let decode = |p: &str| -> Value {
        let bytes = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, p)
            .unwrap_or_else(|e| panic!("{e}"));
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(decode(parts[0]), json!({"alg": "HS256", "typ": "JWT"}));
    assert_eq!(
        decode(parts[1]),
        json!({"iss": "oms-dev", "aud": "oms", "sub": "c-1", "tenant_id": "t1", "roles": ["vendor"],
               "iat": 1_900_000_000i64, "exp": 1_900_000_060i64})
    );
    // Verifiable by any HS256 implementation, not only ours.
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.validate_exp = false;
    validation.set_audience(&["oms"]);
    let decoded = jsonwebtoken::decode::<Value>(
        &jwt,
        &jsonwebtoken::DecodingKey::from_secret(SECRET),
        &validation,
    );
    assert!(decoded.is_ok(), "{decoded:?}");
}

#[tokio::test]
async fn a_dev_token_expires_after_its_ttl() {
    let issued = 1_900_000_000;
    let jwt = issue_dev_token(
        SECRET,
        &tenant("t1"),
        &customer("c-1"),
        &[Role::Customer],
        None,
        Duration::from_secs(60),
        at(issued),
    );
    let header = bearer(&jwt);
    assert!(dev()
        .verify_at(Some(&header), at(issued + 59))
        .await
        .is_ok());
    // default leeway 30 s
    assert!(dev()
        .verify_at(Some(&header), at(issued + 60 + 29))
        .await
        .is_ok());
    let late = dev().verify_at(Some(&header), at(issued + 60 + 30)).await;
    assert_eq!(late.err().map(|e| e.reason()), Some(Rejection::Expired));
}

#[tokio::test]
async fn a_wrong_secret_is_a_bad_signature() {
    let jwt = hs256(b"another-secret", None, &dev_claims());
    assert_eq!(rejection(&dev(), &jwt).await, Rejection::BadSignature);
}

#[tokio::test]
async fn dev_mode_accepts_only_hs256() {
    let rsa = rs256("rsa1", "rsa-1", &dev_claims());
    assert_eq!(
        rejection(&dev(), &rsa).await,
        Rejection::AlgorithmNotAllowed
    );
    let key = jsonwebtoken::EncodingKey::from_secret(SECRET);
    let hs512 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
        &dev_claims(),
        &key,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        rejection(&dev(), &hs512).await,
        Rejection::AlgorithmNotAllowed
    );
    let none = raw_token(&json!({"alg": "none"}), &dev_claims(), "");
    assert_eq!(rejection(&dev(), &none).await, Rejection::Malformed);
}

#[tokio::test]
async fn dev_mode_checks_issuer_and_audience() {
    let wrong_iss = hs256(SECRET, None, &set(dev_claims(), "iss", json!("someone")));
    assert_eq!(rejection(&dev(), &wrong_iss).await, Rejection::BadIssuer);
    let wrong_aud = hs256(SECRET, None, &set(dev_claims(), "aud", json!("other")));
    assert_eq!(rejection(&dev(), &wrong_aud).await, Rejection::BadAudience);
}

#[tokio::test]
async fn overridden_dev_issuer_and_audience_are_used_for_issuing_too() {
    let config = AuthConfig::dev_hs256(SECRET)
        .with_issuer("local-idp")
        .with_audience("oms-local");
    let auth = authenticator(config.clone());
    // A token with the default oms-dev issuer no longer passes …
    let default = issue_dev_token(
        SECRET,
        &tenant("t1"),
        &customer("c-1"),
        &[Role::Customer],
        None,
        Duration::from_secs(60),
        utc_now(),
    );
    assert_eq!(rejection(&auth, &default).await, Rejection::BadIssuer);
    // … one issued from the config does.
    let issued = config.issue_dev_token(
        &tenant("t1"),
        &customer("c-1"),
        &[Role::Customer],
        None,
        Duration::from_secs(60),
        utc_now(),
    );
    let Ok(issued) = issued else {
        panic!("dev config must issue: {issued:?}")
    };
    accepted(&auth, &issued).await;
    // JWKS configurations cannot issue dev tokens.
    let jwks = AuthConfig::jwks("http://127.0.0.1:1/jwks").issue_dev_token(
        &tenant("t1"),
        &customer("c-1"),
        &[],
        None,
        Duration::from_secs(60),
        utc_now(),
    );
    assert_eq!(jwks, Err(ConfigError::NotDevMode));
}

#[tokio::test]
async fn sub_is_required() {
    assert_eq!(
        rejection(&dev(), &hs256(SECRET, None, &unset(dev_claims(), "sub"))).await,
        Rejection::MissingSubject
    );
    assert_eq!(
        rejection(
            &dev(),
            &hs256(SECRET, None, &set(dev_claims(), "sub", json!("")))
        )
        .await,
        Rejection::MissingSubject
    );
}

#[tokio::test]
async fn tenant_id_is_required_without_a_default_tenant() {
    let jwt = hs256(SECRET, None, &unset(dev_claims(), "tenant_id"));
    assert_eq!(rejection(&dev(), &jwt).await, Rejection::MissingTenant);
}

#[tokio::test]
async fn the_default_tenant_fills_in_a_missing_tenant_id() {
    let auth = authenticator(AuthConfig::dev_hs256(SECRET).with_default_tenant(tenant("solo")));
    let token = accepted(
        &auth,
        &hs256(SECRET, None, &unset(dev_claims(), "tenant_id")),
    )
    .await;
    assert_eq!(token.tenant.as_str(), "solo");
    // a token naming that same tenant is fine
    let token = accepted(
        &auth,
        &hs256(SECRET, None, &set(dev_claims(), "tenant_id", json!("solo"))),
    )
    .await;
    assert_eq!(token.tenant.as_str(), "solo");
}

#[tokio::test]
async fn the_default_tenant_does_not_admit_other_tenants() {
    let auth = authenticator(AuthConfig::dev_hs256(SECRET).with_default_tenant(tenant("solo")));
    let other = hs256(SECRET, None, &set(dev_claims(), "tenant_id", json!("t1")));
    assert_eq!(rejection(&auth, &other).await, Rejection::TenantMismatch);
    // without a default tenant the same token is accepted as t1
    assert_eq!(accepted(&dev(), &other).await.tenant.as_str(), "t1");
}

#[tokio::test]
async fn roles_must_be_an_array() {
    assert_eq!(
        rejection(&dev(), &hs256(SECRET, None, &unset(dev_claims(), "roles"))).await,
        Rejection::MissingRoles
    );
    let string = hs256(SECRET, None, &set(dev_claims(), "roles", json!("customer")));
    assert_eq!(rejection(&dev(), &string).await, Rejection::InvalidRoles);
    let object = hs256(
        SECRET,
        None,
        &set(dev_claims(), "roles", json!({"customer": true})),
    );
    assert_eq!(rejection(&dev(), &object).await, Rejection::InvalidRoles);
}

#[tokio::test]
async fn roles_are_case_insensitive_and_unknown_ones_ignored() {
    let roles = json!(["VENDOR", "Customer", "admin", 7, "customer"]);
    let token = accepted(
        &dev(),
        &hs256(SECRET, None, &set(dev_claims(), "roles", roles)),
    )
    .await;
    assert_eq!(token.roles, vec![Role::Customer, Role::Vendor]);
    let none_known = accepted(
        &dev(),
        &hs256(SECRET, None, &set(dev_claims(), "roles", json!(["admin"]))),
    )
    .await;
    assert!(none_known.roles.is_empty());
}

#[tokio::test]
async fn a_missing_or_garbage_authorization_header_is_rejected() {
    let auth = dev();
    let cases: [(Option<&str>, Rejection); 8] = [
        (None, Rejection::MissingHeader),
        (Some(""), Rejection::BadScheme),
        (Some("Bearer"), Rejection::BadScheme),
        (Some("garbage"), Rejection::BadScheme),
        (Some("Bearer garbage"), Rejection::Malformed),
        (Some("Bearer a.b.c"), Rejection::Malformed),
        (Some("Bearer ..."), Rejection::Malformed),
        (Some("Basic dXNlcjpwYXNz"), Rejection::BadScheme),
    ];
    for (header, expected) in cases {
        let result = auth.verify_at(header, utc_now()).await;
        let Err(error) = result else {
            panic!("{header:?} accepted")
        };
        assert_eq!(error.reason(), expected, "{header:?}");
        assert_eq!(error.to_string(), "unauthenticated");
    }
}

#[tokio::test]
async fn a_valid_jwt_under_the_basic_scheme_is_rejected() {
    let jwt = hs256(SECRET, None, &dev_claims());
    let result = dev()
        .verify_at(Some(&format!("Basic {jwt}")), utc_now())
        .await;
    assert_eq!(result.err().map(|e| e.reason()), Some(Rejection::BadScheme));
    accepted(&dev(), &jwt).await;
}

#[tokio::test]
async fn claims_that_are_not_an_object_are_malformed() {
    let jwt = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!(["not", "an", "object"]),
        &jsonwebtoken::EncodingKey::from_secret(SECRET),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rejection(&dev(), &jwt).await, Rejection::Malformed);
}

fn utc_now() -> DateTime<Utc> {
    DateTime::<Utc>::from(std::time::SystemTime::now())
}
