//! Property tests of the receivers (issue 13 §4): arbitrary bodies (random bytes, random JSON,
//! mutated valid events) and arbitrary, missing or duplicated headers always get an answer of
//! docs/webhooks.md §2/§3 (a documented status with its code), never a panic; a rejected request
//! queues nothing and writes nothing. Bounded case counts: each property runs in seconds.

use std::cell::RefCell;
use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Map, Value};

use oms_webhooks::{receive, receive_legacy, WebhookResponse};

use crate::common::*;

const CASES: u32 = 512;

/// The kinds a request may name: every route, legacy routes, and junk.
const ROUTES: [&str; 6] = [
    "vendor-products",
    "vendor-offers",
    "identity",
    "payments",
    "Vendor-Products",
    "no-such-kind",
];

fn config() -> Config {
    Config {
        cases: CASES,
        // Runners built by hand know no source file to persist failures next to.
        failure_persistence: None,
        ..Config::default()
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The documented code of a rejection status (docs/webhooks.md §2 table).
fn documented_code(status: u16) -> Option<&'static str> {
    match status {
        400 => Some("INVALID_PAYLOAD"),
        401 => Some("INVALID_SIGNATURE"),
        404 => Some("NOT_FOUND"),
        413 => Some("PAYLOAD_TOO_LARGE"),
        422 => Some("TENANT_MISMATCH"),
        _ => None,
    }
}

/// One request through `receive` (or `receive_legacy`), checked against the documented answers;
/// a rejection must leave the queue and the item store as they were.
fn check(
    rt: &tokio::runtime::Runtime,
    h: &Harness,
    legacy: bool,
    (t, kind): (&str, &str),
    headers: &[(String, String)],
    body: &[u8],
) -> Result<WebhookResponse, TestCaseError> {
    let (writes, queued) = (h.writes(), h.queue.len());
    let r = rt.block_on(async {
        if legacy {
            receive_legacy(&h.deps, t, kind, &headers.to_vec(), body, now()).await
        } else {
            receive(&h.deps, t, kind, &headers.to_vec(), body, now()).await
        }
    });
    match r.status {
        200 | 202 => {
            let accepted = r.body.get("accepted") == Some(&json!(true))
                || r.body.get("success") == Some(&json!(true));
            prop_assert!(accepted, "{} {}", r.status, r.body);
        }
        status => {
            let code = r.body.pointer("/error/code").and_then(Value::as_str);
            prop_assert_eq!(code, documented_code(status), "{} {}", status, r.body);
            let message = r.body.pointer("/error/message").and_then(Value::as_str);
            prop_assert!(message.is_some_and(|m| !m.is_empty()), "{}", r.body);
            prop_assert_eq!(h.writes(), writes, "a {} wrote to the store", status);
            prop_assert_eq!(h.queue.len(), queued, "a {} queued a message", status);
        }
    }
    Ok(r)
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,20}".prop_map(Value::from),
        "[0-9.eE+-]{1,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(
                "[a-z_]{1,16}|id|type|version|data|tenant_id|stock|product_price",
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

/// A valid product event, then one mutation: a field removed, replaced by arbitrary JSON, or
/// added; the envelope's or the data's (30 %: the valid event unchanged).
fn arb_mutated_event() -> impl Strategy<Value = Vec<u8>> {
    let fields = [
        "id",
        "type",
        "tenant_id",
        "version",
        "occurred_at",
        "data",
        "data.product_id",
        "data.vendor_id",
        "data.product_sku",
        "data.product_name",
        "data.product_price",
        "data.product_currency",
        "data.stock",
        "data.package_weight",
        "data.package_length",
        "data.tenant_id",
        "data.options",
        "extra",
    ];
    (
        "[a-z0-9_]{1,12}",
        // None: the valid event itself (accepted, or a duplicate of an earlier case).
        proptest::option::weighted(0.7, proptest::sample::select(fields.to_vec())),
        proptest::option::of(arb_json()),
    )
        .prop_map(|(id, field, value)| {
            let mut event: Value = serde_json::from_slice(&envelope(
                &format!("evt_{id}"),
                "vendor_product.upserted",
                "t1",
                3,
                product_data("p-9", "SKU-9", 5, "10.00"),
            ))
            .unwrap_or_default();
            let Some(field) = field else {
                return serde_json::to_vec(&event).unwrap_or_default();
            };
            let (parent, key) = match field.split_once('.') {
                Some((_, k)) => (event.get_mut("data"), k),
                None => (Some(&mut event), field),
            };
            if let Some(Value::Object(map)) = parent {
                match value {
                    Some(v) => map.insert(key.to_string(), v),
                    None => map.remove(key),
                };
            }
            serde_json::to_vec(&event).unwrap_or_default()
        })
}

/// Header pairs: the right ones, none, garbage, the valid one duplicated or next to garbage,
/// other names and case, a stale or far-future timestamp, content types.
fn arb_headers(valid: Vec<(String, String)>) -> impl Strategy<Value = Vec<(String, String)>> {
    let garbage = (
        prop_oneof![
            Just("Oms-Signature".to_string()),
            Just("oms-signature".to_string()),
            Just("X-Wss-Signature".to_string()),
            Just("X-Wss-Timestamp".to_string()),
            Just("Content-Type".to_string()),
            "[A-Za-z-]{1,20}",
        ],
        prop_oneof![
            ".{0,80}",
            "t=[0-9-]{0,20},v1=[0-9a-f]{0,64}",
            "t=[0-9]{10},v1=[0-9a-f]{64},v1=[0-9a-f]{64}",
            "[0-9a-f]{64}",
            Just("application/json; charset=utf-8".to_string()),
            Just("text/plain".to_string()),
        ],
    );
    (
        proptest::collection::vec(garbage, 0..4),
        0usize..6,
        any::<i64>(),
    )
        .prop_map(move |(mut extra, shape, t)| {
            let mut headers = match shape {
                0 => vec![],
                1 => valid.clone(),
                2 => [valid.clone(), valid.clone()].concat(),
                3 => [valid.clone(), extra.clone()].concat(),
                4 => valid
                    .iter()
                    .map(|(k, v)| (k.to_ascii_uppercase(), v.clone()))
                    .collect(),
                _ => valid
                    .iter()
                    .map(|(k, v)| {
                        let v = if k.eq_ignore_ascii_case("X-Wss-Timestamp") {
                            t.to_string()
                        } else {
                            v.replacen(&now().timestamp().to_string(), &t.to_string(), 1)
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            };
            headers.append(&mut extra);
            headers
        })
}

fn arb_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => proptest::collection::vec(any::<u8>(), 0..512),
        1 => arb_json().prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
        3 => arb_mutated_event(),
        1 => ".{0,200}".prop_map(String::into_bytes),
    ]
}

#[test]
fn signed_arbitrary_bodies_get_a_documented_answer_and_rejections_write_nothing() {
    let rt = runtime();
    let h = rt.block_on(Harness::new());
    let mut runner = TestRunner::new(config());
    let route = prop_oneof![
        2 => Just("vendor-products"),
        1 => proptest::sample::select(ROUTES.to_vec()),
    ];
    let strategy = (arb_body(), route);
    let seen = RefCell::new(BTreeSet::new());
    runner
        .run(&strategy, |(body, route)| {
            // Correctly signed: the body itself is what gets judged.
            let headers = oms_headers(&[SECRET_NEW], now().timestamp(), &body);
            let r = check(&rt, &h, false, ("t1", route), &headers, &body)?;
            seen.borrow_mut().insert(r.status);
            // The same on the legacy route, signed with its scheme.
            let headers = wss_headers(LEGACY_SECRET, now().timestamp(), &body);
            check(
                &rt,
                &h,
                true,
                (LEGACY_TENANT, "product_update"),
                &headers,
                &body,
            )?;
            Ok(())
        })
        .unwrap();
    // The generator reaches past the signature: accepted events, invalid payloads, unknown kinds.
    let seen = seen.into_inner();
    for status in [202, 400, 404] {
        assert!(seen.contains(&status), "no {status} among {seen:?}");
    }
}

#[test]
fn arbitrary_missing_or_duplicated_headers_get_a_documented_answer() {
    let rt = runtime();
    let h = rt.block_on(Harness::new());
    let mut runner = TestRunner::new(config());
    let body = envelope(
        "evt_headers",
        "vendor_product.upserted",
        "t1",
        1,
        product_data("p-1", "SKU-1", 5, "10.00"),
    );
    let valid = oms_headers(&[SECRET_NEW], now().timestamp(), &body);
    let legacy_valid = wss_headers(LEGACY_SECRET, now().timestamp(), &body);
    let strategy = (arb_headers(valid), arb_headers(legacy_valid), any::<bool>());
    let seen = RefCell::new(BTreeSet::new());
    runner
        .run(&strategy, |(headers, legacy_headers, tamper)| {
            let mut sent = body.clone();
            if tamper {
                sent.push(b' ');
            }
            let r = check(&rt, &h, false, ("t1", "vendor-products"), &headers, &sent)?;
            seen.borrow_mut().insert(r.status);
            // Only a valid signature over these very bytes gets past the signature step.
            prop_assert!(
                r.status == 401 || !tamper,
                "tampered body accepted: {}",
                r.body
            );
            let r = check(
                &rt,
                &h,
                true,
                (LEGACY_TENANT, "product_update"),
                &legacy_headers,
                &sent,
            )?;
            prop_assert!(
                r.status == 401 || r.status == 400 || !tamper,
                "tampered legacy body: {} {}",
                r.status,
                r.body
            );
            Ok(())
        })
        .unwrap();
    let seen = seen.into_inner();
    for status in [200, 202, 401] {
        assert!(seen.contains(&status), "no {status} among {seen:?}");
    }
}

#[test]
fn unsigned_arbitrary_requests_are_refused_before_anything_is_read() {
    let rt = runtime();
    let h = rt.block_on(Harness::new());
    let mut runner = TestRunner::new(config());
    let strategy = (
        arb_body(),
        arb_headers(vec![]),
        prop_oneof![Just("t1".to_string()), "[a-zA-Z0-9#_-]{0,12}"],
        proptest::sample::select(ROUTES.to_vec()),
    );
    runner
        .run(&strategy, |(body, headers, t, route)| {
            let r = check(&rt, &h, false, (&t, route), &headers, &body)?;
            prop_assert!(r.status >= 400, "unsigned request accepted: {}", r.body);
            Ok(())
        })
        .unwrap();
}

/// The CSV header of each importable kind (docs/sync.md §5).
const CSV_HEADERS: [(oms_sync::Kind, &str); 7] = [
    (
        oms_sync::Kind::VendorProducts,
        "product_id,vendor_id,product_sku,product_name,product_price,product_currency,stock,package_weight,package_length,package_width,package_height",
    ),
    (oms_sync::Kind::VendorDetails, "vendor_id,name,country"),
    (
        oms_sync::Kind::VendorCoupons,
        "vendor_id,coupon_code,offer_id,start_date,end_date,is_active",
    ),
    (
        oms_sync::Kind::VendorOffers,
        "vendor_id,offer_id,name,offer_type,discount_value,conditions,is_active",
    ),
    (
        oms_sync::Kind::VendorShippingOptions,
        "vendor_id,name,delivery_time,base_cost,conditions,is_active",
    ),
    (
        oms_sync::Kind::CustomerDetails,
        "customer_id,first_name,last_name,email",
    ),
    (
        oms_sync::Kind::CustomerAddresses,
        "customer_id,address_id,address_type,street,city,postal,country",
    ),
];

/// One CSV cell: plausible values, quoting, separators and line breaks inside, Unicode, and
/// bytes that are not UTF-8 (a Latin-1 or UTF-16 file).
fn arb_cell() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop_oneof![
            Just("v-1"), Just("p-1"), Just("SKU-1"), Just("10.00"), Just("SGD"), Just("5"),
            Just("-2"), Just("0.5"), Just("true"), Just("SG"), Just("shipping"),
            Just("percentage_discount"), Just("2026-01-01T00:00:00Z"), Just("ada@example.com"),
            Just("{\"max_weight\":30}"), Just("1e400"), Just("NaN"), Just(""),
        ]
        .prop_map(|s| s.as_bytes().to_vec()),
        2 => ".{0,24}".prop_map(String::into_bytes),
        2 => "[\",\r\n a-z0-9{}:\\[\\]]{0,16}".prop_map(String::into_bytes),
        1 => ".{0,12}".prop_map(|s| {
            // Quoted, with the quotes inside doubled (valid CSV quoting) or not (invalid).
            format!("\"{}\"", s.replace('"', "\"\"")).into_bytes()
        }),
        1 => proptest::collection::vec(any::<u8>(), 0..16),
        1 => "[a-zé]{0,8}".prop_map(|s| s.encode_utf16().flat_map(u16::to_le_bytes).collect()),
    ]
}

