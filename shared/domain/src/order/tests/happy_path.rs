use super::fixtures::*;
use crate::catalog::ShippingMethod;
use crate::error::ErrorCode;
use crate::order::{OrderEvent, OrderStatus, PaymentStatus};
use crate::pricing::CouponUsage;

/// Collects events and checks each change's version is the previous one + 1.
struct Journal {
    events: Vec<OrderEvent>,
}

impl Journal {
    fn record(&mut self, events: Vec<OrderEvent>) {
        let last = self.events.last().map_or(0, |e| e.version);
        assert!(
            events.iter().all(|e| e.version == last + 1),
            "versions go up by one per change"
        );
        self.events.extend(events);
    }

    fn trail(&self) -> Vec<(u64, &'static str, OrderStatus)> {
        self.events
            .iter()
            .map(|e| (e.version, e.kind.as_str(), e.status))
            .collect()
    }
}

#[test]
fn an_order_goes_from_checkout_to_completed() -> TestResult {
    use OrderStatus::*;
    let w = World::plain();
    let (mut order, events) = w.checkout(&[("TSHIRT", 2)], None)?;
    let mut j = Journal { events: vec![] };
    j.record(events);
    j.record(order.add_line_items(&w.items(&[("MUG", 1)]), &w.ctx(at(1)), at(1))?);
    j.record(order.change_quantity(&sku("MUG"), 2, &w.product("MUG"), &w.ctx(at(2)), at(2))?);
    j.record(order.change_destination(address("SG"), &w.ctx(at(3)), at(3))?);
    j.record(order.add_coupon(
        &code("SAVE10"),
        Some(&w.coupon("SAVE10")),
        CouponUsage::default(),
        &w.ctx(at(4)),
        at(4),
    )?);
    j.record(order.select_shipping_option(ShippingMethod::Standard, &w.ctx(at(5)), at(5))?);
    // 2 × 10.00 + 2 × 7.50 + 5.00 shipping, no offers, no tax.
    assert_eq!(order.pricing.total, sgd(4000));
    let usage = w.coupon_usage(&order);
    let (placement, events) = order.place(&w.snapshots(), &usage, &w.ctx(at(6)), at(6))?;
    j.record(events);
    assert_eq!(placement.stock.len(), 2);
    let (claim, events) = order.confirm(paypal(&order, sgd(4000)), at(7))?;
    j.record(events);
    assert!(claim.is_some());
    j.record(order.mark_shipped(at(8))?);
    j.record(order.add_tracking_reference("https://track.example.com/ORD-1", at(9))?);
    j.record(order.mark_completed(at(10))?);
    assert_eq!(
        j.trail(),
        vec![
            (1, "order.checked_out", Draft),
            (2, "order.line_items_added", Draft),
            (3, "order.quantity_changed", Draft),
            (4, "order.destination_changed", Draft),
            (5, "order.coupon_applied", Draft),
            (6, "order.shipping_option_selected", Draft),
            (7, "order.placed", Pending),
            (8, "order.confirmed", Confirmed),
            (9, "order.shipped", Shipped),
            (10, "order.tracking_reference_added", Shipped),
            (11, "order.completed", Completed),
        ]
    );
    assert_eq!(
        (order.version, order.updated_at, order.created_at),
        (11, at(10), t0())
    );
    assert_eq!(
        order.payment.as_ref().map(|p| (p.status, p.paid_amount)),
        Some((PaymentStatus::Paid, sgd(4000)))
    );
    assert!(order.stock_reserved, "a completed order keeps its stock");
    Ok(())
}

#[test]
fn a_cash_on_delivery_order_is_confirmed_unpaid_and_paid_on_completion() -> TestResult {
    let w = World::plain();
    let mut order = w.pending()?;
    let (claim, _) = order.confirm(cod(), at(3))?;
    assert_eq!(claim, None);
    assert_eq!(
        order.payment.as_ref().map(|p| p.status),
        Some(PaymentStatus::Unpaid)
    );
    order.mark_shipped(at(4))?;
    order.mark_completed(at(5))?;
    assert_eq!(
        order.payment.as_ref().map(|p| (p.status, p.paid_amount)),
        Some((PaymentStatus::Paid, order.pricing.total))
    );
    assert_eq!((order.status, order.version), (OrderStatus::Completed, 6));
    Ok(())
}

#[test]
fn one_payment_confirms_one_order() -> TestResult {
    let w = World::plain();
    let mut first = w.pending()?;
    let (claim, _) = first.confirm(paypal(&first, sgd(2500)), at(3))?;
    let claimed = claim.map(|c| c.transaction_id);
    // A second order presenting the same transaction: storage reports who claimed it.
    let (mut second, _) = w.checkout(&[("CAP", 1)], Some(address("SG")))?;
    second.id = order_id("ORD-2");
    second.select_shipping_option(ShippingMethod::Standard, &w.ctx(at(1)), at(1))?;
    w.place(&mut second, 2)?;
    let mut reuse = paypal(&second, second.pricing.total);
    reuse.transaction_id = claimed;
    reuse.already_used_by = Some(first.id.clone());
    rejected(&mut second, ErrorCode::PaymentAlreadyUsed, |o| {
        o.confirm(reuse, at(4))
    });
    assert_eq!(second.status, OrderStatus::Pending);
    Ok(())
}

#[test]
fn a_refund_after_completion_is_recorded_and_the_order_stays_completed() -> TestResult {
    let w = World::plain();
    let mut order = w.completed()?;
    order.record_refund(sgd(2500), at(6))?;
    assert_eq!((order.status, order.version), (OrderStatus::Completed, 7));
    assert_eq!(
        order.payment.map(|p| p.status),
        Some(PaymentStatus::Refunded)
    );
    Ok(())
}
