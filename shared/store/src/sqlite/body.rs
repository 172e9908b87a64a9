//! How an item is stored in the `body` column of the embedded store: a compact binary form.
//!
//! Why not JSON: an order item carries its order as one long string attribute (the domain's
//! JSON). Stored as JSON, that string was escaped on every write and unescaped on every read
//! (each `"` doubled into `\"`), and parsing and printing it were a tenth of the server's CPU
//! under load (docs/benchmarks.md). Here a string is its length and its bytes: written with one
//! copy, read with one copy and a UTF-8 check.
//!
//! Format (all integers little-endian; lengths and counts LEB128):
//! - `0xB1` (the format's first byte; JSON, the format before, starts with `{`), then a map;
//! - map: count, then per entry the name (length + UTF-8) and a value;
//! - value: a tag, then `S` length + UTF-8 | `N` 8 bytes (i64) | `false` | `true` | `null` |
//!   `L` count + values | `M` a map.
//!
//! Rows written before (JSON text) are still read: [`decode`] looks at the first byte.
//! Decoding never panics: a truncated or foreign body is an error, and nesting is bounded.

use std::collections::BTreeMap;

use crate::error::StoreError;
use crate::item::{Item, Value};

/// The first byte of a binary body (never `{`, which starts a JSON body).
const BINARY: u8 = 0xB1;

const TAG_S: u8 = 1;
const TAG_N: u8 = 2;
const TAG_FALSE: u8 = 3;
const TAG_TRUE: u8 = 4;
const TAG_NULL: u8 = 5;
const TAG_L: u8 = 6;
const TAG_M: u8 = 7;

/// Deeper than any item the store accepts (DynamoDB allows 32 levels).
const MAX_DEPTH: usize = 64;

/// The binary body of `item`.
pub(crate) fn encode(item: &Item) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.push(BINARY);
    map(&mut out, item);
    out
}

fn map(out: &mut Vec<u8>, m: &BTreeMap<String, Value>) {
    len(out, m.len());
    for (name, value) in m {
        text(out, name);
        one(out, value);
    }
}

fn one(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::S(s) => {
            out.push(TAG_S);
            text(out, s);
        }
        Value::N(n) => {
            out.push(TAG_N);
            out.extend_from_slice(&n.to_le_bytes());
        }
        Value::Bool(false) => out.push(TAG_FALSE),
        Value::Bool(true) => out.push(TAG_TRUE),
        Value::Null => out.push(TAG_NULL),
        Value::L(values) => {
            out.push(TAG_L);
            len(out, values.len());
            for v in values {
                one(out, v);
            }
        }
        Value::M(m) => {
            out.push(TAG_M);
            map(out, m);
        }
    }
}

