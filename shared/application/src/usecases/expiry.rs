//! The hold sweep: cancels PENDING orders whose hold lapsed (reason `expired`), giving back
//! their stock and coupon uses in the same transaction, and emitting their order event
//! (`order.expired` outbound). Run every few seconds by `oms serve` and every minute by the
//! hold-sweeper function; each run does a bounded amount of work per tenant and the next run
//! carries on.

use oms_domain::ids::TenantId;

use super::fulfilment::release_commit;
use super::Oms;
use crate::metrics::Metric;
use crate::ports::{CommitError, Hold, StoreFault};

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// PENDING orders cancelled as expired.
    pub expired: usize,
    /// Index entries of orders that no longer held (confirmed or cancelled meanwhile): dropped.
    pub skipped: usize,
    /// Orders the sweep could not expire this time (a store fault); the next sweep retries.
    pub failed: usize,
}

impl SweepReport {
    fn add(&mut self, other: SweepReport) {
        self.expired += other.expired;
        self.skipped += other.skipped;
        self.failed += other.failed;
    }
}

/// Reports the outcome of one [`Oms::sweep_holds`], the same way wherever it runs (`oms serve`
/// every few seconds, the hold-sweeper function every minute): one info line when the sweep
/// expired or failed anything (a sweep with nothing to do stays quiet), a warning when the
/// tenant list could not be read. Returns the sweep's metrics ([`Metric::SWEEPER`], zeros
/// included; none when the sweep failed), for a runner that writes them.
pub fn report_sweep(outcome: &Result<SweepReport, StoreFault>) -> Vec<(Metric, u64)> {
    match outcome {
        Ok(report) => {
            if report.expired > 0 || report.failed > 0 {
                tracing::info!(
                    expired = report.expired,
                    skipped = report.skipped,
                    failed = report.failed,
                    "hold sweep"
                );
            }
            vec![(Metric::OrdersExpired, report.expired as u64)]
        }
        Err(e) => {
            tracing::warn!(error = %e, "hold sweep: cannot list the tenants");
            Vec::new()
        }
    }
}

impl Oms {
    /// Sweeps every tenant: at most `per_tenant` lapsed holds each.
    ///
    /// # Errors
    /// The tenant list cannot be read. A tenant whose holds cannot be read is logged and
    /// counted as failed; the others are swept.
    pub async fn sweep_holds(&self, per_tenant: usize) -> Result<SweepReport, StoreFault> {
        let mut report = SweepReport::default();
        for tenant in self.store.tenants().await? {
            match self.expire_lapsed_holds(&tenant, per_tenant).await {
                Ok(r) => report.add(r),
                Err(e) => {
                    tracing::error!(tenant = %tenant, error = %e, "hold sweep: cannot read the holds");
                    report.failed += 1;
                }
            }
        }
        Ok(report)
    }

    /// Expires at most `limit` lapsed holds of `tenant`, earliest first.
    ///
    /// # Errors
    /// The hold index cannot be read.
    pub async fn expire_lapsed_holds(
        &self,
        tenant: &TenantId,
        limit: usize,
    ) -> Result<SweepReport, StoreFault> {
        let now = self.clock.now();
        let mut report = SweepReport::default();
        for hold in self.store.lapsed_holds(tenant, now, limit).await? {
            match self.expire_one(tenant, &hold).await {
                Ok(true) => {
                    report.expired += 1;
                    self.metrics.incr(Metric::OrdersExpired);
                }
                Ok(false) => report.skipped += 1,
                Err(e) => {
                    tracing::warn!(
                        tenant = %tenant,
                        order_id = %hold.order_id,
                        error = %e,
                        "hold sweep: order not expired; the next sweep retries"
                    );
                    report.failed += 1;
                }
            }
        }
        Ok(report)
    }

    /// `true` when the order was expired; `false` when it no longer held (its entry dropped).
    async fn expire_one(&self, tenant: &TenantId, hold: &Hold) -> Result<bool, StoreFault> {
        let now = self.clock.now();
        let Some(mut order) = self.store.get_order(tenant, &hold.order_id).await? else {
            self.store.drop_hold(tenant, hold).await?;
            return Ok(false);
        };
        if order.active_hold() != Some(hold.expires_at) || !order.hold_lapsed(now) {
            self.store.drop_hold(tenant, hold).await?;
            return Ok(false);
        }
        let read_version = order.version;
        let held = order.active_hold();
        let Ok((release, events)) = order.expire(now) else {
            return Ok(false);
        };
        let commit = release_commit(&order, read_version, &release, events, held);
        match self.store.commit(tenant, commit).await {
            Ok(()) => {
                tracing::info!(tenant = %tenant, order_id = %order.id, "order expired: hold lapsed");
                Ok(true)
            }
            // Confirmed or cancelled meanwhile: that commit removed the entry and won.
            Err(CommitError::VersionConflict) => Ok(false),
            Err(CommitError::Fault(fault)) => Err(fault),
            Err(other) => Err(StoreFault::new(format!("expiring the order: {other}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sweep_reports_its_expired_orders_and_a_failed_one_nothing() {
        let report = SweepReport {
            expired: 2,
            skipped: 1,
            failed: 0,
        };
        assert_eq!(report_sweep(&Ok(report)), [(Metric::OrdersExpired, 2)]);
        assert_eq!(
            report_sweep(&Ok(SweepReport::default())),
            [(Metric::OrdersExpired, 0)],
            "zeros included"
        );
        assert_eq!(report_sweep(&Err(StoreFault::new("down"))), []);
    }
}
