//! Stock that sync cannot erase (docs/data-model.md "Stock"): a product snapshot sets the
//! on-hand count, orders hold units from placeOrder until cancellation or shipment, and the units
//! to sell are `on_hand − held − shipped`. On every backend.

use chrono::{DateTime, Duration, Utc};
use oms_application::ports::{ApplyOutcome, Clock as _, SnapshotWrite, SyncRepository};
use oms_application::usecases::{DraftChange, Fulfilment};
use oms_domain::order::{Order, OrderStatus, PaymentMethod};
use oms_domain::ErrorCode;
use oms_persistence::keys;
use oms_persistence::stock::StockCounters;
use oms_store::{ItemStore, Update, Value, WriteOp};

use super::{drafts_of, place_all};
use crate::common::*;

fn mug(on_hand: i64) -> oms_domain::catalog::Product {
    product("MUG", 750, on_hand)
}

/// `(on_hand, held, shipped, available)` of a stock item.
fn parts(c: &StockCounters) -> (i64, i64, i64, i64) {
    (c.on_hand, c.held, c.shipped, c.available())
}

impl World {
    /// A product snapshot of tenant A observed upstream at `observed_at`.
    async fn sync_at(
        &self,
        p: oms_domain::catalog::Product,
        version: u64,
        observed_at: DateTime<Utc>,
    ) -> ApplyOutcome {
        ok(self
            .repo
            .apply_product_snapshot(&tenant(A), p, version, observed_at)
            .await)
    }

    /// Confirms (cash on delivery) and ships `order` of customer C1, the shipment at `at`.
    async fn confirm_and_ship(&self, order: &Order, at: DateTime<Utc>) {
        let c = customer(A, C1);
        ok(self
            .oms
            .confirm_order(&c, order.id.as_str(), PaymentMethod::CashOnDelivery, None)
            .await);
        self.clock.set(at);
        let shipped = ok(self
            .oms
            .fulfil(
                &vendor(A, VENDOR),
                order.id.as_str(),
                Fulfilment::MarkAsShipped,
            )
            .await)
        .order;
        assert_eq!(shipped.status, OrderStatus::Shipped);
    }

    /// Turns `s` of tenant A into what the code before stock items stored: no stock item, and
    /// the product's `stock` attribute = on hand minus the units its orders took.
    async fn as_stored_before_stock_items(&self, s: &str) {
        let counters = self.counters(A, s).await;
        let t = tenant(A);
        ok(self
            .store
            .write(WriteOp::Update {
                key: keys::product(&t, &vendor_id(), &sku(s)),
                updates: vec![Update::Set("stock".into(), Value::N(counters.available()))],
                cond: None,
            })
            .await);
        ok(self
            .store
            .write(WriteOp::Delete {
                key: keys::stock(&t, &vendor_id(), &sku(s)),
                cond: None,
            })
            .await);
    }
}

/// The story of the issue: on hand 5, a PENDING order holds 3; the catalog re-syncs the product
/// (a newer version, still 5 on hand): 2 are left to sell, and a third unit is refused with the
/// out-of-stock user error. Cancelling gives the 3 back.
pub async fn a_resynced_product_snapshot_never_frees_the_units_orders_hold(w: World) {
    let (c1, c2) = (customer(A, C1), customer(A, C2));
    assert_eq!(w.stock(A, "MUG").await, 5);
    let held = w.placed(&c1, &[("MUG", 3)]).await;
    assert_eq!(parts(&w.counters(A, "MUG").await), (5, 3, 0, 2));

    let before = w.rt();
    let outcome = w.sync_at(mug(5), 2, w.clock.now()).await;
    assert_eq!(outcome, ApplyOutcome::Applied);
    assert_eq!(
        w.since(before),
        2,
        "a product snapshot: 1 BatchGetItem + 1 TransactWriteItems"
    );
    assert_eq!(parts(&w.counters(A, "MUG").await), (5, 3, 0, 2));
    // Through the seeding path too, and with any stock: held units stay held.
    w.apply(A, SnapshotWrite::Product(mug(5)), 3).await;
    assert_eq!(w.stock(A, "MUG").await, 2);
    // An older snapshot is stale and writes nothing.
    let stale = w.sync_at(mug(99), 2, w.clock.now()).await;
    assert_eq!(stale, ApplyOutcome::Stale);
    assert_eq!(parts(&w.counters(A, "MUG").await), (5, 3, 0, 2));

    // A third unit beyond the 2 is refused: at checkout, on a cart edit.
    let r = w
        .oms
        .checkout_items(&c2, checkout_input(&[("MUG", 3)]))
        .await;
    let e = user_error(r);
    assert_eq!(e.code, ErrorCode::OutOfStock, "{e:?}");
    assert!(e.message.contains("only 2"), "{}", e.message);
    let draft = w.ready_draft(&c2, &[("MUG", 2)]).await;
    let r = w
        .oms
        .change_draft(
            &c2,
            draft.id.as_str(),
            None,
            DraftChange::ChangeQuantity {
                sku: "MUG".into(),
                quantity: 3,
            },
        )
        .await;
    assert_user_error(r, ErrorCode::OutOfStock, Some(&["quantity"]));
    // The 2 are sold; nothing is left.
    ok(w.oms.place_order(&c2, draft.id.as_str(), None, None).await);
    assert_eq!(parts(&w.counters(A, "MUG").await), (5, 5, 0, 0));

    // The catalog counts fewer units than orders hold: nothing to sell, never below 0.
    w.apply(A, SnapshotWrite::Product(mug(4)), 4).await;
    assert_eq!(parts(&w.counters(A, "MUG").await), (4, 5, 0, -1));
    let r = w
        .oms
        .checkout_items(&customer(A, "c-3"), checkout_input(&[("MUG", 1)]))
        .await;
    let e = user_error(r);
    assert_eq!(e.code, ErrorCode::OutOfStock);
    assert!(e.message.contains("only 0"), "{}", e.message);

    // Cancelling releases what the order held.
    ok(w.oms
        .cancel_order(&c1, held.id.as_str(), "changed my mind")
        .await);
    assert_eq!(parts(&w.counters(A, "MUG").await), (4, 2, 0, 2));
    // Tenant B's product of the same ids was never touched.
    assert_eq!(parts(&w.counters(B, "MUG").await), (500, 0, 0, 500));
}

