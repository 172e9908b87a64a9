//! Output types of orders, mirroring the contract (plus `Order.shippingNotice` and
//! `PaymentDetails.refundedAmount`).

use async_graphql::{Object, Result, SimpleObject, ID};
use oms_domain::address::Address as DomainAddress;
use oms_domain::money::Money as DomainMoney;
use oms_domain::order::{
    LineItem as DomainLineItem, Order as DomainOrder, PaymentDetails as DomainPayment,
};
use oms_domain::pricing::ShippingQuote;

use super::enums::{OrderStatus, PaymentMethod, PaymentStatus, ShippingMethod};
use crate::scalars::{DateTime, Decimal};

/// An exact amount in one currency.
pub struct Money(pub DomainMoney);

#[Object(name = "Money")]
impl Money {
    /// Decimal string at the currency's minor-unit scale ("12.50" SGD, "1250" JPY).
    async fn amount(&self) -> Decimal {
        Decimal::amount(&self.0)
    }

    /// ISO-4217 code, e.g. "SGD".
    async fn currency(&self) -> String {
        self.0.currency().code().to_string()
    }
}

/// A postal address (country as an ISO 3166-1 alpha-2 code).
#[derive(SimpleObject)]
#[graphql(name = "Address")]
pub struct Address {
    pub street: String,
    pub city: String,
    pub state: Option<String>,
    pub postal: String,
    pub country: String,
}

impl From<&DomainAddress> for Address {
    fn from(a: &DomainAddress) -> Self {
        Address {
            street: a.street.clone(),
            city: a.city.clone(),
            state: a.state.clone(),
            postal: a.postal.clone(),
            country: a.country.code().to_string(),
        }
    }
}

#[derive(SimpleObject)]
#[graphql(name = "CustomerDetails")]
pub struct CustomerDetails {
    pub customer_id: ID,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
}

#[derive(SimpleObject)]
#[graphql(name = "VendorDetails")]
pub struct VendorDetails {
    pub vendor_id: ID,
    pub name: String,
    /// ISO 3166-1 alpha-2 code.
    pub country: String,
}

#[derive(SimpleObject)]
#[graphql(name = "ProductOption")]
pub struct ProductOption {
    pub name: String,
    pub value: String,
}

/// A line of the order: the customer's lines first, then free-gift lines.
pub struct LineItem(pub DomainLineItem);

#[Object(name = "LineItem")]
impl LineItem {
    async fn sku(&self) -> &str {
        self.0.sku.as_str()
    }

    async fn product_id(&self) -> ID {
        ID(self.0.product_id.as_str().to_string())
    }

    async fn product_name(&self) -> &str {
        &self.0.product_name
    }

    async fn product_category(&self) -> Option<&str> {
        self.0.product_category.as_deref()
    }

    async fn options(&self) -> Vec<ProductOption> {
        self.0
            .options
            .iter()
            .map(|(name, value)| ProductOption {
                name: name.clone(),
                value: value.clone(),
            })
            .collect()
    }

    async fn quantity(&self) -> i64 {
        i64::from(self.0.quantity)
    }

    async fn unit_price(&self) -> Money {
        Money(self.0.unit_price)
    }

    /// unitPrice × quantity.
    async fn line_total(&self) -> Result<Money> {
        self.0
            .line_total()
            .map(Money)
            .map_err(|e| crate::error::coded(e.message, crate::error::INTERNAL))
    }

    async fn is_free_gift(&self) -> bool {
        self.0.is_free_gift
    }
}

#[derive(SimpleObject)]
#[graphql(name = "Coupon")]
pub struct Coupon {
    pub code: String,
    pub offer_id: ID,
}

#[derive(SimpleObject)]
#[graphql(name = "AppliedOffer")]
pub struct AppliedOffer {
    pub offer_id: ID,
    pub name: String,
    /// percentage_discount, fixed_discount, coupon_discount, bundle, free_gift, free_shipping.
    pub kind: String,
    pub discount: Money,
}

#[derive(SimpleObject)]
#[graphql(name = "TaxLine")]
pub struct TaxLine {
    pub name: String,
    /// A percentage: "9" is 9 %.
    pub rate: Decimal,
    pub amount: Money,
    /// True when the prices already contain this tax (shown as "incl."): it is part of the
    /// total, not added to it.
    pub included: bool,
}

/// An eligible shipping method with its computed cost.
#[derive(SimpleObject)]
#[graphql(name = "ShippingOption")]
pub struct ShippingOption {
    pub method: ShippingMethod,
    pub name: String,
    pub delivery_time: String,
    pub cost: Money,
}

impl From<&ShippingQuote> for ShippingOption {
    fn from(q: &ShippingQuote) -> Self {
        ShippingOption {
            method: q.method.into(),
            name: q.name.clone(),
            delivery_time: q.delivery_time.clone(),
            cost: Money(q.cost),
        }
    }
}

pub struct PaymentDetails(pub DomainPayment);

