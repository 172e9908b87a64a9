//! Development HS256 with the secret in a secret store (`OMS_JWT_HS256_SECRET_PARAM`): read on
//! the first token, never at construction, kept once read, retried after a pause on failure.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use oms_auth::{
    issue_dev_token, AuthConfig, Authenticator, ConfigError, Rejection, SecretFetchError,
    SecretFetcher, SECRET_RETRY_INTERVAL,
};
use oms_domain::auth::Role;
use oms_domain::ids::{CustomerId, TenantId};

const PARAMETER: &str = "/oms/dev/jwt-hs256-secret";
const STORED: &[u8] = b"the-stored-dev-secret";

/// Answers with the scripted results in turn, then with the stored secret; counts the calls.
#[derive(Default)]
struct Scripted {
    calls: AtomicUsize,
    script: Mutex<VecDeque<Result<Vec<u8>, SecretFetchError>>>,
}

impl Scripted {
    fn then(self, answer: Result<&[u8], &str>) -> Self {
        self.script
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(
                answer
                    .map(<[u8]>::to_vec)
                    .map_err(|e| SecretFetchError(e.into())),
            );
        self
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl SecretFetcher for Scripted {
    async fn fetch(&self) -> Result<Vec<u8>, SecretFetchError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let next = self
            .script
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front();
        next.unwrap_or_else(|| Ok(STORED.to_vec()))
    }
}

fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_600_800, 0).unwrap_or_default()
}

fn token(secret: &[u8]) -> String {
    let jwt = issue_dev_token(
        secret,
        &TenantId::new("demo").unwrap_or_else(|e| panic!("{e}")),
        &CustomerId::new("c-demo").unwrap_or_else(|e| panic!("{e}")),
        &[Role::Customer],
        None,
        Duration::from_secs(600),
        at(),
    );
    format!("Bearer {jwt}")
}

fn stored(fetcher: &Arc<Scripted>) -> Authenticator {
    Authenticator::with_secret_fetcher(AuthConfig::dev_hs256_stored(PARAMETER), fetcher.clone())
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn verdict(auth: &Authenticator, secret: &[u8]) -> Result<(), Rejection> {
    auth.verify_at(Some(&token(secret)), at())
        .await
        .map(|_| ())
        .map_err(|e| e.reason())
}

#[test]
fn a_stored_secret_needs_a_fetcher_and_a_fetcher_needs_a_stored_secret() {
    assert_eq!(
        Authenticator::new(AuthConfig::dev_hs256_stored(PARAMETER)).err(),
        Some(ConfigError::NoSecretFetcher)
    );
    assert_eq!(
        Authenticator::with_secret_fetcher(
            AuthConfig::dev_hs256(STORED),
            Arc::new(Scripted::default())
        )
        .err(),
        Some(ConfigError::FetcherWithoutStoredSecret)
    );
}

#[tokio::test]
async fn the_secret_is_read_on_the_first_token_only_and_verifies_hs256_tokens() {
    let fetcher = Arc::new(Scripted::default());
    let auth = stored(&fetcher);
    assert_eq!(fetcher.calls(), 0, "nothing is read at construction");
    assert_eq!(verdict(&auth, STORED).await, Ok(()));
    assert_eq!(
        verdict(&auth, b"another-secret").await,
        Err(Rejection::BadSignature)
    );
    assert_eq!(verdict(&auth, STORED).await, Ok(()));
    assert_eq!(fetcher.calls(), 1, "read once, then kept");
    // Clones share the key.
    assert_eq!(verdict(&auth.clone(), STORED).await, Ok(()));
    assert_eq!(fetcher.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_failed_read_refuses_tokens_and_is_retried_after_a_pause() {
    let fetcher = Arc::new(Scripted::default().then(Err("AccessDenied")).then(Ok(b"")));
    let auth = stored(&fetcher);
    assert_eq!(
        verdict(&auth, STORED).await,
        Err(Rejection::KeysUnavailable)
    );
    assert_eq!(
        verdict(&auth, STORED).await,
        Err(Rejection::KeysUnavailable)
    );
    assert_eq!(fetcher.calls(), 1, "not asked again within the pause");
    tokio::time::advance(SECRET_RETRY_INTERVAL).await;
    // An empty secret is refused too (an HS256 key must never be empty).
    assert_eq!(
        verdict(&auth, STORED).await,
        Err(Rejection::KeysUnavailable)
    );
    assert_eq!(fetcher.calls(), 2);
    tokio::time::advance(SECRET_RETRY_INTERVAL).await;
    assert_eq!(verdict(&auth, STORED).await, Ok(()));
    assert_eq!(fetcher.calls(), 3);
}

#[tokio::test]
async fn only_hs256_is_accepted_with_a_stored_secret() {
    let fetcher = Arc::new(Scripted::default());
    let auth = stored(&fetcher);
    // An unsigned token (`alg: none`) is refused before the store is asked.
    let none = "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.";
    let rejected = auth
        .verify_at(Some(none), at())
        .await
        .err()
        .map(|e| e.reason());
    assert!(
        matches!(
            rejected,
            Some(Rejection::Malformed | Rejection::AlgorithmNotAllowed)
        ),
        "{rejected:?}"
    );
    assert_eq!(fetcher.calls(), 0);
}