fn arb_row() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(arb_cell(), 0..14).prop_map(|cells| cells.join(&b","[..]))
}

fn arb_csv() -> impl Strategy<Value = (oms_sync::Kind, Vec<u8>)> {
    (
        proptest::sample::select(CSV_HEADERS.to_vec()),
        prop_oneof![
            6 => Just(None),
            1 => arb_row().prop_map(Some),
        ],
        prop_oneof![
            Just(&b""[..]),
            Just(&b"\xef\xbb\xbf"[..]),
            Just(&b"\xff\xfe"[..])
        ],
        proptest::collection::vec(arb_row(), 0..12),
        prop_oneof![Just(&b"\n"[..]), Just(&b"\r\n"[..]), Just(&b"\r"[..])],
    )
        .prop_map(|((kind, header), bad_header, bom, rows, eol)| {
            let mut file = bom.to_vec();
            file.extend_from_slice(&bad_header.unwrap_or_else(|| header.as_bytes().to_vec()));
            for row in rows {
                file.extend_from_slice(eol);
                file.extend_from_slice(&row);
            }
            (kind, file)
        })
}

#[test]
fn arbitrary_csv_rows_get_typed_row_errors() {
    let rt = runtime();
    let h = rt.block_on(Harness::new());
    let mut runner = TestRunner::new(config());
    let seen_invalid = RefCell::new(false);
    runner
        .run(&arb_csv(), |(kind, file)| {
            let options = oms_webhooks::ImportOptions {
                dry_run: false,
                default_version: 1_764_064_800_000,
                imported_at: now(),
                rows_in_flight: oms_webhooks::IMPORT_CONCURRENCY,
            };
            let result = rt.block_on(oms_webhooks::import_csv(
                h.store.as_ref(),
                &tenant("t1"),
                kind,
                file.as_slice(),
                options,
                &mut |_| {},
            ));
            match result {
                Ok(report) => {
                    prop_assert_eq!(
                        report.rows,
                        report.applied + report.stale + report.invalid,
                        "{:?}",
                        report
                    );
                    prop_assert_eq!(report.errors.len() as u64, report.invalid);
                    // Physical lines: '\n', '\r\n' and a lone '\r' end one each.
                    let lines = 1 + file
                        .iter()
                        .enumerate()
                        .filter(|&(i, b)| {
                            *b == b'\n' || (*b == b'\r' && file.get(i + 1) != Some(&b'\n'))
                        })
                        .count() as u64;
                    for e in &report.errors {
                        prop_assert!(e.line >= 2, "row error before the first row: {:?}", e);
                        prop_assert!(e.line <= lines, "row error past the last line: {:?}", e);
                        prop_assert!(!e.message.is_empty());
                    }
                    if report.invalid > 0 {
                        *seen_invalid.borrow_mut() = true;
                    }
                }
                Err(oms_webhooks::ImportError::Header(e)) => {
                    prop_assert!(!e.message.is_empty());
                }
                Err(e) => prop_assert!(false, "not a row error: {e}"),
            }
            Ok(())
        })
        .unwrap();
    assert!(seen_invalid.into_inner(), "no invalid row was generated");
}
