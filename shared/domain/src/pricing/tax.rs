//! (pricing engine: tax)
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::address::Country;

/// One tax rule: country, optional region (state), a named rate in percent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRule {
    pub country: Country,
    pub region: Option<String>,
    pub name: String,
    /// Percent, e.g. 9 for 9 %.
    pub rate: Decimal,
    pub shipping_taxable: bool,
}

/// A tenant's tax rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxTable {
    pub rules: Vec<TaxRule>,
}
