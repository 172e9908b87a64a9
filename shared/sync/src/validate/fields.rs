//! Typed, path-aware access to a JSON object: every failure names its field (`data.stock`).
//!
//! Type rules, shared by every kind (and so by webhooks and CSV alike):
//! - absent and `null` are the same: "not given" (defaults apply);
//! - text: a JSON string (trimmed; blank = not given for optional text);
//! - ids: a string, or a JSON integer turned into its digits;
//! - integers: JSON integers only (`10`, not `10.0` or `"10"`; CSV cells are converted before);
//! - decimals and money: a decimal string (`"1.5"`) or a JSON number (`1.5`), never via floats;
//! - booleans: JSON `true` / `false`;
//! - datetimes: RFC 3339 strings with an offset (`2025-08-13T14:30:29Z`), stored in UTC.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use oms_domain::ids::TenantId;
use oms_domain::money::{Currency, Money};
use oms_domain::DomainError;

use crate::error::{relative, SyncError};

/// Longest free text accepted (names, delivery times, option values), in characters.
pub(crate) const MAX_TEXT: usize = 1000;

pub(crate) type Res<T> = Result<T, SyncError>;

/// `(start_date, end_date)`.
pub(crate) type DateRange = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// A JSON object being validated, with its path from the body root.
#[derive(Clone, Copy)]
pub(crate) struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

/// A domain limit refused a validated snapshot: the error at `data.<its field>` (the domain
/// names fields as the payload does), its message naming the limit.
pub(crate) fn limit_error(e: DomainError) -> SyncError {
    let path = match &e.field {
        Some(f) if !f.is_empty() => format!("data.{}", f.join(".")),
        _ => "data".to_string(),
    };
    SyncError::from_domain(&path, e)
}

/// Error at `path` whose message starts with the path relative to `data`.
pub(crate) fn err_at(path: &str, what: &str) -> SyncError {
    SyncError::invalid(path, format!("{} {what}", relative(path)))
}

pub(crate) fn join(path: &str, key: &str) -> String {
    format!("{path}.{key}")
}

impl<'a> Obj<'a> {
    pub(crate) fn new(map: &'a Map<String, Value>, path: &'a str) -> Self {
        Obj { map, path }
    }

    pub(crate) fn path(&self, key: &str) -> String {
        join(self.path, key)
    }

    pub(crate) fn err(&self, key: &str, what: &str) -> SyncError {
        err_at(&self.path(key), what)
    }

    pub(crate) fn domain_err(&self, key: &str, e: DomainError) -> SyncError {
        SyncError::from_domain(&self.path(key), e)
    }

