//! Pure condition/update evaluation (the SQLite backend and tests) and the DynamoDB expression
//! builder (the DynamoDB backend). Both encode the same rules, so a `Cond` means the same thing
//! on either backend.
//!
//! Rules:
//! - A condition is evaluated against the item stored under the op's key. An absent item has no
//!   attributes; an expired item (numeric `expires_at <= now`) counts as absent.
//! - `Eq` needs the attribute present with the same type and value; `Ne` is `Not(Eq)`.
//! - `Lt`/`Le`/`Gt`/`Ge` are false when the attribute is missing or not a number.
//! - `And([])` is true, `Or([])` is false.

use std::collections::BTreeMap;

use crate::error::StoreError;
use crate::item::{attr, is_expired, Cond, Index, Item, SkCondition, Update, Value};

/// Evaluates `cond` against `stored` (`None` = absent) at time `now` (unix seconds).
pub fn eval(cond: &Cond, stored: Option<&Item>, now: i64) -> bool {
    eval_live(cond, stored.filter(|item| !is_expired(item, now)))
}

fn eval_live(cond: &Cond, item: Option<&Item>) -> bool {
    let get = |name: &str| item.and_then(|i| i.get(name));
    let num = |name: &str| get(name).and_then(Value::as_n);
    match cond {
        Cond::Exists => item.is_some(),
        Cond::NotExists => item.is_none(),
        Cond::AttrExists(a) => get(a).is_some(),
        Cond::AttrNotExists(a) => get(a).is_none(),
        Cond::Eq(a, v) => get(a) == Some(v),
        Cond::Ne(a, v) => get(a) != Some(v),
        Cond::Lt(a, n) => num(a).is_some_and(|x| x < *n),
        Cond::Le(a, n) => num(a).is_some_and(|x| x <= *n),
        Cond::Gt(a, n) => num(a).is_some_and(|x| x > *n),
        Cond::Ge(a, n) => num(a).is_some_and(|x| x >= *n),
        Cond::And(cs) => cs.iter().all(|c| eval_live(c, item)),
        Cond::Or(cs) => cs.iter().any(|c| eval_live(c, item)),
        Cond::Not(c) => !eval_live(c, item),
    }
}

/// Applies `updates` to `item` the way DynamoDB's `SET` / `REMOVE` / `ADD` do.
///
/// # Errors
/// `Invalid` when `Add` targets an attribute that is not a number, or the sum overflows.
pub fn apply_updates(mut item: Item, updates: &[Update]) -> Result<Item, StoreError> {
    for update in updates {
        match update {
            Update::Set(name, value) => {
                item.insert(name.clone(), value.clone());
            }
            Update::Remove(name) => {
                item.remove(name);
            }
            Update::Add(name, delta) => {
                let current = match item.get(name) {
                    None => 0,
                    Some(Value::N(n)) => *n,
                    Some(_) => {
                        return Err(StoreError::invalid(format!(
                            "cannot add to `{name}`: it is not a number"
                        )))
                    }
                };
                let sum = current
                    .checked_add(*delta)
                    .ok_or_else(|| StoreError::invalid(format!("adding to `{name}` overflows")))?;
                item.insert(name.clone(), Value::N(sum));
            }
        }
    }
    Ok(item)
}

/// Builds DynamoDB expressions. Every attribute name goes through a `#nK` placeholder (so reserved
/// words are safe) and every value through a `:vK` placeholder; placeholders are created only
/// when written into an expression, so [`ExprBuilder::finish`] returns exactly the used ones
/// (DynamoDB rejects unused ones).
#[derive(Debug, Default)]
pub struct ExprBuilder {
    /// attribute name → placeholder
    names: BTreeMap<String, String>,
    values: BTreeMap<String, Value>,
}

/// The `ExpressionAttributeNames` / `ExpressionAttributeValues` of a built request.
#[derive(Debug, Default, PartialEq)]
pub struct ExprAttributes {
    /// placeholder (`#n0`) → attribute name
    pub names: BTreeMap<String, String>,
    /// placeholder (`:v0`) → value
    pub values: BTreeMap<String, Value>,
}

