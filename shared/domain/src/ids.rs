//! Validated identifiers. Ids become parts of storage keys (`T#<tenant>#ORDER#<id>`), so they
//! may not contain the key separator `#`, control characters or surrounding whitespace.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, ErrorCode};

const MAX_ID_LEN: usize = 128;

fn validate(kind: &str, raw: &str) -> Result<String, DomainError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(DomainError::new(
            ErrorCode::InvalidInput,
            format!("{kind} must not be empty."),
        ));
    }
    if s.len() > MAX_ID_LEN {
        return Err(DomainError::new(
            ErrorCode::InvalidInput,
            format!("{kind} must be at most {MAX_ID_LEN} characters."),
        ));
    }
    if s.chars().any(|c| c == '#' || c.is_control()) {
        return Err(DomainError::new(
            ErrorCode::InvalidInput,
            format!("{kind} must not contain '#' or control characters."),
        ));
    }
    Ok(s.to_string())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $label:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn new(raw: &str) -> Result<Self, DomainError> {
                validate($label, raw).map($name)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = DomainError;
            fn try_from(s: String) -> Result<Self, DomainError> {
                $name::new(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// The tenant: always from a verified token or a signed webhook path, never user input.
    TenantId, "Tenant id");
id_type!(OrderId, "Order id");
id_type!(CustomerId, "Customer id");
id_type!(VendorId, "Vendor id");
id_type!(ProductId, "Product id");
id_type!(OfferId, "Offer id");
id_type!(
    /// A product SKU, unique per vendor.
    Sku, "SKU");
id_type!(AddressId, "Address id");
id_type!(UserId, "User id");

/// A coupon code. Codes match case-insensitively, so the canonical form is upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CouponCode(String);

impl CouponCode {
    pub fn new(raw: &str) -> Result<Self, DomainError> {
        let s = validate("Coupon code", raw)?;
        if s.len() > 64 {
            return Err(DomainError::new(
                ErrorCode::InvalidInput,
                "Coupon code must be at most 64 characters.",
            ));
        }
        Ok(CouponCode(s.to_uppercase()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CouponCode {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, DomainError> {
        CouponCode::new(&s)
    }
}

impl From<CouponCode> for String {
    fn from(c: CouponCode) -> String {
        c.0
    }
}

impl fmt::Display for CouponCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_trimmed_and_refuse_key_separators() {
        assert_eq!(
            OrderId::new("  ORD-1 ").map(|i| i.to_string()).ok(),
            Some("ORD-1".into())
        );
        assert!(OrderId::new("").is_err());
        assert!(OrderId::new("   ").is_err());
        assert!(TenantId::new("t#1").is_err());
        assert!(Sku::new("a\nb").is_err());
        assert!(Sku::new(&"x".repeat(129)).is_err());
    }

    #[test]
    fn coupon_codes_are_case_insensitive() {
        assert_eq!(
            CouponCode::new("welcome10").ok(),
            CouponCode::new("WELCOME10").ok()
        );
        assert!(CouponCode::new(&"A".repeat(65)).is_err());
    }
}
