//! Exact money: integer minor units tagged with an ISO-4217 currency.
//!
//! Rounding happens in ONE place, [`round_minor`], with ONE rule, [`ROUNDING`]: half-up (ties away
//! from zero), the rule of the system we replace. It is applied only at the documented points of
//! the pricing pipeline (each offer's discount, shipping cost by weight, each tax line); sums of
//! already-rounded amounts are exact and never rounded again.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, ErrorCode};

/// The single rounding rule of the OMS: half-up, i.e. ties round away from zero (2.345 → 2.35).
pub const ROUNDING: RoundingStrategy = RoundingStrategy::MidpointAwayFromZero;

/// ISO-4217 currencies we accept, with their minor-unit exponent.
const CURRENCIES: &[(&str, u32)] = &[
    ("AED", 2),
    ("AUD", 2),
    ("BHD", 3),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("LYD", 3),
    ("MXN", 2),
    ("MYR", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PHP", 2),
    ("PLN", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TND", 3),
    ("TRY", 2),
    ("TWD", 2),
    ("UGX", 0),
    ("USD", 2),
    ("VND", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("ZAR", 2),
];

/// An ISO-4217 currency code that we know the minor-unit exponent of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: [u8; 3],
    exponent: u32,
}

impl Currency {
    /// Parses a currency code case-insensitively (`"sgd"` → SGD).
    pub fn parse(code: &str) -> Result<Self, DomainError> {
        // Compared in place, without an uppercased copy: every amount of every item read
        // parses its currency.
        let wanted = code.trim().as_bytes();
        CURRENCIES
            .iter()
            .find(|(c, _)| c.as_bytes().eq_ignore_ascii_case(wanted))
            .and_then(|(c, exponent)| {
                let b = c.as_bytes();
                Some(Currency {
                    code: [*b.first()?, *b.get(1)?, *b.get(2)?],
                    exponent: *exponent,
                })
            })
            .ok_or_else(|| {
                DomainError::new(
                    ErrorCode::InvalidInput,
                    format!("Unsupported currency '{code}'."),
                )
            })
    }

    /// The three-letter code, e.g. `"SGD"`.
    pub fn code(&self) -> &str {
        // Codes come only from the ASCII table above.
        std::str::from_utf8(&self.code).unwrap_or("XXX")
    }

    /// Number of decimal places of the minor unit (SGD 2, JPY 0, KWD 3).
    pub fn exponent(&self) -> u32 {
        self.exponent
    }

    pub const SGD: Currency = Currency {
        code: *b"SGD",
        exponent: 2,
    };
    pub const USD: Currency = Currency {
        code: *b"USD",
        exponent: 2,
    };
    pub const JPY: Currency = Currency {
        code: *b"JPY",
        exponent: 0,
    };
    pub const KWD: Currency = Currency {
        code: *b"KWD",
        exponent: 3,
    };
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Currency::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An exact amount: integer minor units (cents for SGD, yen for JPY, fils for KWD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

/// Rounds a decimal amount in major units to the currency's minor units with [`ROUNDING`].
/// This is the only rounding function of the OMS.
pub fn round_minor(major: Decimal, currency: Currency) -> Result<i64, DomainError> {
    let scaled = major
        .checked_mul(Decimal::from(10i64.pow(currency.exponent())))
        .ok_or_else(overflow)?;
    let rounded = scaled.round_dp_with_strategy(0, ROUNDING);
    i64::try_from(rounded).map_err(|_| overflow())
}

fn overflow() -> DomainError {
    DomainError::new(ErrorCode::InvalidInput, "Amount is too large.")
}

impl Money {
    pub fn from_minor(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Money { minor: 0, currency }
    }

    pub fn minor(&self) -> i64 {
        self.minor
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn is_zero(&self) -> bool {
        self.minor == 0
    }

    /// The amount in major units as an exact decimal (1250 SGD minor → 12.50).
    pub fn to_decimal(&self) -> Decimal {
        Decimal::new(self.minor, self.currency.exponent())
    }

    /// Parses an exact decimal (string or JSON number text) in major units.
    /// More decimals than the currency has are refused unless they are zeros ("5.000" SGD = 5.00),
    /// so an input never gets rounded silently. Negative amounts are refused.
    pub fn parse(amount: &str, currency: Currency) -> Result<Self, DomainError> {
        let text = amount.trim();
        let d: Decimal = text
            .parse::<Decimal>()
            .or_else(|_| Decimal::from_scientific(text))
            .map_err(|_| {
                DomainError::new(
                    ErrorCode::InvalidInput,
                    format!("'{amount}' is not a decimal amount."),
                )
            })?;
        Self::from_decimal_exact(d, currency)
    }

    /// Converts an exact decimal in major units; refuses negatives and sub-minor-unit precision.
    pub fn from_decimal_exact(d: Decimal, currency: Currency) -> Result<Self, DomainError> {
        if d.is_sign_negative() && !d.is_zero() {
            return Err(DomainError::new(
                ErrorCode::InvalidInput,
                "Amount must not be negative.",
            ));
        }
        let normalized = d.normalize();
        if normalized.scale() > currency.exponent() {
            return Err(DomainError::new(
                ErrorCode::InvalidInput,
                format!(
                    "Amount {d} has more decimals than {} allows ({}).",
                    currency,
                    currency.exponent()
                ),
            ));
        }
        Ok(Money {
            minor: round_minor(normalized, currency)?,
            currency,
        })
    }

    /// Parses a JSON value that is either a number or a decimal string.
    pub fn from_json(value: &serde_json::Value, currency: Currency) -> Result<Self, DomainError> {
        match value {
            serde_json::Value::String(s) => Self::parse(s, currency),
            // serde_json prints the number exactly as written (no float round trip) for integers
            // and for decimals we re-parse its shortest text form.
            serde_json::Value::Number(n) => Self::parse(&n.to_string(), currency),
            _ => Err(DomainError::new(
                ErrorCode::InvalidInput,
                "Amount must be a decimal string or number.",
            )),
        }
    }

    fn same_currency(&self, other: &Money) -> Result<(), DomainError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(DomainError::new(
                ErrorCode::CurrencyMismatch,
                format!("Cannot combine {} with {}.", self.currency, other.currency),
            ))
        }
    }

    pub fn checked_add(&self, other: &Money) -> Result<Money, DomainError> {
        self.same_currency(other)?;
        let minor = self.minor.checked_add(other.minor).ok_or_else(overflow)?;
        Ok(Money {
            minor,
            currency: self.currency,
        })
    }

    pub fn checked_sub(&self, other: &Money) -> Result<Money, DomainError> {
        self.same_currency(other)?;
        let minor = self.minor.checked_sub(other.minor).ok_or_else(overflow)?;
        Ok(Money {
            minor,
            currency: self.currency,
        })
    }

    /// `self - other`, but never below zero.
    pub fn saturating_sub(&self, other: &Money) -> Result<Money, DomainError> {
        self.same_currency(other)?;
        let minor = self.minor.saturating_sub(other.minor).max(0);
        Ok(Money {
            minor,
            currency: self.currency,
        })
    }

    pub fn checked_mul_qty(&self, qty: u32) -> Result<Money, DomainError> {
        let minor = self
            .minor
            .checked_mul(i64::from(qty))
            .ok_or_else(overflow)?;
        Ok(Money {
            minor,
            currency: self.currency,
        })
    }

    /// Multiplies by an exact decimal factor (a rate, a weight) and rounds once with [`ROUNDING`].
    pub fn mul_decimal_rounded(&self, factor: Decimal) -> Result<Money, DomainError> {
        let major = self.to_decimal().checked_mul(factor).ok_or_else(overflow)?;
        Ok(Money {
            minor: round_minor(major, self.currency)?,
            currency: self.currency,
        })
    }

    pub fn min(self, other: Money) -> Result<Money, DomainError> {
        self.same_currency(&other)?;
        Ok(if self.minor <= other.minor {
            self
        } else {
            other
        })
    }

    /// Compares two amounts of the same currency.
    pub fn cmp_same(&self, other: &Money) -> Result<std::cmp::Ordering, DomainError> {
        self.same_currency(other)?;
        Ok(self.minor.cmp(&other.minor))
    }

    /// Formats at the currency's scale: "12.50" (SGD), "1250" (JPY), "1.500" (KWD).
    pub fn amount_string(&self) -> String {
        self.to_decimal().to_string()
    }

    /// Sums amounts of one currency; an empty iterator is zero in `currency`.
    pub fn sum<'a>(
        currency: Currency,
        items: impl IntoIterator<Item = &'a Money>,
    ) -> Result<Money, DomainError> {
        items
            .into_iter()
            .try_fold(Money::zero(currency), |acc, m| acc.checked_add(m))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_string(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn currencies_carry_their_minor_unit_exponent() {
        assert_eq!(Currency::parse("sgd").map(|c| c.exponent()).ok(), Some(2));
        assert_eq!(Currency::parse("JPY").map(|c| c.exponent()).ok(), Some(0));
        assert_eq!(Currency::parse("BHD").map(|c| c.exponent()).ok(), Some(3));
        assert_eq!(Currency::parse("KWD").map(|c| c.exponent()).ok(), Some(3));
        assert_eq!(Currency::parse("USD").map(|c| c.exponent()).ok(), Some(2));
        assert_eq!(
            Currency::parse(" sgd ").map(|c| c.code().to_string()).ok(),
            Some("SGD".into())
        );
        for unknown in ["XYZ", "SG", "SGDX", "", "S\u{e9}D"] {
            let err = Currency::parse(unknown).err().map(|e| e.code);
            assert_eq!(err, Some(ErrorCode::InvalidInput), "{unknown:?}");
        }
        let read: Currency = serde_json::from_str("\"usd\"").unwrap_or(Currency::SGD);
        assert_eq!(read.code(), "USD");
    }

    #[test]
    fn amounts_format_at_the_currency_scale() {
        assert_eq!(
            Money::from_minor(1250, Currency::SGD).amount_string(),
            "12.50"
        );
        assert_eq!(
            Money::from_minor(1250, Currency::JPY).amount_string(),
            "1250"
        );
        assert_eq!(
            Money::from_minor(1500, Currency::KWD).amount_string(),
            "1.500"
        );
        assert_eq!(Money::from_minor(5, Currency::SGD).amount_string(), "0.05");
        assert_eq!(Money::zero(Currency::SGD).amount_string(), "0.00");
    }

    #[test]
    fn parsing_accepts_trailing_zeros_but_never_rounds_silently() {
        assert_eq!(
            Money::parse("5.000", Currency::SGD).map(|m| m.minor()).ok(),
            Some(500)
        );
        assert_eq!(
            Money::parse("1.5", Currency::SGD).map(|m| m.minor()).ok(),
            Some(150)
        );
        assert_eq!(
            Money::parse("1250", Currency::JPY).map(|m| m.minor()).ok(),
            Some(1250)
        );
        assert!(Money::parse("12.5", Currency::JPY).is_err());
        assert!(Money::parse("1.005", Currency::SGD).is_err());
        assert!(Money::parse("-1", Currency::SGD).is_err());
        assert!(Money::parse("abc", Currency::SGD).is_err());
        assert!(Money::parse("", Currency::SGD).is_err());
    }

    #[test]
    fn parsing_json_numbers_and_strings() {
        let n: serde_json::Value = serde_json::json!(1.5);
        assert_eq!(
            Money::from_json(&n, Currency::SGD).map(|m| m.minor()).ok(),
            Some(150)
        );
        let s = serde_json::json!("19.62");
        assert_eq!(
            Money::from_json(&s, Currency::SGD).map(|m| m.minor()).ok(),
            Some(1962)
        );
        let i = serde_json::json!(5);
        assert_eq!(
            Money::from_json(&i, Currency::SGD).map(|m| m.minor()).ok(),
            Some(500)
        );
        assert!(Money::from_json(&serde_json::json!(true), Currency::SGD).is_err());
    }

    #[test]
    fn arithmetic_refuses_mixed_currencies() {
        let a = Money::from_minor(100, Currency::SGD);
        let b = Money::from_minor(100, Currency::USD);
        assert_eq!(
            a.checked_add(&b).err().map(|e| e.code),
            Some(ErrorCode::CurrencyMismatch)
        );
        assert_eq!(
            a.checked_sub(&b).err().map(|e| e.code),
            Some(ErrorCode::CurrencyMismatch)
        );
        assert!(a.cmp_same(&b).is_err());
    }

    #[test]
    fn rounding_is_half_up_at_ties() {
        assert_eq!(round_minor(d("0.045"), Currency::SGD).ok(), Some(5));
        assert_eq!(round_minor(d("0.044"), Currency::SGD).ok(), Some(4));
        assert_eq!(round_minor(d("2.345"), Currency::SGD).ok(), Some(235));
        assert_eq!(round_minor(d("2.5"), Currency::JPY).ok(), Some(3));
        assert_eq!(round_minor(d("0.0005"), Currency::KWD).ok(), Some(1));
        // The original's float tax rounded 0.50 × 9 % = 0.045 down to 0.04; we are exact.
        let tax = Money::from_minor(50, Currency::SGD)
            .mul_decimal_rounded(d("0.09"))
            .ok();
        assert_eq!(tax.map(|m| m.minor()), Some(5));
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        let big = Money::from_minor(i64::MAX, Currency::SGD);
        assert!(big
            .checked_add(&Money::from_minor(1, Currency::SGD))
            .is_err());
        assert!(big.checked_mul_qty(2).is_err());
        assert!(Money::parse("99999999999999999999999", Currency::SGD).is_err());
    }
}

/// Property tests (issue 13 §4): any string or JSON number is parsed to a `Money` or refused with a
/// typed `INVALID_INPUT`, never a panic; valid amounts survive a format/parse round trip.
#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn arb_currency() -> impl Strategy<Value = Currency> {
        proptest::sample::select(CURRENCIES.to_vec())
            .prop_map(|(code, _)| Currency::parse(code).unwrap_or(Currency::SGD))
    }

    /// Text that looks like a decimal, often enough to reach every branch of the parser: signs,
    /// long digit runs, several points, exponents (huge ones too), whitespace and stray bytes.
    fn arb_decimalish() -> impl Strategy<Value = String> {
        prop_oneof![
            "[ \t]{0,2}[+-]?[0-9]{0,32}(\\.[0-9]{0,32})?([eE][+-]?[0-9]{1,12})?[ \t]{0,2}",
            "[-+0-9.eE_ ,]{0,40}",
            "[0-9]{1,20}\\.[0-9]{0,3}",
            any::<String>(),
        ]
    }

    fn assert_typed(result: &Result<Money, DomainError>) -> Result<(), TestCaseError> {
        if let Err(e) = result {
            prop_assert_eq!(e.code, ErrorCode::InvalidInput, "{}", e.message);
            prop_assert!(!e.message.is_empty());
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

        #[test]
        fn any_string_is_money_or_a_typed_error(text in arb_decimalish(), currency in arb_currency()) {
            let parsed = Money::parse(&text, currency);
            assert_typed(&parsed)?;
            if let Ok(m) = parsed {
                prop_assert!(m.minor() >= 0);
                prop_assert_eq!(m.currency(), currency);
                // What was accepted formats and parses back to itself.
                prop_assert_eq!(Money::parse(&m.amount_string(), currency).ok(), Some(m));
            }
        }

        #[test]
        fn any_json_value_is_money_or_a_typed_error(
            value in prop_oneof![
                any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
                    .map_or(serde_json::Value::Null, serde_json::Value::Number)),
                any::<i64>().prop_map(serde_json::Value::from),
                any::<u64>().prop_map(serde_json::Value::from),
                any::<bool>().prop_map(serde_json::Value::from),
                arb_decimalish().prop_map(serde_json::Value::from),
            ],
            currency in arb_currency(),
        ) {
            assert_typed(&Money::from_json(&value, currency))?;
        }

        #[test]
        fn valid_amounts_round_trip(minor in 0i64..=i64::MAX, currency in arb_currency(), zeros in 0usize..4, pad in "[ \t]{0,2}") {
            let m = Money::from_minor(minor, currency);
            let text = m.amount_string();
            prop_assert_eq!(Money::parse(&text, currency).ok(), Some(m));
            // Trailing zeros and surrounding blanks are the same amount.
            let padded = if currency.exponent() == 0 && zeros > 0 {
                format!("{pad}{text}.{}{pad}", "0".repeat(zeros))
            } else {
                format!("{pad}{text}{}{pad}", "0".repeat(if currency.exponent() == 0 { 0 } else { zeros }))
            };
            prop_assert_eq!(Money::parse(&padded, currency).ok(), Some(m));
            prop_assert_eq!(Money::from_json(&serde_json::Value::from(text), currency).ok(), Some(m));
            prop_assert_eq!(m.to_decimal().normalize().scale() <= currency.exponent(), true);
        }

        #[test]
        fn any_currency_code_is_known_or_a_typed_error(code in prop_oneof![any::<String>(), "[a-zA-Z]{3}"]) {
            if let Err(e) = Currency::parse(&code) {
                prop_assert_eq!(e.code, ErrorCode::InvalidInput);
            }
        }
    }
}
