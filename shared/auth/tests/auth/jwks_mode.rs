//! Production mode: RS256/ES256 against a JWKS served over loopback HTTP.
//!
//! The tests about the cache TTL, the refresh interval and the fetch timeout run on tokio's
//! paused clock (`start_paused = true`) held still by [`hold_clock`]: it moves only when a test
//! calls `tokio::time::advance`, so every "is it fresh / may it refresh / has it timed out"
//! decision is made at an exact instant, however long the loopback I/O really takes.

use std::time::Duration;

use oms_auth::{Rejection, SigningAlgorithm};
use oms_domain::auth::Role;
use serde_json::json;
use tokio::time::Instant;

use crate::helpers::*;

/// Keeps the paused clock from moving by itself while the returned guard lives.
///
/// With time paused, tokio advances the clock to the next timer whenever the runtime is idle, and
/// a runtime waiting on a socket is idle: a fetch timeout could fire because the loopback server
/// had not answered *yet*. While a `spawn_blocking` task runs, tokio does not auto-advance (see
/// `tokio::time::pause`), so this parks one until the guard is dropped. The clock then moves only
/// by `tokio::time::advance`.
///
/// Watchdog: after 60 s of real time the hold ends by itself, so a test that would otherwise wait
/// forever on a timer (a timeout that is not applied) fails on its assertions instead of hanging.
/// Passing runs take milliseconds; nothing is decided by it.
#[must_use = "the clock is held only while the guard lives"]
fn hold_clock() -> std::sync::mpsc::Sender<()> {
    let (guard, dropped) = std::sync::mpsc::channel::<()>();
    drop(tokio::task::spawn_blocking(move || {
        let _ = dropped.recv_timeout(Duration::from_secs(60));
    }));
    guard
}

