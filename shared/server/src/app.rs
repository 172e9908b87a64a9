//! Wiring shared by `oms serve`, the end-to-end tests and (with SQS instead of the in-process
//! queue) the Lambda functions.

use std::sync::Arc;

use axum::Router;
use oms_application::ports::{Clock, EventQueue, PaymentGateway, Store};
use oms_application::Oms;
use oms_auth::Authenticator;
use oms_graphql::SchemaOptions;
use oms_queue::{InProcessConfig, InProcessQueue, RecordError};
use oms_webhooks::{UpdaterDeps, WebhookDeps};

use crate::{router, GraphqlState, Surface};

/// The in-process sync queue of `oms serve`: accepted webhook events are applied by the same
/// updater the SQS-triggered Lambda runs.
pub fn in_process_queue(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> InProcessQueue {
    let updater = UpdaterDeps::new(store, clock);
    InProcessQueue::new(InProcessConfig::default(), move |message| {
        let updater = updater.clone();
        async move {
            oms_webhooks::apply(&updater, &message.body)
                .await
                .map(|_| ())
                .map_err(|e| RecordError::new(e.to_string()))
        }
    })
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
    let webhooks = WebhookDeps {
        store: c.store,
        queue: c.queue,
        clock: c.clock,
    };
    let graphql = GraphqlState::new(oms, c.authenticator, c.options, Surface::Everything)
        .with_graphiql_token(c.graphiql_token);
    router(Arc::new(graphql), Arc::new(webhooks))
}
