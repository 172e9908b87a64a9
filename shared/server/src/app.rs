//! Wiring shared by `oms serve`, the end-to-end tests and (with SQS instead of the in-process
//! queue) the Lambda functions.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use oms_application::ports::{Clock, EventQueue, PaymentGateway, QueueError, Store};
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

/// The one router over the given components.
pub fn compose(c: Components) -> Router {
    let oms = Oms::new(c.store.clone(), c.clock.clone(), c.payments);
    let webhooks = WebhookDeps::new(c.store, c.queue, c.clock);
    let graphql = GraphqlState::new(oms, c.authenticator, c.options, Surface::Everything)
        .with_graphiql_token(c.graphiql_token);
    router(Arc::new(graphql), Arc::new(webhooks))
}