/// Yields (the clock stays still) until `done()` holds: waits for the loopback server by its
/// hit count, never by time.
async fn until(done: impl Fn() -> bool) {
    while !done() {
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn a_valid_rs256_token_is_accepted_with_its_claims() {
    // GIVEN a JWKS with the RSA and EC keys
    let server = JwksServer::start(&["rsa1", "ec1"]).await;
    let auth = authenticator(jwks_config(&server));
    let claims = set(
        set(
            set(claims(), "email", json!("ann@example.test")),
            "name",
            json!("Ann Lee"),
        ),
        "vendor_id",
        json!("v-9"),
    );
    let claims = set(
        set(claims, "given_name", json!("Ann")),
        "family_name",
        json!("Lee"),
    );

    // WHEN an RS256 token signed by rsa-1 arrives
    let token = accepted(&auth, &rs256("rsa1", "rsa-1", &claims)).await;

    // THEN its claims come back typed
    assert_eq!(token.tenant.as_str(), "t1");
    assert_eq!(token.sub.as_str(), "user-1");
    assert_eq!(token.roles, vec![Role::Customer]);
    assert_eq!(token.vendor_id.as_ref().map(|v| v.as_str()), Some("v-9"));
    assert_eq!(token.email.as_deref(), Some("ann@example.test"));
    assert_eq!(token.name.as_deref(), Some("Ann Lee"));
    assert_eq!(token.given_name.as_deref(), Some("Ann"));
    assert_eq!(token.family_name.as_deref(), Some("Lee"));
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn a_valid_es256_token_is_accepted() {
    let server = JwksServer::start(&["rsa1", "ec1"]).await;
    let auth = authenticator(jwks_config(&server));
    let token = accepted(&auth, &es256("ec1", "ec-1", &claims())).await;
    assert_eq!(token.sub.as_str(), "user-1");
}

#[tokio::test]
async fn the_scheme_is_case_insensitive() {
    let server = JwksServer::start(&["rsa1"]).await;
    let auth = authenticator(jwks_config(&server));
    let jwt = rs256("rsa1", "rsa-1", &claims());
    for scheme in ["bearer", "BEARER", "BeArEr"] {
        let header = format!("{scheme} {jwt}");
        assert!(
            auth.verify_at(Some(&header), chrono::Utc::now())
                .await
                .is_ok(),
            "{scheme}"
        );
    }
}

#[tokio::test]
async fn keys_are_cached_across_requests_and_clones() {
    let server = JwksServer::start(&["rsa1", "ec1"]).await;
    let auth = authenticator(jwks_config(&server));
    let clone = auth.clone();
    accepted(&auth, &rs256("rsa1", "rsa-1", &claims())).await;
    accepted(&clone, &es256("ec1", "ec-1", &claims())).await;
    accepted(&auth, &rs256("rsa1", "rsa-1", &claims())).await;
    assert_eq!(server.hits(), 1);
}

#[tokio::test(start_paused = true)]
async fn concurrent_first_requests_fetch_the_jwks_once() {
    let _clock = hold_clock();
    // The server holds each request until the test moves the clock by this much.
    let delay = Duration::from_millis(100);
    let server = JwksServer::start(&["rsa1"]).await;
    server.set_delay(delay);
    let auth = authenticator(jwks_config(&server));
    let jwt = rs256("rsa1", "rsa-1", &claims());
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let auth = auth.clone();
        let jwt = jwt.clone();
        tasks.push(tokio::spawn(
            async move { verify(&auth, &jwt).await.is_ok() },
        ));
    }
    // The first fetch has reached the server, which is holding it; every task has run by now.
    until(|| server.hits() >= 1).await;
    for _ in 0..8 {
        tokio::task::yield_now().await;
    }
    assert!(
        tasks.iter().all(|t| !t.is_finished()),
        "all eight requests wait on the one fetch in flight"
    );
    tokio::time::advance(delay).await;
    for task in tasks {
        assert!(matches!(task.await, Ok(true)));
    }
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn hs256_is_rejected_in_jwks_mode() {
    let server = JwksServer::start(&["rsa1"]).await;
    let auth = authenticator(jwks_config(&server));
    let token = hs256(b"some-shared-secret", Some("rsa-1"), &claims());
    assert_eq!(
        rejection(&auth, &token).await,
        Rejection::AlgorithmNotAllowed
    );
    assert_eq!(server.hits(), 0, "rejected before any key lookup");
}

#[tokio::test]
async fn alg_none_is_rejected() {
    let server = JwksServer::start(&["rsa1"]).await;
    let auth = authenticator(jwks_config(&server));
    for alg in ["none", "None", "NONE"] {
        let token = raw_token(
            &json!({"alg": alg, "typ": "JWT", "kid": "rsa-1"}),
            &claims(),
            "",
        );
        assert_eq!(
            rejection(&auth, &token).await,
            Rejection::Malformed,
            "{alg}"
        );
        let token = raw_token(&json!({"alg": alg, "kid": "rsa-1"}), &claims(), "c2ln");
        assert_eq!(
            rejection(&auth, &token).await,
            Rejection::Malformed,
            "{alg}"
        );
    }
}

#[tokio::test]
async fn hs256_signed_with_the_rsa_public_key_is_rejected() {
    // The classic algorithm confusion: the verifier must not use the RSA public key as an HMAC secret.
    let server = JwksServer::start(&["rsa1"]).await;
    let auth = authenticator(jwks_config(&server));
    let public_pem = key_file("rsa1.pub.pem");
    let token = hs256(&public_pem, Some("rsa-1"), &claims());
    assert_eq!(
        rejection(&auth, &token).await,
        Rejection::AlgorithmNotAllowed
    );
}

#[tokio::test]
async fn an_algorithm_not_configured_is_rejected() {
    let server = JwksServer::start(&["rsa1", "ec1"]).await;
    let auth = authenticator(jwks_config(&server).with_algorithms(&[SigningAlgorithm::RS256]));
    assert_eq!(
        rejection(&auth, &es256("ec1", "ec-1", &claims())).await,
        Rejection::AlgorithmNotAllowed
    );
    accepted(&auth, &rs256("rsa1", "rsa-1", &claims())).await;
    // RS384 is never accepted, even with an RSA key of the set.
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(&key_file("rsa1.pem"))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS384);
    header.kid = Some("rsa-1".into());
    let rs384 = jsonwebtoken::encode(&header, &claims(), &key).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        rejection(&auth, &rs384).await,
        Rejection::AlgorithmNotAllowed
    );
}

#[tokio::test]
async fn a_key_is_only_used_for_its_own_algorithm() {
    // ES256 header but the kid of an RSA key: no (kid, ES256) key exists.
    let server = JwksServer::start(&["rsa1", "ec1"]).await;
    let auth = authenticator(jwks_config(&server));
    let token = es256("ec1", "rsa-1", &claims());
    assert_eq!(rejection(&auth, &token).await, Rejection::UnknownKeyId);
}

#[tokio::test]
async fn a_token_without_kid_is_rejected() {
    let server = JwksServer::start(&["rsa1"]).await;
    let auth = authenticator(jwks_config(&server));
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(&key_file("rsa1.pem"))
        .unwrap_or_else(|e| panic!("{e}"));
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims(),
        &key,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rejection(&auth, &token).await, Rejection::MissingKeyId);
}

