//! Payment provider adapters: real HTTP clients for Stripe and PayPal behind the application's
//! [`PaymentGateway`](oms_application::ports::PaymentGateway) port (docs/payments.md).
//!
//! confirmOrder first trusts a payment recorded from a signed `payments` event; only when none is
//! recorded and the tenant configured a provider does it call [`ProviderGateway`], which asks:
//! - **Stripe** — `GET {base_url}/v1/payment_intents/{id}` with `Authorization: Bearer <key>`;
//!   succeeded iff `status == "succeeded"`; order id from `metadata.order_id`.
//! - **PayPal** — an OAuth2 client-credentials token (cached per credentials until shortly
//!   before it expires; dropped and re-fetched once on a 401), then
//!   `GET {base_url}/v2/checkout/orders/{id}`; succeeded iff the first capture is `COMPLETED`
//!   (or, with no capture, the order is `COMPLETED`); order id from `custom_id` / `invoice_id`.
//!
//! Every call has a connect timeout, a per-exchange timeout, a whole-lookup timeout and a
//! response-size cap ([`ProviderSettings`]). Transaction ids outside `[A-Za-z0-9_-]{1,255}` are
//! never sent (`Ok(None)`). Error messages are for logs and never contain credentials or tokens.
//! See `docs/payments.md`.

mod gateway;
mod http;
mod paypal;
mod stripe;

pub use gateway::ProviderGateway;
pub use http::{
    is_valid_transaction_id, ProviderHttp, ProviderSettings, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_FETCH_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_TOKEN_REFRESH_MARGIN, MAX_TRANSACTION_ID_LEN,
};
pub use paypal::PaypalClient;
pub use stripe::StripeClient;

/// Stripe's API: the base URL of a tenant's Stripe configuration unless it names another one
/// (`oms tenant put --stripe-base-url`).
pub const STRIPE_API_BASE_URL: &str = "https://api.stripe.com";
/// PayPal's live REST API: the base URL of a tenant's PayPal configuration unless it names
/// another one (the sandbox is `https://api-m.sandbox.paypal.com`).
pub const PAYPAL_API_BASE_URL: &str = "https://api-m.paypal.com";

/// Whether `base_url` is one the gateways can call: an absolute `http(s)://host[:port][/prefix]`
/// without user info, query or fragment (the rule every lookup applies).
///
/// # Errors
/// A message naming `provider` (never the URL's content beyond that).
pub fn check_base_url(
    provider: &str,
    base_url: &str,
) -> Result<(), oms_application::ports::ProviderError> {
    http::endpoint(provider, base_url, "").map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_base_urls_pass_the_gateways_rule() {
        for url in [STRIPE_API_BASE_URL, PAYPAL_API_BASE_URL] {
            assert!(check_base_url("Provider", url).is_ok(), "{url}");
        }
        assert!(check_base_url("Stripe", "http://127.0.0.1:9/stub").is_ok());
        assert!(check_base_url("Stripe", "api.stripe.com").is_err());
        assert!(check_base_url("Stripe", "https://k:s@api.stripe.com").is_err());
    }
}
