//! A small world (vendor, catalog, coupons, shipping options) and orders in every status.
//!
//! The plain world has no offers and no tax, so exact totals are known: goods + shipping.
//! Standard shipping costs 5.00 SGD (domestic only, up to 30 kg); Express costs 20.00 SGD
//! (international allowed, order by 17:00 UTC).

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::str::FromStr;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;

use crate::address::Address;
use crate::catalog::{
    Coupon, LocalTime, Offer, OfferConditions, OfferKind, Package, Product, ShippingConditions,
    ShippingMethod, ShippingOptionRule, Vendor,
};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::ids::{CouponCode, CustomerId, OfferId, OrderId, ProductId, Sku, TenantId, VendorId};
use crate::money::{Currency, Money};
use crate::order::{
    CustomerDetails, Order, OrderEvent, PaymentMethod, PaymentVerification, Placement,
    VerifiedPayment,
};
use crate::pricing::{self, CouponUsage, PricingContext, PricingInput, TaxRule, TaxTable};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// 2025-06-02 10:00 UTC.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 2, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

/// `t0()` plus `minutes`.
pub fn at(minutes: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(minutes)
}

pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_default()
}

pub fn sgd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::SGD)
}

pub fn sku(s: &str) -> Sku {
    Sku::new(s).unwrap_or_else(|_| unreachable!())
}

pub fn code(s: &str) -> CouponCode {
    CouponCode::new(s).unwrap_or_else(|_| unreachable!())
}

pub fn vendor_id(s: &str) -> VendorId {
    VendorId::new(s).unwrap_or_else(|_| unreachable!())
}

pub fn order_id(s: &str) -> OrderId {
    OrderId::new(s).unwrap_or_else(|_| unreachable!())
}

pub fn customer_id(s: &str) -> CustomerId {
    CustomerId::new(s).unwrap_or_else(|_| unreachable!())
}

pub fn tenant() -> TenantId {
    TenantId::new("t-1").unwrap_or_else(|_| unreachable!())
}

pub fn address(country: &str) -> Address {
    Address::new("1 Main St", "Singapore", None, "018956", country)
        .unwrap_or_else(|_| unreachable!())
}

pub fn customer() -> CustomerDetails {
    CustomerDetails {
        customer_id: customer_id("c-1"),
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        email: Some("ada@example.com".into()),
    }
}

pub fn product_of(vendor: &str, sku_text: &str, price: Money, stock: i64) -> Product {
    Product {
        product_id: ProductId::new(&format!("p-{sku_text}")).unwrap_or_else(|_| unreachable!()),
        vendor_id: vendor_id(vendor),
        sku: sku(sku_text),
        name: format!("{sku_text} product"),
        category: Some("Things".into()),
        options: BTreeMap::from([("Size".to_string(), "M".to_string())]),
        price,
        stock,
        package: Package {
            weight_kg: dec("1.0"),
            dimensions_cm: [10, 10, 10],
        },
        is_active: true,
        is_taxable: true,
    }
}

pub fn coupon(code_text: &str, offer: &str) -> Coupon {
    Coupon {
        vendor_id: vendor_id("v-1"),
        code: code(code_text),
        offer_id: OfferId::new(offer).unwrap_or_else(|_| unreachable!()),
        starts_at: None,
        ends_at: None,
        is_active: true,
        usage_limit: None,
        per_customer_limit: None,
        minimum_subtotal: None,
    }
}

fn shipping_rule(
    method: ShippingMethod,
    base_minor: i64,
    conditions: ShippingConditions,
) -> ShippingOptionRule {
    ShippingOptionRule {
        vendor_id: vendor_id("v-1"),
        method,
        delivery_time: "2-3 Days".into(),
        base_cost: sgd(base_minor),
        flat_rate: sgd(0),
        conditions,
        is_active: true,
    }
}