/// A snapshot and placements commit at once (each read the stock first): whichever order the
/// backend applies them in, the held units stay held and no unit is sold twice.
pub async fn a_snapshot_racing_placements_never_frees_held_units(w: World) {
    let c = customer(A, C1);
    w.placed(&c, &[("MUG", 2)]).await;
    let buyers: Vec<String> = (0..4).map(|i| format!("racer-{i}")).collect();
    let drafts = drafts_of(&w, &buyers, &[("MUG", 1)], None).await;
    // Every placement reads 3 available; the snapshot reads held 2 and says 6 on hand.
    w.store.hold_transactions_until(drafts.len() + 1);
    let repo = w.repo.clone();
    let now = w.clock.now();
    let snapshot = tokio::spawn(async move {
        repo.apply_product_snapshot(&tenant(A), mug(6), 2, now)
            .await
    });
    let results = place_all(&w, &drafts).await;
    assert_eq!(ok(snapshot.await.unwrap()), ApplyOutcome::Applied);
    let winners = results.iter().filter(|(_, _, r)| r.is_ok()).count() as i64;
    for (buyer, _, r) in &results {
        if let Err(e) = r {
            assert_eq!(e.code, ErrorCode::OutOfStock, "{buyer}: {e:?}");
        }
    }
    // Placements first: 3 win against 5 on hand; the snapshot first: 4 win against 6.
    assert!((3..=4).contains(&winners), "{winners} winners");
    let counters = w.counters(A, "MUG").await;
    assert_eq!(parts(&counters), (6, 2 + winners, 0, 4 - winners));
    assert!(counters.available() >= 0, "never oversold");
}

/// markAsShipped moves the units from held to shipped: still not available, until a snapshot
/// observed at or after the shipment (the upstream took them off its on-hand) counts them.
pub async fn shipped_units_stay_out_until_a_snapshot_observed_after_the_shipment(w: World) {
    let c = customer(A, C1);
    let order = w.placed(&c, &[("MUG", 2)]).await;
    let shipped_at = t0() + Duration::minutes(10);
    w.confirm_and_ship(&order, shipped_at).await;
    let counters = w.counters(A, "MUG").await;
    assert_eq!(parts(&counters), (5, 0, 2, 3));
    assert_eq!(
        counters.last_shipped_at,
        Some(shipped_at.timestamp_millis())
    );

    // Observed before the shipment: its 5 still include the 2 that left. They stay out.
    let older = w
        .sync_at(mug(5), 2, shipped_at - Duration::seconds(1))
        .await;
    assert_eq!(older, ApplyOutcome::Applied);
    assert_eq!(parts(&w.counters(A, "MUG").await), (5, 0, 2, 3));
    // A snapshot without an observation time never counts shipments.
    w.apply(A, SnapshotWrite::Product(mug(5)), 3).await;
    assert_eq!(parts(&w.counters(A, "MUG").await), (5, 0, 2, 3));
    // A shipped order cannot be cancelled: its units never come back that way.
    let r = w.oms.cancel_order(&c, order.id.as_str(), "too late").await;
    assert_user_error(r, ErrorCode::InvalidState, None);
    assert_eq!(parts(&w.counters(A, "MUG").await), (5, 0, 2, 3));

    // Observed at the shipment: the upstream's on-hand is 3 now, and counts the 2 already.
    let counted = w.sync_at(mug(3), 4, shipped_at).await;
    assert_eq!(counted, ApplyOutcome::Applied);
    assert_eq!(parts(&w.counters(A, "MUG").await), (3, 0, 0, 3));
    // A restock later: all 10 are for sale (the shipment is not subtracted twice).
    w.sync_at(mug(10), 5, shipped_at + Duration::hours(1)).await;
    assert_eq!(w.stock(A, "MUG").await, 10);
}

