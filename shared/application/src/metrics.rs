//! The OMS's operational metrics: one closed list of names ([`Metric`]) and a recorder of counts
//! ([`Metrics`]) that the use cases and handlers increment where an outcome is decided.
//!
//! The recorder knows no output format and no tenant dimension: a Lambda entry point takes the
//! counts once per invocation ([`Metrics::take`]) and writes them as one CloudWatch EMF line
//! (`oms_runtime::metrics`); `oms serve` never flushes them. Every name, its unit and when it
//! increments is documented in docs/deploy.md ("Metrics").

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use oms_domain::ids::TenantId;

/// Every metric the OMS emits (all are counts). The names are a contract with dashboards and
/// alarms: add, never rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    // --- GraphQL functions (orders) ---
    /// placeOrder committed a DRAFT → PENDING (not an idempotent replay).
    OrdersPlaced,
    /// confirmOrder committed a PENDING → CONFIRMED (not a repeat with the same payment).
    OrdersConfirmed,
    /// cancelOrder committed a cancellation.
    OrdersCancelled,
    // --- webhook function ---
    /// A webhook event was accepted (queued, or for a legacy sender applied).
    WebhooksAccepted,
    /// A webhook event id (or legacy signature) had been received before: 200 duplicate.
    WebhookDuplicates,
    /// 413: the body is over 256 KiB, or the queue message would be.
    WebhookRejectedTooLarge,
    /// 404: the route names no webhook kind.
    WebhookRejectedUnknownKind,
    /// 404: no such tenant (or, on the legacy route, a tenant without legacy senders).
    WebhookRejectedUnknownTenant,
    /// 401: no signature header, or one that cannot be read.
    WebhookRejectedMissingSignature,
    /// 401: the signed timestamp is more than 300 s from now.
    WebhookRejectedStaleTimestamp,
    /// 401: the signature matches none of the tenant's secrets.
    WebhookRejectedBadSignature,
    /// 400: malformed JSON, a missing or invalid field, a `type` of another route.
    WebhookRejectedInvalidPayload,
    /// 422: the body names another tenant than the route.
    WebhookRejectedTenantMismatch,
    /// 500 / 503: a store or queue fault; the sender retries.
    WebhookFailures,
    // --- sync-updater ---
    /// A snapshot-sync message changed the store.
    SnapshotsApplied,
    /// A message was not newer than the stored version (stale, or a redelivered duplicate).
    StaleEvents,
    /// A message can never be applied (invalid, unknown tenant, refused refund).
    PoisonMessages,
    // --- SQS consumers (sync-updater, event-sender) ---
    /// Records reported in `batchItemFailures` (redelivered later).
    RecordsRetried,
    /// Failed records on their last receive: SQS moves them to the dead-letter queue.
    MessagesDeadLettered,
    // --- outbox-relay ---
    /// Outbox events published to the events queue.
    EventsRelayed,
    /// Outbox events already published by an earlier (retried) batch.
    EventsAlreadyRelayed,
    /// Outbox events of a tenant without an events URL: not queued, nobody to deliver to.
    EventsSkippedUnsubscribed,
    /// Stream records the relay could not publish (the batch resumes there).
    RelayFailures,
    // --- event-sender ---
    /// Order events the tenant's events URL acknowledged (2xx).
    EventsDelivered,
    /// Order events not delivered (refused, unreachable, unreadable or of another tenant).
    EventDeliveryFailures,
    /// Order events of a tenant with no events URL: dropped, nothing to deliver.
    EventsNotSubscribed,
    // --- hold sweeper ---
    /// The hold sweep cancelled a PENDING order whose hold lapsed (reason `expired`).
    OrdersExpired,
}