/// Snapshots the aggregate decides from.
#[derive(Debug, Clone)]
pub struct World {
    pub vendor: Vendor,
    pub products: Vec<Product>,
    pub offers: Vec<Offer>,
    pub coupons: Vec<Coupon>,
    pub shipping: Vec<ShippingOptionRule>,
    pub tax: TaxTable,
}

impl World {
    /// No offers, no tax: totals are goods + shipping.
    pub fn plain() -> World {
        let p = |s: &str, minor: i64, stock: i64| product_of("v-1", s, sgd(minor), stock);
        let mut retired = p("RETIRED", 500, 10);
        retired.is_active = false;
        let mut limited = coupon("LIMITED", "o-limited");
        limited.usage_limit = Some(1);
        let mut big = coupon("BIGSPEND", "o-big");
        big.minimum_subtotal = Some(dec("1000"));
        let mut expired = coupon("EXPIRED", "o-expired");
        expired.ends_at = Some(t0() - Duration::days(1));
        let mut ending = coupon("ENDINGSOON", "o-ending");
        ending.ends_at = Some(at(30));
        let extra =
            ["EXTRA1", "EXTRA2", "EXTRA3", "EXTRA4", "EXTRA5"].map(|c| coupon(c, "o-extra"));
        World {
            vendor: Vendor {
                vendor_id: vendor_id("v-1"),
                name: "Vendor One".into(),
                country: address("SG").country,
                is_active: true,
            },
            products: vec![
                p("TSHIRT", 1000, 100),
                p("MUG", 750, 5),
                p("CAP", 1200, 50),
                p("POSTER", 300, 1),
                p("GIFT", 900, 10),
                retired,
                product_of(
                    "v-1",
                    "USD-ITEM",
                    Money::from_minor(1000, Currency::USD),
                    10,
                ),
                product_of("v-2", "OTHER-VENDOR", sgd(1000), 10),
            ],
            offers: vec![],
            coupons: [coupon("SAVE10", "o-save10"), limited, big, expired, ending]
                .into_iter()
                .chain(extra)
                .collect(),
            shipping: vec![
                shipping_rule(
                    ShippingMethod::Standard,
                    500,
                    ShippingConditions {
                        max_weight: Some(dec("30")),
                        ..ShippingConditions::default()
                    },
                ),
                shipping_rule(
                    ShippingMethod::Express,
                    2000,
                    ShippingConditions {
                        cutoff_time: LocalTime::parse("17:00"),
                        ..ShippingConditions::default()
                    },
                ),
            ],
            tax: TaxTable::default(),
        }
    }

    /// The plain world plus a 10 % coupon offer on SAVE10, a free GIFT for 3+ units, free
    /// shipping from 50.00 and 9 % GST in Singapore (shipping taxable).
    pub fn with_offers() -> World {
        let mut w = World::plain();
        let offer =
            |id: &str, kind: OfferKind, value: &str, conditions: OfferConditions, coupon: bool| {
                Offer {
                    offer_id: OfferId::new(id).unwrap_or_else(|_| unreachable!()),
                    vendor_id: vendor_id("v-1"),
                    name: format!("Offer {id}"),
                    kind,
                    discount_value: dec(value),
                    conditions,
                    required_coupon: coupon,
                    stackable: true,
                    priority: 1,
                    starts_at: None,
                    ends_at: None,
                    is_active: true,
                }
            };
        w.offers = vec![
            offer(
                "o-save10",
                OfferKind::CouponDiscount,
                "10",
                OfferConditions::default(),
                true,
            ),
            offer(
                "o-gift",
                OfferKind::FreeGift,
                "0",
                OfferConditions {
                    minimum_quantity: Some(3),
                    gift_products: vec![crate::catalog::GiftProduct {
                        sku: sku("GIFT"),
                        quantity: 1,
                        name: None,
                    }],
                    ..OfferConditions::default()
                },
                false,
            ),
            offer(
                "o-ship",
                OfferKind::FreeShipping,
                "0",
                OfferConditions {
                    minimum_order_total: Some(dec("50")),
                    ..OfferConditions::default()
                },
                false,
            ),
        ];
        w.tax = TaxTable {
            rules: vec![TaxRule {
                country: address("SG").country,
                region: None,
                name: "GST".into(),
                rate: dec("9"),
                shipping_taxable: true,
            }],
        };
        w
    }