/// The latest shipment's time only moves forward: a shipment committed after a later one (two
/// vendors' requests crossing) leaves the later time, so a snapshot between the two does not
/// count the later shipment as gone.
pub async fn the_latest_shipment_time_only_moves_forward(w: World) {
    let c = customer(A, C1);
    let first = w.placed(&c, &[("MUG", 1)]).await;
    let second = w.placed(&c, &[("MUG", 1)]).await;
    let t1 = t0() + Duration::minutes(5);
    let t2 = t0() + Duration::minutes(6);
    w.confirm_and_ship(&second, t2).await;
    w.clock.set(t0());
    w.confirm_and_ship(&first, t1).await;
    let counters = w.counters(A, "MUG").await;
    assert_eq!(parts(&counters), (5, 0, 2, 3));
    assert_eq!(counters.last_shipped_at, Some(t2.timestamp_millis()));
    // Observed between the two shipments: the second may still be on the shelf upstream.
    w.sync_at(mug(4), 2, t1 + Duration::seconds(30)).await;
    assert_eq!(parts(&w.counters(A, "MUG").await), (4, 0, 2, 2));
    w.sync_at(mug(3), 3, t2).await;
    assert_eq!(parts(&w.counters(A, "MUG").await), (3, 0, 0, 3));
}

/// A SKU rename carries the held units to the new SKU's stock item (a rename frees nothing), and
/// a later cancellation follows the product id to them.
pub async fn a_sku_rename_carries_held_units_and_a_release_follows_the_product(w: World) {
    let c = customer(A, C1);
    let order = w.placed(&c, &[("MUG", 2)]).await;
    let mut renamed = mug(5);
    renamed.sku = sku("MUG-2");
    w.apply(A, SnapshotWrite::Product(renamed), 2).await;
    let t = tenant(A);
    assert_eq!(
        w.item(&keys::stock(&t, &vendor_id(), &sku("MUG"))).await,
        None
    );
    assert_eq!(parts(&w.counters(A, "MUG-2").await), (5, 2, 0, 3));
    ok(w.oms.cancel_order(&c, order.id.as_str(), "renamed").await);
    assert_eq!(parts(&w.counters(A, "MUG-2").await), (5, 0, 0, 5));
    assert_eq!(
        w.item(&keys::stock(&t, &vendor_id(), &sku("MUG"))).await,
        None,
        "no counter item left under the old SKU"
    );
}

/// Data written before stock items existed: a product's `stock` attribute (on hand minus the
/// units its orders took), no stock item, PENDING orders holding units. The stock item is made
/// on first use: `on_hand` = that `stock`, `held` = what the vendor's PENDING and CONFIRMED orders
/// reserved. So the old holds stay held through a re-sync, and their release gives them back.
pub async fn products_stored_before_stock_items_keep_their_orders_units_held(w: World) {
    let (c1, c2) = (customer(A, C1), customer(A, C2));
    let old = w
        .placed(&c1, &[("MUG", 2), ("TSHIRT", 2), ("CAP", 1)])
        .await;
    for s in ["MUG", "TSHIRT", "CAP"] {
        w.as_stored_before_stock_items(s).await;
    }
    let t = tenant(A);
    assert_eq!(
        w.item(&keys::stock(&t, &vendor_id(), &sku("MUG"))).await,
        None
    );
    // Reads show the stored stock until the stock item exists.
    let r = w
        .oms
        .checkout_items(&c2, checkout_input(&[("MUG", 4)]))
        .await;
    assert!(user_error(r).message.contains("only 3"));

    // A re-sync saying 5 on hand: the 2 units the old order holds stay held.
    assert_eq!(
        w.sync_at(mug(5), 2, w.clock.now()).await,
        ApplyOutcome::Applied
    );
    assert_eq!(parts(&w.counters(A, "MUG").await), (5, 2, 0, 3));

    // A placement on a product without its stock item: made first (98 on hand, 2 held), then held.
    w.placed(&c2, &[("TSHIRT", 1)]).await;
    assert_eq!(parts(&w.counters(A, "TSHIRT").await), (98, 3, 0, 95));

    // The old order's cancellation releases everywhere, CAP's stock item made on the way.
    ok(w.oms.cancel_order(&c1, old.id.as_str(), "old order").await);
    assert_eq!(parts(&w.counters(A, "MUG").await), (5, 0, 0, 5));
    assert_eq!(parts(&w.counters(A, "TSHIRT").await), (98, 1, 0, 97));
    assert_eq!(parts(&w.counters(A, "CAP").await), (49, 0, 0, 49));
}
