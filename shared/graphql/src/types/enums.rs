//! The contract's enums, mapped 1:1 to the domain's. Every `match` is exhaustive, so a new domain
//! value fails to compile until it is served.

use async_graphql::Enum;
use oms_domain::auth::Role as DomainRole;
use oms_domain::catalog::ShippingMethod as DomainShippingMethod;
use oms_domain::order::{
    OrderStatus as DomainOrderStatus, PaymentMethod as DomainPaymentMethod,
    PaymentStatus as DomainPaymentStatus,
};
use oms_domain::ErrorCode;

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "OrderStatus")]
pub enum OrderStatus {
    Draft,
    Pending,
    Confirmed,
    Shipped,
    Completed,
    Cancelled,
}

impl From<DomainOrderStatus> for OrderStatus {
    fn from(s: DomainOrderStatus) -> Self {
        match s {
            DomainOrderStatus::Draft => OrderStatus::Draft,
            DomainOrderStatus::Pending => OrderStatus::Pending,
            DomainOrderStatus::Confirmed => OrderStatus::Confirmed,
            DomainOrderStatus::Shipped => OrderStatus::Shipped,
            DomainOrderStatus::Completed => OrderStatus::Completed,
            DomainOrderStatus::Cancelled => OrderStatus::Cancelled,
        }
    }
}

impl From<OrderStatus> for DomainOrderStatus {
    fn from(s: OrderStatus) -> Self {
        match s {
            OrderStatus::Draft => DomainOrderStatus::Draft,
            OrderStatus::Pending => DomainOrderStatus::Pending,
            OrderStatus::Confirmed => DomainOrderStatus::Confirmed,
            OrderStatus::Shipped => DomainOrderStatus::Shipped,
            OrderStatus::Completed => DomainOrderStatus::Completed,
            OrderStatus::Cancelled => DomainOrderStatus::Cancelled,
        }
    }
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "PaymentMethod")]
pub enum PaymentMethod {
    Paypal,
    Stripe,
    CashOnDelivery,
}

impl From<DomainPaymentMethod> for PaymentMethod {
    fn from(m: DomainPaymentMethod) -> Self {
        match m {
            DomainPaymentMethod::Paypal => PaymentMethod::Paypal,
            DomainPaymentMethod::Stripe => PaymentMethod::Stripe,
            DomainPaymentMethod::CashOnDelivery => PaymentMethod::CashOnDelivery,
        }
    }
}

impl From<PaymentMethod> for DomainPaymentMethod {
    fn from(m: PaymentMethod) -> Self {
        match m {
            PaymentMethod::Paypal => DomainPaymentMethod::Paypal,
            PaymentMethod::Stripe => DomainPaymentMethod::Stripe,
            PaymentMethod::CashOnDelivery => DomainPaymentMethod::CashOnDelivery,
        }
    }
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "PaymentStatus")]
pub enum PaymentStatus {
    Unpaid,
    Paid,
    Refunded,
}

impl From<DomainPaymentStatus> for PaymentStatus {
    fn from(s: DomainPaymentStatus) -> Self {
        match s {
            DomainPaymentStatus::Unpaid => PaymentStatus::Unpaid,
            DomainPaymentStatus::Paid => PaymentStatus::Paid,
            DomainPaymentStatus::Refunded => PaymentStatus::Refunded,
        }
    }
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "ShippingMethod")]
pub enum ShippingMethod {
    Standard,
    Express,
    SameDay,
    LocalPickup,
    FreeShipping,
    FlatRate,
}

impl From<DomainShippingMethod> for ShippingMethod {
    fn from(m: DomainShippingMethod) -> Self {
        match m {
            DomainShippingMethod::Standard => ShippingMethod::Standard,
            DomainShippingMethod::Express => ShippingMethod::Express,
            DomainShippingMethod::SameDay => ShippingMethod::SameDay,
            DomainShippingMethod::LocalPickup => ShippingMethod::LocalPickup,
            DomainShippingMethod::FreeShipping => ShippingMethod::FreeShipping,
            DomainShippingMethod::FlatRate => ShippingMethod::FlatRate,
        }
    }
}

impl From<ShippingMethod> for DomainShippingMethod {
    fn from(m: ShippingMethod) -> Self {
        match m {
            ShippingMethod::Standard => DomainShippingMethod::Standard,
            ShippingMethod::Express => DomainShippingMethod::Express,
            ShippingMethod::SameDay => DomainShippingMethod::SameDay,
            ShippingMethod::LocalPickup => DomainShippingMethod::LocalPickup,
            ShippingMethod::FreeShipping => DomainShippingMethod::FreeShipping,
            ShippingMethod::FlatRate => DomainShippingMethod::FlatRate,
        }
    }
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "Role")]
pub enum Role {
    Customer,
    Vendor,
}

impl From<DomainRole> for Role {
    fn from(r: DomainRole) -> Self {
        match r {
            DomainRole::Customer => Role::Customer,
            DomainRole::Vendor => Role::Vendor,
        }
    }
}

impl From<Role> for DomainRole {
    fn from(r: Role) -> Self {
        match r {
            Role::Customer => DomainRole::Customer,
            Role::Vendor => DomainRole::Vendor,
        }
    }
}

