//! Helpers every use case shares: authorization, loading, the pricing context, commits.

use oms_domain::auth::{resolve_principal, Principal, Role};
use oms_domain::catalog::{UserAuthorization, Vendor};
use oms_domain::ids::{OrderId, UserId};
use oms_domain::order::Order;
use oms_domain::pricing::{PricingContext, TaxTable};
use oms_domain::{DomainError, ErrorCode};

use super::Oms;
use crate::caller::Caller;
use crate::error::{order_not_found, AppError, AppResult};
use crate::metrics::Metric;
use crate::ports::{
    CatalogRequest, CatalogView, CommitError, Contention, OrderLoad, OrderLoadRequest,
};
use crate::records::{IdempotencyKey, TenantConfig};

/// What a mutation returns: the order as it is now.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderOutcome {
    pub order: Order,
    /// True when an idempotent replay returned an earlier result.
    pub replayed: bool,
}

/// The caller's principal after the tenant's UserAuthorization snapshot.
pub(crate) fn principal(caller: &Caller, authorization: Option<&UserAuthorization>) -> Principal {
    resolve_principal(
        &caller.sub,
        &caller.roles,
        caller.vendor_id.as_ref(),
        authorization,
    )
}

pub(crate) fn require(principal: &Principal, role: Role) -> AppResult<()> {
    if principal.has(role) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

pub(crate) fn user_id(caller: &Caller) -> AppResult<UserId> {
    UserId::new(caller.sub.as_str()).map_err(AppError::User)
}

pub(crate) fn parse_order_id(raw: &str) -> AppResult<OrderId> {
    OrderId::new(raw).map_err(|_| order_not_found(raw))
}

/// Which side of the order the caller acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Customer,
    Vendor,
}

/// The order if the caller may see it from `side`; another tenant's (never loaded: keys carry the
/// tenant), another customer's or another vendor's order is NOT_FOUND, like a missing one.
pub(crate) fn visible(
    order: Option<Order>,
    principal: &Principal,
    side: Side,
    raw_id: &str,
) -> AppResult<Order> {
    let visible = order.filter(|o| match side {
        Side::Customer => {
            principal.has(Role::Customer) && o.is_visible_to_customer(&principal.customer_id)
        }
        Side::Vendor => {
            principal.has(Role::Vendor)
                && principal
                    .vendor_id
                    .as_ref()
                    .is_some_and(|v| o.is_visible_to_vendor(v))
        }
    });
    visible.ok_or_else(|| order_not_found(raw_id))
}

impl Oms {
    /// Counts `metric` when `result` is an order change that happened now: a success that is not
    /// an idempotent replay of an earlier one (the one rule for OrdersPlaced/Confirmed/Cancelled).
    pub(crate) fn counted(
        &self,
        metric: Metric,
        result: AppResult<OrderOutcome>,
    ) -> AppResult<OrderOutcome> {
        if matches!(&result, Ok(outcome) if !outcome.replayed) {
            self.metrics.incr(metric);
        }
        result
    }

    /// Loads an order with the caller's authorization snapshot (one round trip) and checks the
    /// role and visibility.
    pub(crate) async fn load_visible(
        &self,
        caller: &Caller,
        raw_id: &str,
        side: Side,
        idempotency: Option<&IdempotencyKey>,
        transaction_id: Option<&str>,
    ) -> AppResult<(Order, OrderLoad, Principal)> {
        let order_id = parse_order_id(raw_id)?;
        let user = user_id(caller)?;
        let request = OrderLoadRequest {
            order_id: &order_id,
            idempotency,
            transaction_id,
            user: Some(&user),
        };
        let mut load = self.store.load_order(&caller.tenant, &request).await?;
        let principal = principal(caller, load.authorization.as_ref());
        require(
            &principal,
            match side {
                Side::Customer => Role::Customer,
                Side::Vendor => Role::Vendor,
            },
        )?;
        let order = visible(load.order.take(), &principal, side, raw_id)?;
        Ok((order, load, principal))
    }

