//! Tenant secrets stored as references: `ssm:<parameter name>` stands for the value of that SSM
//! parameter (SecureString, read with `GetParameter` and decryption), resolved by the processes
//! that read tenant secrets (the webhook receiver, payment confirmation in the GraphQL
//! functions, the event sender, `oms serve`) and kept per process (per Lambda container) for
//! [`SECRET_TTL`]. Feature `ssm-secrets`; a process built without it (the updater, the relay, the
//! hold sweeper read no secrets) resolves values only and refuses references.

use std::sync::Arc;

use aws_config::SdkConfig;
use oms_application::ports::{Clock, SecretResolver};

/// How long a resolved reference is kept before SSM is asked again (seconds): a secret rotated
/// in SSM reaches every container within this time.
pub const SECRET_TTL_SECS: i64 = 5 * 60;

/// The resolver of a Lambda function: SSM references (through `aws`, the function's AWS
/// configuration) and values with the feature `ssm-secrets`, values only without.
pub fn resolver(aws: &SdkConfig, clock: Arc<dyn Clock>) -> Arc<dyn SecretResolver> {
    #[cfg(feature = "ssm-secrets")]
    {
        Arc::new(ssm::SsmSecrets::new(
            ssm::AwsSource::Config(Box::new(aws.clone())),
            clock,
            SECRET_TTL_SECS,
        ))
    }
    #[cfg(not(feature = "ssm-secrets"))]
    {
        let _ = (aws, clock);
        Arc::new(oms_application::ports::ValueSecrets)
    }
}

/// The resolver of `oms serve`: as [`resolver`], with the standard AWS configuration (profiles,
/// SSO, ...) loaded on the first reference, since `oms serve` on its embedded store needs AWS only
/// if a tenant stores a reference. A function never calls this, so its binary does not link the
/// standard credentials chain (see [`crate::function_aws_config`]).
pub fn standard_resolver(clock: Arc<dyn Clock>) -> Arc<dyn SecretResolver> {
    #[cfg(feature = "ssm-secrets")]
    {
        fn load() -> ssm::LoadingConfig {
            Box::pin(crate::aws_config(None))
        }
        Arc::new(ssm::SsmSecrets::new(
            ssm::AwsSource::Load(load),
            clock,
            SECRET_TTL_SECS,
        ))
    }
    #[cfg(not(feature = "ssm-secrets"))]
    {
        let _ = clock;
        Arc::new(oms_application::ports::ValueSecrets)
    }
}

#[cfg(feature = "ssm-secrets")]
pub use ssm::SsmSecrets;

#[cfg(feature = "ssm-secrets")]
mod ssm {
    use std::collections::HashMap;
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};

    use async_trait::async_trait;
    use aws_config::SdkConfig;
    use oms_application::ports::{Clock, SecretError, SecretResolver, ValueSecrets};
    use oms_application::records::{is_secret_reference, SSM_REFERENCE_PREFIX};
    use tokio::sync::OnceCell;

    /// The AWS configuration being loaded by [`AwsSource::Load`].
    pub type LoadingConfig = Pin<Box<dyn Future<Output = SdkConfig> + Send>>;

    /// Where the SSM client's AWS configuration comes from.
    pub enum AwsSource {
        /// The process's configuration (boxed: it is large and read once).
        Config(Box<SdkConfig>),
        /// Loaded by this function on the first reference (a function pointer, so that only the
        /// processes that name a loader link it).
        Load(fn() -> LoadingConfig),
    }

    /// Resolves `ssm:` references through SSM, each kept for a while (see the module).
    pub struct SsmSecrets {
        aws: AwsSource,
        client: OnceCell<aws_sdk_ssm::Client>,
        clock: Arc<dyn Clock>,
        ttl_secs: i64,
        /// Parameter name → (unix seconds when read, value).
        cache: Mutex<HashMap<String, (i64, String)>>,
    }

    impl SsmSecrets {
        /// Resolves through the SSM client of `aws`, keeping each value `ttl_secs` on `clock`.
        pub fn new(aws: AwsSource, clock: Arc<dyn Clock>, ttl_secs: i64) -> Self {
            SsmSecrets {
                aws,
                client: OnceCell::new(),
                clock,
                ttl_secs,
                cache: Mutex::new(HashMap::new()),
            }
        }

        async fn client(&self) -> &aws_sdk_ssm::Client {
            self.client
                .get_or_init(|| async {
                    match &self.aws {
                        AwsSource::Config(aws) => aws_sdk_ssm::Client::new(aws),
                        AwsSource::Load(load) => aws_sdk_ssm::Client::new(&load().await),
                    }
                })
                .await
        }

        fn cached(&self, name: &str) -> Option<String> {
            let now = self.clock.now_unix();
            let cache = self.cache.lock().ok()?;
            cache
                .get(name)
                .filter(|(at, _)| now - *at < self.ttl_secs)
                .map(|(_, value)| value.clone())
        }
    }

    #[async_trait]
    impl SecretResolver for SsmSecrets {
        async fn resolve(&self, stored: &str) -> Result<String, SecretError> {
            if !is_secret_reference(stored) {
                return ValueSecrets.resolve(stored).await;
            }
            let name = stored.trim_start_matches(SSM_REFERENCE_PREFIX);
            if let Some(value) = self.cached(name) {
                return Ok(value);
            }
            let out = self
                .client()
                .await
                .get_parameter()
                .name(name)
                .with_decryption(true)
                .send()
                .await
                .map_err(|e| {
                    SecretError(format!(
                        "SSM GetParameter {name}: {}",
                        aws_sdk_ssm::error::DisplayErrorContext(&e)
                    ))
                })?;
            let value = out
                .parameter
                .and_then(|p| p.value)
                .ok_or_else(|| SecretError(format!("SSM parameter {name} has no value")))?;
            if let Ok(mut cache) = self.cache.lock() {
                cache.insert(name.to_string(), (self.clock.now_unix(), value.clone()));
            }
            Ok(value)
        }
    }
}