/// Stable codes of `UserError` (and of query errors' `extensions.code`); clients switch on them.
/// Same names as the domain's error codes, one for one.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "UserErrorCode")]
pub enum UserErrorCode {
    InvalidInput,
    NotFound,
    InvalidState,
    OutOfStock,
    ProductUnavailable,
    VendorUnavailable,
    DuplicateLineItem,
    LastLineItem,
    CurrencyMismatch,
    CouponInvalid,
    CouponExpired,
    CouponUsageLimitReached,
    CouponMinimumNotMet,
    ShippingOptionUnavailable,
    ShippingNotSelected,
    DestinationRequired,
    PaymentNotVerified,
    PaymentInsufficient,
    PaymentAlreadyUsed,
    CancellationReasonRequired,
    InvalidTrackingReference,
    VersionConflict,
    IdempotencyKeyReused,
    TryAgain,
}

impl From<ErrorCode> for UserErrorCode {
    fn from(c: ErrorCode) -> Self {
        match c {
            ErrorCode::InvalidInput => UserErrorCode::InvalidInput,
            ErrorCode::NotFound => UserErrorCode::NotFound,
            ErrorCode::InvalidState => UserErrorCode::InvalidState,
            ErrorCode::OutOfStock => UserErrorCode::OutOfStock,
            ErrorCode::ProductUnavailable => UserErrorCode::ProductUnavailable,
            ErrorCode::VendorUnavailable => UserErrorCode::VendorUnavailable,
            ErrorCode::DuplicateLineItem => UserErrorCode::DuplicateLineItem,
            ErrorCode::LastLineItem => UserErrorCode::LastLineItem,
            ErrorCode::CurrencyMismatch => UserErrorCode::CurrencyMismatch,
            ErrorCode::CouponInvalid => UserErrorCode::CouponInvalid,
            ErrorCode::CouponExpired => UserErrorCode::CouponExpired,
            ErrorCode::CouponUsageLimitReached => UserErrorCode::CouponUsageLimitReached,
            ErrorCode::CouponMinimumNotMet => UserErrorCode::CouponMinimumNotMet,
            ErrorCode::ShippingOptionUnavailable => UserErrorCode::ShippingOptionUnavailable,
            ErrorCode::ShippingNotSelected => UserErrorCode::ShippingNotSelected,
            ErrorCode::DestinationRequired => UserErrorCode::DestinationRequired,
            ErrorCode::PaymentNotVerified => UserErrorCode::PaymentNotVerified,
            ErrorCode::PaymentInsufficient => UserErrorCode::PaymentInsufficient,
            ErrorCode::PaymentAlreadyUsed => UserErrorCode::PaymentAlreadyUsed,
            ErrorCode::CancellationReasonRequired => UserErrorCode::CancellationReasonRequired,
            ErrorCode::InvalidTrackingReference => UserErrorCode::InvalidTrackingReference,
            ErrorCode::VersionConflict => UserErrorCode::VersionConflict,
            ErrorCode::IdempotencyKeyReused => UserErrorCode::IdempotencyKeyReused,
            ErrorCode::TryAgain => UserErrorCode::TryAgain,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::{registry::Registry, InputType};

    /// The GraphQL name of an enum value, as served.
    fn served<T: InputType>(v: T) -> String {
        match v.to_value() {
            async_graphql::Value::Enum(n) => n.to_string(),
            other => other.to_string(),
        }
    }

    #[test]
    fn every_domain_error_code_is_a_user_error_code_with_the_same_name() {
        for code in ErrorCode::ALL {
            assert_eq!(served(UserErrorCode::from(code)), code.as_str());
        }
        // And nothing more: the served enum has exactly as many values as the domain.
        let mut registry = Registry::default();
        UserErrorCode::create_type_info(&mut registry);
        let count = match registry.types.get("UserErrorCode") {
            Some(async_graphql::registry::MetaType::Enum { enum_values, .. }) => enum_values.len(),
            _ => 0,
        };
        assert_eq!(count, ErrorCode::ALL.len());
    }

    #[test]
    fn enum_values_carry_the_domain_names() {
        for s in DomainOrderStatus::ALL {
            assert_eq!(served(OrderStatus::from(s)), s.as_str());
            assert_eq!(DomainOrderStatus::from(OrderStatus::from(s)), s);
        }
        for m in DomainShippingMethod::ALL {
            assert_eq!(served(ShippingMethod::from(m)), m.as_str());
            assert_eq!(DomainShippingMethod::from(ShippingMethod::from(m)), m);
        }
        for m in [
            DomainPaymentMethod::Paypal,
            DomainPaymentMethod::Stripe,
            DomainPaymentMethod::CashOnDelivery,
        ] {
            assert_eq!(served(PaymentMethod::from(m)), m.as_str());
            assert_eq!(DomainPaymentMethod::from(PaymentMethod::from(m)), m);
        }
        assert_eq!(
            served(PaymentStatus::from(DomainPaymentStatus::Unpaid)),
            "UNPAID"
        );
        assert_eq!(
            served(PaymentStatus::from(DomainPaymentStatus::Paid)),
            "PAID"
        );
        assert_eq!(
            served(PaymentStatus::from(DomainPaymentStatus::Refunded)),
            "REFUNDED"
        );
        assert_eq!(served(Role::from(DomainRole::Customer)), "CUSTOMER");
        assert_eq!(served(Role::from(DomainRole::Vendor)), "VENDOR");
    }
}
