//! confirmOrder: PENDING → CONFIRMED with a verified payment (or cash on delivery).

use oms_domain::ids::OrderId;
use oms_domain::order::{PaymentMethod, PaymentVerification, VerifiedPayment};

use super::support::{commit_error, OrderOutcome, Side};
use super::Oms;
use crate::caller::Caller;
use crate::error::{AppError, AppResult};
use crate::metrics::Metric;
use crate::ports::OrderCommit;
use crate::records::{
    PaymentEventStatus, PaymentRecord, ProviderConfig, ProviderEndpoint, TenantConfig,
    TenantProviders,
};
use oms_domain::ids::TenantId;

impl Oms {
    /// The provider `method` is looked up at, credentials resolved: read from the tenant's
    /// secrets only here, when a provider must be asked. None when the tenant has no endpoint or
    /// no credentials for it.
    async fn providers(
        &self,
        tenant: &TenantId,
        config: Option<&TenantConfig>,
        method: PaymentMethod,
    ) -> AppResult<TenantProviders> {
        let endpoint: Option<&ProviderEndpoint> = match method {
            PaymentMethod::Stripe => config.and_then(|c| c.stripe.as_ref()),
            PaymentMethod::Paypal => config.and_then(|c| c.paypal.as_ref()),
            PaymentMethod::CashOnDelivery => None,
        };
        let Some(endpoint) = endpoint else {
            return Ok(TenantProviders::default());
        };
        let secrets = self.store.get_tenant_secrets(tenant).await?;
        let stored = secrets.and_then(|s| match method {
            PaymentMethod::Stripe => s.stripe,
            PaymentMethod::Paypal => s.paypal,
            PaymentMethod::CashOnDelivery => None,
        });
        let Some(stored) = stored else {
            tracing::warn!(tenant = %tenant, method = ?method, "provider configured without credentials");
            return Ok(TenantProviders::default());
        };
        // PayPal's is `client_id:secret`: only the secret may be a reference.
        let (prefix, secret) = match (method, stored.split_once(':')) {
            (PaymentMethod::Paypal, Some((client_id, secret))) => {
                (format!("{client_id}:"), secret.to_string())
            }
            _ => (String::new(), stored),
        };
        let resolved = self
            .secrets
            .resolve(&secret)
            .await
            .map_err(|e| AppError::Internal(Box::new(e)))?;
        let credentials = format!("{prefix}{resolved}");
        let provider = Some(ProviderConfig {
            base_url: endpoint.base_url.clone(),
            credentials,
        });
        Ok(match method {
            PaymentMethod::Stripe => TenantProviders {
                stripe: provider,
                paypal: None,
            },
            _ => TenantProviders {
                stripe: None,
                paypal: provider,
            },
        })
    }

    /// Confirms the caller's PENDING order. A payment recorded from a signed `payments` event is
    /// trusted; without one, the tenant's provider (Stripe/PayPal) is asked. One transaction id
    /// confirms one order (claimed in the same transaction as the order write). Counted as
    /// [`Metric::OrdersConfirmed`] unless the order was already confirmed with this payment.
    pub async fn confirm_order(
        &self,
        caller: &Caller,
        order_id: &str,
        method: PaymentMethod,
        transaction_id: Option<&str>,
    ) -> AppResult<OrderOutcome> {
        let result = self.confirm(caller, order_id, method, transaction_id).await;
        self.counted(Metric::OrdersConfirmed, result)
    }

    async fn confirm(
        &self,
        caller: &Caller,
        order_id: &str,
        method: PaymentMethod,
        transaction_id: Option<&str>,
    ) -> AppResult<OrderOutcome> {
        let now = self.clock.now();
        let txn = transaction_id.map(str::trim).filter(|t| !t.is_empty());
        let lookup = if method == PaymentMethod::CashOnDelivery {
            None
        } else {
            txn
        };
        let (mut order, load, _) = self
            .load_visible(caller, order_id, Side::Customer, None, lookup)
            .await?;
        // Idempotent per payment reference: confirming again with the same transaction answers
        // with the confirmed order.
        let same_payment = order
            .payment
            .as_ref()
            .is_some_and(|p| p.method == method && p.transaction_id.as_deref() == txn);
        if order.status == oms_domain::order::OrderStatus::Confirmed && same_payment {
            return Ok(OrderOutcome {
                order,
                replayed: true,
            });
        }

        let mut provider_record: Option<PaymentRecord> = None;
        let verified = match (&load.payment, lookup) {
            (Some(record), _) => Some(record.clone()),
            (None, Some(txn)) if order.status == oms_domain::order::OrderStatus::Pending => {
                let providers = self
                    .providers(&caller.tenant, load.tenant_config.as_ref(), method)
                    .await?;
                let fetched = self
                    .payments
                    .fetch(&providers, method, txn)
                    .await
                    .map_err(|e| AppError::Internal(Box::new(e)))?;
                provider_record = fetched.and_then(|p| {
                    let order_id = p.order_id.as_deref().and_then(|o| OrderId::new(o).ok())?;
                    Some(PaymentRecord {
                        transaction_id: p.transaction_id,
                        order_id,
                        method,
                        amount: p.amount,
                        status: if p.succeeded {
                            PaymentEventStatus::Succeeded
                        } else {
                            PaymentEventStatus::Refunded
                        },
                        refunded_amount: None,
                        claimed_by: None,
                    })
                    .filter(|r| r.status == PaymentEventStatus::Succeeded)
                });
                provider_record.clone()
            }
            _ => None,
        };
        let verification = PaymentVerification {
            method,
            transaction_id: txn.map(str::to_string),
            verified: verified
                .as_ref()
                .filter(|r| r.method == method)
                .map(|r| VerifiedPayment {
                    order_id: r.order_id.clone(),
                    amount: r.amount,
                    succeeded: r.status == PaymentEventStatus::Succeeded,
                }),
            already_used_by: verified.as_ref().and_then(|r| r.claimed_by.clone()),
        };
        let read_version = order.version;
        let held = order.active_hold();
        let (claim, events) = order.confirm(verification, now)?;
        let mut commit = OrderCommit::new(order.clone(), Some(read_version), events);
        commit.hold_before = held;
        commit.payment_claim = claim.map(|c| c.transaction_id);
        commit.payment_record = provider_record;
        self.store
            .commit(&caller.tenant, commit)
            .await
            .map_err(|e| commit_error(e, &order))?;
        Ok(OrderOutcome {
            order,
            replayed: false,
        })
    }
}
