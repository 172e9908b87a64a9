//! The JWT attack suite (issue 13 §3), over HTTP against the real server in JWKS mode.
//!
//! The server verifies RS256/ES256 tokens against a JWKS that this file serves itself on
//! `127.0.0.1:0` ([`JwksEndpoint`]: its key set can be switched, it can hang or be stopped). The
//! verifier runs with its production settings (issuer and audience configured, 3 s fetch timeout,
//! 10 min cache, at most one JWKS fetch per 30 s).
//!
//! Every attack is its own test, and every forged token is checked by [`Fixture::assert_refused`]:
//! - the answer is the documented refusal: HTTP 200, `data: null`, one top-level error with
//!   message `unauthenticated` and `extensions = {code: UNAUTHENTICATED, requestId}`;
//! - it is indistinguishable from the answer to a request with no `Authorization` header at all:
//!   same status, same headers (but `date`), same body bytes (the request id is pinned), on the
//!   whole schema and on a resolver group. So nothing tells the attacker which check failed;
//! - nothing was written: the request is a `checkoutItems` mutation, and no write reached the item
//!   store ([`TestApp::writes`]); and the tests end by listing the customer's orders in both
//!   tenants with a valid token (where one can still be verified): none, but those a test placed.
//!
//! Tokens are assembled by hand ([`jws`]): header and claims as JSON, the signature computed over
//! exactly those bytes (or none, or another one), so `alg: none`, HS256 keyed with the RSA public
//! key, a tampered payload under its original signature and oversized tokens are easy to write.
//!
//! The JWKS tests (rotation, endpoint down, endpoint hanging) run on tokio's paused clock, which
//! the verifier's cache uses for its TTL, refresh interval and fetch timeout: it moves only when a
//! test advances it, never on the wall clock. Token times (`exp`, `nbf`) are on the server's
//! clock, the machine's.
//!
//! Dev-mode (HS256) refusals and the header shapes (no header, `Basic`, garbage) are in
//! `tests/auth.rs`; the verifier's unit and integration tests, by rejection reason, are in
//! `shared/auth`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::http::header::{CONNECTION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey};
use oms_auth::{
    AuthConfig, DEFAULT_CACHE_TTL, DEFAULT_FETCH_TIMEOUT, DEFAULT_REFRESH_MIN_INTERVAL,
    MAX_TOKEN_BYTES,
};
use oms_e2e::*;
use serde_json::{json, Value};
use tokio::time::Instant;

const ISSUER: &str = "https://issuer.test";
const AUDIENCE: &str = "oms-e2e";
/// Pinned on every probe, so the answers can be compared byte for byte.
const REQUEST_ID: &str = "jwt-attack-probe";
/// The probe: a mutation that would create a DRAFT order for the token's customer.
const CHECKOUT: &str = "mutation { checkoutItems(input: {vendorId: \"v-demo\", items: [{sku: \"T-SHIRT-L\", quantity: 1}]}) { order { id } userErrors { code } } }";
/// Both routes run the same verification: the whole schema and a resolver group.
const ROUTES: [&str; 2] = ["/graphql", "/graphql/checkout"];

// ---------------------------------------------------------------------------------------------
// Keys and tokens.
// ---------------------------------------------------------------------------------------------

/// A test key of oms-auth (`shared/auth/tests/keys`: `rsa1`, `rsa2`, `ec1`).
fn key_file(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/auth/tests/keys")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read test key {}: {e}", path.display()))
}

/// The public JWK of `name` (with its own `kid`).
fn jwk(name: &str) -> Value {
    serde_json::from_slice(&key_file(&format!("{name}.jwk.json")))
        .unwrap_or_else(|e| panic!("bad jwk {name}: {e}"))
}

fn jwks_doc(names: &[&str]) -> String {
    json!({"keys": names.iter().map(|n| jwk(n)).collect::<Vec<_>>()}).to_string()
}

fn rsa_private(name: &str) -> EncodingKey {
    EncodingKey::from_rsa_pem(&key_file(&format!("{name}.pem"))).unwrap_or_else(|e| panic!("{e}"))
}

fn ec_private(name: &str) -> EncodingKey {
    EncodingKey::from_ec_pem(&key_file(&format!("{name}.pem"))).unwrap_or_else(|e| panic!("{e}"))
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Valid claims: c-demo of tenant demo, a customer, our issuer and audience, 10 minutes to live.
fn claims() -> Value {
    json!({"sub": CUSTOMER, "tenant_id": TENANT, "roles": ["customer"], "iss": ISSUER, "aud": AUDIENCE, "iat": now(), "exp": now() + 600})
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims
        .as_object_mut()
        .unwrap()
        .insert(key.to_string(), value);
    claims
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().unwrap().remove(key);
    claims
}

fn header(alg: &str, kid: Option<&str>) -> Value {
    let mut header = json!({"alg": alg, "typ": "JWT"});
    if let Some(kid) = kid {
        header["kid"] = json!(kid);
    }
    header
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// A compact JWS over exactly these header and claims bytes, signed by `alg` with `key`.
fn jws(header: &Value, claims: &Value, alg: Algorithm, key: &EncodingKey) -> String {
    let message = format!("{}.{}", b64(header), b64(claims));
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), key, alg)
        .unwrap_or_else(|e| panic!("cannot sign: {e}"));
    format!("{message}.{signature}")
}