impl ExprBuilder {
    /// The placeholder of attribute `name` (the same one on every use).
    pub fn name(&mut self, name: &str) -> String {
        let next = format!("#n{}", self.names.len());
        self.names.entry(name.to_owned()).or_insert(next).clone()
    }

    /// The placeholder bound to `value` (equal values share one).
    pub fn value(&mut self, value: Value) -> String {
        if let Some((placeholder, _)) = self.values.iter().find(|(_, v)| **v == value) {
            return placeholder.clone();
        }
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    /// `attribute_type(#a, :T) AND #a <op> :v`: the type guard makes comparisons with a
    /// missing attribute or one of another type false on AWS and moto alike (moto compares
    /// loosely: a missing attribute equals NULL, `true` equals 1, a string vs a number errors).
    fn typed_compare(&mut self, name: &str, op: &str, value: &Value) -> String {
        let name = self.name(name);
        let type_value = self.value(Value::S(type_code(value).to_owned()));
        let guard = format!("attribute_type({name}, {type_value})");
        if *value == Value::Null {
            return guard; // NULL has a single value: the type says it all
        }
        format!("{guard} AND {name} {op} {}", self.value(value.clone()))
    }

    /// A `ConditionExpression` for `cond` that sees expired items as absent, like [`eval`].
    ///
    /// When `cond` holds for an absent item the result is
    /// `attribute_not_exists(pk) OR expires_at <= :now OR (cond)`, otherwise
    /// `attribute_exists(pk) AND NOT (expires_at <= :now) AND (cond)`.
    /// (`expires_at <= :now` is false when `expires_at` is missing or not a number.)
    pub fn condition(&mut self, cond: &Cond, now: i64) -> String {
        let pk = self.name(attr::PK);
        let expires_at = self.name(attr::EXPIRES_AT);
        let now = self.value(Value::N(now));
        let expired = format!("{expires_at} <= {now}");
        let holds_when_absent = eval_live(cond, None);
        let inner = match cond {
            Cond::Exists | Cond::NotExists => None,
            other => Some(self.raw_condition(other)),
        };
        match (holds_when_absent, inner) {
            (true, None) => format!("attribute_not_exists({pk}) OR {expired}"),
            (true, Some(inner)) => format!("attribute_not_exists({pk}) OR {expired} OR ({inner})"),
            (false, None) => format!("attribute_exists({pk}) AND NOT ({expired})"),
            (false, Some(inner)) => {
                format!("attribute_exists({pk}) AND NOT ({expired}) AND ({inner})")
            }
        }
    }

    fn raw_condition(&mut self, cond: &Cond) -> String {
        match cond {
            Cond::Exists => format!("attribute_exists({})", self.name(attr::PK)),
            Cond::NotExists => format!("attribute_not_exists({})", self.name(attr::PK)),
            Cond::AttrExists(a) => format!("attribute_exists({})", self.name(a)),
            Cond::AttrNotExists(a) => format!("attribute_not_exists({})", self.name(a)),
            Cond::Eq(a, v) => self.typed_compare(a, "=", v),
            Cond::Ne(a, v) => format!("NOT ({})", self.typed_compare(a, "=", v)),
            Cond::Lt(a, n) => self.typed_compare(a, "<", &Value::N(*n)),
            Cond::Le(a, n) => self.typed_compare(a, "<=", &Value::N(*n)),
            Cond::Gt(a, n) => self.typed_compare(a, ">", &Value::N(*n)),
            Cond::Ge(a, n) => self.typed_compare(a, ">=", &Value::N(*n)),
            Cond::And(cs) => self.join(cs, "AND"),
            Cond::Or(cs) => self.join(cs, "OR"),
            Cond::Not(c) => format!("NOT ({})", self.raw_condition(c)),
        }
    }

    /// Joins with `op`, parenthesising each part once (DynamoDB rejects `((x))` as redundant).
    fn join(&mut self, conds: &[Cond], op: &str) -> String {
        match conds {
            [] => {
                // DynamoDB has no boolean literals: spell true / false with the key attribute.
                let pk = self.name(attr::PK);
                match op {
                    "AND" => format!("attribute_exists({pk}) OR attribute_not_exists({pk})"),
                    _ => format!("attribute_exists({pk}) AND attribute_not_exists({pk})"),
                }
            }
            [only] => self.raw_condition(only),
            _ => {
                let parts: Vec<String> = conds
                    .iter()
                    .map(|c| format!("({})", self.raw_condition(c)))
                    .collect();
                parts.join(&format!(" {op} "))
            }
        }
    }

    /// An `UpdateExpression`: `SET a = :v, ... REMOVE b, ... ADD c :n, ...`.
    pub fn update(&mut self, updates: &[Update]) -> String {
        let (mut set, mut remove, mut add) = (Vec::new(), Vec::new(), Vec::new());
        for update in updates {
            match update {
                Update::Set(a, v) => {
                    let name = self.name(a);
                    set.push(format!("{name} = {}", self.value(v.clone())));
                }
                Update::Remove(a) => remove.push(self.name(a)),
                Update::Add(a, n) => {
                    let name = self.name(a);
                    add.push(format!("{name} {}", self.value(Value::N(*n))));
                }
            }
        }
        [("SET", set), ("REMOVE", remove), ("ADD", add)]
            .into_iter()
            .filter(|(_, clauses)| !clauses.is_empty())
            .map(|(verb, clauses)| format!("{verb} {}", clauses.join(", ")))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A `KeyConditionExpression` on `index` for partition `pk` and sort-key condition `sk`.
    pub fn key_condition(&mut self, index: Index, pk: &str, sk: &SkCondition) -> String {
        let (pk_attr, sk_attr) = index.key_attrs();
        let pk_name = self.name(pk_attr);
        let pk_value = self.value(Value::S(pk.to_owned()));
        let partition = format!("{pk_name} = {pk_value}");
        let sort = match sk {
            SkCondition::Any => return partition,
            SkCondition::BeginsWith(prefix) => {
                let name = self.name(sk_attr);
                format!(
                    "begins_with({name}, {})",
                    self.value(prefix.as_str().into())
                )
            }
            SkCondition::Between(low, high) => {
                let name = self.name(sk_attr);
                let low = self.value(low.as_str().into());
                format!(
                    "{name} BETWEEN {low} AND {}",
                    self.value(high.as_str().into())
                )
            }
            SkCondition::Gt(s) => self.sk_compare(sk_attr, ">", s),
            SkCondition::Ge(s) => self.sk_compare(sk_attr, ">=", s),
            SkCondition::Lt(s) => self.sk_compare(sk_attr, "<", s),
            SkCondition::Le(s) => self.sk_compare(sk_attr, "<=", s),
        };
        format!("{partition} AND {sort}")
    }

    fn sk_compare(&mut self, sk_attr: &str, op: &str, s: &str) -> String {
        let name = self.name(sk_attr);
        format!("{name} {op} {}", self.value(s.into()))
    }

    /// A `FilterExpression` keeping only live (not expired) items.
    pub fn live_filter(&mut self, now: i64) -> String {
        let expires_at = self.name(attr::EXPIRES_AT);
        format!("NOT ({expires_at} <= {})", self.value(Value::N(now)))
    }

    /// The placeholders used so far.
    pub fn finish(self) -> ExprAttributes {
        ExprAttributes {
            names: self.names.into_iter().map(|(name, p)| (p, name)).collect(),
            values: self.values,
        }
    }
}

/// DynamoDB's type code of `value`, as `attribute_type` takes it.
fn type_code(value: &Value) -> &'static str {
    match value {
        Value::S(_) => "S",
        Value::N(_) => "N",
        Value::Bool(_) => "BOOL",
        Value::Null => "NULL",
        Value::L(_) => "L",
        Value::M(_) => "M",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000;

    fn item(pairs: &[(&str, Value)]) -> Item {
        let mut item = Item::from([
            ("pk".to_owned(), Value::from("P")),
            ("sk".to_owned(), Value::from("S")),
        ]);
        for (k, v) in pairs {
            item.insert((*k).to_owned(), v.clone());
        }
        item
    }

    fn s(a: &str) -> String {
        a.to_owned()
    }

    #[test]
    fn existence_conditions_follow_the_stored_item() {
        let stored = item(&[]);
        assert!(eval(&Cond::Exists, Some(&stored), NOW));
        assert!(!eval(&Cond::NotExists, Some(&stored), NOW));
        assert!(!eval(&Cond::Exists, None, NOW));
        assert!(eval(&Cond::NotExists, None, NOW));
    }

    #[test]
    fn an_expired_item_counts_as_absent() {
        let expired = item(&[("expires_at", Value::N(NOW)), ("a", Value::N(1))]);
        assert!(eval(&Cond::NotExists, Some(&expired), NOW));
        assert!(!eval(&Cond::Exists, Some(&expired), NOW));
        assert!(!eval(&Cond::AttrExists(s("a")), Some(&expired), NOW));
        assert!(!eval(&Cond::Eq(s("a"), Value::N(1)), Some(&expired), NOW));
        let live = item(&[("expires_at", Value::N(NOW + 1))]);
        assert!(eval(&Cond::Exists, Some(&live), NOW));
        // A non-numeric expires_at never expires (as DynamoDB TTL ignores it).
        let odd = item(&[("expires_at", Value::from("0"))]);
        assert!(eval(&Cond::Exists, Some(&odd), NOW));
    }

    #[test]
    fn attribute_and_equality_conditions() {
        let stored = item(&[("a", Value::N(5)), ("b", Value::from("x"))]);
        let st = Some(&stored);
        assert!(eval(&Cond::AttrExists(s("a")), st, NOW));
        assert!(!eval(&Cond::AttrExists(s("zz")), st, NOW));
        assert!(eval(&Cond::AttrNotExists(s("zz")), st, NOW));
        assert!(!eval(&Cond::AttrNotExists(s("a")), st, NOW));
        assert!(eval(&Cond::Eq(s("a"), Value::N(5)), st, NOW));
        assert!(
            !eval(&Cond::Eq(s("a"), Value::from("5")), st, NOW),
            "types differ"
        );
        assert!(
            !eval(&Cond::Eq(s("zz"), Value::Null), st, NOW),
            "missing is not Null"
        );
        assert!(eval(&Cond::Ne(s("a"), Value::N(6)), st, NOW));
        assert!(!eval(&Cond::Ne(s("a"), Value::N(5)), st, NOW));
        assert!(
            eval(&Cond::Ne(s("zz"), Value::N(5)), st, NOW),
            "missing differs"
        );
    }

    #[test]
    fn numeric_comparisons_are_false_for_missing_or_non_numbers() {
        let stored = item(&[("n", Value::N(5)), ("t", Value::from("9"))]);
        let st = Some(&stored);
        let cases = [
            (Cond::Lt(s("n"), 6), true),
            (Cond::Lt(s("n"), 5), false),
            (Cond::Le(s("n"), 5), true),
            (Cond::Le(s("n"), 4), false),
            (Cond::Gt(s("n"), 4), true),
            (Cond::Gt(s("n"), 5), false),
            (Cond::Ge(s("n"), 5), true),
            (Cond::Ge(s("n"), 6), false),
            (Cond::Ge(s("missing"), i64::MIN), false),
            (Cond::Lt(s("missing"), i64::MAX), false),
            (Cond::Lt(s("t"), 100), false),
        ];
        for (cond, expected) in cases {
            assert_eq!(eval(&cond, st, NOW), expected, "{cond:?}");
        }
    }

    #[test]
    fn boolean_combinators() {
        let stored = item(&[("n", Value::N(5))]);
        let st = Some(&stored);
        let t = || Cond::Exists;
        let f = || Cond::NotExists;
        assert!(eval(&Cond::And(vec![]), st, NOW));
        assert!(!eval(&Cond::Or(vec![]), st, NOW));
        assert!(eval(&Cond::And(vec![t(), t()]), st, NOW));
        assert!(!eval(&Cond::And(vec![t(), f()]), st, NOW));
        assert!(eval(&Cond::Or(vec![f(), t()]), st, NOW));
        assert!(!eval(&Cond::Or(vec![f(), f()]), st, NOW));
        assert!(eval(&Cond::Not(Box::new(f())), st, NOW));
        assert!(!eval(&Cond::Not(Box::new(t())), st, NOW));
    }

    #[test]
    fn updates_set_remove_and_add_with_missing_as_zero() {
        let start = item(&[("a", Value::N(5)), ("b", Value::from("x"))]);
        let out = apply_updates(
            start,
            &[
                Update::Add(s("a"), -2),
                Update::Add(s("c"), 7),
                Update::Remove(s("b")),
                Update::Set(s("d"), Value::Bool(true)),
            ],
        )
        .unwrap();
        assert_eq!(
            out,
            item(&[
                ("a", Value::N(3)),
                ("c", Value::N(7)),
                ("d", Value::Bool(true))
            ])
        );
    }

    #[test]
    fn adding_to_a_non_number_is_invalid() {
        let start = item(&[("b", Value::from("x"))]);
        let err = apply_updates(start, &[Update::Add(s("b"), 1)]).unwrap_err();
        assert!(matches!(err, StoreError::Invalid { .. }), "{err:?}");
        let start = item(&[("n", Value::N(i64::MAX))]);
        let err = apply_updates(start, &[Update::Add(s("n"), 1)]).unwrap_err();
        assert!(matches!(err, StoreError::Invalid { .. }), "{err:?}");
    }

    /// Every placeholder in `exprs` is declared and every declared one appears in `exprs`.
    fn assert_only_used_placeholders(exprs: &[&str], attrs: &ExprAttributes) {
        let text = exprs.join(" ");
        let used: std::collections::BTreeSet<String> = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '#' || c == ':'))
            .filter(|w| w.starts_with('#') || w.starts_with(':'))
            .map(str::to_owned)
            .collect();
        let declared: std::collections::BTreeSet<String> = attrs
            .names
            .keys()
            .chain(attrs.values.keys())
            .cloned()
            .collect();
        assert_eq!(used, declared, "expressions: {text}");
    }

