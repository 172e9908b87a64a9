//! The `data` fields of each kind, in template order: name, type, presence and an example.
//!
//! This table drives the CSV templates, the CSV cell → JSON conversion ([`FieldType::cell_to_json`],
//! the only place cells are typed) and the docs. The validators in `validate/` are the authority
//! on rules; tests check that this table agrees with them (every `Required` field is required,
//! every `Optional` one is not, and every example validates).

use serde_json::{Map, Number, Value};

use crate::kind::Kind;

/// How a field is written in JSON, and so how a CSV cell is converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// JSON string; the cell as-is.
    Text,
    /// JSON integer; a cell that is not an integer stays text so the validator reports it.
    Integer,
    /// Decimal string or number (money, weights); the cell stays a string (exact).
    Decimal,
    /// JSON boolean; cells `true/false`, `yes/no`, `y/n`, `1/0` (any case).
    Boolean,
    /// RFC 3339 date-time string.
    DateTime,
    /// JSON object written as JSON text in the cell (`options`, `conditions`, `scope`).
    Json,
    /// Array of strings; a cell holds a JSON array or a comma-separated list.
    List,
}

impl FieldType {
    pub fn as_str(&self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Integer => "integer",
            FieldType::Decimal => "decimal",
            FieldType::Boolean => "boolean",
            FieldType::DateTime => "datetime",
            FieldType::Json => "json",
            FieldType::List => "list",
        }
    }

    /// Converts one CSV cell. Blank → `Ok(None)` (absent). Only JSON cells can fail here (with
    /// a message); every other mistake is left for the validator, which names the field.
    pub fn cell_to_json(&self, cell: &str) -> Result<Option<Value>, String> {
        let trimmed = cell.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        let value = match self {
            FieldType::Text | FieldType::Decimal | FieldType::DateTime => {
                Value::String(cell.to_string())
            }
            FieldType::Integer => match (trimmed.parse::<i64>(), trimmed.parse::<u64>()) {
                (Ok(i), _) => Value::Number(Number::from(i)),
                (_, Ok(u)) => Value::Number(Number::from(u)),
                _ => Value::String(cell.to_string()),
            },
            FieldType::Boolean => match trimmed.to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "1" => Value::Bool(true),
                "false" | "no" | "n" | "0" => Value::Bool(false),
                _ => Value::String(cell.to_string()),
            },
            FieldType::Json => {
                serde_json::from_str(trimmed).map_err(|e| format!("is not valid JSON ({e})."))?
            }
            FieldType::List if trimmed.starts_with('[') => serde_json::from_str(trimmed)
                .map_err(|e| format!("is not a valid JSON array ({e})."))?,
            FieldType::List => Value::Array(
                trimmed
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_string()))
                    .collect(),
            ),
        };
        Ok(Some(value))
    }
}

/// Whether a field must be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
    /// Required for some values of other fields (see the kind's rules in docs/sync.md).
    Conditional,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: &'static str,
    pub ty: FieldType,
    pub presence: Presence,
    /// A valid value as written in a CSV cell (also used by the template's example row).
    pub example: &'static str,
}

const fn f(
    name: &'static str,
    ty: FieldType,
    presence: Presence,
    example: &'static str,
) -> FieldSpec {
    FieldSpec {
        name,
        ty,
        presence,
        example,
    }
}

use FieldType::{Boolean, DateTime, Decimal, Integer, Json, List, Text};
use Presence::{Conditional, Optional, Required};