    /// Loads the snapshots an order change prices from (one round trip).
    pub(crate) async fn load_catalog(
        &self,
        caller: &Caller,
        request: CatalogRequest,
    ) -> AppResult<CatalogView> {
        Ok(self.store.load_catalog(&caller.tenant, &request).await?)
    }
}

/// The vendor pricing runs for: the current snapshot, which must be active.
pub(crate) fn active_vendor(view: &CatalogView, order: &Order) -> AppResult<Vendor> {
    match &view.vendor {
        Some(v) if v.is_active => Ok(v.clone()),
        _ => Err(AppError::User(DomainError::new(
            ErrorCode::VendorUnavailable,
            format!("Vendor {} is not available.", order.vendor.vendor_id),
        ))),
    }
}

/// The tax settings of a tenant: its table (the default one when it set none) and whether its
/// prices include tax.
pub(crate) struct TenantTax {
    table: TaxTable,
    prices_include_tax: bool,
}

pub(crate) fn tax_table(config: Option<&TenantConfig>) -> TenantTax {
    TenantTax {
        table: config.map_or_else(TaxTable::default_rules, TenantConfig::tax_table),
        prices_include_tax: config.is_some_and(|c| c.prices_include_tax),
    }
}

pub(crate) fn pricing_context<'a>(
    vendor: &'a Vendor,
    view: &'a CatalogView,
    tax: &'a TenantTax,
    now: chrono::DateTime<chrono::Utc>,
) -> PricingContext<'a> {
    PricingContext {
        vendor,
        offers: &view.offers,
        coupons: &view.coupons,
        shipping_options: &view.shipping_options,
        tax_table: &tax.table,
        prices_include_tax: tax.prices_include_tax,
        now,
    }
}

/// Maps a refused commit to the user error it stands for.
pub(crate) fn commit_error(e: CommitError, order: &Order) -> AppError {
    let err = |code, msg: String| AppError::User(DomainError::new(code, msg));
    match e {
        CommitError::VersionConflict => err(
            ErrorCode::VersionConflict,
            format!("Order {} was changed by another request; reload it and retry.", order.id),
        ),
        CommitError::OutOfStock(sku) => AppError::User(
            DomainError::new(ErrorCode::OutOfStock, format!("Product {sku} does not have enough stock left."))
                .at(["lineItems", sku.as_str()]),
        ),
        CommitError::ProductUnavailable(sku) => AppError::User(
            DomainError::new(ErrorCode::ProductUnavailable, format!("Product {sku} is no longer available."))
                .at(["lineItems", sku.as_str()]),
        ),
        CommitError::CouponLimitReached(code) => AppError::User(
            DomainError::new(ErrorCode::CouponUsageLimitReached, format!("Coupon {code} has reached its usage limit."))
                .at(["coupons", code.as_str()]),
        ),
        CommitError::CouponUnavailable(code) => AppError::User(
            DomainError::new(ErrorCode::CouponInvalid, format!("Coupon {code} is no longer valid."))
                .at(["coupons", code.as_str()]),
        ),
        CommitError::PaymentAlreadyUsed => AppError::User(
            DomainError::new(ErrorCode::PaymentAlreadyUsed, "This payment transaction already confirmed another order.")
                .at(["transactionId"]),
        ),
        CommitError::IdempotencyKeyTaken => err(
            ErrorCode::IdempotencyKeyReused,
            "Another request with this idempotency key is in progress or finished; retry to get its result.".into(),
        ),
        CommitError::Contended(why) => err(
            ErrorCode::TryAgain,
            match why {
                Contention::Conflict => format!(
                    "Order {} could not be saved: other requests were changing the same items at the same moment (transaction conflict). Nothing was changed; send the request again.",
                    order.id
                ),
                Contention::Throttled => format!(
                    "Order {} could not be saved: the order store is busy (throttled). Nothing was changed; send the request again in a moment.",
                    order.id
                ),
            },
        ),
        // A refreshed snapshot kept changing (the commands that refresh one read again first).
        CommitError::SnapshotChanged => {
            AppError::User(crate::error::try_again(Contention::Conflict))
        }
        CommitError::Fault(f) => AppError::from(f),
    }
}