    #[test]
    fn condition_wraps_expiry_for_conditions_that_fail_on_absent_items() {
        let mut b = ExprBuilder::default();
        let expr = b.condition(&Cond::Ge(s("stock"), 1), NOW);
        let attrs = b.finish();
        assert_eq!(
            expr,
            "attribute_exists(#n0) AND NOT (#n1 <= :v0) AND (attribute_type(#n2, :v1) AND #n2 >= :v2)"
        );
        assert_eq!(attrs.names["#n0"], "pk");
        assert_eq!(attrs.names["#n1"], "expires_at");
        assert_eq!(attrs.names["#n2"], "stock");
        assert_eq!(attrs.values[":v0"], Value::N(NOW));
        assert_eq!(attrs.values[":v1"], Value::from("N"));
        assert_eq!(attrs.values[":v2"], Value::N(1));
        assert_only_used_placeholders(&[&expr], &attrs);
    }

    #[test]
    fn not_exists_means_absent_or_expired() {
        let mut b = ExprBuilder::default();
        let expr = b.condition(&Cond::NotExists, NOW);
        let attrs = b.finish();
        assert_eq!(expr, "attribute_not_exists(#n0) OR #n1 <= :v0");
        assert_only_used_placeholders(&[&expr], &attrs);

        let mut b = ExprBuilder::default();
        let expr = b.condition(&Cond::Exists, NOW);
        assert_eq!(expr, "attribute_exists(#n0) AND NOT (#n1 <= :v0)");
    }

