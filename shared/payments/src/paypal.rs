//! PayPal: an OAuth2 client-credentials token (`POST {base_url}/v1/oauth2/token`), cached per
//! credentials until shortly before it expires, then `GET {base_url}/v2/checkout/orders/{id}`.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use hyper::{Request, StatusCode};
use oms_application::ports::{ProviderError, ProviderPayment};
use oms_application::records::ProviderConfig;
use oms_domain::money::{Currency, Money};
use serde_json::Value;
use sha2::{Digest, Sha256};
// Tokio's monotonic clock: the real one in production; under `tokio::time::pause` (tests) it moves
// only when advanced, so token freshness can be tested at exact instants.
use tokio::time::Instant;

use crate::http::{endpoint, escape_path_segment, is_valid_transaction_id, redact, ProviderHttp};

const PROVIDER: &str = "PayPal";

/// Most credential sets whose token is cached; beyond it, idle entries are dropped.
const MAX_CACHED_CREDENTIALS: usize = 1024;

/// A cached access token.
struct CachedToken {
    value: String,
    refresh_at: Instant,
}

/// One credential set's token, behind an async lock so that concurrent lookups fetch it once.
type TokenSlot = Arc<tokio::sync::Mutex<Option<CachedToken>>>;

/// Reads PayPal orders (Orders v2).
///
/// `ProviderConfig.credentials` is `client_id:secret` (split at the first `:`); `base_url` is
/// `https://api-m.paypal.com` (live) or `https://api-m.sandbox.paypal.com`. Access tokens are
/// cached in memory per (base URL, credentials), keyed by a SHA-256 digest.
pub struct PaypalClient {
    http: ProviderHttp,
    tokens: Mutex<HashMap<[u8; 32], TokenSlot>>,
}

impl fmt::Debug for PaypalClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaypalClient")
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

/// The parts of `client_id:secret`.
struct Credentials<'a> {
    client_id: &'a str,
    secret: &'a str,
}

impl<'a> Credentials<'a> {
    fn parse(raw: &'a str) -> Result<Self, ProviderError> {
        match raw.trim().split_once(':') {
            Some((client_id, secret)) if !client_id.is_empty() && !secret.is_empty() => {
                Ok(Credentials { client_id, secret })
            }
            _ => Err(ProviderError(format!(
                "{PROVIDER} credentials must be 'client_id:secret'"
            ))),
        }
    }
}

impl PaypalClient {
    pub fn new(http: ProviderHttp) -> Self {
        PaypalClient {
            http,
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// The PayPal order `transaction_id` as a [`ProviderPayment`]:
    /// - `succeeded`: when the order has a capture, iff `purchase_units[0].payments.captures[0]
    ///   .status` is `COMPLETED`; otherwise iff the order `status` is `COMPLETED`;
    /// - `amount`: `purchase_units[0].amount.value` in `currency_code`, exactly;
    /// - `order_id`: `purchase_units[0].custom_id`, else `invoice_id`.
    ///
    /// A 401 on the order call drops the cached token and retries once with a new one.
    /// `Ok(None)` when PayPal answers 404 or the id is not a valid transaction id (it is then
    /// never sent).
    ///
    /// # Errors
    /// Credentials not `client_id:secret` or refused, transport failures and timeouts, other
    /// statuses, malformed responses, unknown currencies. Messages never contain credentials or
    /// tokens.
    pub async fn fetch_payment(
        &self,
        config: &ProviderConfig,
        transaction_id: &str,
    ) -> Result<Option<ProviderPayment>, ProviderError> {
        if !is_valid_transaction_id(transaction_id) {
            return Ok(None);
        }
        let timeout = self.http.settings().fetch_timeout;
        let lookup = tokio::time::timeout(timeout, self.lookup(config, transaction_id))
            .await
            .unwrap_or_else(|_| {
                Err(ProviderError(format!(
                    "{PROVIDER} lookup timed out after {} ms",
                    timeout.as_millis()
                )))
            });
        let mut secrets = vec![config.credentials.trim()];
        if let Some((id, secret)) = config.credentials.trim().split_once(':') {
            secrets.extend([id, secret]);
        }
        lookup.map_err(|e| redact(e, &secrets))
    }

    /// Forgets every cached token (e.g. after a credential rotation).
    pub fn clear_token_cache(&self) {
        self.token_map().clear();
    }

    async fn lookup(
        &self,
        config: &ProviderConfig,
        transaction_id: &str,
    ) -> Result<Option<ProviderPayment>, ProviderError> {
        let credentials = Credentials::parse(&config.credentials)?;
        let path = format!(
            "/v2/checkout/orders/{}",
            escape_path_segment(transaction_id)
        );
        let order_uri = endpoint(PROVIDER, &config.base_url, &path)?;
        let slot = self.slot(config);
        let token = self.token(&slot, config, &credentials, None).await?;
        let mut response = self.get_order(&order_uri, &token).await?;
        if response.status == StatusCode::UNAUTHORIZED {
            tracing::debug!("PayPal refused a cached access token; fetching a new one");
            let token = self
                .token(&slot, config, &credentials, Some(&token))
                .await?;
            response = self.get_order(&order_uri, &token).await?;
        }
        match response.status {
            StatusCode::OK => parse_order(&response.body, transaction_id).map(Some),
            StatusCode::NOT_FOUND => Ok(None),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(ProviderError(format!(
                "{PROVIDER} refused a fresh access token for the order lookup (status {})",
                response.status.as_u16()
            ))),
            status => Err(ProviderError(format!(
                "{PROVIDER} order lookup answered status {}",
                status.as_u16()
            ))),
        }
    }

    async fn get_order(
        &self,
        uri: &hyper::Uri,
        token: &str,
    ) -> Result<crate::http::HttpResponse, ProviderError> {
        let mut auth = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            ProviderError(format!(
                "{PROVIDER} returned an access token unusable in a header"
            ))
        })?;
        auth.set_sensitive(true);
        let request = Request::get(uri.clone())
            .header(AUTHORIZATION, auth)
            .body(Full::new(Bytes::new()))
            .map_err(|e| ProviderError(format!("{PROVIDER} request could not be built: {e}")))?;
        self.http.send(PROVIDER, request).await
    }

