//! Random command sequences from a fresh checkout. After every command:
//! (a) a status change is an edge of the transition table;
//! (b) a success adds exactly 1 to the version (and stamps its events with it), a failure
//!     changes nothing;
//! (c) a rejected command leaves the order byte-for-byte unchanged (`==` and JSON);
//! (d) total = subtotal − discount + shipping + tax;
//! plus: stock is held exactly from placement until cancellation, pricing is frozen once the
//! order left DRAFT, and a DRAFT's pricing is the engine's price of the order as it stands.

use proptest::prelude::*;

use super::fixtures::*;
use crate::catalog::ShippingMethod;
use crate::error::DomainResult;
use crate::money::{Currency, Money};
use crate::order::lifecycle::is_transition;
use crate::order::{
    Order, OrderEvent, OrderStatus, PaymentMethod, PaymentVerification, VerifiedPayment,
};
use crate::pricing::CouponUsage;

const SKUS: [&str; 9] = [
    "TSHIRT",
    "MUG",
    "CAP",
    "POSTER",
    "GIFT",
    "RETIRED",
    "USD-ITEM",
    "OTHER-VENDOR",
    "UNKNOWN",
];
const COUPONS: [&str; 7] = [
    "SAVE10",
    "LIMITED",
    "BIGSPEND",
    "EXPIRED",
    "ENDINGSOON",
    "EXTRA1",
    "NOPE",
];
const COUNTRIES: [&str; 3] = ["SG", "MY", "US"];
const REASONS: [&str; 3] = ["Changed my mind", "   ", ""];
const URLS: [&str; 4] = [
    "https://track.example.com/1",
    "ftp://x.example",
    "https://bad host",
    "http://[::1]:8080/t",
];

#[derive(Debug, Clone)]
enum Cmd {
    Add(Vec<(usize, u32)>),
    Remove(Vec<usize>),
    ChangeQuantity {
        sku: usize,
        quantity: u32,
    },
    Destination(usize),
    AddCoupon {
        coupon: usize,
        used: u32,
    },
    RemoveCoupon(usize),
    Select(usize),
    Refresh {
        price_delta: i64,
    },
    Place {
        stock_cut: i64,
        used: u32,
        price_delta: i64,
    },
    Confirm {
        method: usize,
        transaction: usize,
        amount_delta: i64,
        own: bool,
        succeeded: bool,
        used_elsewhere: bool,
        usd: bool,
    },
    Cancel(usize),
    Ship,
    Track(usize),
    Complete,
    Refund(i64),
    CheckVersion(u64),
}

fn qty() -> impl Strategy<Value = u32> {
    prop_oneof![8 => 1u32..4, 1 => Just(0u32), 1 => 4u32..40]
}

fn cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        2 => prop::collection::vec((0..SKUS.len(), qty()), 0..3).prop_map(Cmd::Add),
        1 => prop::collection::vec(0..SKUS.len(), 0..3).prop_map(Cmd::Remove),
        2 => (0..SKUS.len(), qty()).prop_map(|(sku, quantity)| Cmd::ChangeQuantity { sku, quantity }),
        1 => (0..COUNTRIES.len()).prop_map(Cmd::Destination),
        2 => (0..COUPONS.len(), prop_oneof![3 => Just(0u32), 1 => 0u32..3]).prop_map(|(coupon, used)| Cmd::AddCoupon { coupon, used }),
        1 => (0..COUPONS.len()).prop_map(Cmd::RemoveCoupon),
        4 => prop_oneof![3 => Just(0usize), 1 => 0..ShippingMethod::ALL.len()].prop_map(Cmd::Select),
        1 => (-300i64..300).prop_map(|price_delta| Cmd::Refresh { price_delta }),
        5 => (prop_oneof![4 => Just(0i64), 1 => 0i64..150], prop_oneof![4 => Just(0u32), 1 => 0u32..3], prop_oneof![4 => Just(0i64), 1 => -300i64..300])
            .prop_map(|(stock_cut, used, price_delta)| Cmd::Place { stock_cut, used, price_delta }),
        5 => (
            prop_oneof![3 => Just(0usize), 1 => 0usize..3],
            prop_oneof![4 => Just(0usize), 1 => 0usize..3],
            prop_oneof![3 => Just(0i64), 1 => -200i64..200],
            prop_oneof![5 => Just(true), 1 => Just(false)],
            prop_oneof![5 => Just(true), 1 => Just(false)],
            prop_oneof![5 => Just(false), 1 => Just(true)],
            prop_oneof![9 => Just(false), 1 => Just(true)],
        )
            .prop_map(|(method, transaction, amount_delta, own, succeeded, used_elsewhere, usd)| Cmd::Confirm {
                method,
                transaction,
                amount_delta,
                own,
                succeeded,
                used_elsewhere,
                usd
            }),
        2 => (0..REASONS.len()).prop_map(Cmd::Cancel),
        4 => Just(Cmd::Ship),
        2 => (0..URLS.len()).prop_map(Cmd::Track),
        4 => Just(Cmd::Complete),
        1 => (0i64..3000).prop_map(Cmd::Refund),
        1 => (0u64..20).prop_map(Cmd::CheckVersion),
    ]
}