    #[test]
    fn conditions_that_hold_on_absent_items_accept_expired_ones() {
        let mut b = ExprBuilder::default();
        let expr = b.condition(&Cond::Ne(s("status"), Value::from("PAID")), NOW);
        let attrs = b.finish();
        assert_eq!(
            expr,
            "attribute_not_exists(#n0) OR #n1 <= :v0 OR (NOT (attribute_type(#n2, :v1) AND #n2 = :v2))"
        );
        assert_only_used_placeholders(&[&expr], &attrs);
    }

    #[test]
    fn equality_is_type_guarded_and_null_is_a_type_check() {
        let mut b = ExprBuilder::default();
        let cond = Cond::And(vec![
            Cond::Eq(s("gone"), Value::Null),
            Cond::Eq(s("flag"), Value::Bool(true)),
            Cond::Lt(s("n"), 3),
            Cond::Gt(s("m"), 3),
        ]);
        let expr = b.raw_condition(&cond);
        let attrs = b.finish();
        assert_eq!(
            expr,
            "(attribute_type(#n0, :v0)) AND (attribute_type(#n1, :v1) AND #n1 = :v2) AND \
             (attribute_type(#n2, :v3) AND #n2 < :v4) AND (attribute_type(#n3, :v3) AND #n3 > :v4)"
        );
        assert_eq!(attrs.values[":v0"], Value::from("NULL"));
        assert_eq!(attrs.values[":v1"], Value::from("BOOL"));
        assert_eq!(attrs.values[":v3"], Value::from("N"));
        assert_eq!(attrs.values.len(), 5, "equal values share a placeholder");
        assert_only_used_placeholders(&[&expr], &attrs);
    }

