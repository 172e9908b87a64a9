//! The outbound-event functions' components (features `relay`, `sender`).

use std::sync::Arc;

use aws_config::SdkConfig;
use oms_application::ports::Clock;

use crate::{dynamo_store, Settings};
#[cfg(feature = "relay")]
use crate::{sqs_client, SettingsError};

/// The outbox relay: the table `OMS_TABLE_NAME`, the events queue `OMS_EVENTS_QUEUE_URL`.
///
/// # Errors
/// A missing setting.
#[cfg(feature = "relay")]
pub fn relay(
    settings: &Settings,
    config: &SdkConfig,
    clock: Arc<dyn Clock>,
) -> Result<oms_outbound::RelayDeps, SettingsError> {
    let store = dynamo_store(config, settings.table()?, clock.clone());
    let queue = oms_queue::SqsQueue::new(&sqs_client(config), settings.events_queue()?);
    Ok(oms_outbound::RelayDeps {
        store,
        queue: Arc::new(queue),
        clock,
    })
}

/// HTTPS delivery through the same client as the payment providers (ring TLS, native roots,
/// timeouts, response size cap).
#[cfg(feature = "sender")]
pub struct HttpsDelivery(pub oms_payments::ProviderHttp);

#[cfg(feature = "sender")]
#[async_trait::async_trait]
impl oms_outbound::EventDelivery for HttpsDelivery {
    async fn post(&self, url: &str, signature: &str, body: bytes::Bytes) -> Result<u16, String> {
        self.0
            .post_signed(url, signature, body)
            .await
            .map_err(|e| e.to_string())
    }
}

/// The sender: the table `OMS_TABLE_NAME` (tenant configurations), HTTPS out.
///
/// # Errors
/// A missing setting, or the HTTP client cannot be built.
#[cfg(feature = "sender")]
pub fn sender(
    settings: &Settings,
    config: &SdkConfig,
    clock: Arc<dyn Clock>,
) -> Result<oms_outbound::SenderDeps, Box<dyn std::error::Error + Send + Sync>> {
    let store = dynamo_store(config, settings.table()?, clock.clone());
    let http = oms_payments::ProviderHttp::new(oms_payments::ProviderSettings::default())?;
    Ok(oms_outbound::SenderDeps {
        store,
        delivery: Arc::new(HttpsDelivery(http)),
        secrets: crate::secrets::resolver(config, clock.clone()),
        clock,
        metrics: Arc::new(oms_application::metrics::Metrics::new()),
    })
}
