//! The development HS256 secret held in a secret store (an SSM SecureString parameter in AWS):
//! fetched behind a small trait on the first token, never at start-up (a Lambda's init must not
//! wait on the network), then kept for the life of the process.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use jsonwebtoken::DecodingKey;
// Tokio's clock, so the retry interval is testable under `tokio::time::pause`.
use tokio::time::Instant;

use crate::error::{AuthError, Rejection};

/// Longest wait for one fetch of the secret.
pub const SECRET_FETCH_TIMEOUT: Duration = Duration::from_secs(3);
/// After a failed fetch, tokens are refused without asking again for this long.
pub const SECRET_RETRY_INTERVAL: Duration = Duration::from_secs(5);

/// Why the secret could not be read. Never contains the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("secret fetch failed: {0}")]
pub struct SecretFetchError(pub String);

/// Reads the secret's value (the SSM client of `oms-runtime` in AWS; a test double in tests).
#[async_trait]
pub trait SecretFetcher: Send + Sync + 'static {
    /// # Errors
    /// [`SecretFetchError`] for any failure (missing entry, access denied, network).
    async fn fetch(&self) -> Result<Vec<u8>, SecretFetchError>;
}

#[derive(Default)]
struct State {
    key: Option<Arc<DecodingKey>>,
    failed_at: Option<Instant>,
}

/// The key made from the stored secret: fetched once (one fetch at a time; concurrent first
/// tokens wait for it), kept once fetched, retried at most every [`SECRET_RETRY_INTERVAL`]
/// after a failure.
pub(crate) struct StoredSecret {
    fetcher: Arc<dyn SecretFetcher>,
    state: tokio::sync::Mutex<State>,
}

impl fmt::Debug for StoredSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoredSecret { .. }")
    }
}

impl StoredSecret {
    pub(crate) fn new(fetcher: Arc<dyn SecretFetcher>) -> Self {
        StoredSecret {
            fetcher,
            state: tokio::sync::Mutex::new(State::default()),
        }
    }

    pub(crate) async fn key(&self) -> Result<Arc<DecodingKey>, AuthError> {
        let mut state = self.state.lock().await;
        if let Some(key) = &state.key {
            return Ok(key.clone());
        }
        if let Some(at) = state.failed_at {
            if at.elapsed() < SECRET_RETRY_INTERVAL {
                return Err(AuthError::with_detail(
                    Rejection::KeysUnavailable,
                    "the HS256 secret could not be read recently; not retrying yet",
                ));
            }
        }
        let fetched = match tokio::time::timeout(SECRET_FETCH_TIMEOUT, self.fetcher.fetch()).await {
            Ok(Ok(secret)) if !secret.is_empty() => Ok(secret),
            Ok(Ok(_)) => Err("the stored HS256 secret is empty".to_string()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!(
                "no answer within {} s",
                SECRET_FETCH_TIMEOUT.as_secs()
            )),
        };
        match fetched {
            Ok(secret) => {
                let key = Arc::new(DecodingKey::from_secret(&secret));
                state.key = Some(key.clone());
                state.failed_at = None;
                tracing::info!("development HS256 secret read from the secret store");
                Ok(key)
            }
            Err(detail) => {
                state.failed_at = Some(Instant::now());
                tracing::error!(error = %detail, "cannot read the development HS256 secret");
                Err(AuthError::with_detail(Rejection::KeysUnavailable, detail))
            }
        }
    }
}