#[tokio::test]
async fn a_crit_header_is_rejected() {
    let server = JwksServer::start(&["rsa1"]).await;
    let auth = authenticator(jwks_config(&server));
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(&key_file("rsa1.pem"))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("rsa-1".into());
    header.crit = Some(vec!["exp-ext".into()]);
    let token = jsonwebtoken::encode(&header, &claims(), &key).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        rejection(&auth, &token).await,
        Rejection::UnsupportedCritical
    );
}

#[tokio::test]
async fn a_tampered_payload_fails_the_signature() {
    let server = JwksServer::start(&["rsa1", "ec1"]).await;
    let auth = authenticator(jwks_config(&server));
    for token in [
        rs256("rsa1", "rsa-1", &claims()),
        es256("ec1", "ec-1", &claims()),
    ] {
        let parts: Vec<&str> = token.split('.').collect();
        let forged = set(claims(), "roles", json!(["customer", "vendor"]));
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                forged.to_string()
            ),
            parts[2]
        );
        assert_eq!(rejection(&auth, &tampered).await, Rejection::BadSignature);
    }
    // Signed by another RSA key but claiming rsa-1's kid.
    assert_eq!(
        rejection(&auth, &rs256("rsa2", "rsa-1", &claims())).await,
        Rejection::BadSignature
    );
}

#[tokio::test]
async fn expiry_honours_the_leeway() {
    let server = JwksServer::start(&["rsa1"]).await;
    let auth = authenticator(jwks_config(&server));
    // 10 s past exp is inside the default 30 s leeway …
    accepted(
        &auth,
        &rs256("rsa1", "rsa-1", &set(claims(), "exp", json!(now() - 10))),
    )
    .await;
    // … 60 s past is not.
    let expired = rs256("rsa1", "rsa-1", &set(claims(), "exp", json!(now() - 60)));
    assert_eq!(rejection(&auth, &expired).await, Rejection::Expired);
    // Without leeway, 10 s past is expired too.
    let strict = authenticator(jwks_config(&server).with_leeway(Duration::ZERO));
    let late = rs256("rsa1", "rsa-1", &set(claims(), "exp", json!(now() - 10)));
    assert_eq!(rejection(&strict, &late).await, Rejection::Expired);
}

#[tokio::test]
async fn exp_is_required() {
    let server = JwksServer::start(&["rsa1"]).await;
    let auth = authenticator(jwks_config(&server));
    let token = rs256("rsa1", "rsa-1", &unset(claims(), "exp"));
    assert_eq!(rejection(&auth, &token).await, Rejection::MissingExpiry);
}

