//! Routing by method, limits (timeouts, size, ids, URLs), TLS, and secrecy of credentials.
//!
//! The timeout tests run on tokio's paused clock, held still by `hold_clock`: the fake server
//! stalls on the clock too, and the test moves it by exactly the timeout once the stalled request
//! has arrived, so which deadline fires is never a matter of how fast the machine is.

use std::sync::Arc;
use std::time::Duration;

use oms_application::ports::PaymentGateway;
use oms_application::records::TenantProviders;
use oms_domain::order::PaymentMethod::{CashOnDelivery, Paypal, Stripe};
use oms_payments::{ProviderGateway, ProviderSettings};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::time::Instant;

use crate::fake_provider::*;
use crate::support::*;

#[tokio::test]
async fn the_method_picks_the_provider() {
    let server = FakeProvider::start().await;
    let gateway = gateway();
    let config = full_tenant(&server);
    found(&gateway, &config, Stripe, "pi_succeeded").await;
    assert_eq!((server.stripe_calls(), server.order_calls()), (1, 0));
    found(&gateway, &config, Paypal, "PP_COMPLETED").await;
    assert_eq!((server.stripe_calls(), server.order_calls()), (1, 1));
    // A Stripe id asked as PayPal is just unknown there.
    assert!(matches!(
        fetch(&gateway, &config, Paypal, "pi_succeeded").await,
        Ok(None)
    ));
}

