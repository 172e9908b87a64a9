//! Property: random sequences of placements, confirmations, cancellations, shipments, restocks
//! and late product snapshots (any version, any age) against a model of the real warehouse.
//! After every step the stock item keeps `available = on_hand − held − shipped`, `held` is
//! exactly what PENDING and CONFIRMED orders reserved, a placement succeeds exactly when its
//! units are available, and the OMS never promises more units than the warehouse has:
//! `held ≤ warehouse` and `on_hand − shipped ≤ warehouse` (so nothing is ever sold twice).
//!
//! Runs on the embedded store (in memory), through the use cases and the sync write path.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use oms_application::error::AppError;
use oms_application::ports::{ApplyOutcome, Clock as _, SyncRepository};
use oms_application::usecases::{DraftChange, Fulfilment};
use oms_domain::catalog::ShippingMethod;
use oms_domain::ids::OrderId;
use oms_domain::order::{OrderStatus, PaymentMethod};
use oms_domain::ErrorCode;
use oms_store::SqliteStore;
use proptest::prelude::*;

use crate::common::*;

#[derive(Debug, Clone)]
enum Step {
    /// A new customer buys `units` MUGs.
    Place { units: u32 },
    /// The `pick`-th PENDING order is confirmed (cash on delivery).
    Confirm { pick: usize },
    /// The `pick`-th PENDING or CONFIRMED order is cancelled.
    Cancel { pick: usize },
    /// The `pick`-th CONFIRMED order is shipped: its units leave the warehouse.
    Ship { pick: usize },
    /// The warehouse receives `units` and the catalog sends a snapshot at once.
    Restock { units: i64 },
    /// A snapshot the catalog took `age` steps ago arrives now (stale if a newer one applied).
    Late { age: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (1u32..=3).prop_map(|units| Step::Place { units }),
        2 => any::<usize>().prop_map(|pick| Step::Confirm { pick }),
        2 => any::<usize>().prop_map(|pick| Step::Cancel { pick }),
        3 => any::<usize>().prop_map(|pick| Step::Ship { pick }),
        1 => (0i64..=3).prop_map(|units| Step::Restock { units }),
        3 => (0usize..6).prop_map(|age| Step::Late { age }),
    ]
}

struct Placed {
    id: OrderId,
    buyer: String,
    units: i64,
    status: OrderStatus,
}

/// What the catalog saw at one moment: the warehouse's count, the snapshot's version.
#[derive(Clone, Copy)]
struct Observation {
    at: DateTime<Utc>,
    warehouse: i64,
    version: u64,
}

struct Model {
    warehouse: i64,
    orders: Vec<Placed>,
    seen: Vec<Observation>,
    applied_version: u64,
}

impl Model {
    fn held(&self) -> i64 {
        self.orders
            .iter()
            .filter(|o| matches!(o.status, OrderStatus::Pending | OrderStatus::Confirmed))
            .map(|o| o.units)
            .sum()
    }

    fn pick(&self, pick: usize, statuses: &[OrderStatus]) -> Option<usize> {
        let candidates: Vec<usize> = (0..self.orders.len())
            .filter(|i| statuses.contains(&self.orders[*i].status))
            .collect();
        (!candidates.is_empty()).then(|| candidates[pick % candidates.len()])
    }
}

