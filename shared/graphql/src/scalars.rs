//! The contract's custom scalars. Both travel as strings.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{SecondsFormat, Utc};
use oms_domain::money::Money;

/// An exact decimal number as a string, e.g. "12.50". Money amounts carry the currency's
/// minor-unit scale ("12.50" SGD, "1250" JPY, "1.500" KWD); never a float.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal(pub String);

impl Decimal {
    /// A money amount at its currency's scale.
    pub fn amount(m: &Money) -> Self {
        Decimal(m.amount_string())
    }

    /// A plain decimal without trailing zeros (tax rates: 9 → "9", 8.250 → "8.25").
    pub fn normalized(d: rust_decimal::Decimal) -> Self {
        Decimal(d.normalize().to_string())
    }
}

/// An exact decimal number as a string, e.g. "12.50"; money amounts at the currency's minor-unit scale.
#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        let text = match &value {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            _ => return Err(InputValueError::expected_type(value)),
        };
        text.parse::<rust_decimal::Decimal>()
            .map(|_| Decimal(text))
            .map_err(|_| InputValueError::custom("expected a decimal string such as \"12.50\""))
    }

    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(_) | Value::Number(_))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

/// An instant in RFC 3339, always UTC with millisecond precision: "2026-11-25T10:00:00.000Z".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime(pub chrono::DateTime<Utc>);

/// An RFC 3339 instant in UTC, e.g. "2026-11-25T10:00:00.000Z".
#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => chrono::DateTime::parse_from_rfc3339(s.trim())
                .map(|d| DateTime(d.with_timezone(&Utc)))
                .map_err(|_| InputValueError::custom("expected an RFC 3339 date-time")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(_))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}