fn product(w: &World, index: usize) -> crate::catalog::Product {
    let name = SKUS[index % SKUS.len()];
    w.products
        .iter()
        .find(|p| p.sku.as_str() == name)
        .cloned()
        .unwrap_or_else(|| product_of("v-1", name, sgd(100), 0))
}

fn shifted(money: Money, delta: i64) -> Money {
    Money::from_minor((money.minor() + delta).max(0), money.currency())
}

/// Runs one command; `Ok(events)` on success.
fn run(cmd: &Cmd, order: &mut Order, w: &World, step: i64) -> DomainResult<Vec<OrderEvent>> {
    let now = at(step);
    let ctx = w.ctx(now);
    match cmd {
        Cmd::Add(items) => {
            let items: Vec<_> = items.iter().map(|(i, q)| (product(w, *i), *q)).collect();
            order.add_line_items(&items, &ctx, now)
        }
        Cmd::Remove(indices) => {
            let skus: Vec<_> = indices.iter().map(|i| sku(SKUS[*i])).collect();
            order.remove_line_items(&skus, &ctx, now)
        }
        Cmd::ChangeQuantity { sku: i, quantity } => {
            order.change_quantity(&sku(SKUS[*i]), *quantity, &product(w, *i), &ctx, now)
        }
        Cmd::Destination(i) => order.change_destination(address(COUNTRIES[*i]), &ctx, now),
        Cmd::AddCoupon { coupon, used } => {
            let code_text = COUPONS[*coupon];
            let snapshot = w.coupons.iter().find(|c| c.code.as_str() == code_text);
            let usage = CouponUsage {
                total_used: *used,
                customer_used: 0,
            };
            order.add_coupon(&code(code_text), snapshot, usage, &ctx, now)
        }
        Cmd::RemoveCoupon(i) => order.remove_coupon(&code(COUPONS[*i]), &ctx, now),
        Cmd::Select(i) => order.select_shipping_option(ShippingMethod::ALL[*i], &ctx, now),
        Cmd::Refresh { price_delta } => {
            let mut snapshots = w.snapshots();
            snapshots[0].price = shifted(snapshots[0].price, *price_delta);
            order.refresh_prices(&snapshots, &ctx, now)
        }
        Cmd::Place {
            stock_cut,
            used,
            price_delta,
        } => {
            let mut snapshots = w.snapshots();
            for p in &mut snapshots {
                p.stock -= stock_cut;
            }
            snapshots[0].price = shifted(snapshots[0].price, *price_delta);
            let coupons: Vec<_> = w
                .coupon_usage(order)
                .into_iter()
                .map(|(c, _)| {
                    (
                        c,
                        CouponUsage {
                            total_used: *used,
                            customer_used: *used,
                        },
                    )
                })
                .collect();
            order.place(&snapshots, &coupons, &ctx, now).map(|(_, e)| e)
        }
        Cmd::Confirm {
            method,
            transaction,
            amount_delta,
            own,
            succeeded,
            used_elsewhere,
            usd,
        } => {
            let methods = [
                PaymentMethod::Paypal,
                PaymentMethod::Stripe,
                PaymentMethod::CashOnDelivery,
            ];
            let mut amount = shifted(order.pricing.total, *amount_delta);
            if *usd {
                amount = Money::from_minor(amount.minor(), Currency::USD);
            }
            let payment = PaymentVerification {
                method: methods[*method],
                transaction_id: [Some("TXN-1"), Some(" "), None][*transaction].map(str::to_string),
                verified: Some(VerifiedPayment {
                    order_id: if *own {
                        order.id.clone()
                    } else {
                        order_id("ORD-OTHER")
                    },
                    amount,
                    succeeded: *succeeded,
                }),
                already_used_by: used_elsewhere.then(|| order_id("ORD-OTHER")),
            };
            order.confirm(payment, now).map(|(_, e)| e)
        }
        Cmd::Cancel(i) => order.cancel(REASONS[*i], now).map(|(_, e)| e),
        Cmd::Ship => order.mark_shipped(now),
        Cmd::Track(i) => order.add_tracking_reference(URLS[*i], now),
        Cmd::Complete => order.mark_completed(now),
        Cmd::Refund(minor) => order.record_refund(sgd(*minor), now),
        Cmd::CheckVersion(v) => order.check_version(Some(*v)).map(|()| vec![]),
    }
}

