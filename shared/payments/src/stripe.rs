//! Stripe: `GET {base_url}/v1/payment_intents/{id}` with the tenant's secret key.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, AUTHORIZATION};
use hyper::{Request, StatusCode};
use oms_application::ports::{ProviderError, ProviderPayment};
use oms_application::records::ProviderConfig;
use oms_domain::money::{Currency, Money};
use serde_json::Value;

use crate::http::{endpoint, escape_path_segment, is_valid_transaction_id, redact, ProviderHttp};

const PROVIDER: &str = "Stripe";

/// Reads Stripe PaymentIntents.
///
/// `ProviderConfig.credentials` is the secret (or restricted, read-only) key; `base_url` is
/// normally `https://api.stripe.com`.
#[derive(Debug, Clone)]
pub struct StripeClient {
    http: ProviderHttp,
}

impl StripeClient {
    pub fn new(http: ProviderHttp) -> Self {
        StripeClient { http }
    }

    /// The PaymentIntent `transaction_id` as a [`ProviderPayment`]:
    /// `succeeded` iff its status is `succeeded`; `amount` from the integer `amount` and the
    /// `currency`; `order_id` from `metadata.order_id`.
    ///
    /// `Ok(None)` when Stripe answers 404 or the id is not a valid transaction id (it is then
    /// never sent).
    ///
    /// # Errors
    /// Transport failures and timeouts, any other non-200 status (401: the key was refused), a
    /// malformed response, an unknown currency, a negative amount. Messages never contain the
    /// key.
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
        lookup.map_err(|e| redact(e, &[config.credentials.trim()]))
    }

    async fn lookup(
        &self,
        config: &ProviderConfig,
        transaction_id: &str,
    ) -> Result<Option<ProviderPayment>, ProviderError> {
        let key = config.credentials.trim();
        if key.is_empty() {
            return Err(ProviderError(format!("{PROVIDER} secret key is empty")));
        }
        let path = format!(
            "/v1/payment_intents/{}",
            escape_path_segment(transaction_id)
        );
        let uri = endpoint(PROVIDER, &config.base_url, &path)?;
        let mut auth = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
            ProviderError(format!("{PROVIDER} secret key is not a valid header value"))
        })?;
        auth.set_sensitive(true);
        let request = Request::get(uri)
            .header(AUTHORIZATION, auth)
            .body(Full::new(Bytes::new()))
            .map_err(|e| ProviderError(format!("{PROVIDER} request could not be built: {e}")))?;
        let response = self.http.send(PROVIDER, request).await?;
        match response.status {
            StatusCode::OK => parse_payment_intent(&response.body, transaction_id).map(Some),
            StatusCode::NOT_FOUND => Ok(None),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(ProviderError(format!(
                "{PROVIDER} refused the secret key (status {})",
                response.status.as_u16()
            ))),
            status => Err(ProviderError(format!(
                "{PROVIDER} answered status {}",
                status.as_u16()
            ))),
        }
    }
}

fn malformed(what: &str) -> ProviderError {
    ProviderError(format!("{PROVIDER} PaymentIntent response: {what}"))
}

