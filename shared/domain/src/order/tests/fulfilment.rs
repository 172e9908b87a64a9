use super::fixtures::*;
use crate::error::ErrorCode;
use crate::order::tracking::validate_tracking_reference;
use crate::order::{OrderEventKind, OrderStatus, PaymentStatus, MAX_TRACKING_REFERENCE_LEN};

#[test]
fn a_confirmed_order_is_marked_shipped() -> TestResult {
    let w = World::plain();
    let mut order = w.confirmed()?;
    let events = order.mark_shipped(at(4))?;
    assert_eq!((order.status, order.version), (OrderStatus::Shipped, 5));
    assert_eq!(events[0].kind, OrderEventKind::OrderShipped);
    assert_stamped(&events, &order, at(4));
    Ok(())
}

#[test]
fn shipping_moves_what_placement_reserved_and_nothing_for_an_order_that_reserved_nothing(
) -> TestResult {
    let w = World::plain();
    let mut order = w.confirmed()?;
    let reserved = order.stock_reservations()?;
    assert!(!reserved.is_empty());
    order.mark_shipped(at(4))?;
    assert_eq!(order.shipped_stock()?, reserved);
    let mut old = w.confirmed()?;
    old.stock_reserved = false; // stored before reservations existed
    old.mark_shipped(at(4))?;
    assert_eq!(old.shipped_stock()?, vec![]);
    Ok(())
}

#[test]
fn only_a_confirmed_order_can_be_shipped() -> TestResult {
    let w = World::plain();
    for mut order in w.every_status()? {
        if order.status == OrderStatus::Confirmed {
            continue;
        }
        let e = rejected(&mut order, ErrorCode::InvalidState, |o| {
            o.mark_shipped(at(9))
        });
        assert!(
            e.message
                .starts_with("Only confirm order can mark as shipped."),
            "{}",
            e.message
        );
    }
    Ok(())
}

#[test]
fn a_shipped_order_gets_a_tracking_reference() -> TestResult {
    let w = World::plain();
    let mut order = w.shipped()?;
    let events =
        order.add_tracking_reference("  https://track.example.com/p/123?x=1#top ", at(5))?;
    let url = "https://track.example.com/p/123?x=1#top".to_string();
    assert_eq!(order.tracking_reference.as_ref(), Some(&url));
    assert_eq!(
        events[0].kind,
        OrderEventKind::TrackingReferenceAdded {
            tracking_reference: url
        }
    );
    assert_stamped(&events, &order, at(5));
    // A second reference replaces the first.
    order.add_tracking_reference("http://carrier.example/2", at(6))?;
    assert_eq!(
        order.tracking_reference.as_deref(),
        Some("http://carrier.example/2")
    );
    Ok(())
}

#[test]
fn only_a_shipped_order_can_get_a_tracking_reference() -> TestResult {
    let w = World::plain();
    for mut order in w.every_status()? {
        if order.status == OrderStatus::Shipped {
            continue;
        }
        let e = rejected(&mut order, ErrorCode::InvalidState, |o| {
            o.add_tracking_reference("https://t.example/1", at(9))
        });
        assert_eq!(e.message, "Only shipped order can add tracking reference.");
    }
    Ok(())
}

#[test]
fn an_invalid_tracking_reference_is_refused() -> TestResult {
    let w = World::plain();
    let mut order = w.shipped()?;
    let label_too_long = format!("https://{}.example.com/", "a".repeat(64));
    let too_long = format!(
        "https://t.example/{}",
        "a".repeat(MAX_TRACKING_REFERENCE_LEN)
    );
    for bad in [
        "",
        "   ",
        "track.example.com/1",
        "ftp://track.example.com/1",
        "https://",
        "https:///path",
        "https://track example.com/1",
        "https://track.example.com/a b",
        "https://user:pw@track.example.com/1",
        "https://-bad-.example.com",
        "https://-bad.example.com",
        "https://bad-.example.com",
        "https://user@track.example.com/1",
        "https://track.example.com:+80/1",
        label_too_long.as_str(),
        "https://a..b/1",
        "https://track.example.com:0/1",
        "https://track.example.com:99999/1",
        "https://track.example.com:80a/1",
        "https://[zz::1]/1",
        "javascript:alert(1)",
        too_long.as_str(),
    ] {
        let e = rejected(&mut order, ErrorCode::InvalidTrackingReference, |o| {
            o.add_tracking_reference(bad, at(5))
        });
        assert_eq!(field(&e), vec!["trackingReference"], "{bad}");
    }
    Ok(())
}