    /// The value, treating `null` as absent.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub(crate) fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    fn required(&self, key: &str) -> Res<&'a Value> {
        self.get(key).ok_or_else(|| self.err(key, "is required."))
    }

    /// Rejects keys not in `known` (used for `conditions`, where a misspelt key would silently
    /// widen an offer or a shipping option).
    pub(crate) fn reject_unknown(&self, known: &[&str]) -> Res<()> {
        match self.map.keys().find(|k| !known.contains(&k.as_str())) {
            Some(k) => Err(self.err(
                k,
                &format!(
                    "is not a known field (expected one of: {}).",
                    known.join(", ")
                ),
            )),
            None => Ok(()),
        }
    }

    /// `tenant_id`, when given, must equal the route's tenant.
    pub(crate) fn check_tenant(&self, tenant: &TenantId) -> Res<()> {
        match self.get("tenant_id") {
            None => Ok(()),
            Some(Value::String(s)) if s.trim() == tenant.as_str() => Ok(()),
            Some(Value::String(_)) => Err(SyncError::tenant_mismatch(self.path("tenant_id"))),
            Some(_) => Err(self.err("tenant_id", "must be a string.")),
        }
    }

    fn string(&self, key: &str, v: &'a Value) -> Res<&'a str> {
        v.as_str().ok_or_else(|| self.err(key, "must be a string."))
    }

    fn bounded(&self, key: &str, s: &str) -> Res<String> {
        let t = s.trim();
        if t.chars().count() > MAX_TEXT {
            return Err(self.err(key, &format!("must be at most {MAX_TEXT} characters.")));
        }
        Ok(t.to_string())
    }

    /// Optional text of at most `max` characters (a domain limit).
    pub(crate) fn opt_text_within(&self, key: &str, max: usize) -> Res<Option<String>> {
        let text = self.opt_text(key)?;
        if let Some(t) = &text {
            self.within(key, t, max)?;
        }
        Ok(text)
    }

    /// Required non-blank text of at most `max` characters (a domain limit).
    pub(crate) fn text_within(&self, key: &str, max: usize) -> Res<String> {
        let text = self.text(key)?;
        self.within(key, &text, max)?;
        Ok(text)
    }

    fn within(&self, key: &str, text: &str, max: usize) -> Res<()> {
        oms_domain::limits::check_chars(key, text, max)
            .map_err(|_| self.err(key, &format!("must be at most {max} characters.")))
    }

    /// Required non-blank text.
    pub(crate) fn text(&self, key: &str) -> Res<String> {
        let s = self.bounded(key, self.string(key, self.required(key)?)?)?;
        if s.is_empty() {
            return Err(self.err(key, "must not be empty."));
        }
        Ok(s)
    }

    /// Optional text; blank counts as not given.
    pub(crate) fn opt_text(&self, key: &str) -> Res<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => {
                let s = self.bounded(key, self.string(key, v)?)?;
                Ok(if s.is_empty() { None } else { Some(s) })
            }
        }
    }

    /// Id text: a string or a JSON integer.
    fn id_text(&self, key: &str, v: &'a Value) -> Res<String> {
        match v {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
            _ => Err(self.err(key, "must be a string.")),
        }
    }

    /// A required id built with the domain constructor (`VendorId::new`, ...).
    pub(crate) fn id<T>(&self, key: &str, ctor: impl Fn(&str) -> Result<T, DomainError>) -> Res<T> {
        let raw = self.id_text(key, self.required(key)?)?;
        ctor(&raw).map_err(|e| self.domain_err(key, e))
    }

    pub(crate) fn opt_id<T>(
        &self,
        key: &str,
        ctor: impl Fn(&str) -> Result<T, DomainError>,
    ) -> Res<Option<T>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => {
                let raw = self.id_text(key, v)?;
                if raw.trim().is_empty() {
                    return Ok(None);
                }
                ctor(&raw).map(Some).map_err(|e| self.domain_err(key, e))
            }
        }
    }

    pub(crate) fn bool_or(&self, key: &str, default: bool) -> Res<bool> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(self.err(key, "must be true or false.")),
        }
    }

    /// Optional JSON integer within `min..=max`.
    pub(crate) fn opt_int(&self, key: &str, min: i64, max: i64) -> Res<Option<i64>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let out_of_range = || {
            self.err(
                key,
                &format!("must be a whole number between {min} and {max}."),
            )
        };
        match v {
            Value::Number(n) => match n.as_i64() {
                Some(i) if (min..=max).contains(&i) => Ok(Some(i)),
                _ => Err(out_of_range()),
            },
            _ => Err(out_of_range()),
        }
    }

    pub(crate) fn int(&self, key: &str, min: i64, max: i64) -> Res<i64> {
        self.required(key)?;
        self.opt_int(key, min, max)?
            .ok_or_else(|| self.err(key, "is required."))
    }

    pub(crate) fn opt_u32(&self, key: &str, min: u32) -> Res<Option<u32>> {
        let v = self.opt_int(key, i64::from(min), i64::from(u32::MAX))?;
        Ok(v.and_then(|i| u32::try_from(i).ok()))
    }

    pub(crate) fn u32(&self, key: &str, min: u32) -> Res<u32> {
        self.required(key)?;
        self.opt_u32(key, min)?
            .ok_or_else(|| self.err(key, "is required."))
    }

    /// Optional exact decimal (string or number).
    pub(crate) fn opt_decimal(&self, key: &str) -> Res<Option<Decimal>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => parse_decimal(v)
                .map(Some)
                .ok_or_else(|| self.err(key, "must be a decimal number.")),
        }
    }

    /// Optional decimal ≥ 0.
    pub(crate) fn opt_non_negative(&self, key: &str) -> Res<Option<Decimal>> {
        match self.opt_decimal(key)? {
            Some(d) if d.is_sign_negative() && !d.is_zero() => {
                Err(self.err(key, "must not be negative."))
            }
            other => Ok(other),
        }
    }

    /// Optional decimal > 0.
    pub(crate) fn opt_positive(&self, key: &str) -> Res<Option<Decimal>> {
        match self.opt_decimal(key)? {
            Some(d) if d <= Decimal::ZERO => Err(self.err(key, "must be greater than 0.")),
            other => Ok(other),
        }
    }

    pub(crate) fn positive(&self, key: &str) -> Res<Decimal> {
        self.required(key)?;
        self.opt_positive(key)?
            .ok_or_else(|| self.err(key, "is required."))
    }

    /// Optional money in `currency` (decimal string or number, ≥ 0, no sub-minor-unit digits).
    pub(crate) fn opt_money(&self, key: &str, currency: Currency) -> Res<Option<Money>> {
        match self.get(key) {
            None => Ok(None),
            Some(v @ (Value::String(_) | Value::Number(_))) => Money::from_json(v, currency)
                .map(Some)
                .map_err(|e| self.domain_err(key, e)),
            Some(_) => Err(self.err(key, "must be a decimal string or number.")),
        }
    }

    pub(crate) fn money(&self, key: &str, currency: Currency) -> Res<Money> {
        self.required(key)?;
        self.opt_money(key, currency)?
            .ok_or_else(|| self.err(key, "is required."))
    }

    pub(crate) fn currency(&self, key: &str, default: Option<Currency>) -> Res<Currency> {
        match (self.get(key), default) {
            (None, Some(d)) => Ok(d),
            (None, None) => Err(self.err(key, "is required.")),
            (Some(v), _) => {
                Currency::parse(self.string(key, v)?).map_err(|e| self.domain_err(key, e))
            }
        }
    }

    pub(crate) fn opt_datetime(&self, key: &str) -> Res<Option<DateTime<Utc>>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => {
                let s = self.string(key, v)?.trim();
                if s.is_empty() {
                    return Ok(None);
                }
                DateTime::parse_from_rfc3339(s)
                    .map(|d| Some(d.with_timezone(&Utc)))
                    .map_err(|_| {
                        self.err(
                            key,
                            "must be an RFC 3339 date-time such as 2025-08-13T14:30:29Z.",
                        )
                    })
            }
        }
    }

    /// `start_date` / `end_date`, with end ≥ start when both are given.
    pub(crate) fn date_range(&self) -> Res<DateRange> {
        let start = self.opt_datetime("start_date")?;
        let end = self.opt_datetime("end_date")?;
        if let (Some(s), Some(e)) = (start, end) {
            if e < s {
                return Err(self.err("end_date", "must not be before start_date."));
            }
        }
        Ok((start, end))
    }

    pub(crate) fn opt_object(&self, key: &str) -> Res<Option<&'a Map<String, Value>>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(_) => Err(self.err(key, "must be a JSON object.")),
        }
    }

    pub(crate) fn opt_array(&self, key: &str) -> Res<Option<&'a Vec<Value>>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(_) => Err(self.err(key, "must be a JSON array.")),
        }
    }

    /// An optional array of non-blank strings (trimmed), each checked by `item`.
    pub(crate) fn string_list<T>(
        &self,
        key: &str,
        item: impl Fn(&str, &str) -> Res<T>,
    ) -> Res<Vec<T>> {
        let Some(values) = self.opt_array(key)? else {
            return Ok(Vec::new());
        };
        let base = self.path(key);
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let path = join(&base, &i.to_string());
                match v.as_str().map(str::trim) {
                    Some(s) if !s.is_empty() => item(&path, s),
                    _ => Err(err_at(&path, "must be a non-empty string.")),
                }
            })
            .collect()
    }
}

/// An exact decimal from a JSON string or number (serde_json prints numbers as written for
/// integers and as the shortest round-trip text for decimals; no float arithmetic happens).
pub(crate) fn parse_decimal(v: &Value) -> Option<Decimal> {
    let text = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
}