/// Parses a PaymentIntent body (Stripe API shape).
fn parse_payment_intent(
    body: &[u8],
    transaction_id: &str,
) -> Result<ProviderPayment, ProviderError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| malformed("not JSON"))?;
    let id = value
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("no id"))?;
    if id != transaction_id {
        return Err(malformed("id differs from the requested transaction"));
    }
    let amount = value
        .get("amount")
        .and_then(Value::as_i64)
        .ok_or_else(|| malformed("no integer amount"))?;
    let currency = value
        .get("currency")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("no currency"))?;
    let currency = Currency::parse(currency).map_err(|_| malformed("unsupported currency"))?;
    let status = value
        .get("status")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("no status"))?;
    let order_id = value
        .get("metadata")
        .and_then(|m| m.get("order_id"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    Ok(ProviderPayment {
        transaction_id: transaction_id.to_string(),
        order_id,
        amount: stripe_amount(amount, currency)?,
        succeeded: status == "succeeded",
    })
}

/// Stripe's smallest-unit amount as [`Money`]. Stripe uses the ISO minor unit except for ISK,
/// which its API still counts in hundredths (amounts must end in `00`).
fn stripe_amount(amount: i64, currency: Currency) -> Result<Money, ProviderError> {
    if amount < 0 {
        return Err(malformed("negative amount"));
    }
    let stripe_exponent = if currency.code() == "ISK" {
        2
    } else {
        currency.exponent()
    };
    let factor = 10i64.pow(stripe_exponent.saturating_sub(currency.exponent()));
    if amount % factor != 0 {
        return Err(malformed("amount has more decimals than the currency"));
    }
    Ok(Money::from_minor(amount / factor, currency))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<ProviderPayment, ProviderError> {
        parse_payment_intent(body.as_bytes(), "pi_1")
    }

    #[test]
    fn a_succeeded_intent_maps_to_a_succeeded_payment() {
        let p = parse(
            r#"{"id":"pi_1","object":"payment_intent","amount":1962,"currency":"sgd","status":"succeeded","metadata":{"order_id":"ord-1"}}"#,
        );
        let p = p.ok();
        assert_eq!(
            p.as_ref().map(|p| p.amount),
            Some(Money::from_minor(1962, Currency::SGD))
        );
        assert_eq!(
            p.as_ref().and_then(|p| p.order_id.clone()).as_deref(),
            Some("ord-1")
        );
        assert_eq!(p.as_ref().map(|p| p.succeeded), Some(true));
        assert_eq!(p.map(|p| p.transaction_id).as_deref(), Some("pi_1"));
    }

    #[test]
    fn other_statuses_are_not_succeeded() {
        for status in [
            "requires_payment_method",
            "processing",
            "requires_capture",
            "canceled",
            "SUCCEEDED",
        ] {
            let body =
                format!(r#"{{"id":"pi_1","amount":100,"currency":"usd","status":"{status}"}}"#);
            assert_eq!(
                parse(&body).map(|p| p.succeeded).ok(),
                Some(false),
                "{status}"
            );
        }
    }

    #[test]
    fn missing_or_odd_metadata_gives_no_order_id() {
        for metadata in [
            r#""#,
            r#","metadata":{}"#,
            r#","metadata":{"order_id":7}"#,
            r#","metadata":{"order_id":" "}"#,
        ] {
            let body = format!(
                r#"{{"id":"pi_1","amount":100,"currency":"usd","status":"succeeded"{metadata}}}"#
            );
            assert_eq!(
                parse(&body).map(|p| p.order_id).ok(),
                Some(None),
                "{metadata}"
            );
        }
    }

    #[test]
    fn malformed_responses_are_errors() {
        for body in [
            "not json",
            r#"{"amount":100,"currency":"usd","status":"succeeded"}"#,
            r#"{"id":"pi_2","amount":100,"currency":"usd","status":"succeeded"}"#,
            r#"{"id":"pi_1","amount":"100","currency":"usd","status":"succeeded"}"#,
            r#"{"id":"pi_1","amount":1.5,"currency":"usd","status":"succeeded"}"#,
            r#"{"id":"pi_1","amount":-1,"currency":"usd","status":"succeeded"}"#,
            r#"{"id":"pi_1","amount":100,"currency":"xyz","status":"succeeded"}"#,
            r#"{"id":"pi_1","amount":100,"status":"succeeded"}"#,
            r#"{"id":"pi_1","amount":100,"currency":"usd"}"#,
        ] {
            assert!(parse(body).is_err(), "{body}");
        }
    }

    #[test]
    fn amounts_use_the_currency_minor_unit() {
        assert_eq!(
            stripe_amount(1250, Currency::JPY).ok(),
            Some(Money::from_minor(1250, Currency::JPY))
        );
        assert_eq!(
            stripe_amount(1500, Currency::KWD).ok(),
            Some(Money::from_minor(1500, Currency::KWD))
        );
        let isk = Currency::parse("isk").ok();
        let isk_amount = isk.and_then(|c| stripe_amount(50000, c).ok());
        assert_eq!(
            isk_amount.map(|m| (m.minor(), m.currency().code().to_string())),
            Some((500, "ISK".to_string()))
        );
        assert!(isk
            .map(|c| stripe_amount(50050, c).is_err())
            .unwrap_or(false));
    }
}