#[Object(name = "PaymentDetails")]
impl PaymentDetails {
    async fn method(&self) -> PaymentMethod {
        self.0.method.into()
    }

    async fn transaction_id(&self) -> Option<&str> {
        self.0.transaction_id.as_deref()
    }

    async fn paid_amount(&self) -> Money {
        Money(self.0.paid_amount)
    }

    async fn status(&self) -> PaymentStatus {
        self.0.status.into()
    }

    /// Amount refunded so far (from the provider's refund events).
    async fn refunded_amount(&self) -> Money {
        Money(self.0.refunded_amount)
    }
}

/// An order (one vendor, one currency).
pub struct Order(pub DomainOrder);

#[Object(name = "Order")]
impl Order {
    async fn id(&self) -> ID {
        ID(self.0.id.as_str().to_string())
    }

    /// Increments on every change; pass it back as expectedVersion for optimistic concurrency.
    async fn version(&self) -> i64 {
        i64::try_from(self.0.version).unwrap_or(i64::MAX)
    }

    async fn status(&self) -> OrderStatus {
        self.0.status.into()
    }

    async fn customer(&self) -> CustomerDetails {
        let c = &self.0.customer;
        CustomerDetails {
            customer_id: ID(c.customer_id.as_str().to_string()),
            first_name: c.first_name.clone(),
            last_name: c.last_name.clone(),
            email: c.email.clone(),
        }
    }

    async fn vendor(&self) -> VendorDetails {
        let v = &self.0.vendor;
        VendorDetails {
            vendor_id: ID(v.vendor_id.as_str().to_string()),
            name: v.name.clone(),
            country: v.country.code().to_string(),
        }
    }

    /// ISO-4217 code of every amount of the order.
    async fn currency(&self) -> &str {
        self.0.currency.code()
    }

    /// The customer's lines followed by the free-gift lines of applied offers.
    async fn line_items(&self) -> Vec<LineItem> {
        self.0
            .line_items
            .iter()
            .chain(self.0.pricing.gift_lines.iter())
            .cloned()
            .map(LineItem)
            .collect()
    }

    async fn destination(&self) -> Option<Address> {
        self.0.destination.as_ref().map(Address::from)
    }

    /// The selected shipping option with its quote (cost before free-shipping offers), or null.
    async fn shipping(&self) -> Option<ShippingOption> {
        self.0.pricing.shipping.as_ref().map(ShippingOption::from)
    }

    /// Why a previous shipping selection was cleared (e.g. the destination is now
    /// international); null when nothing was cleared.
    async fn shipping_notice(&self) -> Option<&str> {
        self.0.shipping_notice.as_deref()
    }

    async fn coupons(&self) -> Vec<Coupon> {
        self.0
            .coupons
            .iter()
            .map(|c| Coupon {
                code: c.code.as_str().to_string(),
                offer_id: ID(c.offer_id.as_str().to_string()),
            })
            .collect()
    }

    async fn applied_offers(&self) -> Vec<AppliedOffer> {
        self.0
            .pricing
            .applied_offers
            .iter()
            .map(|o| AppliedOffer {
                offer_id: ID(o.offer_id.as_str().to_string()),
                name: o.name.clone(),
                kind: o.kind.clone(),
                discount: Money(o.discount),
            })
            .collect()
    }

    async fn subtotal(&self) -> Money {
        Money(self.0.pricing.subtotal)
    }

    async fn discount_total(&self) -> Money {
        Money(self.0.pricing.discount_total)
    }

    /// What the customer pays for shipping (zero under a free-shipping offer).
    async fn shipping_cost(&self) -> Money {
        Money(self.0.pricing.shipping_cost)
    }

    async fn tax_lines(&self) -> Vec<TaxLine> {
        self.0
            .pricing
            .tax_lines
            .iter()
            .map(|t| TaxLine {
                name: t.name.clone(),
                rate: Decimal::normalized(t.rate),
                amount: Money(t.amount),
                included: t.included,
            })
            .collect()
    }

    async fn tax_total(&self) -> Money {
        Money(self.0.pricing.tax_total)
    }

    /// subtotal - discountTotal + shippingCost + taxTotal; when pricesIncludeTax,
    /// subtotal - discountTotal + shippingCost (the total contains taxTotal).
    async fn total(&self) -> Money {
        Money(self.0.pricing.total)
    }

    /// True when the tenant's prices (lines, discounts, shipping) include tax: the tax lines are
    /// extracted from them and shown as included, and the total is not increased by them.
    async fn prices_include_tax(&self) -> bool {
        self.0.pricing.prices_include_tax
    }

    async fn payment(&self) -> Option<PaymentDetails> {
        self.0.payment.clone().map(PaymentDetails)
    }

    async fn tracking_reference(&self) -> Option<&str> {
        self.0.tracking_reference.as_deref()
    }

    async fn cancellation_reason(&self) -> Option<&str> {
        self.0.cancellation_reason.as_deref()
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
}
