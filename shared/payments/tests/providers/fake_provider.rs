//! A fake Stripe + PayPal API on 127.0.0.1:0 (hyper HTTP/1.1, optionally behind TLS) with a few
//! canned transactions. It checks the auth headers like the real APIs, counts calls, records
//! request lines, issues numbered PayPal tokens with a configurable lifetime and can revoke
//! them (so the next order call gets a 401) or refuse every order call with 401.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub const STRIPE_KEY: &str = "sk_test_51FakeStripeSecretKey0001";
pub const PAYPAL_CLIENT_ID: &str = "AZfakePaypalClientIdTenantOne";
pub const PAYPAL_SECRET: &str = "EKfakePaypalSecretTenantOne";
pub const PAYPAL_CLIENT_ID_2: &str = "AZfakePaypalClientIdTenantTwo";
pub const PAYPAL_SECRET_2: &str = "EKfakePaypalSecretTenantTwo";

/// Size of the `pi_huge` / `PP_HUGE` bodies.
pub const HUGE_BODY_BYTES: usize = 1024 * 1024;

struct State {
    stripe_calls: AtomicUsize,
    token_calls: AtomicUsize,
    order_calls: AtomicUsize,
    requests: Mutex<Vec<String>>,
    expires_in: AtomicU64,
    next_token: AtomicUsize,
    valid_tokens: Mutex<HashSet<String>>,
    reject_all_orders: AtomicBool,
}

pub struct FakeProvider {
    pub port: u16,
    scheme: &'static str,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl FakeProvider {
    pub async fn start() -> FakeProvider {
        Self::start_with(None).await
    }

    pub async fn start_with(tls: Option<tokio_rustls::TlsAcceptor>) -> FakeProvider {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("{e}"))
            .port();
        let state = Arc::new(State {
            stripe_calls: AtomicUsize::new(0),
            token_calls: AtomicUsize::new(0),
            order_calls: AtomicUsize::new(0),
            requests: Mutex::new(vec![]),
            expires_in: AtomicU64::new(32_400),
            next_token: AtomicUsize::new(1),
            valid_tokens: Mutex::new(HashSet::new()),
            reject_all_orders: AtomicBool::new(false),
        });
        let scheme = if tls.is_some() { "https" } else { "http" };
        let served = Arc::clone(&state);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = Arc::clone(&served);
                let tls = tls.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let state = Arc::clone(&state);
                        async move { Ok::<_, Infallible>(handle(&state, req).await) }
                    });
                    let http = hyper::server::conn::http1::Builder::new();
                    match tls {
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                let _ = http.serve_connection(TokioIo::new(stream), service).await;
                            }
                        }
                        None => {
                            let _ = http.serve_connection(TokioIo::new(stream), service).await;
                        }
                    }
                });
            }
        });
        FakeProvider {
            port,
            scheme,
            state,
            task,
        }
    }

    pub fn base_url(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.port)
    }

    pub fn stripe_calls(&self) -> usize {
        self.state.stripe_calls.load(Ordering::SeqCst)
    }

    pub fn token_calls(&self) -> usize {
        self.state.token_calls.load(Ordering::SeqCst)
    }

    pub fn order_calls(&self) -> usize {
        self.state.order_calls.load(Ordering::SeqCst)
    }

    /// Every request line seen (`GET /v1/...`).
    pub fn requests(&self) -> Vec<String> {
        lock(&self.state.requests).clone()
    }

    /// Lifetime (`expires_in`, seconds) of the tokens issued from now on.
    pub fn set_token_lifetime(&self, seconds: u64) {
        self.state.expires_in.store(seconds, Ordering::SeqCst);
    }

    /// Invalidates every issued token: the next order call with one of them gets 401.
    pub fn revoke_tokens(&self) {
        lock(&self.state.valid_tokens).clear();
    }

    /// Every order call gets 401, whatever the token.
    pub fn reject_all_orders(&self) {
        self.state.reject_all_orders.store(true, Ordering::SeqCst);
    }
}