    pub fn ctx(&self, now: DateTime<Utc>) -> PricingContext<'_> {
        PricingContext {
            vendor: &self.vendor,
            offers: &self.offers,
            coupons: &self.coupons,
            shipping_options: &self.shipping,
            tax_table: &self.tax,
            prices_include_tax: false,
            now,
        }
    }

    pub fn product(&self, sku_text: &str) -> Product {
        self.products
            .iter()
            .find(|p| p.sku.as_str() == sku_text)
            .cloned()
            .unwrap_or_else(|| unreachable!())
    }

    pub fn coupon(&self, code_text: &str) -> Coupon {
        self.coupons
            .iter()
            .find(|c| c.code.as_str() == code_text)
            .cloned()
            .unwrap_or_else(|| unreachable!())
    }

    pub fn items(&self, wanted: &[(&str, u32)]) -> Vec<(Product, u32)> {
        wanted.iter().map(|(s, q)| (self.product(s), *q)).collect()
    }

    /// Fresh snapshots of every product of the world (what placeOrder loads).
    pub fn snapshots(&self) -> Vec<Product> {
        self.products.clone()
    }

    /// Snapshot + zero usage for every coupon on the order.
    pub fn coupon_usage(&self, order: &Order) -> Vec<(Option<Coupon>, CouponUsage)> {
        order
            .coupons
            .iter()
            .map(|c| {
                (
                    self.coupons.iter().find(|s| s.code == c.code).cloned(),
                    CouponUsage::default(),
                )
            })
            .collect()
    }

    pub fn checkout(
        &self,
        items: &[(&str, u32)],
        destination: Option<Address>,
    ) -> DomainResult<(Order, Vec<OrderEvent>)> {
        Order::checkout(
            order_id("ORD-1"),
            tenant(),
            customer(),
            &self.vendor,
            &self.items(items),
            destination,
            &self.ctx(t0()),
            t0(),
        )
    }

    /// 2 × TSHIRT to Singapore, version 1.
    pub fn draft(&self) -> DomainResult<Order> {
        self.checkout(&[("TSHIRT", 2)], Some(address("SG")))
            .map(|(o, _)| o)
    }

    /// The draft with Standard shipping selected (version 2).
    pub fn ready(&self) -> DomainResult<Order> {
        let mut o = self.draft()?;
        o.select_shipping_option(ShippingMethod::Standard, &self.ctx(at(1)), at(1))?;
        Ok(o)
    }

    pub fn place(&self, order: &mut Order, minutes: i64) -> DomainResult<Placement> {
        let coupons = self.coupon_usage(order);
        order
            .place(
                &self.snapshots(),
                &coupons,
                &self.ctx(at(minutes)),
                at(minutes),
            )
            .map(|(p, _)| p)
    }

    /// PENDING (version 3).
    pub fn pending(&self) -> DomainResult<Order> {
        let mut o = self.ready()?;
        self.place(&mut o, 2)?;
        Ok(o)
    }

    /// CONFIRMED with PayPal for exactly the total (version 4).
    pub fn confirmed(&self) -> DomainResult<Order> {
        let mut o = self.pending()?;
        o.confirm(paypal(&o, o.pricing.total), at(3))?;
        Ok(o)
    }

    /// SHIPPED (version 5).
    pub fn shipped(&self) -> DomainResult<Order> {
        let mut o = self.confirmed()?;
        o.mark_shipped(at(4))?;
        Ok(o)
    }

    /// COMPLETED (version 6).
    pub fn completed(&self) -> DomainResult<Order> {
        let mut o = self.shipped()?;
        o.mark_completed(at(5))?;
        Ok(o)
    }

    /// CANCELLED from PENDING (version 4).
    pub fn cancelled(&self) -> DomainResult<Order> {
        let mut o = self.pending()?;
        o.cancel("Changed my mind", at(3))?;
        Ok(o)
    }

    /// One order in each status.
    pub fn every_status(&self) -> DomainResult<Vec<Order>> {
        Ok(vec![
            self.draft()?,
            self.pending()?,
            self.confirmed()?,
            self.shipped()?,
            self.completed()?,
            self.cancelled()?,
        ])
    }
}