    fn token_map(&self) -> MutexGuard<'_, HashMap<[u8; 32], TokenSlot>> {
        match self.tokens.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The token slot of these credentials at this base URL.
    fn slot(&self, config: &ProviderConfig) -> TokenSlot {
        let mut hasher = Sha256::new();
        hasher.update(config.base_url.trim().trim_end_matches('/').as_bytes());
        hasher.update([0u8]);
        hasher.update(config.credentials.trim().as_bytes());
        let mut key = [0u8; 32];
        key.copy_from_slice(hasher.finalize().as_slice());
        let mut map = self.token_map();
        if !map.contains_key(&key) && map.len() >= MAX_CACHED_CREDENTIALS {
            // Keep only slots in use right now; the others just fetch a token again later.
            map.retain(|_, slot| Arc::strong_count(slot) > 1);
        }
        Arc::clone(map.entry(key).or_default())
    }

    /// A valid token: the cached one, or a new one. `rejected` is a token the API refused: it
    /// is dropped unless another lookup already replaced it.
    async fn token(
        &self,
        slot: &TokenSlot,
        config: &ProviderConfig,
        credentials: &Credentials<'_>,
        rejected: Option<&str>,
    ) -> Result<String, ProviderError> {
        let mut cached = slot.lock().await;
        if let Some(token) = cached.as_ref() {
            let refused = rejected.is_some_and(|r| r == token.value);
            if !refused && Instant::now() < token.refresh_at {
                return Ok(token.value.clone());
            }
        }
        *cached = None;
        let token = self.request_token(config, credentials).await?;
        let value = token.value.clone();
        *cached = Some(token);
        Ok(value)
    }