    /// True when some `((x))` occurs: a pair directly enclosing another pair.
    fn has_redundant_parentheses(expr: &str) -> bool {
        let bytes = expr.as_bytes();
        let mut open = Vec::new();
        let mut pairs = std::collections::HashMap::new();
        for (i, b) in bytes.iter().enumerate() {
            match b {
                b'(' => open.push(i),
                b')' => {
                    pairs.insert(open.pop().expect("balanced"), i);
                }
                _ => {}
            }
        }
        pairs
            .iter()
            .any(|(start, end)| pairs.get(&(start + 1)) == Some(&(end - 1)))
    }

    #[test]
    fn the_redundancy_check_spots_double_parentheses() {
        assert!(has_redundant_parentheses("a AND ((b))"));
        assert!(!has_redundant_parentheses("((a) AND (b))"));
        assert!(!has_redundant_parentheses("f(x) AND (g(y))"));
    }

    #[test]
    fn nested_combinators_never_produce_redundant_parentheses() {
        let conds = [
            Cond::And(vec![]),
            Cond::Or(vec![]),
            Cond::And(vec![Cond::Or(vec![Cond::And(vec![Cond::Exists])])]),
            Cond::And(vec![Cond::And(vec![]), Cond::Or(vec![Cond::Gt(s("a"), 1)])]),
            Cond::Not(Box::new(Cond::And(vec![Cond::Not(Box::new(Cond::Or(
                vec![],
            )))]))),
        ];
        for cond in conds {
            let mut b = ExprBuilder::default();
            let expr = b.condition(&cond, NOW);
            assert!(!has_redundant_parentheses(&expr), "{cond:?} -> {expr}");
            assert_only_used_placeholders(&[&expr], &b.finish());
        }
    }

