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