fn holds_stock(status: OrderStatus) -> bool {
    matches!(
        status,
        OrderStatus::Pending
            | OrderStatus::Confirmed
            | OrderStatus::Shipped
            | OrderStatus::Completed
    )
}

fn check_sequence(
    offers: bool,
    destination: bool,
    cmds: &[(Cmd, i64)],
) -> Result<(), TestCaseError> {
    let w = if offers {
        World::with_offers()
    } else {
        World::plain()
    };
    let start = destination.then(|| address("SG"));
    let (mut order, _) = w
        .checkout(&[("TSHIRT", 2), ("MUG", 1)], start)
        .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
    let mut step = 0;
    for (cmd, minutes) in cmds {
        step += minutes;
        let before = order.clone();
        let before_json =
            serde_json::to_string(&order).map_err(|e| TestCaseError::fail(e.to_string()))?;
        match run(cmd, &mut order, &w, step) {
            Ok(events) if events.is_empty() => {
                // Only a no-op (refreshing unchanged prices, checking the version) succeeds without events.
                prop_assert!(
                    matches!(cmd, Cmd::Refresh { .. } | Cmd::CheckVersion(_)),
                    "{cmd:?}"
                );
                prop_assert_eq!(&order, &before);
            }
            Ok(events) => {
                prop_assert_eq!(order.version, before.version + 1, "{:?}", cmd);
                prop_assert_eq!(order.updated_at, at(step));
                for e in &events {
                    prop_assert_eq!(
                        (e.version, e.status, &e.order_id, e.occurred_at),
                        (order.version, order.status, &order.id, at(step))
                    );
                }
                if order.status != before.status {
                    prop_assert!(
                        is_transition(before.status, order.status),
                        "{:?} -> {:?}",
                        before.status,
                        order.status
                    );
                }
                if order.status == OrderStatus::Draft {
                    let expected = expected_pricing(&order, &w.ctx(at(step)))
                        .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
                    prop_assert_eq!(
                        &order.pricing,
                        &expected,
                        "a DRAFT is priced by the engine after {:?}",
                        cmd
                    );
                    prop_assert_eq!(
                        order.shipping_method,
                        order.pricing.shipping.as_ref().map(|q| q.method)
                    );
                }
            }
            Err(_) => {
                prop_assert_eq!(&order, &before, "{:?}", cmd);
                let after_json = serde_json::to_string(&order)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(after_json, before_json);
            }
        }
        prop_assert!(totals_add_up(&order), "{:?}", order.pricing);
        prop_assert_eq!(order.stock_reserved, holds_stock(order.status));
        if before.status != OrderStatus::Draft {
            let frozen = (
                &before.pricing.subtotal,
                &before.pricing.total,
                &before.line_items,
                &before.coupons,
            );
            prop_assert_eq!(
                (
                    &order.pricing.subtotal,
                    &order.pricing.total,
                    &order.line_items,
                    &order.coupons
                ),
                frozen
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_command_sequences_keep_the_order_consistent(
        offers in any::<bool>(),
        destination in prop_oneof![4 => Just(true), 1 => Just(false)],
        cmds in prop::collection::vec((cmd(), 0i64..90), 1..40),
    ) {
        check_sequence(offers, destination, &cmds)?;
    }
}

/// The generator reaches every status (so the properties above are exercised beyond DRAFT).
#[test]
fn the_generator_reaches_every_status() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = prop::collection::vec((cmd(), 0i64..90), 1..40);
    let mut reached = std::collections::BTreeSet::new();
    let w = World::plain();
    for _ in 0..400 {
        let Ok(tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        let Ok((mut order, _)) = w.checkout(&[("TSHIRT", 2), ("MUG", 1)], Some(address("SG")))
        else {
            continue;
        };
        let mut step = 0;
        for (cmd, minutes) in tree.current() {
            step += minutes;
            let _ = run(&cmd, &mut order, &w, step);
            reached.insert(order.status);
        }
    }
    assert_eq!(reached.len(), OrderStatus::ALL.len(), "{reached:?}");
}