impl Metric {
    /// What a GraphQL function reports on every invocation (zeros included).
    pub const ORDERS: &'static [Metric] = &[
        Metric::OrdersPlaced,
        Metric::OrdersConfirmed,
        Metric::OrdersCancelled,
    ];

    /// What the webhook function reports on every invocation (zeros included).
    pub const WEBHOOKS: &'static [Metric] = &[
        Metric::WebhooksAccepted,
        Metric::WebhookDuplicates,
        Metric::WebhookRejectedTooLarge,
        Metric::WebhookRejectedUnknownKind,
        Metric::WebhookRejectedUnknownTenant,
        Metric::WebhookRejectedMissingSignature,
        Metric::WebhookRejectedStaleTimestamp,
        Metric::WebhookRejectedBadSignature,
        Metric::WebhookRejectedInvalidPayload,
        Metric::WebhookRejectedTenantMismatch,
        Metric::WebhookFailures,
    ];

    /// What the sync-updater counts per message.
    pub const UPDATER: &'static [Metric] = &[
        Metric::SnapshotsApplied,
        Metric::StaleEvents,
        Metric::PoisonMessages,
    ];

    /// What an SQS consumer (sync-updater, event-sender) counts per batch.
    pub const CONSUMER: &'static [Metric] = &[Metric::RecordsRetried, Metric::MessagesDeadLettered];

    /// What the outbox relay counts per batch.
    pub const RELAY: &'static [Metric] = &[
        Metric::EventsRelayed,
        Metric::EventsAlreadyRelayed,
        Metric::EventsSkippedUnsubscribed,
        Metric::RelayFailures,
    ];

    /// What the event sender counts per event (reported on every invocation, zeros included,
    /// with its batch's [`Metric::RecordsRetried`] and [`Metric::MessagesDeadLettered`]).
    pub const SENDER: &'static [Metric] = &[
        Metric::EventsDelivered,
        Metric::EventDeliveryFailures,
        Metric::EventsNotSubscribed,
    ];

    /// What the hold sweeper reports on every invocation (zeros included).
    pub const SWEEPER: &'static [Metric] = &[Metric::OrdersExpired];

    /// The groups above, in declaration order: every metric is named in exactly one of them.
    const GROUPS: [&'static [Metric]; 7] = [
        Metric::ORDERS,
        Metric::WEBHOOKS,
        Metric::UPDATER,
        Metric::CONSUMER,
        Metric::RELAY,
        Metric::SENDER,
        Metric::SWEEPER,
    ];

    /// How many metrics there are.
    pub const COUNT: usize = {
        let mut n = 0;
        let mut g = 0;
        while g < Metric::GROUPS.len() {
            n += Metric::GROUPS[g].len();
            g += 1;
        }
        n
    };

    /// Every metric, in declaration order (`ALL[m as usize] == m`): the groups one after the
    /// other (checked when compiling).
    pub const ALL: [Metric; Metric::COUNT] = {
        let mut all = [Metric::OrdersPlaced; Metric::COUNT];
        let mut i = 0;
        let mut g = 0;
        while g < Metric::GROUPS.len() {
            let group = Metric::GROUPS[g];
            let mut j = 0;
            while j < group.len() {
                assert!(
                    group[j] as usize == i,
                    "the metric groups must list every metric once, in declaration order"
                );
                all[i] = group[j];
                i += 1;
                j += 1;
            }
            g += 1;
        }
        all
    };

    /// The CloudWatch metric name.
    pub fn name(self) -> &'static str {
        match self {
            Metric::OrdersPlaced => "OrdersPlaced",
            Metric::OrdersConfirmed => "OrdersConfirmed",
            Metric::OrdersCancelled => "OrdersCancelled",
            Metric::WebhooksAccepted => "WebhooksAccepted",
            Metric::WebhookDuplicates => "WebhookDuplicates",
            Metric::WebhookRejectedTooLarge => "WebhookRejectedTooLarge",
            Metric::WebhookRejectedUnknownKind => "WebhookRejectedUnknownKind",
            Metric::WebhookRejectedUnknownTenant => "WebhookRejectedUnknownTenant",
            Metric::WebhookRejectedMissingSignature => "WebhookRejectedMissingSignature",
            Metric::WebhookRejectedStaleTimestamp => "WebhookRejectedStaleTimestamp",
            Metric::WebhookRejectedBadSignature => "WebhookRejectedBadSignature",
            Metric::WebhookRejectedInvalidPayload => "WebhookRejectedInvalidPayload",
            Metric::WebhookRejectedTenantMismatch => "WebhookRejectedTenantMismatch",
            Metric::WebhookFailures => "WebhookFailures",
            Metric::SnapshotsApplied => "SnapshotsApplied",
            Metric::StaleEvents => "StaleEvents",
            Metric::PoisonMessages => "PoisonMessages",
            Metric::RecordsRetried => "RecordsRetried",
            Metric::MessagesDeadLettered => "MessagesDeadLettered",
            Metric::EventsRelayed => "EventsRelayed",
            Metric::EventsAlreadyRelayed => "EventsAlreadyRelayed",
            Metric::EventsSkippedUnsubscribed => "EventsSkippedUnsubscribed",
            Metric::RelayFailures => "RelayFailures",
            Metric::EventsDelivered => "EventsDelivered",
            Metric::EventDeliveryFailures => "EventDeliveryFailures",
            Metric::EventsNotSubscribed => "EventsNotSubscribed",
            Metric::OrdersExpired => "OrdersExpired",
        }
    }

    /// The CloudWatch unit (every OMS metric counts occurrences).
    pub fn unit(self) -> &'static str {
        "Count"
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What [`Metrics::take`] hands over: every count since the last take, and the last tenant a
/// request was authenticated for (a log property, never a dimension).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetricsSnapshot {
    /// `(metric, count)` for every metric, in [`Metric::ALL`] order.
    pub counts: Vec<(Metric, u64)>,
    pub tenant: Option<TenantId>,
}