    #[test]
    fn every_condition_variant_uses_placeholders_only() {
        let cond = Cond::And(vec![
            Cond::AttrExists(s("name")),
            Cond::AttrNotExists(s("size")),
            Cond::Or(vec![
                Cond::Eq(s("status"), Value::from("OPEN")),
                Cond::Lt(s("count"), 3),
                Cond::Le(s("count"), 4),
                Cond::Gt(s("count"), 0),
            ]),
            Cond::Not(Box::new(Cond::Ge(s("version"), 9))),
            Cond::Exists,
            Cond::And(vec![]),
            Cond::Or(vec![]),
        ]);
        let mut b = ExprBuilder::default();
        let expr = b.condition(&cond, NOW);
        let attrs = b.finish();
        // Reserved words such as `name`, `size`, `status`, `count` never appear bare.
        for word in ["name", "size", "status", "count", "version"] {
            assert!(!expr.contains(word), "{word} in {expr}");
        }
        assert_only_used_placeholders(&[&expr], &attrs);
        // `count` is used three times but declared once.
        assert_eq!(attrs.names.values().filter(|n| *n == "count").count(), 1);
    }

    #[test]
    fn update_expression_groups_clauses_and_declares_only_used_placeholders() {
        let mut b = ExprBuilder::default();
        let expr = b.update(&[
            Update::Set(s("status"), Value::from("PAID")),
            Update::Add(s("stock"), -1),
            Update::Remove(s("hold")),
            Update::Set(s("total"), Value::N(1250)),
        ]);
        let attrs = b.finish();
        assert_eq!(expr, "SET #n0 = :v0, #n3 = :v2 REMOVE #n2 ADD #n1 :v1");
        assert_only_used_placeholders(&[&expr], &attrs);

        let mut b = ExprBuilder::default();
        let expr = b.update(&[Update::Remove(s("a"))]);
        let attrs = b.finish();
        assert_eq!(expr, "REMOVE #n0");
        assert!(attrs.values.is_empty());
    }

