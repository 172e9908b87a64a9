//! The HTTP transport the provider clients share: hyper 1 over rustls (ring provider), HTTP/1.1,
//! `http://` and `https://` URLs, a connect timeout, a timeout around each whole exchange
//! (request, response head and body) and a cap on the response body.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::header::{HeaderValue, ACCEPT, USER_AGENT};
use hyper::{Request, StatusCode, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use oms_application::ports::ProviderError;

/// Default time to establish the TCP connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default time for one HTTP exchange (connect, send, response head and body).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Default time for one whole lookup (a PayPal lookup may take up to four exchanges: token,
/// order, and once more after a 401).
pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// Default cap on a response body (PayPal orders with links are a few KiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 256 * 1024;
/// Default time before its expiry at which a cached PayPal token is renewed (at most half of
/// its lifetime).
pub const DEFAULT_TOKEN_REFRESH_MARGIN: Duration = Duration::from_secs(60);

const USER_AGENT_VALUE: &str = concat!("oms-payments/", env!("CARGO_PKG_VERSION"));

/// Limits of the provider calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSettings {
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Timeout of one HTTP exchange, body included.
    pub request_timeout: Duration,
    /// Timeout of one whole lookup by a client (all its exchanges together).
    pub fetch_timeout: Duration,
    /// Largest response body read; a longer one is an error.
    pub max_response_bytes: usize,
    /// A cached PayPal token is renewed this long before it expires (capped at half its
    /// lifetime, so short-lived tokens are still cached for a while).
    pub token_refresh_margin: Duration,
}

impl Default for ProviderSettings {
    fn default() -> Self {
        ProviderSettings {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            fetch_timeout: DEFAULT_FETCH_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            token_refresh_margin: DEFAULT_TOKEN_REFRESH_MARGIN,
        }
    }
}

/// A response: status and the (size-capped) body.
#[derive(Debug)]
pub(crate) struct HttpResponse {
    pub status: StatusCode,
    pub body: Bytes,
}

struct Inner {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    settings: ProviderSettings,
}

/// The shared HTTP client of the provider adapters. Cheap to clone (one connection pool).
///
/// It follows no redirects (a 3xx is an error to the callers) and never logs or returns request
/// headers, so credentials stay out of error messages.
#[derive(Clone)]
pub struct ProviderHttp {
    inner: Arc<Inner>,
}

impl fmt::Debug for ProviderHttp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderHttp")
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

impl ProviderHttp {
    /// `https://` base URLs trust the operating system's root certificates (`SSL_CERT_FILE` /
    /// `SSL_CERT_DIR` are honoured); `http://` ones are used as they are (loopback tests,
    /// emulators).
    ///
    /// # Errors
    /// When no root certificate can be loaded.
    pub fn new(settings: ProviderSettings) -> Result<Self, ProviderError> {
        let builder = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| ProviderError(format!("cannot load TLS root certificates: {e}")))?;
        let connector = builder
            .https_or_http()
            .enable_http1()
            .wrap_connector(http_connector(&settings));
        Ok(Self::with_connector(settings, connector))
    }

    /// `https://` base URLs trust exactly what `tls` trusts (e.g. a private CA).
    pub fn with_tls_config(settings: ProviderSettings, tls: rustls::ClientConfig) -> Self {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http_connector(&settings));
        Self::with_connector(settings, connector)
    }

    fn with_connector(
        settings: ProviderSettings,
        connector: HttpsConnector<HttpConnector>,
    ) -> Self {
        let mut builder = Client::builder(TokioExecutor::new());
        // A frozen Lambda sandbox may thaw with dead pooled connections: keep them briefly only.
        builder
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_timer(TokioTimer::new());
        ProviderHttp {
            inner: Arc::new(Inner {
                client: builder.build(connector),
                settings,
            }),
        }
    }

    /// The limits in force.
    pub fn settings(&self) -> &ProviderSettings {
        &self.inner.settings
    }

    /// Sends `request` (adding `Accept` and `User-Agent`) and reads the whole body, within the
    /// request timeout and the size cap. `provider` names the provider in error messages.
    pub(crate) async fn send(
        &self,
        provider: &str,
        mut request: Request<Full<Bytes>>,
    ) -> Result<HttpResponse, ProviderError> {
        let headers = request.headers_mut();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
        let max = self.inner.settings.max_response_bytes;
        let exchange = async {
            let response = self.inner.client.request(request).await.map_err(|e| {
                ProviderError(format!("{provider} request failed: {}", error_chain(&e)))
            })?;
            let status = response.status();
            let collected = Limited::new(response.into_body(), max)
                .collect()
                .await
                .map_err(|e| {
                    if e.downcast_ref::<LengthLimitError>().is_some() {
                        ProviderError(format!("{provider} response is larger than {max} bytes"))
                    } else {
                        ProviderError(format!(
                            "{provider} response could not be read: {}",
                            error_chain(e.as_ref())
                        ))
                    }
                })?;
            Ok(HttpResponse {
                status,
                body: collected.to_bytes(),
            })
        };
        let timeout = self.inner.settings.request_timeout;
        tokio::time::timeout(timeout, exchange).await.map_err(|_| {
            ProviderError(format!(
                "{provider} request timed out after {} ms",
                timeout.as_millis()
            ))
        })?
    }
}