fn respond(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

fn json_response(status: StatusCode, value: serde_json::Value) -> Response<Full<Bytes>> {
    respond(status, value.to_string())
}

async fn stall() -> Response<Full<Bytes>> {
    tokio::time::sleep(Duration::from_secs(3600)).await;
    respond(StatusCode::OK, "{}")
}

fn header(req: &Request<Incoming>, name: hyper::header::HeaderName) -> String {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

async fn handle(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    lock(&state.requests).push(format!("{} {}", req.method(), req.uri()));
    if let Some(id) = path.strip_prefix("/v1/payment_intents/") {
        let id = id.to_string();
        return stripe(state, &req, &id).await;
    }
    if path == "/v1/oauth2/token" {
        return paypal_token(state, req).await;
    }
    if let Some(id) = path.strip_prefix("/v2/checkout/orders/") {
        let id = id.to_string();
        return paypal_order(state, &req, &id).await;
    }
    json_response(StatusCode::NOT_FOUND, json!({"error": "no such route"}))
}

fn intent(
    id: &str,
    amount: i64,
    currency: &str,
    status: &str,
    order_id: &str,
) -> serde_json::Value {
    json!({
        "id": id, "object": "payment_intent", "amount": amount, "amount_received": amount,
        "currency": currency, "status": status, "metadata": {"order_id": order_id},
        "livemode": false
    })
}

async fn stripe(state: &State, req: &Request<Incoming>, id: &str) -> Response<Full<Bytes>> {
    state.stripe_calls.fetch_add(1, Ordering::SeqCst);
    let auth = header(req, AUTHORIZATION);
    if req.method() != Method::GET {
        return json_response(StatusCode::METHOD_NOT_ALLOWED, json!({}));
    }
    if auth != format!("Bearer {STRIPE_KEY}") {
        // Echo what was presented, so a client that copied bodies into errors would leak it.
        return json_response(
            StatusCode::UNAUTHORIZED,
            json!({"error": {"type": "invalid_request_error", "message": format!("Invalid API Key provided: {auth}")}}),
        );
    }
    let value = match id {
        "pi_succeeded" => intent(id, 1962, "sgd", "succeeded", "ord-1"),
        "pi_requires_pm" => intent(id, 1962, "sgd", "requires_payment_method", "ord-1"),
        "pi_usd" => intent(id, 1962, "usd", "succeeded", "ord-1"),
        "pi_other_order" => intent(id, 1962, "sgd", "succeeded", "ord-2"),
        "pi_jpy" => intent(id, 1250, "jpy", "succeeded", "ord-1"),
        "pi_bad_currency" => intent(id, 1962, "xyz", "succeeded", "ord-1"),
        "pi_not_json" => return respond(StatusCode::OK, "<html>oops</html>"),
        "pi_server_error" => {
            return json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"error": {"type": "api_error"}}),
            )
        }
        "pi_stall" => return stall().await,
        "pi_huge" => return respond(StatusCode::OK, vec![b' '; HUGE_BODY_BYTES]),
        _ => {
            return json_response(
                StatusCode::NOT_FOUND,
                json!({"error": {"code": "resource_missing", "message": format!("No such payment_intent: '{id}'")}}),
            )
        }
    };
    json_response(StatusCode::OK, value)
}