const PRODUCT: &[FieldSpec] = &[
    f("product_id", Text, Required, "p-1001"),
    f("vendor_id", Text, Required, "v-1"),
    f("product_sku", Text, Required, "T-SHIRT-L"),
    f("product_name", Text, Required, "T Shirt Large Size"),
    f("product_category", Text, Optional, "Men's T-Shirts"),
    f("options", Json, Optional, r#"{"Size":"L","Color":"RED"}"#),
    f("product_price", Decimal, Required, "10.00"),
    f("product_currency", Text, Required, "SGD"),
    f("stock", Integer, Required, "25"),
    f("package_weight", Decimal, Required, "0.5"),
    f("package_length", Integer, Required, "30"),
    f("package_width", Integer, Required, "20"),
    f("package_height", Integer, Required, "2"),
    f("is_active", Boolean, Optional, "true"),
    f("is_taxable", Boolean, Optional, "true"),
];

const VENDOR: &[FieldSpec] = &[
    f("vendor_id", Text, Required, "v-1"),
    f("name", Text, Required, "Vendor One"),
    f("country", Text, Required, "SG"),
    f("is_active", Boolean, Optional, "true"),
];

const COUPON: &[FieldSpec] = &[
    f("vendor_id", Text, Required, "v-1"),
    f("coupon_code", Text, Required, "WELCOME10"),
    f("offer_id", Text, Required, "o-1"),
    f("start_date", DateTime, Optional, "2026-01-01T00:00:00Z"),
    f("end_date", DateTime, Optional, "2026-12-31T23:59:59Z"),
    f("is_active", Boolean, Optional, "true"),
    f("usage_limit", Integer, Optional, "1000"),
    f("per_customer_limit", Integer, Optional, "1"),
    f("minimum_subtotal", Decimal, Optional, "20.00"),
];

const OFFER: &[FieldSpec] = &[
    f("vendor_id", Text, Required, "v-1"),
    f("offer_id", Text, Required, "o-1"),
    f("name", Text, Required, "10% Off"),
    f("offer_type", Text, Required, "coupon_discount"),
    f("discount_value", Decimal, Conditional, "10"),
    f(
        "conditions",
        Json,
        Conditional,
        r#"{"eligible_products":["T-SHIRT-L"],"minimum_subtotal":"20.00"}"#,
    ),
    f("required_coupon", Boolean, Optional, "true"),
    f("stackable", Boolean, Optional, "false"),
    f("priority", Integer, Optional, "1"),
    f("start_date", DateTime, Optional, "2026-01-01T00:00:00Z"),
    f("end_date", DateTime, Optional, "2026-12-31T23:59:59Z"),
    f("is_active", Boolean, Optional, "true"),
];

const SHIPPING: &[FieldSpec] = &[
    f("vendor_id", Text, Required, "v-1"),
    f("name", Text, Required, "Standard"),
    f("delivery_time", Text, Required, "2-3 Days"),
    f("base_cost", Decimal, Optional, "5.00"),
    f("flat_rate", Decimal, Optional, "1.50"),
    f("currency", Text, Optional, "SGD"),
    f(
        "conditions",
        Json,
        Conditional,
        r#"{"max_weight":30,"utc_offset":"+08:00"}"#,
    ),
    f("is_active", Boolean, Optional, "true"),
];

const CUSTOMER: &[FieldSpec] = &[
    f("customer_id", Text, Required, "c-1"),
    f("first_name", Text, Optional, "Ada"),
    f("last_name", Text, Optional, "Lovelace"),
    f("email", Text, Optional, "ada@example.com"),
    f("is_active", Boolean, Optional, "true"),
];

const ADDRESS: &[FieldSpec] = &[
    f("customer_id", Text, Required, "c-1"),
    f("address_id", Text, Required, "home"),
    f("address_type", Text, Optional, "shipping"),
    f("street", Text, Required, "1 Raffles Place, #20-01"),
    f("city", Text, Required, "Singapore"),
    f("state", Text, Optional, "Central"),
    f("postal", Text, Required, "048616"),
    f("country", Text, Required, "SG"),
    f("is_default", Boolean, Optional, "true"),
    f("is_active", Boolean, Optional, "true"),
];

const USER_AUTHORIZATION: &[FieldSpec] = &[
    f("user_id", Text, Required, "u-1"),
    f("roles", List, Conditional, "vendor"),
    f("vendor_id", Text, Optional, "v-1"),
    f("scope", Json, Conditional, r#"{"vendor_id":"v-1"}"#),
    f("is_active", Boolean, Optional, "true"),
];

const IDENTITY: &[FieldSpec] = &[
    f("sub", Text, Required, "u-1"),
    f("email", Text, Optional, "ada@example.com"),
    f("name", Text, Optional, "Ada Lovelace"),
    f("roles", List, Optional, "customer"),
];

const PAYMENT: &[FieldSpec] = &[
    f("order_id", Text, Required, "ORD-1"),
    f("transaction_id", Text, Required, "txn_1"),
    f("method", Text, Required, "STRIPE"),
    f("amount", Decimal, Required, "19.62"),
    f("currency", Text, Required, "SGD"),
];

/// The `data` fields of `kind` (without `tenant_id`, which every kind accepts and checks).
pub fn fields(kind: Kind) -> &'static [FieldSpec] {
    match kind {
        Kind::VendorProducts => PRODUCT,
        Kind::VendorDetails => VENDOR,
        Kind::VendorCoupons => COUPON,
        Kind::VendorOffers => OFFER,
        Kind::VendorShippingOptions => SHIPPING,
        Kind::CustomerDetails => CUSTOMER,
        Kind::CustomerAddresses => ADDRESS,
        Kind::UserAuthorizations => USER_AUTHORIZATION,
        Kind::Identity => IDENTITY,
        Kind::Payments => PAYMENT,
    }
}

pub fn field(kind: Kind, name: &str) -> Option<&'static FieldSpec> {
    fields(kind).iter().find(|s| s.name == name)
}