/// A PayPal payment for `order` of `amount`, verified and succeeded, never used before.
pub fn paypal(order: &Order, amount: Money) -> PaymentVerification {
    PaymentVerification {
        method: PaymentMethod::Paypal,
        transaction_id: Some("TXN-1".into()),
        verified: Some(VerifiedPayment {
            order_id: order.id.clone(),
            amount,
            succeeded: true,
        }),
        already_used_by: None,
    }
}

pub fn cod() -> PaymentVerification {
    PaymentVerification {
        method: PaymentMethod::CashOnDelivery,
        transaction_id: None,
        verified: None,
        already_used_by: None,
    }
}

/// The engine's price for the order as it stands (with its shipping selection).
pub fn expected_pricing(
    order: &Order,
    ctx: &PricingContext<'_>,
) -> DomainResult<pricing::PriceBreakdown> {
    let codes: Vec<CouponCode> = order.coupons.iter().map(|c| c.code.clone()).collect();
    let input = PricingInput {
        currency: order.currency,
        lines: &order.line_items,
        destination: order.destination.as_ref(),
        coupons: &codes,
        selected_shipping: order.shipping_method,
    };
    pricing::price(&input, ctx).map(|p| p.breakdown)
}

/// total = subtotal − discount + shipping + tax.
pub fn totals_add_up(order: &Order) -> bool {
    let p = &order.pricing;
    p.subtotal.minor() - p.discount_total.minor() + p.shipping_cost.minor() + p.tax_total.minor()
        == p.total.minor()
}

/// Runs a command expected to fail with `code` and checks the order did not change at all
/// (`==` and its JSON). Returns the error for further checks.
pub fn rejected<T: Debug>(
    order: &mut Order,
    code: ErrorCode,
    command: impl FnOnce(&mut Order) -> DomainResult<T>,
) -> DomainError {
    let before = order.clone();
    let json = serde_json::to_string(&before).unwrap_or_default();
    let error = match command(order) {
        Ok(v) => panic!("expected {code:?}, the command succeeded with {v:?}"),
        Err(e) => e,
    };
    assert_eq!(error.code, code, "{error:?}");
    assert_eq!(*order, before, "a rejected command changed the order");
    assert_eq!(
        serde_json::to_string(order).unwrap_or_default(),
        json,
        "a rejected command changed the order's JSON"
    );
    error
}

/// The error of a command that creates an order (nothing to compare).
pub fn error_of<T: Debug>(result: DomainResult<T>) -> DomainError {
    match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e,
    }
}

pub fn field(e: &DomainError) -> Vec<&str> {
    e.field.iter().flatten().map(String::as_str).collect()
}

pub fn kinds(events: &[OrderEvent]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

/// Every event is stamped with the order's identity, version, status and the command's time.
pub fn assert_stamped(events: &[OrderEvent], order: &Order, now: DateTime<Utc>) {
    assert!(!events.is_empty(), "a change emits at least one event");
    for e in events {
        assert_eq!(
            (&e.order_id, &e.tenant, e.version, e.status, e.occurred_at),
            (&order.id, &order.tenant, order.version, order.status, now)
        );
    }
}
