//! The JWKS: fetched over HTTP(S) behind a small trait, parsed into verification keys by `kid`,
//! cached, refreshed on expiry or an unknown `kid` at most once per interval.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::header::{ACCEPT, USER_AGENT};
use hyper::{Request, StatusCode, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::DecodingKey;
// Tokio's monotonic clock: the real one in production; under `tokio::time::pause` (tests) it
// moves only when advanced, so the cache TTL and the refresh interval can be tested exactly.
use tokio::time::Instant;

use crate::config::{JwksSettings, SigningAlgorithm};
use crate::error::{AuthError, ConfigError, Rejection};

/// Largest JWKS document we read.
const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// Why a JWKS document could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("JWKS fetch failed: {0}")]
pub struct JwksFetchError(pub String);

/// Fetches the raw JWKS document. The cache parses it, applies the fetch timeout around
/// [`fetch`](JwksFetcher::fetch) and rate-limits calls, so an implementation only does the I/O.
#[async_trait]
pub trait JwksFetcher: Send + Sync + 'static {
    /// # Errors
    /// [`JwksFetchError`] for any transport failure or non-success status; the cache then keeps
    /// the keys it has.
    async fn fetch(&self) -> Result<Bytes, JwksFetchError>;
}

pub(crate) fn parse_jwks_url(url: &str) -> Result<Uri, ConfigError> {
    let uri: Uri = url
        .parse()
        .map_err(|_| ConfigError::InvalidJwksUrl(url.to_string()))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(host)) if !host.is_empty() => Ok(uri),
        _ => Err(ConfigError::InvalidJwksUrl(url.to_string())),
    }
}

enum HttpClient {
    Plain(Client<HttpConnector, Empty<Bytes>>),
    Tls(Client<HttpsConnector<HttpConnector>, Empty<Bytes>>),
}

/// GET of the JWKS URL with hyper: plain HTTP for `http://`, rustls (ring provider, no
/// aws-lc) for `https://`. It follows no redirects and reads at most 1 MiB; anything but
/// `200` is an error. The timeout is applied by the cache around each call.
pub struct HttpJwksFetcher {
    uri: Uri,
    client: HttpClient,
}

impl fmt::Debug for HttpJwksFetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpJwksFetcher")
            .field("uri", &self.uri)
            .finish_non_exhaustive()
    }
}

impl HttpJwksFetcher {
    /// `https://` URLs trust the operating system's root certificates (`SSL_CERT_FILE` /
    /// `SSL_CERT_DIR` are honoured).
    ///
    /// # Errors
    /// [`ConfigError::InvalidJwksUrl`] for a URL that is not absolute http(s);
    /// [`ConfigError::Tls`] when an https URL is given and no root certificate can be loaded.
    pub fn new(url: &str) -> Result<Self, ConfigError> {
        let uri = parse_jwks_url(url)?;
        if uri.scheme_str() == Some("https") {
            let builder = hyper_rustls::HttpsConnectorBuilder::new()
                .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
                .map_err(|e| ConfigError::Tls(e.to_string()))?;
            Ok(Self::tls(uri, builder.https_only().enable_http1().build()))
        } else {
            Ok(HttpJwksFetcher {
                uri,
                client: HttpClient::Plain(client_builder().build(http_connector())),
            })
        }
    }

    /// An `https://` fetcher trusting exactly what `tls` trusts (e.g. a private CA).
    ///
    /// # Errors
    /// [`ConfigError::InvalidJwksUrl`] unless `url` is an absolute `https://` URL.
    pub fn with_tls_config(url: &str, tls: rustls::ClientConfig) -> Result<Self, ConfigError> {
        let uri = parse_jwks_url(url)?;
        if uri.scheme_str() != Some("https") {
            return Err(ConfigError::InvalidJwksUrl(url.to_string()));
        }
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_only()
            .enable_http1()
            .wrap_connector(http_connector());
        Ok(Self::tls(uri, connector))
    }

    fn tls(uri: Uri, connector: HttpsConnector<HttpConnector>) -> Self {
        HttpJwksFetcher {
            uri,
            client: HttpClient::Tls(client_builder().build(connector)),
        }
    }
}

fn http_connector() -> HttpConnector {
    let mut connector = HttpConnector::new();
    connector.enforce_http(false);
    connector
}

fn client_builder() -> hyper_util::client::legacy::Builder {
    let mut builder = Client::builder(TokioExecutor::new());
    // A frozen Lambda sandbox may thaw with dead pooled connections: keep them briefly only.
    builder
        .pool_idle_timeout(Duration::from_secs(30))
        .pool_timer(TokioTimer::new());
    builder
}

