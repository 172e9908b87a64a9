use super::fixtures::*;
use crate::catalog::ShippingMethod;
use crate::money::Currency;
use crate::order::{
    OrderEvent, OrderEventKind, OrderStatus, PaymentMethod, PaymentStatus, PriceChange, SkuQuantity,
};

fn one_of_each() -> Vec<OrderEventKind> {
    let line = SkuQuantity {
        sku: sku("A"),
        quantity: 2,
    };
    vec![
        OrderEventKind::CheckedOut {
            customer_id: customer_id("c-1"),
            vendor_id: vendor_id("v-1"),
            currency: Currency::SGD,
            lines: vec![line.clone()],
            total: sgd(100),
        },
        OrderEventKind::LineItemsAdded {
            lines: vec![line.clone()],
        },
        OrderEventKind::LineItemsRemoved {
            skus: vec![sku("A")],
        },
        OrderEventKind::QuantityChanged {
            sku: sku("A"),
            previous: 1,
            quantity: 2,
        },
        OrderEventKind::DestinationChanged {
            destination: address("SG"),
        },
        OrderEventKind::CouponApplied {
            code: code("X"),
            offer_id: crate::ids::OfferId::new("o").unwrap_or_else(|_| unreachable!()),
        },
        OrderEventKind::CouponRemoved { code: code("X") },
        OrderEventKind::ShippingOptionSelected {
            method: ShippingMethod::Standard,
            cost: sgd(500),
        },
        OrderEventKind::ShippingOptionCleared {
            method: ShippingMethod::Standard,
            reason: "why".into(),
        },
        OrderEventKind::PricesRefreshed {
            changes: vec![PriceChange {
                sku: sku("A"),
                previous: sgd(1),
                current: sgd(2),
            }],
        },
        OrderEventKind::OrderPlaced {
            customer_id: customer_id("c-1"),
            vendor_id: vendor_id("v-1"),
            reserved: vec![line.clone()],
            coupons: vec![code("X")],
            total: sgd(100),
        },
        OrderEventKind::OrderConfirmed {
            method: PaymentMethod::Paypal,
            payment_status: PaymentStatus::Paid,
            paid_amount: sgd(100),
            transaction_id: Some("T".into()),
        },
        OrderEventKind::OrderShipped,
        OrderEventKind::TrackingReferenceAdded {
            tracking_reference: "https://t.example/1".into(),
        },
        OrderEventKind::OrderCompleted {
            paid_amount: sgd(100),
        },
        OrderEventKind::OrderCancelled {
            reason: "r".into(),
            released: vec![line],
            released_coupons: vec![code("X")],
        },
        OrderEventKind::PaymentRefunded {
            amount: sgd(1),
            refunded_total: sgd(1),
            fully_refunded: false,
        },
    ]
}

#[test]
fn every_event_kind_serializes_with_its_type_name_and_round_trips() -> TestResult {
    let kinds = one_of_each();
    let mut names: Vec<&str> = kinds.iter().map(OrderEventKind::as_str).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 17, "one sample per kind");
    for kind in kinds {
        let event = OrderEvent {
            kind: kind.clone(),
            order_id: order_id("ORD-1"),
            tenant: tenant(),
            version: 3,
            status: OrderStatus::Pending,
            occurred_at: t0(),
        };
        let json = serde_json::to_value(&event)?;
        assert_eq!(json["kind"]["type"], kind.as_str());
        assert!(kind.as_str().starts_with("order."));
        assert_eq!(
            (json["version"].as_u64(), json["status"].as_str()),
            (Some(3), Some("PENDING"))
        );
        let back: OrderEvent = serde_json::from_value(json)?;
        assert_eq!(back, event);
    }
    Ok(())
}