    async fn request_token(
        &self,
        config: &ProviderConfig,
        credentials: &Credentials<'_>,
    ) -> Result<CachedToken, ProviderError> {
        let uri = endpoint(PROVIDER, &config.base_url, "/v1/oauth2/token")?;
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", credentials.client_id, credentials.secret));
        let mut auth = HeaderValue::from_str(&format!("Basic {basic}")).map_err(|_| {
            ProviderError(format!(
                "{PROVIDER} credentials are not a valid header value"
            ))
        })?;
        auth.set_sensitive(true);
        let request = Request::post(uri)
            .header(AUTHORIZATION, auth)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from_static(
                b"grant_type=client_credentials",
            )))
            .map_err(|e| {
                ProviderError(format!("{PROVIDER} token request could not be built: {e}"))
            })?;
        let requested_at = Instant::now();
        let response = self.http.send(PROVIDER, request).await?;
        match response.status {
            StatusCode::OK => {}
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                return Err(ProviderError(format!(
                    "{PROVIDER} refused the client credentials (status {})",
                    response.status.as_u16()
                )))
            }
            status => {
                return Err(ProviderError(format!(
                    "{PROVIDER} token request answered status {}",
                    status.as_u16()
                )))
            }
        }
        let body: Value = serde_json::from_slice(&response.body)
            .map_err(|_| ProviderError(format!("{PROVIDER} token response is not JSON")))?;
        let value = body
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ProviderError(format!("{PROVIDER} token response has no access_token"))
            })?;
        // No (or an odd) expires_in: use the token for this lookup only.
        let lifetime =
            Duration::from_secs(body.get("expires_in").and_then(Value::as_u64).unwrap_or(0));
        let margin = self.http.settings().token_refresh_margin.min(lifetime / 2);
        let refresh_at = requested_at
            .checked_add(lifetime.saturating_sub(margin))
            .unwrap_or(requested_at);
        Ok(CachedToken {
            value: value.to_string(),
            refresh_at,
        })
    }
}

fn malformed(what: &str) -> ProviderError {
    ProviderError(format!("{PROVIDER} order response: {what}"))
}

