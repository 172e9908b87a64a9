//! Countries (ISO 3166-1 alpha-2) and postal addresses.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, ErrorCode};

/// ISO 3166-1 alpha-2 codes with English short names. Inputs may use either; we store the code.
const COUNTRIES: &[(&str, &str)] = &[
    ("AE", "United Arab Emirates"),
    ("AR", "Argentina"),
    ("AT", "Austria"),
    ("AU", "Australia"),
    ("BD", "Bangladesh"),
    ("BE", "Belgium"),
    ("BG", "Bulgaria"),
    ("BH", "Bahrain"),
    ("BN", "Brunei"),
    ("BR", "Brazil"),
    ("CA", "Canada"),
    ("CH", "Switzerland"),
    ("CL", "Chile"),
    ("CN", "China"),
    ("CO", "Colombia"),
    ("CY", "Cyprus"),
    ("CZ", "Czechia"),
    ("DE", "Germany"),
    ("DK", "Denmark"),
    ("EE", "Estonia"),
    ("EG", "Egypt"),
    ("ES", "Spain"),
    ("FI", "Finland"),
    ("FR", "France"),
    ("GB", "United Kingdom"),
    ("GR", "Greece"),
    ("HK", "Hong Kong"),
    ("HR", "Croatia"),
    ("HU", "Hungary"),
    ("ID", "Indonesia"),
    ("IE", "Ireland"),
    ("IL", "Israel"),
    ("IN", "India"),
    ("IQ", "Iraq"),
    ("IS", "Iceland"),
    ("IT", "Italy"),
    ("JO", "Jordan"),
    ("JP", "Japan"),
    ("KE", "Kenya"),
    ("KH", "Cambodia"),
    ("KR", "South Korea"),
    ("KW", "Kuwait"),
    ("LA", "Laos"),
    ("LK", "Sri Lanka"),
    ("LT", "Lithuania"),
    ("LU", "Luxembourg"),
    ("LV", "Latvia"),
    ("MA", "Morocco"),
    ("MM", "Myanmar"),
    ("MO", "Macao"),
    ("MT", "Malta"),
    ("MX", "Mexico"),
    ("MY", "Malaysia"),
    ("NG", "Nigeria"),
    ("NL", "Netherlands"),
    ("NO", "Norway"),
    ("NP", "Nepal"),
    ("NZ", "New Zealand"),
    ("OM", "Oman"),
    ("PE", "Peru"),
    ("PH", "Philippines"),
    ("PK", "Pakistan"),
    ("PL", "Poland"),
    ("PT", "Portugal"),
    ("QA", "Qatar"),
    ("RO", "Romania"),
    ("RS", "Serbia"),
    ("SA", "Saudi Arabia"),
    ("SE", "Sweden"),
    ("SG", "Singapore"),
    ("SI", "Slovenia"),
    ("SK", "Slovakia"),
    ("TH", "Thailand"),
    ("TN", "Tunisia"),
    ("TR", "Turkey"),
    ("TW", "Taiwan"),
    ("UA", "Ukraine"),
    ("UG", "Uganda"),
    ("US", "United States"),
    ("UY", "Uruguay"),
    ("VN", "Vietnam"),
    ("ZA", "South Africa"),
];

/// Aliases seen in the wild for the same countries.
const ALIASES: &[(&str, &str)] = &[
    ("United States of America", "US"),
    ("USA", "US"),
    ("UK", "GB"),
    ("Great Britain", "GB"),
    ("Korea", "KR"),
    ("Republic of Korea", "KR"),
    ("Viet Nam", "VN"),
    ("Czech Republic", "CZ"),
    ("Türkiye", "TR"),
    ("Brunei Darussalam", "BN"),
];

/// An ISO 3166-1 alpha-2 country code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Country([u8; 2]);

impl Country {
    /// Accepts `"SG"`, `"sg"`, `"Singapore"` (case-insensitive) and returns the code.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        let code = COUNTRIES
            .iter()
            .find(|(code, name)| code.eq_ignore_ascii_case(s) || name.eq_ignore_ascii_case(s))
            .map(|(code, _)| *code)
            .or_else(|| {
                ALIASES
                    .iter()
                    .find(|(a, _)| a.eq_ignore_ascii_case(s))
                    .map(|(_, c)| *c)
            });
        match code.map(str::as_bytes) {
            Some([a, b]) => Ok(Country([*a, *b])),
            _ => Err(DomainError::new(
                ErrorCode::InvalidInput,
                format!("Unknown country '{raw}': use an ISO 3166-1 alpha-2 code such as SG."),
            )),
        }
    }

    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("ZZ")
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for Country {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, DomainError> {
        Country::parse(&s)
    }
}

impl From<Country> for String {
    fn from(c: Country) -> String {
        c.code().to_string()
    }
}

/// A postal address. `postal` is a string (leading zeros and letters are real: "01234", "SW1A 1AA").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub street: String,
    pub city: String,
    pub state: Option<String>,
    pub postal: String,
    pub country: Country,
}

/// Longest field, in characters ([`crate::limits::MAX_ADDRESS_FIELD_CHARS`]).
const MAX_FIELD: usize = crate::limits::MAX_ADDRESS_FIELD_CHARS;

impl Address {
    /// Validates and normalises (trims; empty state becomes None; country to its code).
    pub fn new(
        street: &str,
        city: &str,
        state: Option<&str>,
        postal: &str,
        country: &str,
    ) -> Result<Self, DomainError> {
        let required = |name: &str, v: &str| -> Result<String, DomainError> {
            let t = v.trim();
            if t.is_empty() {
                return Err(DomainError::new(
                    ErrorCode::InvalidInput,
                    format!("Address {name} must not be empty."),
                )
                .at([name]));
            }
            crate::limits::check_chars(&format!("Address {name}"), t, MAX_FIELD)
                .map_err(|e| e.at([name]))?;
            Ok(t.to_string())
        };
        let state = state
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        if let Some(state) = &state {
            crate::limits::check_chars("Address state", state, MAX_FIELD)
                .map_err(|e| e.at(["state"]))?;
        }
        Ok(Address {
            street: required("street", street)?,
            city: required("city", city)?,
            state,
            postal: required("postal", postal)?,
            country: Country::parse(country).map_err(|e| e.at(["country"]))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_accept_codes_and_english_names() {
        assert_eq!(
            Country::parse("Singapore").map(|c| c.to_string()).ok(),
            Some("SG".into())
        );
        assert_eq!(
            Country::parse("sg").map(|c| c.to_string()).ok(),
            Some("SG".into())
        );
        assert_eq!(
            Country::parse("united states").map(|c| c.to_string()).ok(),
            Some("US".into())
        );
        assert_eq!(
            Country::parse("USA").map(|c| c.to_string()).ok(),
            Some("US".into())
        );
        assert!(Country::parse("Atlantis").is_err());
    }

    #[test]
    fn addresses_are_validated_with_field_paths() {
        let a = Address::new(" 1 Main St ", "Singapore", Some(" "), "018956", "Singapore");
        let a = a.ok();
        assert_eq!(a.as_ref().map(|a| a.postal.as_str()), Some("018956"));
        assert_eq!(a.as_ref().and_then(|a| a.state.clone()), None);
        let err = Address::new("", "X", None, "1", "SG").err();
        assert_eq!(err.and_then(|e| e.field), Some(vec!["street".to_string()]));
        let err = Address::new("s", "X", None, "1", "Narnia").err();
        assert_eq!(err.and_then(|e| e.field), Some(vec!["country".to_string()]));
    }
}