#[tokio::test]
async fn a_future_nbf_is_rejected_beyond_the_leeway() {
    let server = JwksServer::start(&["rsa1"]).await;
    let auth = authenticator(jwks_config(&server));
    let future = rs256("rsa1", "rsa-1", &set(claims(), "nbf", json!(now() + 120)));
    assert_eq!(rejection(&auth, &future).await, Rejection::NotYetValid);
    accepted(
        &auth,
        &rs256("rsa1", "rsa-1", &set(claims(), "nbf", json!(now() + 10))),
    )
    .await;
    accepted(
        &auth,
        &rs256("rsa1", "rsa-1", &set(claims(), "nbf", json!(now() - 10))),
    )
    .await;
}

#[tokio::test]
async fn the_issuer_must_match() {
    let server = JwksServer::start(&["rsa1"]).await;
    let auth = authenticator(jwks_config(&server));
    let wrong = rs256(
        "rsa1",
        "rsa-1",
        &set(claims(), "iss", json!("https://evil.test")),
    );
    assert_eq!(rejection(&auth, &wrong).await, Rejection::BadIssuer);
    let missing = rs256("rsa1", "rsa-1", &unset(claims(), "iss"));
    assert_eq!(rejection(&auth, &missing).await, Rejection::BadIssuer);
}

#[tokio::test]
async fn the_audience_must_match_as_string_or_array() {
    let server = JwksServer::start(&["rsa1"]).await;
    let auth = authenticator(jwks_config(&server));
    let wrong = rs256("rsa1", "rsa-1", &set(claims(), "aud", json!("other-app")));
    assert_eq!(rejection(&auth, &wrong).await, Rejection::BadAudience);
    let missing = rs256("rsa1", "rsa-1", &unset(claims(), "aud"));
    assert_eq!(rejection(&auth, &missing).await, Rejection::BadAudience);
    let array_without = rs256("rsa1", "rsa-1", &set(claims(), "aud", json!(["a", "b"])));
    assert_eq!(
        rejection(&auth, &array_without).await,
        Rejection::BadAudience
    );
    accepted(
        &auth,
        &rs256(
            "rsa1",
            "rsa-1",
            &set(claims(), "aud", json!(["account", "my-app"])),
        ),
    )
    .await;
}

#[tokio::test]
async fn without_configured_issuer_and_audience_they_are_not_checked() {
    let server = JwksServer::start(&["rsa1"]).await;
    let auth = authenticator(oms_auth::AuthConfig::jwks(server.url()));
    let claims = set(
        set(claims(), "iss", json!("anyone")),
        "aud",
        json!("anything"),
    );
    accepted(&auth, &rs256("rsa1", "rsa-1", &claims)).await;
}

#[tokio::test(start_paused = true)]
async fn an_unknown_kid_refreshes_once_and_accepts_the_rotated_key() {
    let _clock = hold_clock();
    // GIVEN keys fetched one refresh interval ago
    let interval = Duration::from_millis(200);
    let server = JwksServer::start(&["rsa1"]).await;
    let auth = authenticator(jwks_config(&server).with_refresh_min_interval(interval));
    accepted(&auth, &rs256("rsa1", "rsa-1", &claims())).await;
    assert_eq!(server.hits(), 1);
    tokio::time::advance(interval).await;

    // WHEN the IdP rotates in rsa-2 and a token signed by it arrives
    server.rotate(&["rsa1", "rsa2"]);
    accepted(&auth, &rs256("rsa2", "rsa-2", &claims())).await;

    // THEN exactly one refresh happened, and both keys are now cached
    assert_eq!(server.hits(), 2);
    accepted(&auth, &rs256("rsa2", "rsa-2", &claims())).await;
    accepted(&auth, &rs256("rsa1", "rsa-1", &claims())).await;
    assert_eq!(server.hits(), 2);
}