/// Parses an Orders v2 body.
fn parse_order(body: &[u8], transaction_id: &str) -> Result<ProviderPayment, ProviderError> {
    let order: Value = serde_json::from_slice(body).map_err(|_| malformed("not JSON"))?;
    let id = order
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("no id"))?;
    if id != transaction_id {
        return Err(malformed("id differs from the requested transaction"));
    }
    let status = order
        .get("status")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("no status"))?;
    let unit = order
        .get("purchase_units")
        .and_then(|u| u.get(0))
        .ok_or_else(|| malformed("no purchase unit"))?;
    let amount = unit.get("amount").ok_or_else(|| malformed("no amount"))?;
    let currency = amount
        .get("currency_code")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("no currency_code"))?;
    let currency = Currency::parse(currency).map_err(|_| malformed("unsupported currency"))?;
    let value = amount
        .get("value")
        .ok_or_else(|| malformed("no amount value"))?;
    let amount = Money::from_json(value, currency)
        .map_err(|_| malformed("amount is not an exact non-negative decimal in the currency"))?;
    let text = |field: &str| {
        unit.get(field)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let order_id = text("custom_id").or_else(|| text("invoice_id"));
    let capture_status = unit
        .get("payments")
        .and_then(|p| p.get("captures"))
        .and_then(|c| c.get(0))
        .map(|c| c.get("status").and_then(Value::as_str).unwrap_or(""));
    // A capture's own status is the stronger statement (an order may be COMPLETED while its
    // capture is PENDING, DECLINED or REFUNDED).
    let succeeded = match capture_status {
        Some(capture) => capture == "COMPLETED",
        None => status == "COMPLETED",
    };
    Ok(ProviderPayment {
        transaction_id: transaction_id.to_string(),
        order_id,
        amount,
        succeeded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<ProviderPayment, ProviderError> {
        parse_order(body.as_bytes(), "5O1")
    }

    fn order(status: &str, unit: &str) -> String {
        format!(
            r#"{{"id":"5O1","intent":"CAPTURE","status":"{status}","purchase_units":[{unit}]}}"#
        )
    }

    #[test]
    fn a_completed_order_maps_to_a_succeeded_payment() {
        let p = parse(&order(
            "COMPLETED",
            r#"{"custom_id":"ord-1","amount":{"currency_code":"SGD","value":"19.62"}}"#,
        ))
        .ok();
        assert_eq!(
            p.as_ref().map(|p| p.amount),
            Some(Money::from_minor(1962, Currency::SGD))
        );
        assert_eq!(
            p.as_ref().and_then(|p| p.order_id.clone()).as_deref(),
            Some("ord-1")
        );
        assert_eq!(p.as_ref().map(|p| p.succeeded), Some(true));
        assert_eq!(p.map(|p| p.transaction_id).as_deref(), Some("5O1"));
    }

    #[test]
    fn the_capture_status_decides_when_there_is_a_capture() {
        let unit = |capture: &str| {
            format!(
                r#"{{"custom_id":"o","amount":{{"currency_code":"USD","value":"1.00"}},"payments":{{"captures":[{{"id":"c1","status":"{capture}"}}]}}}}"#
            )
        };
        assert_eq!(
            parse(&order("APPROVED", &unit("COMPLETED")))
                .map(|p| p.succeeded)
                .ok(),
            Some(true)
        );
        assert_eq!(
            parse(&order("COMPLETED", &unit("COMPLETED")))
                .map(|p| p.succeeded)
                .ok(),
            Some(true)
        );
        for capture in ["PENDING", "DECLINED", "REFUNDED", "FAILED"] {
            assert_eq!(
                parse(&order("COMPLETED", &unit(capture)))
                    .map(|p| p.succeeded)
                    .ok(),
                Some(false),
                "{capture}"
            );
        }
        for status in [
            "CREATED",
            "SAVED",
            "APPROVED",
            "VOIDED",
            "PAYER_ACTION_REQUIRED",
            "completed",
        ] {
            let body = order(
                status,
                r#"{"amount":{"currency_code":"USD","value":"1.00"}}"#,
            );
            assert_eq!(
                parse(&body).map(|p| p.succeeded).ok(),
                Some(false),
                "{status}"
            );
        }
    }

    #[test]
    fn the_order_id_is_the_custom_id_else_the_invoice_id() {
        let p = |unit: &str| {
            parse(&order("COMPLETED", unit))
                .ok()
                .and_then(|p| p.order_id)
        };
        let amount = r#""amount":{"currency_code":"USD","value":"1"}"#;
        assert_eq!(
            p(&format!(r#"{{"custom_id":"a","invoice_id":"b",{amount}}}"#)).as_deref(),
            Some("a")
        );
        assert_eq!(
            p(&format!(r#"{{"invoice_id":"b",{amount}}}"#)).as_deref(),
            Some("b")
        );
        assert_eq!(
            p(&format!(r#"{{"custom_id":"","invoice_id":"b",{amount}}}"#)).as_deref(),
            Some("b")
        );
        assert_eq!(p(&format!(r#"{{{amount}}}"#)), None);
    }

    #[test]
    fn amounts_are_exact_in_the_currency() {
        let amount = |currency: &str, value: &str| {
            parse(&order(
                "COMPLETED",
                &format!(r#"{{"amount":{{"currency_code":"{currency}","value":{value}}}}}"#),
            ))
            .map(|p| (p.amount.minor(), p.amount.currency().code().to_string()))
            .ok()
        };
        assert_eq!(amount("JPY", r#""1250""#), Some((1250, "JPY".into())));
        assert_eq!(amount("KWD", r#""1.500""#), Some((1500, "KWD".into())));
        assert_eq!(amount("EUR", r#""10""#), Some((1000, "EUR".into())));
        assert_eq!(amount("EUR", "10.5"), Some((1050, "EUR".into())));
        assert_eq!(amount("JPY", r#""12.5""#), None);
        assert_eq!(amount("SGD", r#""1.005""#), None);
        assert_eq!(amount("SGD", r#""-1.00""#), None);
        assert_eq!(amount("XYZ", r#""1.00""#), None);
        assert_eq!(amount("SGD", "true"), None);
    }

    #[test]
    fn malformed_orders_are_errors() {
        for body in [
            "[]",
            r#"{"id":"5O1","status":"COMPLETED"}"#,
            r#"{"id":"5O1","status":"COMPLETED","purchase_units":[]}"#,
            r#"{"id":"other","status":"COMPLETED","purchase_units":[{"amount":{"currency_code":"USD","value":"1"}}]}"#,
            r#"{"status":"COMPLETED","purchase_units":[{"amount":{"currency_code":"USD","value":"1"}}]}"#,
            r#"{"id":"5O1","purchase_units":[{"amount":{"currency_code":"USD","value":"1"}}]}"#,
            r#"{"id":"5O1","status":"COMPLETED","purchase_units":[{"amount":{"value":"1"}}]}"#,
            r#"{"id":"5O1","status":"COMPLETED","purchase_units":[{"custom_id":"x"}]}"#,
        ] {
            assert!(parse(body).is_err(), "{body}");
        }
    }

    #[test]
    fn credentials_split_at_the_first_colon() {
        let c = Credentials::parse("id:se:cret")
            .ok()
            .map(|c| (c.client_id, c.secret));
        assert_eq!(c, Some(("id", "se:cret")));
        for bad in ["", "id", ":secret", "id:", " : "] {
            let err = Credentials::parse(bad).err().map(|e| e.0);
            assert!(err.is_some(), "{bad:?}");
        }
    }
}