/// Header, claims and a given signature part (possibly empty, possibly someone else's).
fn unsigned(header: &Value, claims: &Value, signature: &str) -> String {
    format!("{}.{}.{signature}", b64(header), b64(claims))
}

/// RS256 by the private key `key` (`rsa1`, `rsa2`) under the header `kid`.
fn rs256(key: &str, kid: &str, claims: &Value) -> String {
    jws(
        &header("RS256", Some(kid)),
        claims,
        Algorithm::RS256,
        &rsa_private(key),
    )
}

fn es256(key: &str, kid: &str, claims: &Value) -> String {
    jws(
        &header("ES256", Some(kid)),
        claims,
        Algorithm::ES256,
        &ec_private(key),
    )
}

/// HS256 keyed with `secret`.
fn hs(alg: Algorithm, kid: Option<&str>, claims: &Value, secret: &[u8]) -> String {
    let name = format!("{alg:?}");
    jws(
        &header(&name, kid),
        claims,
        alg,
        &EncodingKey::from_secret(secret),
    )
}

/// The valid token of c-demo in tenant demo (rsa-1, which the JWKS serves from the start).
fn valid() -> String {
    rs256("rsa1", "rsa-1", &claims())
}

/// The valid token of c-demo in `tenant` signed by `key` under `kid`.
fn valid_in(tenant: &str, key: &str, kid: &str) -> String {
    rs256(key, kid, &with(claims(), "tenant_id", json!(tenant)))
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// The parts of a compact token.
fn parts(token: &str) -> Vec<String> {
    token.split('.').map(str::to_string).collect()
}

/// A validly signed RS256 token (rsa-1) of exactly `len` bytes: the claims carry a padding
/// claim, and the header a `cty` when the base64 lengths need another remainder.
fn rs256_of_len(len: usize) -> String {
    let signature_len = parts(&valid())[2].len();
    for cty in [None, Some("a"), Some("ab")] {
        let mut header = header("RS256", Some("rsa-1"));
        if let Some(cty) = cty {
            header["cty"] = json!(cty);
        }
        let fixed = b64(&header).len() + 2 + signature_len;
        // The claims JSON grows by one byte per padding byte; its base64 by 4/3.
        let base = claims().to_string().len() + r#","pad":"""#.len();
        let start = (len.saturating_sub(fixed) * 3 / 4).saturating_sub(base + 8);
        for pad in start..start + 16 {
            let claims = with(claims(), "pad", json!("x".repeat(pad)));
            if fixed + b64(&claims).len() == len {
                let token = jws(&header, &claims, Algorithm::RS256, &rsa_private("rsa1"));
                assert_eq!(token.len(), len);
                return token;
            }
        }
    }
    panic!("no padding gives a token of {len} bytes");
}

// ---------------------------------------------------------------------------------------------
// The JWKS endpoint.
// ---------------------------------------------------------------------------------------------

#[derive(Clone)]
enum JwksAnswer {
    /// 200 with this JWKS document.
    Keys(String),
    /// Reads the request and never answers.
    Hang,
}

/// A JWKS endpoint on `127.0.0.1:0` (axum): serves a key set that can be switched, can hang, and
/// can be stopped (its port then refuses connections). Counts the requests it received.
struct JwksEndpoint {
    url: String,
    answer: Arc<Mutex<JwksAnswer>>,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl JwksEndpoint {
    async fn start(keys: &[&str]) -> JwksEndpoint {
        Self::start_with(jwks_doc(keys)).await
    }

    async fn start_with(document: String) -> JwksEndpoint {
        let answer = Arc::new(Mutex::new(JwksAnswer::Keys(document)));
        let hits = Arc::new(AtomicUsize::new(0));
        let (shared_answer, counter) = (answer.clone(), hits.clone());
        let router = axum::Router::new().route(
            "/jwks",
            axum::routing::get(move || {
                let (answer, counter) = (shared_answer.clone(), counter.clone());
                async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let current = answer
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .clone();
                    match current {
                        // `Connection: close`: the verifier's client keeps no connection, so once
                        // the endpoint is stopped nothing of it answers any more.
                        JwksAnswer::Keys(doc) => (
                            [(CONTENT_TYPE, "application/json"), (CONNECTION, "close")],
                            doc,
                        )
                            .into_response(),
                        JwksAnswer::Hang => std::future::pending::<Response>().await,
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        JwksEndpoint {
            url: format!("http://{addr}/jwks"),
            answer,
            hits,
            task,
        }
    }

    fn set(&self, answer: JwksAnswer) {
        *self.answer.lock().unwrap_or_else(PoisonError::into_inner) = answer;
    }

    /// Serve these keys from now on (a rotation at the IdP).
    fn serve(&self, keys: &[&str]) {
        self.set(JwksAnswer::Keys(jwks_doc(keys)));
    }

    /// Accept requests and never answer them.
    fn hang(&self) {
        self.set(JwksAnswer::Hang);
    }

    /// Stops listening: the port refuses connections from now on.
    async fn stop(&mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for JwksEndpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}

// ---------------------------------------------------------------------------------------------
// Paused clock.
// ---------------------------------------------------------------------------------------------

/// Keeps tokio's paused clock from moving by itself while the guard lives (as in
/// `shared/auth/tests/auth/jwks_mode.rs`): a paused runtime idle on a socket would otherwise jump
/// to the next timer, e.g. fire the fetch timeout before the loopback endpoint answered. While a
/// `spawn_blocking` task runs tokio does not auto-advance; the clock then moves only by
/// `tokio::time::advance`. Watchdog: the hold ends by itself after 60 s of real time, so a test
/// that would wait forever fails on its assertions instead of hanging.
#[must_use = "the clock is held only while the guard lives"]
fn hold_clock() -> std::sync::mpsc::Sender<()> {
    let (guard, dropped) = std::sync::mpsc::channel::<()>();
    drop(tokio::task::spawn_blocking(move || {
        let _ = dropped.recv_timeout(Duration::from_secs(60));
    }));
    guard
}

/// Yields (the clock stays still) until `done()` holds.
async fn until(done: impl Fn() -> bool) {
    while !done() {
        tokio::task::yield_now().await;
    }
}

// ---------------------------------------------------------------------------------------------
// The server and the checks.
// ---------------------------------------------------------------------------------------------

/// What a client sees of an answer: status, headers (but `date`), body.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// The OMS in JWKS mode against `jwks`, on the embedded store.
struct Fixture {
    app: TestApp,
    jwks: JwksEndpoint,
    /// No connection pool: every probe opens its own connection, so no pooled connection can
    /// outlive a jump of the paused clock.
    http: reqwest::Client,
}

impl Fixture {
    /// The JWKS serves `keys`; the verifier has its production settings.
    async fn start(keys: &[&str]) -> Fixture {
        Self::with_endpoint(JwksEndpoint::start(keys).await).await
    }

    async fn with_endpoint(jwks: JwksEndpoint) -> Fixture {
        let config = AuthConfig::jwks(jwks.url.clone())
            .with_issuer(ISSUER)
            .with_audience(AUDIENCE);
        let app = spawn_app_with(Backend::Embedded, config, "unused-in-jwks-mode".into()).await;
        let http = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            // On the paused clock: fires only once the clock runs again (the watchdog of
            // `hold_clock`), so a request the server never answers fails the test, not hangs it.
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        Fixture { app, jwks, http }
    }

    /// POSTs `query` to `route` with this `Authorization` header (or none) and the pinned
    /// request id.
    async fn post(&self, route: &str, authorization: Option<&str>, query: &str) -> Answer {
        let mut request = self
            .http
            .post(format!("{}{route}", self.app.base_url))
            .header("x-request-id", REQUEST_ID)
            .json(&json!({"query": query}));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {route}: {e}"));
        let status = response.status().as_u16();
        let mut headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter(|(name, _)| *name != "date")
            .map(|(name, value)| {
                (
                    name.to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        headers.sort();
        let body = response.text().await.unwrap();
        Answer {
            status,
            headers,
            body,
        }
    }

    /// Status and body of the probe with one huge header, or `None` when the server closed the
    /// connection before answering.
    async fn post_oversized_header(&self, name: &str, value: &str) -> Option<(u16, String)> {
        let response = self
            .http
            .post(format!("{}/graphql", self.app.base_url))
            .header(name, value)
            .json(&json!({"query": CHECKOUT}))
            .send()
            .await
            .ok()?;
        let status = response.status().as_u16();
        Some((status, response.text().await.unwrap_or_default()))
    }

    /// The answer to the probe without any token: the one every forged token must get.
    async fn no_token_answer(&self, route: &str) -> Answer {
        let answer = self.post(route, None, CHECKOUT).await;
        assert_eq!(answer.status, 200, "{answer:?}");
        assert_eq!(
            answer.json(),
            json!({"data": null, "errors": [{"message": "unauthenticated", "extensions": {"code": "UNAUTHENTICATED", "requestId": REQUEST_ID}}]}),
            "the documented refusal"
        );
        answer
    }

    /// `answer` is the refusal, byte for byte what a request without a token gets on `route`.
    async fn assert_is_refusal(&self, case: &str, route: &str, answer: &Answer) {
        let reference = self.no_token_answer(route).await;
        assert_eq!(
            answer, &reference,
            "{case}: not the answer to a request without a token"
        );
    }

    /// Sends the checkout probe with `Bearer token` on every route: each answer is the refusal,
    /// the same as without a token, and nothing was written.
    async fn assert_refused(&self, case: &str, token: &str) {
        let writes = self.app.writes();
        for route in ROUTES {
            let answer = self.post(route, Some(&bearer(token)), CHECKOUT).await;
            self.assert_is_refusal(case, route, &answer).await;
        }
        assert_eq!(self.app.writes(), writes, "{case}: a refused request wrote");
    }

    /// `token` is accepted: `me` answers with its subject.
    async fn assert_accepted(&self, case: &str, token: &str) {
        let answer = self
            .post(
                "/graphql",
                Some(&bearer(token)),
                "{ me { sub tenantId roles } }",
            )
            .await;
        let body = answer.json();
        assert!(
            body.get("errors").is_none_or(Value::is_null),
            "{case}: refused: {body}"
        );
        assert_eq!(body["data"]["me"]["sub"], CUSTOMER, "{case}: {body}");
    }

    /// The customer's orders in `tenant`, as a valid token signed by `key` (`kid`) lists them.
    async fn orders(&self, tenant: &str, key: &str, kid: &str) -> usize {
        let token = valid_in(tenant, key, kid);
        self.app.list_orders(&token, "CUSTOMER", None).await.len()
    }

    /// No attack left an order behind, in either tenant (listed with rsa-1 tokens).
    async fn assert_no_orders(&self) {
        assert_eq!(self.orders(TENANT, "rsa1", "rsa-1").await, 0);
        assert_eq!(self.orders(OTHER_TENANT, "rsa1", "rsa-1").await, 0);
    }
}

// ---------------------------------------------------------------------------------------------
// The control: what the attacks are measured against.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn valid_rs256_and_es256_tokens_are_accepted_and_may_check_out() {
    let f = Fixture::start(&["rsa1", "ec1"]).await;
    f.assert_accepted("RS256", &valid()).await;
    f.assert_accepted("ES256", &es256("ec1", "ec-1", &claims()))
        .await;
    // The probe itself goes through with a valid token: the refusals below are the verifier's.
    let answer = f.post("/graphql", Some(&bearer(&valid())), CHECKOUT).await;
    let body = answer.json();
    assert!(
        body["data"]["checkoutItems"]["order"]["id"].is_string(),
        "{body}"
    );
    assert_eq!(f.orders(TENANT, "rsa1", "rsa-1").await, 1);
    assert_eq!(f.jwks.hits(), 1, "one JWKS fetch, then the cache");
}

// ---------------------------------------------------------------------------------------------
// The attacks.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn alg_none_is_unauthenticated() {
    let f = Fixture::start(&["rsa1"]).await;
    let original = parts(&valid());
    for alg in ["none", "None", "NONE", "nOnE"] {
        f.assert_refused(
            &format!("alg {alg}, empty signature"),
            &unsigned(&header(alg, Some("rsa-1")), &claims(), ""),
        )
        .await;
        f.assert_refused(
            &format!("alg {alg}, no kid"),
            &unsigned(&header(alg, None), &claims(), ""),
        )
        .await;
    }
    f.assert_refused(
        "alg none, the original RS256 signature kept",
        &unsigned(&header("none", Some("rsa-1")), &claims(), &original[2]),
    )
    .await;
    f.assert_refused(
        "alg none, no signature part at all",
        &format!("{}.{}", b64(&header("none", None)), b64(&claims())),
    )
    .await;
    f.assert_refused(
        "alg empty",
        &unsigned(&header("", Some("rsa-1")), &claims(), ""),
    )
    .await;
    f.assert_refused(
        "alg absent",
        &unsigned(&json!({"typ": "JWT", "kid": "rsa-1"}), &claims(), ""),
    )
    .await;
    f.assert_no_orders().await;
}

#[tokio::test]
async fn hs256_signed_with_the_rsa_public_key_is_unauthenticated() {
    // Key confusion: a verifier that takes the key named by `kid` and the algorithm named by the
    // token would check this HMAC with the (public) RSA key as its secret, and accept it.
    let f = Fixture::start(&["rsa1"]).await;
    let pem = key_file("rsa1.pub.pem");
    let pem_text = String::from_utf8(pem.clone()).unwrap();
    let der = STANDARD
        .decode(
            pem_text
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>(),
        )
        .unwrap();
    let modulus = URL_SAFE_NO_PAD
        .decode(jwk("rsa1")["n"].as_str().unwrap())
        .unwrap();
    let jwk_text = jwk("rsa1").to_string();
    let secrets: [(&str, &[u8]); 5] = [
        ("the public key PEM", &pem),
        (
            "the public key PEM without its last newline",
            pem_text.trim_end().as_bytes(),
        ),
        ("the public key DER", &der),
        ("the modulus", &modulus),
        ("the JWK", jwk_text.as_bytes()),
    ];
    for (what, secret) in secrets {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            f.assert_refused(
                &format!("{alg:?} keyed with {what}, kid rsa-1"),
                &hs(alg, Some("rsa-1"), &claims(), secret),
            )
            .await;
        }
        f.assert_refused(
            &format!("HS256 keyed with {what}, no kid"),
            &hs(Algorithm::HS256, None, &claims(), secret),
        )
        .await;
    }
    f.assert_refused(
        "HS256 keyed with the kid",
        &hs(Algorithm::HS256, Some("rsa-1"), &claims(), b"rsa-1"),
    )
    .await;
    f.assert_refused(
        "a dev-style HS256 token",
        &hs(Algorithm::HS256, None, &claims(), b"any-dev-secret"),
    )
    .await;
    f.assert_no_orders().await;
}

#[tokio::test]
async fn another_algorithm_over_a_known_key_is_unauthenticated() {
    // Validly signed by rsa-1 under its kid, with an RSA algorithm the deployment does not allow.
    let f = Fixture::start(&["rsa1"]).await;
    for alg in [
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
    ] {
        let name = format!("{alg:?}");
        f.assert_refused(
            &format!("{name} by rsa-1"),
            &jws(
                &header(&name, Some("rsa-1")),
                &claims(),
                alg,
                &rsa_private("rsa1"),
            ),
        )
        .await;
    }
    f.assert_no_orders().await;
}

#[tokio::test]
async fn an_expired_token_is_unauthenticated() {
    let f = Fixture::start(&["rsa1", "ec1"]).await;
    // Beyond the 30 s leeway by one second, by an hour, and at the epoch.
    for exp in [now() - 31, now() - 3600, 0, -1] {
        f.assert_refused(
            &format!("RS256 exp {exp}"),
            &rs256("rsa1", "rsa-1", &with(claims(), "exp", json!(exp))),
        )
        .await;
    }
    f.assert_refused(
        "ES256 expired an hour ago",
        &es256("ec1", "ec-1", &with(claims(), "exp", json!(now() - 3600))),
    )
    .await;
    f.assert_no_orders().await;
}

#[tokio::test]
async fn a_token_not_yet_valid_is_unauthenticated() {
    let f = Fixture::start(&["rsa1"]).await;
    for nbf in [json!(now() + 120), json!(now() + 365 * 86_400)] {
        f.assert_refused(
            &format!("nbf {nbf}"),
            &rs256("rsa1", "rsa-1", &with(claims(), "nbf", nbf.clone())),
        )
        .await;
    }
    f.assert_refused(
        "nbf not a number",
        &rs256("rsa1", "rsa-1", &with(claims(), "nbf", json!("0"))),
    )
    .await;
    f.assert_no_orders().await;
}

#[tokio::test]
async fn a_wrong_issuer_is_unauthenticated() {
    let f = Fixture::start(&["rsa1"]).await;
    for iss in [
        json!("https://evil.example"),
        json!("https://issuer.test/"),
        json!("HTTPS://ISSUER.TEST"),
        json!(" https://issuer.test"),
        json!(""),
        json!(["https://issuer.test"]),
        json!(null),
    ] {
        f.assert_refused(
            &format!("iss {iss}"),
            &rs256("rsa1", "rsa-1", &with(claims(), "iss", iss.clone())),
        )
        .await;
    }
    f.assert_no_orders().await;
}

#[tokio::test]
async fn a_wrong_audience_is_unauthenticated() {
    let f = Fixture::start(&["rsa1"]).await;
    for aud in [
        json!("someone-else"),
        json!("OMS-E2E"),
        json!("oms-e2e "),
        json!("oms"),
        json!(["someone-else", "another"]),
        json!([]),
        json!([["oms-e2e"]]),
        json!({"aud": "oms-e2e"}),
        json!(42),
        json!(null),
    ] {
        f.assert_refused(
            &format!("aud {aud}"),
            &rs256("rsa1", "rsa-1", &with(claims(), "aud", aud.clone())),
        )
        .await;
    }
    f.assert_no_orders().await;
}

#[tokio::test(start_paused = true)]
async fn an_unknown_kid_is_unauthenticated_and_costs_at_most_one_jwks_fetch() {
    let _clock = hold_clock();
    let f = Fixture::start(&["rsa1", "ec1"]).await;
    let long_kid = "k".repeat(4096);
    let cases = [
        (
            "a kid the JWKS does not have",
            rs256("rsa2", "rsa-2", &claims()),
        ),
        (
            "an unknown kid over a signature by a known key",
            rs256("rsa1", "rsa-9", &claims()),
        ),
        (
            "the kid of the EC key on an RS256 token",
            rs256("rsa1", "ec-1", &claims()),
        ),
        (
            "the kid of the RSA key on an ES256 token",
            es256("ec1", "rsa-1", &claims()),
        ),
        (
            "a kid with a trailing space",
            rs256("rsa1", "rsa-1 ", &claims()),
        ),
        (
            "a path as kid",
            rs256("rsa1", "../../../../dev/null", &claims()),
        ),
        ("SQL as kid", rs256("rsa1", "rsa-1' OR '1'='1", &claims())),
        ("a 4 KiB kid", rs256("rsa1", &long_kid, &claims())),
        ("an empty kid", rs256("rsa1", "", &claims())),
        (
            "no kid",
            jws(
                &header("RS256", None),
                &claims(),
                Algorithm::RS256,
                &rsa_private("rsa1"),
            ),
        ),
        (
            "a kid that is not a string",
            jws(
                &json!({"alg": "RS256", "kid": 1}),
                &claims(),
                Algorithm::RS256,
                &rsa_private("rsa1"),
            ),
        ),
    ];
    for (case, token) in &cases {
        f.assert_refused(case, token).await;
    }
    // The first token fetched the JWKS; a flood of unknown kids did not fetch it again.
    assert_eq!(f.jwks.hits(), 1, "the refresh is rate-limited");
    f.assert_no_orders().await;
    assert_eq!(f.jwks.hits(), 1);
}

#[tokio::test]
async fn a_tampered_payload_under_the_original_signature_is_unauthenticated() {
    let f = Fixture::start(&["rsa1", "ec1"]).await;
    for (alg, original) in [
        ("RS256", valid()),
        ("ES256", es256("ec1", "ec-1", &claims())),
    ] {
        let [head, _, signature] = <[String; 3]>::try_from(parts(&original)).unwrap();
        let forgeries = [
            (
                "another tenant",
                with(claims(), "tenant_id", json!(OTHER_TENANT)),
            ),
            (
                "the vendor role added",
                with(claims(), "roles", json!(["customer", "vendor"])),
            ),
            ("another subject", with(claims(), "sub", json!("c-victim"))),
            (
                "a later expiry",
                with(claims(), "exp", json!(now() + 10 * 365 * 86_400)),
            ),
        ];
        for (what, forged) in forgeries {
            f.assert_refused(
                &format!("{alg}: {what}"),
                &format!("{head}.{}.{signature}", b64(&forged)),
            )
            .await;
        }
        // The same claims, other bytes (re-serialised with spaces): the signature covers bytes.
        let spaced = URL_SAFE_NO_PAD.encode(serde_json::to_string_pretty(&claims()).unwrap());
        f.assert_refused(
            &format!("{alg}: the claims re-encoded"),
            &format!("{head}.{spaced}.{signature}"),
        )
        .await;
    }
    let original = parts(&valid());
    let other = parts(&rs256(
        "rsa1",
        "rsa-1",
        &with(claims(), "sub", json!("c-other")),
    ));
    let mut flipped = original[2].clone().into_bytes();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    let cases = [
        (
            "the header changed (kid rsa-1 → ec-1, alg ES256)",
            format!(
                "{}.{}.{}",
                b64(&header("ES256", Some("ec-1"))),
                original[1],
                original[2]
            ),
        ),
        (
            "the signature removed",
            format!("{}.{}.", original[0], original[1]),
        ),
        (
            "the signature altered",
            format!("{}.{}.{flipped}", original[0], original[1]),
        ),
        (
            "the signature of another token",
            format!("{}.{}.{}", original[0], original[1], other[2]),
        ),
        (
            "signed by a key not in the JWKS under the kid of one that is",
            rs256("rsa2", "rsa-1", &claims()),
        ),
    ];
    for (case, token) in &cases {
        f.assert_refused(case, token).await;
    }
    f.assert_no_orders().await;
}

#[tokio::test]
async fn a_token_missing_a_required_claim_is_unauthenticated() {
    let f = Fixture::start(&["rsa1"]).await;
    for claim in ["exp", "sub", "tenant_id", "roles", "iss", "aud"] {
        f.assert_refused(
            &format!("no {claim}"),
            &rs256("rsa1", "rsa-1", &without(claims(), claim)),
        )
        .await;
        f.assert_refused(
            &format!("{claim}: null"),
            &rs256("rsa1", "rsa-1", &with(claims(), claim, json!(null))),
        )
        .await;
    }
    f.assert_refused(
        "an empty sub",
        &rs256("rsa1", "rsa-1", &with(claims(), "sub", json!(""))),
    )
    .await;
    f.assert_refused("no claims at all", &rs256("rsa1", "rsa-1", &json!({})))
        .await;
    for payload in [json!([]), json!("claims"), json!(null)] {
        f.assert_refused(
            &format!("claims {payload}"),
            &rs256("rsa1", "rsa-1", &payload),
        )
        .await;
    }
    f.assert_no_orders().await;
}

#[tokio::test]
async fn an_oversized_token_is_unauthenticated() {
    let f = Fixture::start(&["rsa1"]).await;
    // The documented limit is exact: a validly signed token of MAX_TOKEN_BYTES (16 KiB) passes …
    f.assert_accepted("exactly the limit", &rs256_of_len(MAX_TOKEN_BYTES))
        .await;
    // … and one byte more is refused, however valid its signature.
    for len in [MAX_TOKEN_BYTES + 1, 64 * 1024, 256 * 1024] {
        f.assert_refused(&format!("signed, {len} bytes"), &rs256_of_len(len))
            .await;
    }
    f.assert_refused("256 KiB of garbage", &"a".repeat(256 * 1024))
        .await;
    f.assert_refused(
        "256 KiB of dots and parts",
        &format!(
            "{}.{}.{}",
            "e".repeat(100_000),
            "e".repeat(100_000),
            "e".repeat(62_144)
        ),
    )
    .await;

    // Far beyond it, a header larger than the HTTP server reads (hyper's buffer, about 400 KiB)
    // never reaches GraphQL: it gets what any other header that large gets (431 with an empty
    // body; or, as the server closes with the rest unread, a reset connection), nothing is
    // written, and the server keeps serving.
    let writes = f.app.writes();
    let huge = bearer(&rs256_of_len(1024 * 1024));
    for name in ["authorization", "x-padding"] {
        let answer = f.post_oversized_header(name, &huge).await;
        assert!(
            answer.is_none() || answer == Some((431, String::new())),
            "1 MiB {name} header: {answer:?}"
        );
    }
    assert_eq!(f.app.writes(), writes);
    f.assert_accepted("after the oversized headers", &valid())
        .await;
    f.assert_no_orders().await;
}

#[tokio::test]
async fn keys_named_or_embedded_in_the_token_header_are_ignored() {
    // jwk / jku / x5u in the header: the verifier uses its own JWKS only, and never fetches a URL
    // a token names.
    let f = Fixture::start(&["rsa1"]).await;
    let mut attacker_jwk = jwk("rsa2");
    attacker_jwk["kid"] = json!("rsa-1");
    let attacker =
        JwksEndpoint::start_with(json!({"keys": [attacker_jwk.clone()]}).to_string()).await;
    for kid in ["rsa-1", "attacker"] {
        let forged_header = json!({
            "alg": "RS256", "typ": "JWT", "kid": kid,
            "jwk": attacker_jwk, "jku": attacker.url, "x5u": attacker.url,
        });
        f.assert_refused(
            &format!("kid {kid} with the attacker's key in jwk/jku/x5u"),
            &jws(
                &forged_header,
                &claims(),
                Algorithm::RS256,
                &rsa_private("rsa2"),
            ),
        )
        .await;
    }
    assert_eq!(attacker.hits(), 0, "a URL named by a token was fetched");
    f.assert_no_orders().await;
}

// ---------------------------------------------------------------------------------------------
// The JWKS: rotation and outages (paused clock).
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_rotated_key_is_accepted_after_the_refresh() {
    let _clock = hold_clock();
    // GIVEN the JWKS fetched with rsa-1 only
    let f = Fixture::start(&["rsa1"]).await;
    f.assert_accepted("rsa-1", &valid()).await;
    assert_eq!(f.jwks.hits(), 1);
    let rotated = rs256("rsa2", "rsa-2", &claims());

    // WHEN the IdP starts signing with a new key rsa-2 right after that fetch
    f.jwks.serve(&["rsa1", "rsa2"]);
    // THEN within the refresh interval the new kid is refused, without a fetch (rate limit) …
    f.assert_refused("rsa-2 within the refresh interval", &rotated)
        .await;
    assert_eq!(f.jwks.hits(), 1);

    // … and once the interval has passed, the unknown kid triggers one refresh and is accepted
    tokio::time::advance(DEFAULT_REFRESH_MIN_INTERVAL).await;
    f.assert_accepted("rsa-2 after the refresh", &rotated).await;
    assert_eq!(f.jwks.hits(), 2);
    let answer = f.post("/graphql", Some(&bearer(&rotated)), CHECKOUT).await;
    assert!(
        answer.json()["data"]["checkoutItems"]["order"]["id"].is_string(),
        "{answer:?}"
    );
    // AND the old key keeps working from the same refreshed set
    f.assert_accepted("rsa-1 after the rotation", &valid())
        .await;
    assert_eq!(f.jwks.hits(), 2);

    // WHEN the IdP retires rsa-1, it stops working once the cache has expired
    f.jwks.serve(&["rsa2"]);
    tokio::time::advance(DEFAULT_CACHE_TTL).await;
    f.assert_refused("rsa-1 after its retirement", &valid())
        .await;
    assert_eq!(f.jwks.hits(), 3);
    f.assert_accepted("rsa-2 after the retirement", &rotated)
        .await;
    assert_eq!(f.orders(TENANT, "rsa2", "rsa-2").await, 1);
    assert_eq!(f.jwks.hits(), 3);
}

#[tokio::test(start_paused = true)]
async fn with_the_jwks_endpoint_down_cached_keys_work_and_unknown_kids_are_refused() {
    let _clock = hold_clock();
    // GIVEN keys fetched while the endpoint was up
    let mut f = Fixture::start(&["rsa1", "ec1"]).await;
    f.assert_accepted("rsa-1", &valid()).await;
    f.assert_accepted("ec-1", &es256("ec1", "ec-1", &claims()))
        .await;
    assert_eq!(f.jwks.hits(), 1);
    let unknown = rs256("rsa2", "rsa-2", &claims());

    // WHEN the IdP rotates to rsa-2 alone and its endpoint goes down (the port refuses
    // connections): had a refresh reached it, rsa-2 would be accepted and rsa-1 refused
    f.jwks.serve(&["rsa2"]);
    f.jwks.stop().await;
    // THEN the cached keys keep working
    f.assert_accepted("rsa-1, endpoint down", &valid()).await;

    // AND an unknown kid, whose refresh fails, is refused at once (UNAUTHENTICATED, not INTERNAL)
    tokio::time::advance(DEFAULT_REFRESH_MIN_INTERVAL).await;
    let started = Instant::now();
    f.assert_refused("unknown kid, endpoint down", &unknown)
        .await;
    assert_eq!(
        started.elapsed(),
        Duration::ZERO,
        "no waiting on a refused connection"
    );
    // AND the failed refresh kept the cached keys
    f.assert_accepted("rsa-1 after the failed refresh", &valid())
        .await;
    f.assert_accepted(
        "ec-1 after the failed refresh",
        &es256("ec1", "ec-1", &claims()),
    )
    .await;

    // AND even once the cache has expired, the keys it had stay in use while the IdP is down
    tokio::time::advance(DEFAULT_CACHE_TTL).await;
    f.assert_accepted("rsa-1, cache expired, endpoint down", &valid())
        .await;
    f.assert_refused("unknown kid, cache expired, endpoint down", &unknown)
        .await;
    assert_eq!(f.jwks.hits(), 1);
    f.assert_no_orders().await;
}

#[tokio::test(start_paused = true)]
async fn a_hanging_jwks_endpoint_refuses_unknown_kids_within_the_fetch_timeout() {
    let _clock = hold_clock();
    // GIVEN keys fetched while the endpoint answered
    let f = Fixture::start(&["rsa1"]).await;
    f.assert_accepted("rsa-1", &valid()).await;
    let unknown = rs256("rsa2", "rsa-2", &claims());

    // WHEN the endpoint accepts connections but never answers
    f.jwks.hang();
    tokio::time::advance(DEFAULT_REFRESH_MIN_INTERVAL).await;
    // THEN a cached kid is accepted without asking it
    let started = Instant::now();
    f.assert_accepted("rsa-1, endpoint hanging", &valid()).await;
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(f.jwks.hits(), 1);

    // AND an unknown kid waits for the refresh exactly the fetch timeout, then is refused
    let writes = f.app.writes();
    let authorization = bearer(&unknown);
    let started = Instant::now();
    let (answer, ()) = tokio::join!(f.post("/graphql", Some(&authorization), CHECKOUT), async {
        until(|| f.jwks.hits() >= 2).await;
        tokio::time::advance(DEFAULT_FETCH_TIMEOUT).await;
    });
    assert_eq!(
        started.elapsed(),
        DEFAULT_FETCH_TIMEOUT,
        "bounded by the fetch timeout"
    );
    f.assert_is_refusal("unknown kid, endpoint hanging", "/graphql", &answer)
        .await;
    assert_eq!(f.app.writes(), writes);

    // AND within the refresh interval the next ones are refused at once, without asking again
    let started = Instant::now();
    f.assert_refused("unknown kid again, endpoint hanging", &unknown)
        .await;
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(f.jwks.hits(), 2);
    f.assert_accepted("rsa-1 after the timed-out refresh", &valid())
        .await;
    f.assert_no_orders().await;
}

#[tokio::test]
async fn with_the_jwks_endpoint_down_from_the_start_every_token_is_unauthenticated() {
    // Nothing cached and nothing to fetch: valid tokens too are refused, as UNAUTHENTICATED (the
    // same answer as every other refusal), not INTERNAL.
    let mut jwks = JwksEndpoint::start(&["rsa1"]).await;
    jwks.stop().await;
    let f = Fixture::with_endpoint(jwks).await;
    f.assert_refused("a valid token, JWKS unreachable", &valid())
        .await;
    f.assert_refused(
        "an ES256 token, JWKS unreachable",
        &es256("ec1", "ec-1", &claims()),
    )
    .await;
    assert_eq!(f.jwks.hits(), 0);
}