#[tokio::test(start_paused = true)]
async fn an_unknown_kid_is_rejected_after_one_refresh_and_refreshes_are_rate_limited() {
    let _clock = hold_clock();
    // GIVEN cached keys and the default 30 s refresh interval
    let server = JwksServer::start(&["rsa1"]).await;
    let auth = authenticator(jwks_config(&server));
    accepted(&auth, &rs256("rsa1", "rsa-1", &claims())).await;
    assert_eq!(server.hits(), 1);

    // WHEN tokens with an unknown kid keep arriving
    let unknown = rs256("rsa2", "rsa-2", &claims());
    for _ in 0..5 {
        assert_eq!(rejection(&auth, &unknown).await, Rejection::UnknownKeyId);
    }
    // THEN the JWKS was not refetched within the interval (the first fetch was the refresh) …
    assert_eq!(server.hits(), 1);
    // … not even once the key exists upstream, up to the end of the interval
    server.rotate(&["rsa1", "rsa2"]);
    assert_eq!(rejection(&auth, &unknown).await, Rejection::UnknownKeyId);
    assert_eq!(server.hits(), 1);
    tokio::time::advance(oms_auth::DEFAULT_REFRESH_MIN_INTERVAL - Duration::from_millis(1)).await;
    assert_eq!(rejection(&auth, &unknown).await, Rejection::UnknownKeyId);
    assert_eq!(server.hits(), 1);
    // and known keys keep working from the cache
    accepted(&auth, &rs256("rsa1", "rsa-1", &claims())).await;
    assert_eq!(server.hits(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_still_unknown_kid_is_rejected_after_exactly_one_refresh() {
    let _clock = hold_clock();
    let server = JwksServer::start(&["rsa1"]).await;
    let interval = Duration::from_millis(300);
    let just_before = interval - Duration::from_millis(1);
    let auth = authenticator(jwks_config(&server).with_refresh_min_interval(interval));
    accepted(&auth, &rs256("rsa1", "rsa-1", &claims())).await;
    tokio::time::advance(interval).await;

    let unknown = rs256("rsa2", "rsa-2", &claims());
    assert_eq!(rejection(&auth, &unknown).await, Rejection::UnknownKeyId);
    assert_eq!(server.hits(), 2, "one refresh for the unknown kid");
    assert_eq!(rejection(&auth, &unknown).await, Rejection::UnknownKeyId);
    assert_eq!(server.hits(), 2, "no second refresh within the interval");
    tokio::time::advance(just_before).await;
    assert_eq!(rejection(&auth, &unknown).await, Rejection::UnknownKeyId);
    assert_eq!(server.hits(), 2, "nor 1 ms before it ends");

    // Once the interval has passed a refresh is allowed again.
    tokio::time::advance(Duration::from_millis(1)).await;
    assert_eq!(rejection(&auth, &unknown).await, Rejection::UnknownKeyId);
    assert_eq!(server.hits(), 3);
}

#[tokio::test(start_paused = true)]
async fn expired_cache_is_refetched_and_removed_keys_stop_working() {
    let _clock = hold_clock();
    let ttl = Duration::from_millis(200);
    let server = JwksServer::start(&["rsa1"]).await;
    let auth = authenticator(
        jwks_config(&server)
            .with_cache_ttl(ttl)
            .with_refresh_min_interval(Duration::from_millis(50)),
    );
    accepted(&auth, &rs256("rsa1", "rsa-1", &claims())).await;
    server.rotate(&["rsa2"]);
    // Until the TTL has passed the cached keys are used as they are …
    tokio::time::advance(ttl - Duration::from_millis(1)).await;
    accepted(&auth, &rs256("rsa1", "rsa-1", &claims())).await;
    assert_eq!(server.hits(), 1, "fresh: served from the cache");
    // … then the JWKS is fetched again and the removed key stops working.
    tokio::time::advance(Duration::from_millis(1)).await;
    assert_eq!(
        rejection(&auth, &rs256("rsa1", "rsa-1", &claims())).await,
        Rejection::UnknownKeyId
    );
    assert_eq!(server.hits(), 2);
    accepted(&auth, &rs256("rsa2", "rsa-2", &claims())).await;
}

#[tokio::test]
async fn cached_keys_survive_a_jwks_outage() {
    let server = JwksServer::start(&["rsa1"]).await;
    let auth = authenticator(
        jwks_config(&server)
            .with_cache_ttl(Duration::ZERO)
            .with_refresh_min_interval(Duration::ZERO),
    );
    accepted(&auth, &rs256("rsa1", "rsa-1", &claims())).await;
    server.set_status(500);
    accepted(&auth, &rs256("rsa1", "rsa-1", &claims())).await;
    server.set_status(200);
    server.set_body("not json");
    accepted(&auth, &rs256("rsa1", "rsa-1", &claims())).await;
    assert_eq!(
        server.hits(),
        3,
        "each request tried to refresh the expired cache"
    );
}

#[tokio::test(start_paused = true)]
async fn a_jwks_server_that_is_down_rejects_quickly() {
    let _clock = hold_clock();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let config = oms_auth::AuthConfig::jwks(format!("http://127.0.0.1:{port}/jwks"))
        .with_fetch_timeout(Duration::from_millis(500));
    let auth = authenticator(config);
    let started = Instant::now();
    assert_eq!(
        rejection(&auth, &rs256("rsa1", "rsa-1", &claims())).await,
        Rejection::KeysUnavailable
    );
    assert_eq!(
        started.elapsed(),
        Duration::ZERO,
        "rejected on the refused connection, without waiting out the 500 ms fetch timeout"
    );
}

#[tokio::test]
async fn a_jwks_error_status_rejects() {
    let server = JwksServer::start(&["rsa1"]).await;
    server.set_status(503);
    let auth = authenticator(jwks_config(&server));
    assert_eq!(
        rejection(&auth, &rs256("rsa1", "rsa-1", &claims())).await,
        Rejection::KeysUnavailable
    );
}

#[tokio::test(start_paused = true)]
async fn a_slow_jwks_server_times_out_instead_of_hanging() {
    let _clock = hold_clock();
    let fetch_timeout = Duration::from_millis(300);
    let server = JwksServer::start(&["rsa1"]).await;
    server.set_delay(Duration::from_secs(30));
    let auth = authenticator(jwks_config(&server).with_fetch_timeout(fetch_timeout));
    let token = rs256("rsa1", "rsa-1", &claims());
    let started = Instant::now();
    let (result, ()) = tokio::join!(verify(&auth, &token), async {
        // The server holds the request (for 30 s); let exactly the fetch timeout pass.
        until(|| server.hits() >= 1).await;
        tokio::time::advance(fetch_timeout).await;
    });
    assert_eq!(
        result.err().map(|e| e.reason()),
        Some(Rejection::KeysUnavailable)
    );
    assert_eq!(
        started.elapsed(),
        fetch_timeout,
        "cut off by the fetch timeout, not by the server's 30 s"
    );
    assert_eq!(server.hits(), 1);
    // Within the refresh interval the next request does not wait on the server again.
    let started = Instant::now();
    assert_eq!(
        rejection(&auth, &rs256("rsa1", "rsa-1", &claims())).await,
        Rejection::KeysUnavailable
    );
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn original_suite_16_3() {
    // RS256, audience my-app, issuer https://issuer.test, claims sub, tenant_id, token_type, roles.
    let server = JwksServer::start(&["rsa1"]).await;
    let auth = authenticator(jwks_config(&server));
    let claims = json!({
        "sub": "user-1", "tenant_id": "tenant-1", "token_type": "Bearer", "roles": ["customer", "vendor"],
        "iss": "https://issuer.test", "aud": "my-app", "exp": now() + 600,
    });
    // valid → those claims
    let token = accepted(&auth, &rs256("rsa1", "rsa-1", &claims)).await;
    assert_eq!(token.sub.as_str(), "user-1");
    assert_eq!(token.tenant.as_str(), "tenant-1");
    assert_eq!(token.roles, vec![Role::Customer, Role::Vendor]);
    // expired → rejected
    let expired = rs256(
        "rsa1",
        "rsa-1",
        &set(claims.clone(), "exp", json!(now() - 3600)),
    );
    assert_eq!(rejection(&auth, &expired).await, Rejection::Expired);
    // garbage → rejected
    assert_eq!(rejection(&auth, "garbage").await, Rejection::Malformed);
}