async fn paypal_token(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    state.token_calls.fetch_add(1, Ordering::SeqCst);
    let auth = header(&req, AUTHORIZATION);
    let content_type = header(&req, CONTENT_TYPE);
    let method = req.method().clone();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let engine = base64::engine::general_purpose::STANDARD;
    let known = [
        engine.encode(format!("{PAYPAL_CLIENT_ID}:{PAYPAL_SECRET}")),
        engine.encode(format!("{PAYPAL_CLIENT_ID_2}:{PAYPAL_SECRET_2}")),
    ];
    if method != Method::POST
        || content_type != "application/x-www-form-urlencoded"
        || body.as_ref() != b"grant_type=client_credentials"
    {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({"error": "unsupported_grant_type"}),
        );
    }
    if !known.iter().any(|k| auth == format!("Basic {k}")) {
        let presented = auth
            .strip_prefix("Basic ")
            .and_then(|b| engine.decode(b).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        return json_response(
            StatusCode::UNAUTHORIZED,
            json!({"error": "invalid_client", "error_description": format!("Client Authentication failed for {presented}")}),
        );
    }
    let n = state.next_token.fetch_add(1, Ordering::SeqCst);
    let token = format!("A21AAfakeAccessToken{n}");
    lock(&state.valid_tokens).insert(token.clone());
    json_response(
        StatusCode::OK,
        json!({
            "scope": "https://uri.paypal.com/services/payments/payment",
            "access_token": token, "token_type": "Bearer", "app_id": "APP-80W284485P519543T",
            "expires_in": state.expires_in.load(Ordering::SeqCst), "nonce": "2020-04-03T15:35:36ZaYZl"
        }),
    )
}

fn pp_order(id: &str, status: &str, unit: serde_json::Value) -> serde_json::Value {
    json!({"id": id, "intent": "CAPTURE", "status": status, "purchase_units": [unit],
           "links": [{"href": format!("https://api-m.paypal.com/v2/checkout/orders/{id}"), "rel": "self", "method": "GET"}]})
}

fn amount(currency: &str, value: &str) -> serde_json::Value {
    json!({"currency_code": currency, "value": value})
}

fn captures(status: &str) -> serde_json::Value {
    json!({"captures": [{"id": "3C679366HH908993F", "status": status}]})
}

async fn paypal_order(state: &State, req: &Request<Incoming>, id: &str) -> Response<Full<Bytes>> {
    state.order_calls.fetch_add(1, Ordering::SeqCst);
    let auth = header(req, AUTHORIZATION);
    let token_ok = auth
        .strip_prefix("Bearer ")
        .is_some_and(|t| lock(&state.valid_tokens).contains(t));
    if state.reject_all_orders.load(Ordering::SeqCst) || !token_ok {
        return json_response(
            StatusCode::UNAUTHORIZED,
            json!({"error": "invalid_token", "error_description": "Token signature verification failed"}),
        );
    }
    let value = match id {
        "PP_COMPLETED" => pp_order(
            id,
            "COMPLETED",
            json!({"custom_id": "ord-1", "amount": amount("SGD", "19.62"), "payments": captures("COMPLETED")}),
        ),
        "PP_APPROVED" => pp_order(
            id,
            "APPROVED",
            json!({"custom_id": "ord-1", "amount": amount("SGD", "19.62")}),
        ),
        "PP_CAPTURE_ONLY" => pp_order(
            id,
            "APPROVED",
            json!({"custom_id": "ord-1", "amount": amount("SGD", "19.62"), "payments": captures("COMPLETED")}),
        ),
        "PP_CAPTURE_PENDING" => pp_order(
            id,
            "COMPLETED",
            json!({"custom_id": "ord-1", "amount": amount("SGD", "19.62"), "payments": captures("PENDING")}),
        ),
        "PP_EUR" => pp_order(
            id,
            "COMPLETED",
            json!({"custom_id": "ord-1", "amount": amount("EUR", "10.00")}),
        ),
        "PP_OTHER_ORDER" => pp_order(
            id,
            "COMPLETED",
            json!({"custom_id": "ord-2", "amount": amount("SGD", "19.62")}),
        ),
        "PP_INVOICE" => pp_order(
            id,
            "COMPLETED",
            json!({"invoice_id": "ord-3", "amount": amount("SGD", "19.62")}),
        ),
        "PP_BAD_CURRENCY" => pp_order(
            id,
            "COMPLETED",
            json!({"custom_id": "ord-1", "amount": amount("XYZ", "1.00")}),
        ),
        "PP_STALL" => return stall().await,
        _ => {
            return json_response(
                StatusCode::NOT_FOUND,
                json!({"name": "RESOURCE_NOT_FOUND", "message": "The specified resource does not exist."}),
            )
        }
    };
    json_response(StatusCode::OK, value)
}
