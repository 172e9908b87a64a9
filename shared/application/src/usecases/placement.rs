//! placeOrder: DRAFT → PENDING in ONE transaction with the stock holds, the coupon counters,
//! the idempotency record and the outbox events.

use chrono::Duration;
use oms_domain::ids::{CouponCode, Sku};
use oms_domain::order::lifecycle::{self, Transition};
use oms_domain::order::Placement;
use oms_domain::ErrorCode;
use serde::Serialize;

use super::checkout::{idempotency_key, input_hash};
use super::support::{active_vendor, commit_error, pricing_context, tax_table, OrderOutcome, Side};
use super::Oms;
use crate::caller::Caller;
use crate::error::{AppError, AppResult};
use crate::metrics::Metric;
use crate::ports::{
    CatalogRequest, CommitError, CouponUseChange, OrderCommit, StockChange, StockMove,
};
use crate::records::{IdempotencyRecord, IDEMPOTENCY_TTL_HOURS};

#[derive(Serialize)]
struct PlaceInput<'a> {
    order_id: &'a str,
    expected_version: Option<i64>,
}

impl Oms {
    /// Places the caller's DRAFT order. Reads: two BatchGetItems; writes: one transaction.
    /// Counted as [`Metric::OrdersPlaced`] unless it replays an earlier placement.
    pub async fn place_order(
        &self,
        caller: &Caller,
        order_id: &str,
        expected_version: Option<i64>,
        raw_idempotency_key: Option<&str>,
    ) -> AppResult<OrderOutcome> {
        let result = self
            .place(caller, order_id, expected_version, raw_idempotency_key)
            .await;
        self.counted(Metric::OrdersPlaced, result)
    }

    async fn place(
        &self,
        caller: &Caller,
        order_id: &str,
        expected_version: Option<i64>,
        raw_idempotency_key: Option<&str>,
    ) -> AppResult<OrderOutcome> {
        let now = self.clock.now();
        let expected = expected_version
            .map(|v| {
                u64::try_from(v).map_err(|_| {
                    AppError::User(
                        super::checkout::invalid("expectedVersion must not be negative.")
                            .at(["expectedVersion"]),
                    )
                })
            })
            .transpose()?;
        let idem = idempotency_key(caller, "placeOrder", raw_idempotency_key)?;
        let hash = input_hash(&PlaceInput {
            order_id,
            expected_version,
        });
        let (mut order, load, _) = self
            .load_visible(caller, order_id, Side::Customer, idem.as_ref(), None)
            .await?;
        if let Some(record) = &load.idempotency {
            return self.replay(caller, record, &hash).await;
        }
        order.check_version(expected)?;
        // Refuse a non-DRAFT order before reading the catalog (the table words the error).
        lifecycle::next_status(order.status, Transition::Place)?;

        let mut skus: Vec<Sku> = order.all_lines().map(|l| l.sku.clone()).collect();
        skus.sort();
        skus.dedup();
        let codes: Vec<CouponCode> = order.coupons.iter().map(|c| c.code.clone()).collect();
        let request = CatalogRequest {
            vendor_id: Some(order.vendor.vendor_id.clone()),
            skus,
            coupon_codes: codes.clone(),
            customer_id: Some(caller.sub.clone()),
            ..CatalogRequest::default()
        };
        let view = self.load_catalog(caller, request).await?;
        let vendor = active_vendor(&view, &order)?;
        let tax = tax_table(load.tenant_config.as_ref());
        let ctx = pricing_context(&vendor, &view, &tax, now);
        let coupons: Vec<_> = codes
            .iter()
            .map(|c| (view.coupon(c).cloned(), view.usage(c)))
            .collect();
        let read_version = order.version;
        let (placement, events) = match order.place(&view.products, &coupons, &ctx, now) {
            // A free-gift offer that started since the last cart change may add a gift whose
            // product was not read with the order's SKUs: read those few products and try once
            // more (an extra round trip on this rare path only), so placement reserves the gift
            // instead of refusing it. `place` left the order untouched on failure.
            Err(e) if e.code == ErrorCode::ProductUnavailable => {
                let missing: Vec<Sku> = gift_skus(&view.offers)
                    .into_iter()
                    .filter(|s| view.product(s).is_none())
                    .collect();
                if missing.is_empty() {
                    return Err(e.into());
                }
                let request = CatalogRequest {
                    vendor_id: Some(order.vendor.vendor_id.clone()),
                    skus: missing,
                    ..CatalogRequest::default()
                };
                let mut products = view.products.clone();
                products.extend(self.load_catalog(caller, request).await?.products);
                order.place(&products, &coupons, &ctx, now)?
            }
            other => other?,
        };

        // The hold on stock and coupon uses lapses after the tenant's window (the sweep cancels).
        order.hold_until(now + crate::records::pending_hold(load.tenant_config.as_ref()));
        let mut commit = OrderCommit::new(order.clone(), Some(read_version), events);
        commit.stock = stock_changes(&order.vendor.vendor_id, &placement, -1);
        commit.coupon_uses = placement
            .coupons
            .iter()
            .map(|c| CouponUseChange {
                vendor_id: order.vendor.vendor_id.clone(),
                code: c.code.clone(),
                customer_id: order.customer.customer_id.clone(),
                delta: 1,
                usage_limit: c.usage_limit,
                per_customer_limit: c.per_customer_limit,
                counters: c.counters,
            })
            .collect();
        commit.idempotency = idem.map(|key| IdempotencyRecord {
            key,
            input_hash: hash.clone(),
            order_id: order.id.clone(),
            expires_at: now + Duration::hours(IDEMPOTENCY_TTL_HOURS),
            result: Some(order.clone()),
        });
        match self.store.commit(&caller.tenant, commit).await {
            Ok(()) => Ok(OrderOutcome {
                order,
                replayed: false,
            }),
            Err(CommitError::IdempotencyKeyTaken) => {
                self.replay_after_race(caller, raw_idempotency_key, "placeOrder", &hash)
                    .await
            }
            Err(e) => Err(commit_error(e, &order)),
        }
    }
}

/// SKUs that the vendor's free-gift offers can add.
fn gift_skus(offers: &[oms_domain::catalog::Offer]) -> Vec<Sku> {
    let mut skus: Vec<Sku> = offers
        .iter()
        .filter(|o| o.kind == oms_domain::catalog::OfferKind::FreeGift)
        .flat_map(|o| o.conditions.gift_products.iter().map(|g| g.sku.clone()))
        .collect();
    skus.sort();
    skus.dedup();
    skus
}

/// Stock movements of a placement's units (`sign` −1 holds them, +1 releases them).
pub(crate) fn stock_changes(
    vendor: &oms_domain::ids::VendorId,
    placement: &Placement,
    sign: i64,
) -> Vec<StockChange> {
    let movement = if sign < 0 {
        StockMove::Hold
    } else {
        StockMove::Release
    };
    StockChange::of(vendor, &placement.stock, movement)
}