#[test]
fn the_tracking_validator_accepts_real_urls() {
    let longest = format!(
        "https://t.example/{}",
        "a".repeat(MAX_TRACKING_REFERENCE_LEN - "https://t.example/".len())
    );
    let longest_label = format!("https://{}.example.com/", "a".repeat(63));
    for good in [
        "https://track.example.com",
        "HTTPS://Track.Example.com/x",
        "http://localhost:8080/track?id=1",
        "https://[2001:db8::1]:443/t",
        "https://xn--bcher-kva.example/p",
        "https://a-b.example/p",
        "https://carrier.example/t/%20id",
        longest.as_str(),
        longest_label.as_str(),
    ] {
        assert_eq!(
            validate_tracking_reference(good).ok().as_deref(),
            Some(good),
            "{good}"
        );
    }
}

#[test]
fn a_fully_paid_shipped_order_is_completed() -> TestResult {
    let w = World::plain();
    let mut order = w.shipped()?;
    let events = order.mark_completed(at(5))?;
    assert_eq!((order.status, order.version), (OrderStatus::Completed, 6));
    assert_eq!(
        events[0].kind,
        OrderEventKind::OrderCompleted {
            paid_amount: sgd(2500)
        }
    );
    assert_stamped(&events, &order, at(5));
    Ok(())
}

#[test]
fn only_a_shipped_order_can_be_completed() -> TestResult {
    let w = World::plain();
    for mut order in w.every_status()? {
        if order.status == OrderStatus::Shipped {
            continue;
        }
        let e = rejected(&mut order, ErrorCode::InvalidState, |o| {
            o.mark_completed(at(9))
        });
        assert!(
            e.message
                .starts_with("Only shipped order can mark as completed."),
            "{}",
            e.message
        );
    }
    Ok(())
}

#[test]
fn completing_cash_on_delivery_records_the_cash_collected() -> TestResult {
    let w = World::plain();
    let mut order = w.pending()?;
    order.confirm(cod(), at(3))?;
    order.mark_shipped(at(4))?;
    let events = order.mark_completed(at(5))?;
    assert_eq!(order.status, OrderStatus::Completed);
    assert_eq!(
        order.payment.as_ref().map(|p| (p.status, p.paid_amount)),
        Some((PaymentStatus::Paid, sgd(2500)))
    );
    assert_eq!(
        events[0].kind,
        OrderEventKind::OrderCompleted {
            paid_amount: sgd(2500)
        }
    );
    Ok(())
}

#[test]
fn an_order_with_outstanding_payment_cannot_be_completed() -> TestResult {
    let w = World::plain();
    // Fully refunded while shipped.
    let mut refunded = w.shipped()?;
    refunded.record_refund(sgd(2500), at(5))?;
    let e = rejected(&mut refunded, ErrorCode::InvalidState, |o| {
        o.mark_completed(at(6))
    });
    assert_eq!(
        e.message,
        "Cannot mark as completed with outstanding payments."
    );
    // Paid less than the total (stored data; confirm never allows it).
    let mut short = w.shipped()?;
    if let Some(p) = short.payment.as_mut() {
        p.paid_amount = sgd(2000);
    }
    let e = rejected(&mut short, ErrorCode::InvalidState, |o| {
        o.mark_completed(at(6))
    });
    assert!(
        e.message
            .starts_with("Cannot mark as completed with outstanding payments."),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("20.00 SGD") && e.message.contains("25.00 SGD"),
        "{}",
        e.message
    );
    // No payment at all (stored data).
    let mut none = w.shipped()?;
    none.payment = None;
    rejected(&mut none, ErrorCode::InvalidState, |o| {
        o.mark_completed(at(6))
    });
    // A partial refund does not block completion.
    let mut partial = w.shipped()?;
    partial.record_refund(sgd(100), at(5))?;
    partial.mark_completed(at(6))?;
    Ok(())
}