#[tokio::test]
async fn cash_on_delivery_and_missing_configuration_ask_nobody() {
    let server = FakeProvider::start().await;
    let gateway = gateway();
    let config = full_tenant(&server);
    assert!(matches!(
        fetch(&gateway, &config, CashOnDelivery, "pi_succeeded").await,
        Ok(None)
    ));
    assert!(matches!(
        gateway
            .fetch(&TenantProviders::default(), Stripe, "pi_succeeded")
            .await,
        Ok(None)
    ));
    assert!(matches!(
        gateway
            .fetch(&TenantProviders::default(), Paypal, "PP_COMPLETED")
            .await,
        Ok(None)
    ));
    let stripe_only = tenant(Some(stripe_config(&server.base_url(), STRIPE_KEY)), None);
    assert!(matches!(
        fetch(&gateway, &stripe_only, Paypal, "PP_COMPLETED").await,
        Ok(None)
    ));
    let paypal_only = tenant(
        None,
        Some(paypal_config(
            &server.base_url(),
            PAYPAL_CLIENT_ID,
            PAYPAL_SECRET,
        )),
    );
    assert!(matches!(
        fetch(&gateway, &paypal_only, Stripe, "pi_succeeded").await,
        Ok(None)
    ));
    assert!(server.requests().is_empty(), "{:?}", server.requests());
    // The same configs do reach the server for their own method.
    found(&gateway, &stripe_only, Stripe, "pi_succeeded").await;
    found(&gateway, &paypal_only, Paypal, "PP_COMPLETED").await;
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn invalid_transaction_ids_are_never_sent() {
    let server = FakeProvider::start().await;
    let gateway = gateway();
    let config = full_tenant(&server);
    let long = "a".repeat(256);
    for id in [
        "",
        " pi_succeeded",
        "pi_succeeded/../x",
        "../v1/oauth2/token",
        "pi%2Fx",
        "pi_1?expand=x",
        "pi_1#f",
        "pi.1",
        "pi_é",
        "pi\n1",
        long.as_str(),
    ] {
        for method in [Stripe, Paypal] {
            assert!(
                matches!(fetch(&gateway, &config, method, id).await, Ok(None)),
                "{id:?}"
            );
        }
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[tokio::test(start_paused = true)]
async fn a_stalled_provider_times_out_quickly() {
    let _clock = hold_clock();
    let request_timeout = Duration::from_millis(300);
    let server = FakeProvider::start().await;
    let gateway = gateway_with(ProviderSettings {
        request_timeout,
        ..settings()
    });
    let config = full_tenant(&server);
    for (method, id, stalled) in [
        (Stripe, "pi_stall", "GET /v1/payment_intents/pi_stall"),
        (Paypal, "PP_STALL", "GET /v2/checkout/orders/PP_STALL"),
    ] {
        let started = Instant::now();
        let (err, ()) = tokio::join!(failure(&gateway, &config, method, id), async {
            // The fake holds the request (for an hour): let exactly the request timeout pass.
            until(|| server.requests().iter().any(|r| r == stalled)).await;
            tokio::time::advance(request_timeout).await;
        });
        assert!(
            err.to_string().contains("request timed out after 300 ms"),
            "{err}"
        );
        assert_eq!(
            started.elapsed(),
            request_timeout,
            "cut off by the request timeout, not the 6 s lookup deadline"
        );
        assert_no_secrets(&err);
    }
    assert_eq!(
        server.requests(),
        [
            "GET /v1/payment_intents/pi_stall",
            "POST /v1/oauth2/token",
            "GET /v2/checkout/orders/PP_STALL"
        ],
        "each stalled request was sent once, not retried"
    );
    // The pool is still usable afterwards.
    found(&gateway, &config, Stripe, "pi_succeeded").await;
}

#[tokio::test(start_paused = true)]
async fn the_whole_lookup_has_a_deadline_too() {
    let _clock = hold_clock();
    let server = FakeProvider::start().await;
    let gateway = gateway_with(ProviderSettings {
        request_timeout: Duration::from_secs(30),
        fetch_timeout: Duration::from_millis(300),
        ..settings()
    });
    let config = full_tenant(&server);
    let started = Instant::now();
    let (err, ()) = tokio::join!(failure(&gateway, &config, Paypal, "PP_STALL"), async {
        // `join!` polls the lookup first, so it has started (its deadline with it) and waits
        // for its token: 200 ms pass during the token exchange, 100 ms once the order call is
        // stalled. The 300 ms deadline spans both exchanges (each alone stays under it).
        tokio::time::advance(Duration::from_millis(200)).await;
        until(|| server.order_calls() == 1).await;
        tokio::time::advance(Duration::from_millis(100)).await;
    });
    assert!(
        err.to_string().contains("lookup timed out after 300 ms"),
        "{err}"
    );
    assert_eq!(started.elapsed(), Duration::from_millis(300));
    assert_eq!((server.token_calls(), server.order_calls()), (1, 1));
}

#[tokio::test]
async fn a_response_over_the_size_cap_is_an_error() {
    let server = FakeProvider::start().await;
    let gateway = gateway_with(ProviderSettings {
        max_response_bytes: 64 * 1024,
        ..settings()
    });
    let config = full_tenant(&server);
    let err = failure(&gateway, &config, Stripe, "pi_huge").await;
    assert!(err.to_string().contains("larger than 65536 bytes"), "{err}");
    // Under a cap large enough it is read (and then rejected as not being a PaymentIntent).
    let roomy = gateway_with(ProviderSettings {
        max_response_bytes: 2 * HUGE_BODY_BYTES,
        ..settings()
    });
    let err = failure(&roomy, &config, Stripe, "pi_huge").await;
    assert!(err.to_string().contains("not JSON"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_provider_is_an_error_not_a_hang() {
    let _clock = hold_clock();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let port = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("{e}"))
        .port();
    drop(listener);
    let base = format!("http://127.0.0.1:{port}");
    let config = tenant(
        Some(stripe_config(&base, STRIPE_KEY)),
        Some(paypal_config(&base, PAYPAL_CLIENT_ID, PAYPAL_SECRET)),
    );
    let gateway = gateway();
    for (method, id) in [(Stripe, "pi_succeeded"), (Paypal, "PP_COMPLETED")] {
        let started = Instant::now();
        let err = failure(&gateway, &config, method, id).await;
        assert!(err.to_string().contains("request failed"), "{err}");
        assert_eq!(
            started.elapsed(),
            Duration::ZERO,
            "refused at once: no connect or request timeout was waited out"
        );
        assert_no_secrets(&err);
    }
}

#[tokio::test]
async fn bad_base_urls_are_errors() {
    let gateway = gateway();
    for base in [
        "",
        "api.stripe.com",
        "ftp://127.0.0.1:1",
        "http://",
        "http://u:p@127.0.0.1:1",
        "http://127.0.0.1:1?x=1",
    ] {
        let config = tenant(
            Some(stripe_config(base, STRIPE_KEY)),
            Some(paypal_config(base, PAYPAL_CLIENT_ID, PAYPAL_SECRET)),
        );
        for (method, id) in [(Stripe, "pi_succeeded"), (Paypal, "PP_COMPLETED")] {
            let err = failure(&gateway, &config, method, id).await;
            assert!(err.to_string().contains("base_url"), "{base:?}: {err}");
        }
    }
}

#[tokio::test]
async fn credentials_never_appear_in_errors() {
    let server = FakeProvider::start().await;
    let gateway = gateway_with(ProviderSettings {
        request_timeout: Duration::from_millis(300),
        ..settings()
    });
    let base = server.base_url();
    let good = full_tenant(&server);
    // The fake echoes the presented credentials in its 401 bodies.
    let wrong_stripe = tenant(Some(stripe_config(&base, PAYPAL_SECRET_2)), None);
    let wrong_paypal = tenant(
        None,
        Some(paypal_config(&base, PAYPAL_CLIENT_ID_2, PAYPAL_SECRET)),
    );
    let bad_url = tenant(
        Some(stripe_config(
            &format!("http://{STRIPE_KEY}@127.0.0.1:1"),
            STRIPE_KEY,
        )),
        Some(paypal_config(
            &format!("http://127.0.0.1:1?{PAYPAL_SECRET}"),
            PAYPAL_CLIENT_ID,
            PAYPAL_SECRET,
        )),
    );
    let header_breaking = tenant(Some(stripe_config(&base, "sk_test_51Fake\nSecret")), None);
    let mut errors = vec![
        failure(&gateway, &wrong_stripe, Stripe, "pi_succeeded").await,
        failure(&gateway, &wrong_paypal, Paypal, "PP_COMPLETED").await,
        failure(&gateway, &bad_url, Stripe, "pi_succeeded").await,
        failure(&gateway, &bad_url, Paypal, "PP_COMPLETED").await,
        failure(&gateway, &good, Stripe, "pi_stall").await,
        failure(&gateway, &good, Paypal, "PP_STALL").await,
        failure(&gateway, &good, Stripe, "pi_server_error").await,
    ];
    let err = failure(&gateway, &header_breaking, Stripe, "pi_succeeded").await;
    assert!(!err.to_string().contains("sk_test_51Fake"), "{err}");
    errors.push(err);
    server.reject_all_orders();
    errors.push(failure(&gateway, &good, Paypal, "PP_COMPLETED").await);
    for err in &errors {
        assert_no_secrets(err);
    }
    // The Debug form of the gateway is secret-free as well.
    let debug = format!("{gateway:?}");
    assert!(
        !debug.contains("A21AA") && !debug.contains(PAYPAL_SECRET),
        "{debug}"
    );
}

fn key_file(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn ring() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_acceptor() -> tokio_rustls::TlsAcceptor {
    let certs = CertificateDer::pem_slice_iter(&key_file("tls-server.pem"))
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("{e}"));
    let key = PrivateKeyDer::from_pem_slice(&key_file("tls-server.key.pem"))
        .unwrap_or_else(|e| panic!("{e}"));
    let config = rustls::ServerConfig::builder_with_provider(ring())
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .unwrap_or_else(|e| panic!("{e}"));
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

fn client_trusting_test_ca() -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&key_file("tls-ca.pem")) {
        roots
            .add(cert.unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    rustls::ClientConfig::builder_with_provider(ring())
        .with_safe_default_protocol_versions()
        .map(|b| b.with_root_certificates(roots).with_no_client_auth())
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn https_providers_work_with_a_trusted_certificate() {
    let server = FakeProvider::start_with(Some(tls_acceptor())).await;
    assert!(server.base_url().starts_with("https://"));
    let gateway = ProviderGateway::with_tls_config(settings(), client_trusting_test_ca());
    let config = full_tenant(&server);
    assert!(
        found(&gateway, &config, Stripe, "pi_succeeded")
            .await
            .succeeded
    );
    assert!(
        found(&gateway, &config, Paypal, "PP_COMPLETED")
            .await
            .succeeded
    );
    assert_eq!(server.token_calls(), 1);
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_before_any_request() {
    let server = FakeProvider::start_with(Some(tls_acceptor())).await;
    // The system roots do not include the test CA.
    let gateway = match ProviderGateway::new(settings()) {
        Ok(gateway) => gateway,
        Err(e) => panic!("no system roots here: {e}"),
    };
    let config = full_tenant(&server);
    let err = failure(&gateway, &config, Stripe, "pi_succeeded").await;
    assert!(
        err.to_string().contains("invalid peer certificate"),
        "{err}"
    );
    assert_no_secrets(&err);
    let err = failure(&gateway, &config, Paypal, "PP_COMPLETED").await;
    assert_no_secrets(&err);
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn an_https_url_never_downgrades_to_plain_http() {
    let server = FakeProvider::start().await;
    let https_base = server.base_url().replacen("http://", "https://", 1);
    let gateway = ProviderGateway::with_tls_config(settings(), client_trusting_test_ca());
    let config = tenant(Some(stripe_config(&https_base, STRIPE_KEY)), None);
    let err = failure(&gateway, &config, Stripe, "pi_succeeded").await;
    assert_no_secrets(&err);
    assert!(server.requests().is_empty());
}