    #[test]
    fn update_and_condition_share_one_set_of_placeholders() {
        let mut b = ExprBuilder::default();
        let update = b.update(&[Update::Add(s("stock"), -1)]);
        let cond = b.condition(&Cond::Ge(s("stock"), 1), NOW);
        let attrs = b.finish();
        assert_eq!(update, "ADD #n0 :v0");
        assert!(
            cond.ends_with("(attribute_type(#n0, :v2) AND #n0 >= :v3)"),
            "{cond}"
        );
        assert_only_used_placeholders(&[&update, &cond], &attrs);
    }

    #[test]
    fn key_conditions_per_index_and_sort_condition() {
        let cases = [
            (Index::Primary, SkCondition::Any, "#n0 = :v0", vec!["pk"]),
            (
                Index::Gsi1,
                SkCondition::BeginsWith(s("ORDER#")),
                "#n0 = :v0 AND begins_with(#n1, :v1)",
                vec!["gsi1pk", "gsi1sk"],
            ),
            (
                Index::Gsi2,
                SkCondition::Between(s("a"), s("b")),
                "#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2",
                vec!["gsi2pk", "gsi2sk"],
            ),
            (
                Index::Primary,
                SkCondition::Gt(s("a")),
                "#n0 = :v0 AND #n1 > :v1",
                vec!["pk", "sk"],
            ),
            (
                Index::Primary,
                SkCondition::Ge(s("a")),
                "#n0 = :v0 AND #n1 >= :v1",
                vec!["pk", "sk"],
            ),
            (
                Index::Primary,
                SkCondition::Lt(s("a")),
                "#n0 = :v0 AND #n1 < :v1",
                vec!["pk", "sk"],
            ),
            (
                Index::Primary,
                SkCondition::Le(s("a")),
                "#n0 = :v0 AND #n1 <= :v1",
                vec!["pk", "sk"],
            ),
        ];
        for (index, sk, expected, names) in cases {
            let mut b = ExprBuilder::default();
            let expr = b.key_condition(index, "P", &sk);
            let filter = b.live_filter(NOW);
            let attrs = b.finish();
            assert_eq!(expr, expected);
            let mut declared: Vec<&str> = attrs.names.values().map(String::as_str).collect();
            declared.sort_unstable();
            let mut want = names.clone();
            want.push("expires_at");
            want.sort_unstable();
            assert_eq!(declared, want);
            assert_only_used_placeholders(&[&expr, &filter], &attrs);
        }
    }
}