#[async_trait]
impl JwksFetcher for HttpJwksFetcher {
    async fn fetch(&self) -> Result<Bytes, JwksFetchError> {
        let request = Request::get(self.uri.clone())
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, concat!("oms-auth/", env!("CARGO_PKG_VERSION")))
            .body(Empty::<Bytes>::new())
            .map_err(|e| JwksFetchError(e.to_string()))?;
        let response = match &self.client {
            HttpClient::Plain(client) => client.request(request).await,
            HttpClient::Tls(client) => client.request(request).await,
        }
        .map_err(|e| JwksFetchError(format!("{e:?}")))?;
        if response.status() != StatusCode::OK {
            return Err(JwksFetchError(format!("status {}", response.status())));
        }
        let body = Limited::new(response.into_body(), MAX_JWKS_BYTES)
            .collect()
            .await
            .map_err(|e| JwksFetchError(e.to_string()))?;
        Ok(body.to_bytes())
    }
}

/// Usable keys of one JWKS document, by (`kid`, algorithm).
#[derive(Default)]
struct KeySet {
    keys: HashMap<(String, SigningAlgorithm), Arc<DecodingKey>>,
    fetched_at: Option<Instant>,
}

impl KeySet {
    fn get(&self, kid: &str, alg: SigningAlgorithm) -> Option<Arc<DecodingKey>> {
        self.keys.get(&(kid.to_string(), alg)).cloned()
    }

    fn is_fresh(&self, ttl: Duration) -> bool {
        self.fetched_at.is_some_and(|at| at.elapsed() < ttl)
    }
}

/// Parses a JWKS document. Keys that are not usable for signature verification with RS256 or
/// ES256 (encryption keys, `oct` keys, other curves or algorithms, no `kid`, unparsable
/// entries) are skipped, so one odd key never hides the others.
///
/// # Errors
/// When the document is not a JSON object with a `keys` array.
fn parse_jwks(
    document: &[u8],
) -> Result<HashMap<(String, SigningAlgorithm), Arc<DecodingKey>>, String> {
    #[derive(serde::Deserialize)]
    struct RawSet {
        keys: Vec<serde_json::Value>,
    }
    let raw: RawSet =
        serde_json::from_slice(document).map_err(|e| format!("not a JWKS document: {e}"))?;
    let mut keys = HashMap::new();
    for value in raw.keys {
        let Ok(jwk) = serde_json::from_value::<Jwk>(value) else {
            continue;
        };
        let Some(kid) = jwk.common.key_id.clone().filter(|k| !k.is_empty()) else {
            continue;
        };
        if matches!(&jwk.common.public_key_use, Some(u) if *u != PublicKeyUse::Signature) {
            continue;
        }
        let alg = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => SigningAlgorithm::RS256,
            AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
                SigningAlgorithm::ES256
            }
            _ => continue,
        };
        let declared_ok = matches!(
            (&jwk.common.key_algorithm, alg),
            (None, _)
                | (Some(KeyAlgorithm::RS256), SigningAlgorithm::RS256)
                | (Some(KeyAlgorithm::ES256), SigningAlgorithm::ES256)
        );
        if !declared_ok {
            continue;
        }
        let Ok(key) = DecodingKey::from_jwk(&jwk) else {
            continue;
        };
        keys.entry((kid, alg)).or_insert_with(|| Arc::new(key));
    }
    Ok(keys)
}

/// Cached JWKS keys with single-flight, rate-limited refresh.
pub(crate) struct JwksCache {
    fetcher: Arc<dyn JwksFetcher>,
    settings: JwksSettings,
    keys: RwLock<Arc<KeySet>>,
    /// Held while fetching (one fetch at a time); holds the time of the last attempt.
    last_attempt: tokio::sync::Mutex<Option<Instant>>,
}

impl JwksCache {
    pub(crate) fn new(fetcher: Arc<dyn JwksFetcher>, settings: JwksSettings) -> Self {
        JwksCache {
            fetcher,
            settings,
            keys: RwLock::new(Arc::new(KeySet::default())),
            last_attempt: tokio::sync::Mutex::new(None),
        }
    }

