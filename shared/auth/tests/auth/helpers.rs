//! Test keys, token minting and a tiny JWKS server on 127.0.0.1:0 that counts hits, rotates
//! keys, fails or stalls on demand.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use oms_auth::{AuthConfig, AuthError, Authenticator, Rejection, VerifiedToken};
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub const ISSUER: &str = "https://issuer.test";
pub const AUDIENCE: &str = "my-app";

pub fn key_file(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keys")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

pub fn jwk(name: &str) -> Value {
    serde_json::from_slice(&key_file(&format!("{name}.jwk.json")))
        .unwrap_or_else(|e| panic!("bad jwk {name}: {e}"))
}

/// `{"keys": [...]}` with the public keys of the named test keys (`rsa1`, `rsa2`, `ec1`).
pub fn jwks_doc(names: &[&str]) -> String {
    json!({ "keys": names.iter().map(|n| jwk(n)).collect::<Vec<_>>() }).to_string()
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// Valid claims for the JWKS-mode tests: issuer/audience of docs/legacy-oms.md "JWT test cases".
pub fn claims() -> Value {
    json!({
        "sub": "user-1",
        "tenant_id": "t1",
        "roles": ["customer"],
        "token_type": "Bearer",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now(),
        "exp": now() + 300,
    })
}

pub fn set(mut claims: Value, key: &str, value: Value) -> Value {
    if let Some(map) = claims.as_object_mut() {
        map.insert(key.to_string(), value);
    }
    claims
}

pub fn unset(mut claims: Value, key: &str) -> Value {
    if let Some(map) = claims.as_object_mut() {
        map.remove(key);
    }
    claims
}

fn sign(alg: Algorithm, kid: Option<&str>, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_string);
    jsonwebtoken::encode(&header, claims, key)
        .unwrap_or_else(|e| panic!("cannot sign test token: {e}"))
}

/// RS256 with the private key `<key>.pem`, header `kid`.
pub fn rs256(key: &str, kid: &str, claims: &Value) -> String {
    let key = EncodingKey::from_rsa_pem(&key_file(&format!("{key}.pem")))
        .unwrap_or_else(|e| panic!("{e}"));
    sign(Algorithm::RS256, Some(kid), claims, &key)
}

/// ES256 with the private key `<key>.pem`, header `kid`.
pub fn es256(key: &str, kid: &str, claims: &Value) -> String {
    let key = EncodingKey::from_ec_pem(&key_file(&format!("{key}.pem")))
        .unwrap_or_else(|e| panic!("{e}"));
    sign(Algorithm::ES256, Some(kid), claims, &key)
}

/// HS256 with `secret`, optional `kid`.
pub fn hs256(secret: &[u8], kid: Option<&str>, claims: &Value) -> String {
    sign(
        Algorithm::HS256,
        kid,
        claims,
        &EncodingKey::from_secret(secret),
    )
}

/// A token with an arbitrary header and payload and the given raw signature part.
pub fn raw_token(header: &Value, claims: &Value, signature: &str) -> String {
    format!(
        "{}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

pub async fn verify(auth: &Authenticator, token: &str) -> Result<VerifiedToken, AuthError> {
    auth.verify_at(Some(&bearer(token)), chrono::Utc::now())
        .await
}

/// The rejection reason, checking on the way that nothing leaks through `Display`.
pub async fn rejection(auth: &Authenticator, token: &str) -> Rejection {
    match verify(auth, token).await {
        Ok(t) => panic!("token unexpectedly accepted: {t:?}"),
        Err(e) => {
            assert_eq!(e.to_string(), "unauthenticated");
            e.reason()
        }
    }
}

pub async fn accepted(auth: &Authenticator, token: &str) -> VerifiedToken {
    match verify(auth, token).await {
        Ok(t) => t,
        Err(e) => panic!("token unexpectedly rejected: {e:?}"),
    }
}

struct ServerState {
    body: Mutex<String>,
    status: Mutex<u16>,
    delay: Mutex<Duration>,
    hits: AtomicUsize,
}

/// A JWKS endpoint on loopback. Dropping it stops it.
pub struct JwksServer {
    pub port: u16,
    state: Arc<ServerState>,
    task: JoinHandle<()>,
}

impl JwksServer {
    /// Plain HTTP, serving `jwks_doc(names)`.
    pub async fn start(names: &[&str]) -> JwksServer {
        Self::start_with(names, None).await
    }

    /// HTTP, or HTTPS when a TLS acceptor is given.
    pub async fn start_with(names: &[&str], tls: Option<tokio_rustls::TlsAcceptor>) -> JwksServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind: {e}"));
        let port = listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("addr: {e}"));
        let state = Arc::new(ServerState {
            body: Mutex::new(jwks_doc(names)),
            status: Mutex::new(200),
            delay: Mutex::new(Duration::ZERO),
            hits: AtomicUsize::new(0),
        });
        let served = Arc::clone(&state);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = Arc::clone(&served);
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                serve(stream, &state).await;
                            }
                        }
                        None => serve(stream, &state).await,
                    }
                });
            }
        });
        JwksServer { port, state, task }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/jwks", self.port)
    }

    pub fn hits(&self) -> usize {
        self.state.hits.load(Ordering::SeqCst)
    }

    /// Serve a JWKS with these keys from now on (key rotation).
    pub fn rotate(&self, names: &[&str]) {
        *lock(&self.state.body) = jwks_doc(names);
    }

    pub fn set_body(&self, body: &str) {
        *lock(&self.state.body) = body.to_string();
    }

    pub fn set_status(&self, status: u16) {
        *lock(&self.state.status) = status;
    }

    /// Wait this long after reading a request before answering.
    pub fn set_delay(&self, delay: Duration) {
        *lock(&self.state.delay) = delay;
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, state: &ServerState) {
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
        if request.len() > 64 * 1024 {
            return;
        }
    }
    state.hits.fetch_add(1, Ordering::SeqCst);
    let delay = *lock(&state.delay);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let body = lock(&state.body).clone();
    let status = *lock(&state.status);
    let response = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// JWKS-mode config for `server`: issuer/audience enforced, short fetch timeout.
pub fn jwks_config(server: &JwksServer) -> AuthConfig {
    AuthConfig::jwks(server.url())
        .with_issuer(ISSUER)
        .with_audience(AUDIENCE)
        .with_fetch_timeout(Duration::from_millis(500))
}

pub fn authenticator(config: AuthConfig) -> Authenticator {
    Authenticator::new(config).unwrap_or_else(|e| panic!("config rejected: {e}"))
}