impl ProviderHttp {
    /// POSTs a signed JSON body to `url` (outbound order events): the answer's status, or an
    /// error when the URL is malformed, the request fails or times out. The response body is
    /// read (within the size cap) and dropped.
    ///
    /// # Errors
    /// As described; never contains the signature.
    pub async fn post_signed(
        &self,
        url: &str,
        signature: &str,
        body: Bytes,
    ) -> Result<u16, ProviderError> {
        let uri: Uri = url
            .parse()
            .map_err(|_| ProviderError("the events URL is not a valid URL".into()))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err(ProviderError(
                "the events URL must be an absolute http(s) URL".into(),
            ));
        }
        let request = Request::post(uri)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header("Oms-Signature", signature)
            .body(Full::new(body))
            .map_err(|e| ProviderError(format!("cannot build the request: {e}")))?;
        let response = self.send("events URL", request).await?;
        Ok(response.status.as_u16())
    }
}

fn http_connector(settings: &ProviderSettings) -> HttpConnector {
    let mut connector = HttpConnector::new();
    connector.enforce_http(false);
    connector.set_connect_timeout(Some(settings.connect_timeout));
    connector.set_nodelay(true);
    connector
}

/// `error: source: source…`, for logs.
fn error_chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let next = cause.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = cause.source();
    }
    text
}

/// The longest transaction id asked about (the domain's limit).
pub const MAX_TRANSACTION_ID_LEN: usize = 255;

/// Whether `id` may be put in a provider URL: 1–255 characters of `[A-Za-z0-9_-]` (Stripe
/// `pi_…`, PayPal order ids). Anything else is not looked up at all.
pub fn is_valid_transaction_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_TRANSACTION_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Percent-encodes one URL path segment (everything but RFC 3986 unreserved characters). Ids
/// are validated with [`is_valid_transaction_id`] first, so this changes nothing for them; it
/// keeps the URL well-formed should the accepted alphabet ever grow.
pub(crate) fn escape_path_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `{base_url}{path}` as a URI. The base URL must be absolute `http(s)://host[:port][/prefix]`
/// without user info, query or fragment; a trailing `/` is ignored. The message never repeats
/// the URL (it could carry a secret by mistake).
pub(crate) fn endpoint(provider: &str, base_url: &str, path: &str) -> Result<Uri, ProviderError> {
    let invalid = || {
        ProviderError(format!("{provider} base_url is not an absolute http(s) URL without user info, query or fragment"))
    };
    let base = base_url.trim().trim_end_matches('/');
    if base.contains(['?', '#', '@']) || base.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let uri: Uri = format!("{base}{path}").parse().map_err(|_| invalid())?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(host)) if !host.is_empty() => Ok(uri),
        _ => Err(invalid()),
    }
}

/// Removes every occurrence of the credential parts from an error message (defence in depth:
/// messages are built without them in the first place).
pub(crate) fn redact(error: ProviderError, secrets: &[&str]) -> ProviderError {
    let mut text = error.0;
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        if text.contains(secret) {
            text = text.replace(secret, "[redacted]");
        }
    }
    ProviderError(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_ids_are_restricted_to_a_url_safe_alphabet() {
        assert!(is_valid_transaction_id("pi_3Mtw-Q2eZvKYlo2C"));
        assert!(is_valid_transaction_id("5O190127TN364715T"));
        assert!(is_valid_transaction_id(&"a".repeat(255)));
        assert!(!is_valid_transaction_id(""));
        assert!(!is_valid_transaction_id(&"a".repeat(256)));
        for bad in [
            "../x", "a/b", "a b", "a?b=1", "a#b", "a%2F", "a.b", "pi_é", "a\nb", "a\u{0}",
        ] {
            assert!(!is_valid_transaction_id(bad), "{bad:?} accepted");
        }
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(escape_path_segment("pi_1-A"), "pi_1-A");
        assert_eq!(escape_path_segment("a/b c?"), "a%2Fb%20c%3F");
        assert_eq!(escape_path_segment("é"), "%C3%A9");
    }

    #[test]
    fn endpoints_accept_http_and_https_bases_only() {
        let uri = endpoint(
            "Stripe",
            "https://api.stripe.com/",
            "/v1/payment_intents/pi_1",
        );
        assert_eq!(
            uri.map(|u| u.to_string()).ok().as_deref(),
            Some("https://api.stripe.com/v1/payment_intents/pi_1")
        );
        let uri = endpoint("Stripe", "http://127.0.0.1:8080/prefix", "/v1/x");
        assert_eq!(
            uri.map(|u| u.to_string()).ok().as_deref(),
            Some("http://127.0.0.1:8080/prefix/v1/x")
        );
        for bad in [
            "",
            "api.stripe.com",
            "ftp://api.stripe.com",
            "https://",
            "https://user:sk_live_1@api.stripe.com",
            "https://api.stripe.com?key=1",
            "https://api.stripe.com#x",
            "https://api stripe.com",
        ] {
            let err = endpoint("Stripe", bad, "/v1/x").err();
            assert!(err.is_some(), "{bad:?} accepted");
            assert!(!err
                .map(|e| e.to_string())
                .unwrap_or_default()
                .contains("sk_live_1"));
        }
    }

    #[test]
    fn redaction_removes_every_secret_part() {
        let e = redact(
            ProviderError("bad id:secret for id".into()),
            &["id", "secret", ""],
        );
        assert_eq!(e.0, "bad [redacted]:[redacted] for [redacted]");
    }
}