    fn snapshot(&self) -> Arc<KeySet> {
        match self.keys.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn store(&self, set: KeySet) {
        let set = Arc::new(set);
        match self.keys.write() {
            Ok(mut guard) => *guard = set,
            Err(poisoned) => *poisoned.into_inner() = set,
        }
    }

    /// The key for (`kid`, `alg`): from the cache while fresh; otherwise (expired cache or
    /// unknown `kid`) after one fetch, unless a fetch was attempted within the minimum interval.
    /// While the JWKS cannot be fetched, keys already cached keep working.
    pub(crate) async fn key(
        &self,
        kid: &str,
        alg: SigningAlgorithm,
    ) -> Result<Arc<DecodingKey>, AuthError> {
        let ttl = self.settings.cache_ttl;
        let snapshot = self.snapshot();
        if snapshot.is_fresh(ttl) {
            if let Some(key) = snapshot.get(kid, alg) {
                return Ok(key);
            }
        }

        let mut last_attempt = self.last_attempt.lock().await;
        // Another request may have refreshed while this one waited for the lock.
        let snapshot = self.snapshot();
        if snapshot.is_fresh(ttl) {
            if let Some(key) = snapshot.get(kid, alg) {
                return Ok(key);
            }
        }
        let may_fetch =
            last_attempt.is_none_or(|at| at.elapsed() >= self.settings.refresh_min_interval);
        let mut fetch_error = None;
        if may_fetch {
            *last_attempt = Some(Instant::now());
            match self.fetch_keys().await {
                Ok(keys) => self.store(KeySet {
                    keys,
                    fetched_at: Some(Instant::now()),
                }),
                Err(e) => {
                    tracing::warn!(jwks_url = %self.settings.url, error = %e, "JWKS refresh failed; keeping cached keys");
                    fetch_error = Some(e);
                }
            }
        }
        drop(last_attempt);

        let snapshot = self.snapshot();
        if let Some(key) = snapshot.get(kid, alg) {
            return Ok(key);
        }
        match (fetch_error, snapshot.fetched_at) {
            (Some(e), _) => Err(AuthError::with_detail(Rejection::KeysUnavailable, e)),
            (None, None) => Err(AuthError::with_detail(
                Rejection::KeysUnavailable,
                "no JWKS fetched yet (rate-limited)",
            )),
            (None, Some(_)) => Err(AuthError::with_detail(
                Rejection::UnknownKeyId,
                format!("kid {kid:?} not in JWKS"),
            )),
        }
    }

    async fn fetch_keys(
        &self,
    ) -> Result<HashMap<(String, SigningAlgorithm), Arc<DecodingKey>>, String> {
        let document = tokio::time::timeout(self.settings.fetch_timeout, self.fetcher.fetch())
            .await
            .map_err(|_| format!("timed out after {:?}", self.settings.fetch_timeout))?
            .map_err(|e| e.to_string())?;
        parse_jwks(&document)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_absolute_http_or_https() {
        assert!(parse_jwks_url("https://idp.example/jwks").is_ok());
        assert!(parse_jwks_url("http://127.0.0.1:8080/jwks").is_ok());
        assert!(parse_jwks_url("/jwks").is_err());
        assert!(parse_jwks_url("ftp://idp.example/jwks").is_err());
        assert!(parse_jwks_url("not a url").is_err());
    }

    #[test]
    fn unusable_keys_are_skipped_not_fatal() {
        let doc = serde_json::json!({"keys": [
            {"kty": "oct", "kid": "sym", "k": "c2VjcmV0"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "alg": "RSA-OAEP", "n": "sXch", "e": "AQAB"},
            {"kty": "RSA", "kid": "enc2", "use": "enc", "n": "sXch", "e": "AQAB"},
            {"kty": "EC", "kid": "p384", "crv": "P-384", "x": "AAAA", "y": "AAAA"},
            {"kty": "RSA", "kid": "rs512", "alg": "RS512", "n": "sXch", "e": "AQAB"},
            {"kty": "RSA", "kid": "ps", "alg": "PS256", "n": "sXch", "e": "AQAB"},
            {"kty": "RSA", "n": "sXch", "e": "AQAB"},
            {"kty": "weird", "kid": "w"},
            {"kty": "RSA", "kid": "good", "use": "sig", "n": "sXch", "e": "AQAB"}
        ]});
        let keys = parse_jwks(doc.to_string().as_bytes()).unwrap_or_default();
        let kids: Vec<_> = keys.keys().map(|(kid, _)| kid.as_str()).collect();
        assert_eq!(kids, vec!["good"]);
        assert!(keys.contains_key(&("good".to_string(), SigningAlgorithm::RS256)));
    }

    #[test]
    fn a_document_without_keys_is_an_error() {
        assert!(parse_jwks(b"{}").is_err());
        assert!(parse_jwks(b"<html>").is_err());
        assert_eq!(parse_jwks(br#"{"keys": []}"#).map(|k| k.len()), Ok(0));
    }
}