/// The example `data` object of `kind`, built from the examples through the CSV conversion.
pub fn example_data(kind: Kind) -> Map<String, Value> {
    fields(kind)
        .iter()
        .filter_map(|s| {
            s.ty.cell_to_json(s.example)
                .ok()
                .flatten()
                .map(|v| (s.name.to_string(), v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn blank_cells_are_absent() {
        for ty in [Text, Integer, Decimal, Boolean, DateTime, Json, List] {
            assert_eq!(ty.cell_to_json(""), Ok(None));
            assert_eq!(ty.cell_to_json("   "), Ok(None));
        }
    }

    #[test]
    fn cells_are_typed_per_field_type() {
        assert_eq!(Text.cell_to_json("018956"), Ok(Some(json!("018956"))));
        assert_eq!(Integer.cell_to_json(" 10 "), Ok(Some(json!(10))));
        assert_eq!(Integer.cell_to_json("10.5"), Ok(Some(json!("10.5"))));
        assert_eq!(Decimal.cell_to_json("1.50"), Ok(Some(json!("1.50"))));
        assert_eq!(Boolean.cell_to_json("TRUE"), Ok(Some(json!(true))));
        assert_eq!(Boolean.cell_to_json("no"), Ok(Some(json!(false))));
        assert_eq!(Boolean.cell_to_json("0"), Ok(Some(json!(false))));
        assert_eq!(Boolean.cell_to_json("maybe"), Ok(Some(json!("maybe"))));
        assert_eq!(Json.cell_to_json(r#"{"a":1}"#), Ok(Some(json!({"a": 1}))));
        assert!(Json.cell_to_json("{a:1}").is_err());
        assert_eq!(
            List.cell_to_json("customer, vendor"),
            Ok(Some(json!(["customer", "vendor"])))
        );
        assert_eq!(
            List.cell_to_json(r#"["vendor"]"#),
            Ok(Some(json!(["vendor"])))
        );
    }

    #[test]
    fn every_kind_has_unique_field_names_and_no_tenant_or_version_column() {
        for kind in Kind::ALL {
            let names: Vec<&str> = fields(kind).iter().map(|s| s.name).collect();
            let mut sorted = names.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), names.len(), "{kind}");
            assert!(
                !names.contains(&"tenant_id") && !names.contains(&"version"),
                "{kind}"
            );
            for key in kind.entity_key_fields() {
                assert_eq!(
                    field(kind, key).map(|s| s.presence),
                    Some(Required),
                    "{kind} {key}"
                );
            }
        }
    }
}
