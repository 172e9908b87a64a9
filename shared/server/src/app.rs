//! Wiring shared by `oms serve`, the end-to-end tests and (with SQS instead of the in-process
//! queue) the Lambda functions.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use oms_application::ports::{
    Clock, EventQueue, PaymentGateway, QueueError, SecretResolver, Store, ValueSecrets,
};
use oms_application::usecases::report_sweep;
use oms_application::Oms;
use oms_auth::Authenticator;
use oms_graphql::SchemaOptions;
use oms_queue::{InProcessConfig, InProcessQueue, Journal, ReceivedMessage, RecordError};
use oms_webhooks::{UpdaterDeps, WebhookDeps};

use crate::{router, GraphqlState, Surface};

/// The in-process sync queue (tests, a server over DynamoDB): accepted webhook events are
/// applied by the same updater the SQS-triggered Lambda runs. Nothing is journalled.
pub fn in_process_queue(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> InProcessQueue {
    InProcessQueue::new(InProcessConfig::default(), sync_handler(store, clock))
}

/// The sync queue of `oms serve` on its embedded store: journalled, so that an event answered
/// 202 is applied even when the process is killed first (resumed on the next start).
///
/// # Errors
/// The journal cannot be read.
pub async fn durable_sync_queue(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    journal: Arc<dyn Journal>,
) -> Result<InProcessQueue, QueueError> {
    InProcessQueue::durable(
        InProcessConfig::default(),
        journal,
        sync_handler(store, clock),
    )
    .await
}

/// The updater, as a queue handler.
fn sync_handler(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> impl Fn(ReceivedMessage) -> Pin<Box<dyn Future<Output = Result<(), RecordError>> + Send>>
       + Send
       + Sync
       + 'static {
    let updater = UpdaterDeps::new(store, clock);
    move |message| {
        let updater = updater.clone();
        Box::pin(async move {
            oms_webhooks::apply(&updater, &message.body)
                .await
                .map(|_| ())
                .map_err(|e| RecordError::new(e.to_string()))
        })
    }
}

/// Everything a server needs.
pub struct Components {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub payments: Arc<dyn PaymentGateway>,
    pub queue: Arc<dyn EventQueue>,
    pub authenticator: Authenticator,
    pub options: SchemaOptions,
    /// Pre-filled GraphiQL `Authorization` token (local demo only).
    pub graphiql_token: Option<String>,
}

/// The one router over the given components (tenant secrets: values only).
pub fn compose(c: Components) -> Router {
    compose_with_secrets(c, Arc::new(ValueSecrets))
}

/// [`compose`], resolving tenant secrets (webhook secrets, provider credentials) with `secrets`.
pub fn compose_with_secrets(c: Components, secrets: Arc<dyn SecretResolver>) -> Router {
    let oms = Oms::new(c.store.clone(), c.clock.clone(), c.payments).with_secrets(secrets.clone());
    let webhooks = WebhookDeps::new(c.store, c.queue, c.clock).with_secrets(secrets);
    let graphql = GraphqlState::new(oms, c.authenticator, c.options, Surface::Everything)
        .with_graphiql_token(c.graphiql_token);
    router(Arc::new(graphql), Arc::new(webhooks))
}

/// How often `oms serve` sweeps lapsed holds: a hold is cancelled at most this long (plus one
/// sweep) after its window ends, well within the 5 s promised.
pub const HOLD_SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// The hold sweep of `oms serve`: every `every`, the same sweep the hold-sweeper function runs.
/// Stops when the returned handle is aborted (or the runtime ends).
pub fn spawn_hold_sweep(oms: Oms, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // `oms serve` writes no metrics: the report's logs are its output.
            report_sweep(&oms.sweep_holds(500).await);
        }
    })
}
