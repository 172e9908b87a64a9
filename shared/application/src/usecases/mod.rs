//! The use cases: one method per GraphQL operation (and sync entry point), each reading in at most
//! two round trips and writing in one transaction (docs/data-model.md).

mod checkout;
mod draft;
mod expiry;
mod fulfilment;
mod payment;
mod placement;
mod queries;
mod support;
mod users;

use std::sync::Arc;

use crate::metrics::Metrics;
use crate::ports::{Clock, PaymentGateway, SecretResolver, Store, ValueSecrets};

pub use checkout::AddressInput;
pub use checkout::{CheckoutInput, CustomerInput, ItemInput};
pub use draft::{DestinationChoice, DraftChange};
pub use expiry::{report_sweep, SweepReport};
pub use fulfilment::Fulfilment;
pub use queries::{OrderList, MAX_PAGE_SIZE};
pub use support::OrderOutcome;
pub use users::SyncUserInput;

/// The OMS's use cases over its ports. Cheap to clone; one per process.
#[derive(Clone)]
pub struct Oms {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    payments: Arc<dyn PaymentGateway>,
    /// Turns the provider credentials confirmOrder reads into secrets (`ssm:` references).
    secrets: Arc<dyn SecretResolver>,
    /// Orders placed, confirmed, cancelled (counted here, where the outcome is decided).
    metrics: Arc<Metrics>,
}

impl Oms {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        payments: Arc<dyn PaymentGateway>,
    ) -> Self {
        Oms {
            store,
            clock,
            payments,
            secrets: Arc::new(ValueSecrets),
            metrics: Arc::new(Metrics::new()),
        }
    }

    /// Resolves `ssm:` references among the tenants' provider credentials with `secrets`
    /// (without: values only).
    #[must_use]
    pub fn with_secrets(mut self, secrets: Arc<dyn SecretResolver>) -> Self {
        self.secrets = secrets;
        self
    }

    /// Counts into `metrics` instead of a recorder of its own.
    #[must_use]
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// The counts of this OMS's use cases (a Lambda entry point flushes them per invocation).
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The one clock: HTTP handlers check token expiry and webhook windows against it too.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }
}
