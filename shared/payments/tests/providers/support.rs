//! Shared helpers: tenant configs, gateways with short timeouts, outcome checks.

use std::time::Duration;

use oms_application::ports::{PaymentGateway, ProviderError, ProviderPayment};
use oms_application::records::{ProviderConfig, TenantProviders};
use oms_domain::money::{Currency, Money};
use oms_domain::order::PaymentMethod;
use oms_payments::{ProviderGateway, ProviderSettings};

use crate::fake_provider::*;

pub fn settings() -> ProviderSettings {
    ProviderSettings {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(3),
        fetch_timeout: Duration::from_secs(6),
        ..ProviderSettings::default()
    }
}

/// A gateway that trusts no certificate at all: fine for plain-http loopback.
pub fn gateway_with(settings: ProviderSettings) -> ProviderGateway {
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map(|b| {
        b.with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    ProviderGateway::with_tls_config(settings, tls)
}

pub fn gateway() -> ProviderGateway {
    gateway_with(settings())
}

pub fn tenant(stripe: Option<ProviderConfig>, paypal: Option<ProviderConfig>) -> TenantProviders {
    TenantProviders { stripe, paypal }
}

pub fn stripe_config(base_url: &str, key: &str) -> ProviderConfig {
    ProviderConfig {
        base_url: base_url.to_string(),
        credentials: key.to_string(),
    }
}

pub fn paypal_config(base_url: &str, client_id: &str, secret: &str) -> ProviderConfig {
    ProviderConfig {
        base_url: base_url.to_string(),
        credentials: format!("{client_id}:{secret}"),
    }
}

/// A tenant with both providers on the fake server and the right credentials.
pub fn full_tenant(server: &FakeProvider) -> TenantProviders {
    tenant(
        Some(stripe_config(&server.base_url(), STRIPE_KEY)),
        Some(paypal_config(
            &server.base_url(),
            PAYPAL_CLIENT_ID,
            PAYPAL_SECRET,
        )),
    )
}

pub async fn fetch(
    gateway: &ProviderGateway,
    config: &TenantProviders,
    method: PaymentMethod,
    id: &str,
) -> Result<Option<ProviderPayment>, ProviderError> {
    gateway.fetch(config, method, id).await
}

pub async fn found(
    gateway: &ProviderGateway,
    config: &TenantProviders,
    method: PaymentMethod,
    id: &str,
) -> ProviderPayment {
    match fetch(gateway, config, method, id).await {
        Ok(Some(payment)) => payment,
        other => panic!("{id}: expected a payment, got {other:?}"),
    }
}

pub async fn failure(
    gateway: &ProviderGateway,
    config: &TenantProviders,
    method: PaymentMethod,
    id: &str,
) -> ProviderError {
    match fetch(gateway, config, method, id).await {
        Err(e) => e,
        other => panic!("{id}: expected an error, got {other:?}"),
    }
}

pub fn money(minor: i64, code: &str) -> Money {
    Money::from_minor(
        minor,
        Currency::parse(code).unwrap_or_else(|e| panic!("{e:?}")),
    )
}

/// Keeps tokio's paused clock (`start_paused = true`) from moving by itself while the returned
/// guard lives, so it moves only by `tokio::time::advance`.
///
/// With time paused, tokio advances the clock to the next timer whenever the runtime is idle, and
/// a runtime waiting on a socket is idle: a request timeout could fire because the loopback fake
/// had not answered *yet*. While a `spawn_blocking` task runs, tokio does not auto-advance (see
/// `tokio::time::pause`), so this parks one until the guard is dropped.
///
/// Watchdog: after 60 s of real time the hold ends by itself, so a test that would otherwise wait
/// forever on a timer (a timeout that is not applied) fails on its assertions instead of hanging.
/// Passing runs take milliseconds; nothing is decided by it.
#[must_use = "the clock is held only while the guard lives"]
pub fn hold_clock() -> std::sync::mpsc::Sender<()> {
    let (guard, dropped) = std::sync::mpsc::channel::<()>();
    drop(tokio::task::spawn_blocking(move || {
        let _ = dropped.recv_timeout(Duration::from_secs(60));
    }));
    guard
}

/// Yields (the clock stays still) until `done()` holds: waits for the fake server by its request
/// counts, never by time.
pub async fn until(done: impl Fn() -> bool) {
    while !done() {
        tokio::task::yield_now().await;
    }
}

/// Asserts that neither the Display nor the Debug form of `error` holds any credential part.
pub fn assert_no_secrets(error: &ProviderError) {
    let texts = [error.to_string(), format!("{error:?}")];
    for text in &texts {
        for secret in [
            STRIPE_KEY,
            PAYPAL_CLIENT_ID,
            PAYPAL_SECRET,
            PAYPAL_CLIENT_ID_2,
            PAYPAL_SECRET_2,
            "A21AAfakeAccessToken",
        ] {
            assert!(!text.contains(secret), "{text:?} leaks {secret}");
        }
        // Nor the Basic header value.
        assert!(!text.contains("Basic "), "{text:?}");
    }
}