async fn run(steps: Vec<Step>) {
    let clock = test_clock();
    let store = SqliteStore::in_memory(clock.clone()).expect("in-memory SQLite");
    let w = World::seeded(Backend::new(Arc::new(store)), clock.clone()).await;
    let v = vendor(A, VENDOR);
    let mut model = Model {
        warehouse: 5,
        orders: vec![],
        seen: vec![Observation {
            at: clock.now(),
            warehouse: 5,
            version: 1,
        }],
        applied_version: 1,
    };
    for (n, step) in steps.into_iter().enumerate() {
        // One minute per step (all steps stay within an order's hold window).
        clock.advance(Duration::minutes(1));
        let version = n as u64 + 2;
        match step {
            Step::Place { units } => {
                let to_sell = w.counters(A, "MUG").await.to_sell();
                let buyer = format!("buyer-{n}");
                let c = customer(A, &buyer);
                let wanted = [("MUG", i64::from(units))];
                let placed = match w.oms.checkout_items(&c, checkout_input(&wanted)).await {
                    Ok(draft) => {
                        let draft = w
                            .change(
                                &c,
                                &draft.order,
                                DraftChange::SelectShippingOption(ShippingMethod::Standard),
                            )
                            .await;
                        w.oms.place_order(&c, draft.id.as_str(), None, None).await
                    }
                    Err(e) => Err(e),
                };
                match placed {
                    Ok(outcome) => {
                        assert!(i64::from(units) <= to_sell, "sold {units} of {to_sell}");
                        model.orders.push(Placed {
                            id: outcome.order.id,
                            buyer,
                            units: i64::from(units),
                            status: OrderStatus::Pending,
                        });
                    }
                    Err(AppError::User(e)) => {
                        assert_eq!(e.code, ErrorCode::OutOfStock, "{e:?}");
                        assert!(i64::from(units) > to_sell, "refused {units} of {to_sell}");
                    }
                    Err(other) => panic!("placing failed: {other:?}"),
                }
            }
            Step::Confirm { pick } => {
                if let Some(i) = model.pick(pick, &[OrderStatus::Pending]) {
                    let o = &mut model.orders[i];
                    ok(w.oms
                        .confirm_order(
                            &customer(A, &o.buyer),
                            o.id.as_str(),
                            PaymentMethod::CashOnDelivery,
                            None,
                        )
                        .await);
                    o.status = OrderStatus::Confirmed;
                }
            }
            Step::Cancel { pick } => {
                let open = [OrderStatus::Pending, OrderStatus::Confirmed];
                if let Some(i) = model.pick(pick, &open) {
                    let o = &mut model.orders[i];
                    ok(w.oms
                        .cancel_order(&customer(A, &o.buyer), o.id.as_str(), "changed my mind")
                        .await);
                    o.status = OrderStatus::Cancelled;
                }
            }
            Step::Ship { pick } => {
                if let Some(i) = model.pick(pick, &[OrderStatus::Confirmed]) {
                    let o = &mut model.orders[i];
                    ok(w.oms
                        .fulfil(&v, o.id.as_str(), Fulfilment::MarkAsShipped)
                        .await);
                    o.status = OrderStatus::Shipped;
                    model.warehouse -= o.units;
                }
            }
            Step::Restock { units } => {
                model.warehouse += units;
                let outcome = ok(w
                    .repo
                    .apply_product_snapshot(
                        &tenant(A),
                        product("MUG", 750, model.warehouse),
                        version,
                        clock.now(),
                    )
                    .await);
                assert_eq!(outcome, ApplyOutcome::Applied);
                model.applied_version = version;
            }
            Step::Late { age } => {
                let seen = model.seen[model.seen.len().saturating_sub(1 + age)];
                let outcome = ok(w
                    .repo
                    .apply_product_snapshot(
                        &tenant(A),
                        product("MUG", 750, seen.warehouse),
                        seen.version,
                        seen.at,
                    )
                    .await);
                let newer = seen.version > model.applied_version;
                let expected = if newer {
                    ApplyOutcome::Applied
                } else {
                    ApplyOutcome::Stale
                };
                assert_eq!(outcome, expected);
                model.applied_version = model.applied_version.max(seen.version);
            }
        }
        // The catalog's view of this moment, for a later step to deliver.
        model.seen.push(Observation {
            at: clock.now(),
            warehouse: model.warehouse,
            version,
        });

        let counters = w.counters(A, "MUG").await;
        // `w.stock` asserts the stored `available` equals on_hand − held − shipped.
        assert_eq!(w.stock(A, "MUG").await, counters.available());
        assert_eq!(
            counters.held,
            model.held(),
            "held = what open orders reserved"
        );
        assert!(model.warehouse >= 0);
        assert!(
            counters.held <= model.warehouse,
            "held {} of {} in the warehouse",
            counters.held,
            model.warehouse
        );
        assert!(
            counters.on_hand - counters.shipped <= model.warehouse,
            "{counters:?} counts more than the warehouse's {}",
            model.warehouse
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn stock_never_sells_a_unit_twice_whatever_the_snapshots_say(
        steps in prop::collection::vec(step(), 1..25)
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(run(steps));
    }
}