fn text(out: &mut Vec<u8>, s: &str) {
    len(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

/// LEB128: 7 bits per byte, low bits first, high bit set on all but the last byte.
fn len(out: &mut Vec<u8>, n: usize) {
    let mut n = n as u64;
    loop {
        let low = (n & 0x7F) as u8;
        n >>= 7;
        if n == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

/// The item stored as `body`: binary, or JSON (rows written before the binary form).
///
/// # Errors
/// `Internal` when the body is neither (truncated, corrupted, too deeply nested).
pub(crate) fn decode(body: &[u8]) -> Result<Item, StoreError> {
    match body.first() {
        Some(&BINARY) => {
            let mut reader = Reader { rest: &body[1..] };
            let item = reader.map(0)?;
            if reader.rest.is_empty() {
                Ok(item)
            } else {
                Err(corrupt("bytes after the item"))
            }
        }
        Some(b'{') => serde_json::from_slice(body).map_err(|e| StoreError::Internal(Box::new(e))),
        _ => Err(corrupt("unknown body format")),
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::internal(format!("stored item body is corrupt: {what}"))
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], StoreError> {
        if n > self.rest.len() {
            return Err(corrupt("truncated"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, StoreError> {
        Ok(self.take(1)?[0])
    }

    fn len(&mut self) -> Result<usize, StoreError> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                // A length can't exceed what is left of the body: refuse before allocating.
                return usize::try_from(n)
                    .ok()
                    .filter(|&n| n <= self.rest.len())
                    .ok_or_else(|| corrupt("length beyond the body"));
            }
        }
        Err(corrupt("length too long"))
    }

    fn text(&mut self) -> Result<String, StoreError> {
        let n = self.len()?;
        let bytes = self.take(n)?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| corrupt("a string is not UTF-8"))
    }

    fn map(&mut self, depth: usize) -> Result<BTreeMap<String, Value>, StoreError> {
        let count = self.len()?;
        let mut m = BTreeMap::new();
        for _ in 0..count {
            let name = self.text()?;
            let value = self.value(depth + 1)?;
            m.insert(name, value);
        }
        Ok(m)
    }

    fn value(&mut self, depth: usize) -> Result<Value, StoreError> {
        if depth > MAX_DEPTH {
            return Err(corrupt("nested too deeply"));
        }
        Ok(match self.byte()? {
            TAG_S => Value::S(self.text()?),
            TAG_N => {
                let bytes: [u8; 8] = self
                    .take(8)?
                    .try_into()
                    .map_err(|_| corrupt("truncated number"))?;
                Value::N(i64::from_le_bytes(bytes))
            }
            TAG_FALSE => Value::Bool(false),
            TAG_TRUE => Value::Bool(true),
            TAG_NULL => Value::Null,
            TAG_L => {
                let count = self.len()?;
                let mut values = Vec::with_capacity(count);
                for _ in 0..count {
                    values.push(self.value(depth + 1)?);
                }
                Value::L(values)
            }
            TAG_M => Value::M(self.map(depth)?),
            _ => return Err(corrupt("unknown value tag")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Item {
        let nested: BTreeMap<String, Value> = [
            ("deep".to_owned(), Value::L(vec![Value::Null, Value::N(-7)])),
            ("é".to_owned(), Value::S("ünïcode \"quoted\" \\ 🚀".into())),
        ]
        .into_iter()
        .collect();
        [
            ("pk", Value::S("T#demo#ORDER#ORD-1".into())),
            ("sk", Value::S("ORDER".into())),
            ("version", Value::N(i64::MAX)),
            ("min", Value::N(i64::MIN)),
            ("active", Value::Bool(true)),
            ("retired", Value::Bool(false)),
            ("nothing", Value::Null),
            ("empty", Value::S(String::new())),
            ("long", Value::S("x".repeat(70_000))),
            (
                "list",
                Value::L(vec![Value::M(nested.clone()), Value::L(vec![])]),
            ),
            ("map", Value::M(nested)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    #[test]
    fn an_item_reads_back_as_written() {
        let item = sample();
        assert_eq!(decode(&encode(&item)).unwrap(), item);
        assert_eq!(decode(&encode(&Item::new())).unwrap(), Item::new());
    }

    #[test]
    fn a_json_body_written_before_the_binary_form_still_reads() {
        let item = sample();
        let json = serde_json::to_vec(&item).unwrap();
        assert_eq!(decode(&json).unwrap(), item);
    }

    #[test]
    fn the_long_string_of_an_order_is_stored_without_escaping() {
        let order = r#"{"id":"ORD-1","lines":[{"sku":"MUG-01","name":"a \"b\""}]}"#;
        let item: Item = [("body".to_owned(), Value::S(order.into()))]
            .into_iter()
            .collect();
        let binary = encode(&item);
        let json = serde_json::to_vec(&item).unwrap();
        assert!(binary.len() < json.len());
        assert!(binary.windows(order.len()).any(|w| w == order.as_bytes()));
    }

    #[test]
    fn every_truncation_and_corruption_is_an_error_never_a_panic() {
        let body = encode(&sample());
        for cut in 0..body.len() {
            assert!(decode(&body[..cut]).is_err(), "truncated at {cut}");
        }
        let mut longer = body.clone();
        longer.push(0);
        assert!(decode(&longer).is_err());
        // Flipping any byte either still decodes to some item or is an error.
        for i in 0..body.len().min(4_000) {
            let mut flipped = body.clone();
            flipped[i] ^= 0xFF;
            let _ = decode(&flipped);
        }
        assert!(decode(b"").is_err());
        assert!(decode(b"\x00").is_err());
        // A length claiming more than the body holds is refused before allocating.
        assert!(decode(&[BINARY, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]).is_err());
        // Nesting beyond MAX_DEPTH is refused.
        let mut deep = vec![BINARY, 1, 1, b'a'];
        for _ in 0..=MAX_DEPTH {
            deep.extend_from_slice(&[TAG_L, 1]);
        }
        deep.push(TAG_NULL);
        assert!(decode(&deep).is_err());
    }
}
