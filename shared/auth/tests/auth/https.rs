//! The JWKS over HTTPS (rustls with the ring provider), against a loopback TLS server whose
//! certificate comes from a test CA.

use std::sync::Arc;
use std::time::Duration;

use oms_auth::{Authenticator, HttpJwksFetcher, Rejection};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::helpers::*;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_acceptor() -> tokio_rustls::TlsAcceptor {
    let certs = CertificateDer::pem_slice_iter(&key_file("tls-server.pem"))
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("{e}"));
    let key = PrivateKeyDer::from_pem_slice(&key_file("tls-server.key.pem"))
        .unwrap_or_else(|e| panic!("{e}"));
    let config = rustls::ServerConfig::builder_with_provider(provider())
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
    rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map(|b| b.with_root_certificates(roots).with_no_client_auth())
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn the_jwks_is_fetched_over_https() {
    let server = JwksServer::start_with(&["rsa1", "ec1"], Some(tls_acceptor())).await;
    let url = format!("https://127.0.0.1:{}/jwks", server.port);
    let fetcher = HttpJwksFetcher::with_tls_config(&url, client_trusting_test_ca())
        .unwrap_or_else(|e| panic!("{e}"));
    let config = oms_auth::AuthConfig::jwks(url)
        .with_issuer(ISSUER)
        .with_audience(AUDIENCE);
    let auth =
        Authenticator::with_fetcher(config, Arc::new(fetcher)).unwrap_or_else(|e| panic!("{e}"));
    accepted(&auth, &rs256("rsa1", "rsa-1", &claims())).await;
    accepted(&auth, &es256("ec1", "ec-1", &claims())).await;
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn an_untrusted_https_certificate_is_refused() {
    // The default fetcher trusts only the system roots, which do not include the test CA.
    let server = JwksServer::start_with(&["rsa1"], Some(tls_acceptor())).await;
    let config = oms_auth::AuthConfig::jwks(format!("https://127.0.0.1:{}/jwks", server.port))
        .with_fetch_timeout(Duration::from_secs(2));
    let auth = authenticator(config);
    assert_eq!(
        rejection(&auth, &rs256("rsa1", "rsa-1", &claims())).await,
        Rejection::KeysUnavailable
    );
    assert_eq!(server.hits(), 0, "the handshake failed before any request");
}

#[tokio::test]
async fn an_https_url_is_not_served_over_plain_http() {
    // https:// to a plain-HTTP server fails the handshake instead of downgrading.
    let server = JwksServer::start(&["rsa1"]).await;
    let url = format!("https://127.0.0.1:{}/jwks", server.port);
    let fetcher = HttpJwksFetcher::with_tls_config(&url, client_trusting_test_ca())
        .unwrap_or_else(|e| panic!("{e}"));
    let config = oms_auth::AuthConfig::jwks(url).with_fetch_timeout(Duration::from_millis(500));
    let auth =
        Authenticator::with_fetcher(config, Arc::new(fetcher)).unwrap_or_else(|e| panic!("{e}"));
    // The plain server waits for a request line that a TLS hello never completes: only the
    // fetch timeout ends the wait.
    let token = rs256("rsa1", "rsa-1", &claims());
    let outcome = tokio::time::timeout(Duration::from_secs(5), rejection(&auth, &token)).await;
    assert_eq!(
        outcome.ok(),
        Some(Rejection::KeysUnavailable),
        "verify hung or was accepted"
    );
}

#[test]
fn with_tls_config_needs_an_https_url() {
    assert!(
        HttpJwksFetcher::with_tls_config("http://127.0.0.1:1/jwks", client_trusting_test_ca())
            .is_err()
    );
}