impl MetricsSnapshot {
    /// The count of `metric`.
    pub fn get(&self, metric: Metric) -> u64 {
        self.counts
            .iter()
            .find(|(m, _)| *m == metric)
            .map_or(0, |(_, n)| *n)
    }

    /// The metrics a function reports: every one of `declared` (zeros included, so an alarm
    /// sees 0 rather than missing data) and any other that counted something (never dropped).
    pub fn reported(&self, declared: &[Metric]) -> Vec<(Metric, u64)> {
        self.counts
            .iter()
            .filter(|(m, n)| declared.contains(m) || *n > 0)
            .copied()
            .collect()
    }
}

/// Counts per [`Metric`], shared by the handlers of one process (lock-free increments).
#[derive(Debug)]
pub struct Metrics {
    counts: [AtomicU64; Metric::ALL.len()],
    tenant: Mutex<Option<TenantId>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            tenant: Mutex::new(None),
        }
    }
}

impl Metrics {
    pub fn new() -> Self {
        Self::default()
    }

    /// One more `metric`.
    pub fn incr(&self, metric: Metric) {
        self.add(metric, 1);
    }

    /// `n` more `metric`.
    pub fn add(&self, metric: Metric, n: u64) {
        if let Some(counter) = self.counts.get(metric as usize) {
            counter.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// The count of `metric` since the last [`take`](Self::take).
    pub fn get(&self, metric: Metric) -> u64 {
        self.counts
            .get(metric as usize)
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// Remembers the tenant of the request being handled (after it was authenticated).
    pub fn set_tenant(&self, tenant: &TenantId) {
        *self.tenant.lock().unwrap_or_else(|e| e.into_inner()) = Some(tenant.clone());
    }

    /// Every count since the last take, resetting them to zero (and forgetting the tenant).
    pub fn take(&self) -> MetricsSnapshot {
        let counts = Metric::ALL
            .iter()
            .zip(&self.counts)
            .map(|(m, c)| (*m, c.swap(0, Ordering::Relaxed)))
            .collect();
        let tenant = self.tenant.lock().unwrap_or_else(|e| e.into_inner()).take();
        MetricsSnapshot { counts, tenant }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_sits_at_its_own_index_with_a_unique_name() {
        for (i, m) in Metric::ALL.iter().enumerate() {
            assert_eq!(*m as usize, i, "{m} is out of order in Metric::ALL");
            assert_eq!(m.unit(), "Count");
        }
        let mut names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Metric::ALL.len(), "duplicate metric names");
        for set in [Metric::ORDERS, Metric::WEBHOOKS, Metric::SENDER] {
            assert!(set.iter().all(|m| Metric::ALL.contains(m)));
        }
        // Every webhook outcome is in the webhook function's set.
        let webhook_names = Metric::ALL
            .iter()
            .filter(|m| m.name().starts_with("Webhook"))
            .count();
        assert_eq!(webhook_names, Metric::WEBHOOKS.len());
    }

    #[test]
    fn counts_add_up_and_take_resets_them() {
        let metrics = Metrics::new();
        metrics.incr(Metric::OrdersPlaced);
        metrics.incr(Metric::OrdersPlaced);
        metrics.add(Metric::WebhookRejectedBadSignature, 3);
        metrics.set_tenant(&TenantId::new("t1").unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(metrics.get(Metric::OrdersPlaced), 2);

        let first = metrics.take();
        assert_eq!(first.get(Metric::OrdersPlaced), 2);
        assert_eq!(first.get(Metric::WebhookRejectedBadSignature), 3);
        assert_eq!(first.get(Metric::OrdersCancelled), 0);
        assert_eq!(first.counts.len(), Metric::ALL.len());
        assert_eq!(first.tenant.as_ref().map(TenantId::as_str), Some("t1"));

        let second = metrics.take();
        assert!(second.counts.iter().all(|(_, n)| *n == 0), "{second:?}");
        assert_eq!(second.tenant, None);
        assert_eq!(metrics.get(Metric::OrdersPlaced), 0);
    }

    #[test]
    fn a_function_reports_its_declared_metrics_with_zeros_and_any_other_that_counted() {
        let metrics = Metrics::new();
        metrics.incr(Metric::OrdersConfirmed);
        metrics.incr(Metric::WebhookFailures);
        let reported = metrics.take().reported(Metric::ORDERS);
        assert_eq!(
            reported,
            vec![
                (Metric::OrdersPlaced, 0),
                (Metric::OrdersConfirmed, 1),
                (Metric::OrdersCancelled, 0),
                (Metric::WebhookFailures, 1),
            ]
        );
    }

    #[test]
    fn increments_from_many_threads_are_all_counted() {
        let metrics = std::sync::Arc::new(Metrics::new());
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let m = metrics.clone();
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        m.incr(Metric::EventsDelivered);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap_or_else(|_| panic!("a thread panicked"));
        }
        assert_eq!(metrics.take().get(Metric::EventsDelivered), 4000);
    }
}
