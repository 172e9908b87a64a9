//! `receive_legacy`: the original OMS's golden vectors end to end, and the fixes over it.

use serde_json::{json, Value};

use oms_domain::catalog::ShippingMethod;
use oms_webhooks::{receive_legacy, Applied, SyncMessage, WebhookResponse};

use crate::common::*;

/// docs/legacy-oms.md "Golden vectors", byte for byte: (legacy kind, signature, body).
use oms_sync::golden::VECTORS;

const MESSAGES: [&str; 5] = [
    "Product update has been published.",
    "Vendor Coupon update has been published.",
    "Vendor Details update has been published.",
    "Vendor Offer update has been published.",
    "Vendor Shipping Option update has been published.",
];

/// The golden headers: the vector's own signature and a fresh timestamp.
fn golden_headers(signature: &str) -> Vec<(String, String)> {
    vec![
        ("X-Wss-Signature".into(), signature.into()),
        ("X-Wss-Timestamp".into(), now().timestamp().to_string()),
    ]
}

async fn post(
    h: &Harness,
    t: &str,
    kind: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> WebhookResponse {
    receive_legacy(&h.deps, t, kind, &headers.to_vec(), body, now()).await
}

fn code(r: &WebhookResponse) -> Option<&str> {
    r.body.pointer("/error/code").and_then(Value::as_str)
}

#[tokio::test]
async fn the_five_golden_vectors_are_accepted_and_applied() {
    let h = Harness::new().await;
    for ((kind, signature, body), message) in VECTORS.iter().zip(MESSAGES) {
        let r = post(
            &h,
            LEGACY_TENANT,
            kind,
            &golden_headers(signature),
            body.as_bytes(),
        )
        .await;
        assert_eq!(r.status, 200, "{kind}: {}", r.body);
        assert_eq!(
            r.body,
            json!({"success": true, "message": message}),
            "{kind}"
        );
        // The original's exact bytes: separators ", " and ": ".
        assert_eq!(
            format!("{{\"success\": true, \"message\": \"{message}\"}}"),
            format!(
                "{{\"success\": {}, \"message\": {}}}",
                r.body["success"], r.body["message"]
            )
        );
    }
    let messages = h.queue.messages();
    assert_eq!(messages.len(), 5);
    for m in &messages {
        let decoded = SyncMessage::decode(&m.body).unwrap();
        assert_eq!(decoded.event_id, m.dedup_id);
        assert!(decoded.event_id.starts_with("wss:"));
        // Version = receive time in ms.
        assert!(decoded.version.abs_diff(now().timestamp_millis() as u64) < 60_000);
    }

    let outcomes = h.drain().await;
    assert!(
        outcomes.iter().all(|o| matches!(o, Ok(Applied::Applied))),
        "{outcomes:?}"
    );
    let view = h
        .catalog(LEGACY_TENANT, "v-234", &["T-SHIRT-L"], &["WELCOME25"])
        .await;
    let product = &view.products[0];
    assert_eq!(
        (
            product.product_id.as_str(),
            product.stock,
            product.price.amount_string()
        ),
        ("p-234", 10, "1.50".to_string())
    );
    assert_eq!(view.coupons[0].code.as_str(), "WELCOME25");
    let vendor = view.vendor.unwrap();
    assert_eq!(
        (vendor.name.as_str(), vendor.country.code()),
        ("Vendor1", "SG")
    );
    assert_eq!(view.offers[0].offer_id.as_str(), "o-123");
    assert_eq!(view.shipping_options[0].method, ShippingMethod::Standard);
}

#[tokio::test]
async fn a_replayed_signature_is_a_duplicate_and_changes_nothing() {
    let h = Harness::new().await;
    let (kind, signature, body) = VECTORS[0];
    assert_eq!(
        post(
            &h,
            LEGACY_TENANT,
            kind,
            &golden_headers(signature),
            body.as_bytes()
        )
        .await
        .status,
        200
    );
    h.drain().await;
    let writes = h.writes();
    // Replayed later with a fresh timestamp: the timestamp is not signed, the MAC is the same.
    let replay = post(
        &h,
        LEGACY_TENANT,
        kind,
        &golden_headers(&signature.to_uppercase()),
        body.as_bytes(),
    )
    .await;
    assert_eq!(replay.status, 200);
    assert_eq!(replay.body, json!({"accepted": true, "duplicate": true}));
    assert_eq!(h.queue.attempts(), 1, "a replay is never queued");
    assert_eq!(
        h.writes(),
        writes + 1,
        "only the refused conditional put of the replay key"
    );
}

#[tokio::test]
async fn the_route_decides_the_kind_not_event_type() {
    let h = Harness::new().await;
    // The product body (event_type ProductUpdatedEvent) posted to the vendor details route is
    // validated as vendor details: it has no `name`.
    let (_, signature, body) = VECTORS[0];
    let r = post(
        &h,
        LEGACY_TENANT,
        "vendor_details_update",
        &golden_headers(signature),
        body.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        r.body.pointer("/error/field").and_then(Value::as_str),
        Some("data.name")
    );
    // A vendor details body claiming to be a product update is stored as vendor details.
    let body = r#"{"event_type":"order_management.internal_events.ProductUpdatedEvent","data":{"vendor_id":"v-9","name":"Nine","country":"SG"}}"#;
    let headers = wss_headers(LEGACY_SECRET, now().timestamp(), body.as_bytes());
    assert_eq!(
        post(
            &h,
            LEGACY_TENANT,
            "vendor_details_update",
            &headers,
            body.as_bytes()
        )
        .await
        .status,
        200
    );
    h.drain().await;
    assert!(h
        .catalog(LEGACY_TENANT, "v-9", &[], &[])
        .await
        .vendor
        .is_some());
}

/// (name, path tenant, legacy kind, headers, body, status, error code)
type Rejection<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Vec<(String, String)>,
    Vec<u8>,
    u16,
    &'a str,
);

#[tokio::test]
async fn legacy_rejections_use_the_contract_codes_and_write_nothing() {
    let h = Harness::new().await;
    let t = now().timestamp();
    let (kind, signature, body) = VECTORS[2];
    let other_tenant = body.replace("\"tenant_id\":\"tenant123\"", "\"tenant_id\":\"t-other\"");
    let without_ts = vec![("X-Wss-Signature".to_string(), signature.to_string())];
    let cases: Vec<Rejection> = vec![
        (
            "stale timestamp",
            LEGACY_TENANT,
            kind,
            wss_headers(LEGACY_SECRET, t - 301, body.as_bytes()),
            body.as_bytes().to_vec(),
            401,
            "INVALID_SIGNATURE",
        ),
        (
            "the original's 3000 s window is gone",
            LEGACY_TENANT,
            kind,
            wss_headers(LEGACY_SECRET, t - 2999, body.as_bytes()),
            body.as_bytes().to_vec(),
            401,
            "INVALID_SIGNATURE",
        ),
        (
            "missing timestamp",
            LEGACY_TENANT,
            kind,
            without_ts,
            body.as_bytes().to_vec(),
            401,
            "INVALID_SIGNATURE",
        ),
        (
            "wrong secret",
            LEGACY_TENANT,
            kind,
            wss_headers("not-the-secret", t, body.as_bytes()),
            body.as_bytes().to_vec(),
            401,
            "INVALID_SIGNATURE",
        ),
        (
            "data.tenant_id of another tenant",
            LEGACY_TENANT,
            kind,
            wss_headers(LEGACY_SECRET, t, other_tenant.as_bytes()),
            other_tenant.as_bytes().to_vec(),
            422,
            "TENANT_MISMATCH",
        ),
        (
            "tenant without legacy_wss",
            "t-plain",
            kind,
            golden_headers(signature),
            body.as_bytes().to_vec(),
            404,
            "NOT_FOUND",
        ),
        (
            "unknown tenant",
            "tenant999",
            kind,
            golden_headers(signature),
            body.as_bytes().to_vec(),
            404,
            "NOT_FOUND",
        ),
        (
            "unknown legacy kind",
            LEGACY_TENANT,
            "customer_update",
            golden_headers(signature),
            body.as_bytes().to_vec(),
            404,
            "NOT_FOUND",
        ),
        (
            "a new-style kind on the legacy route",
            LEGACY_TENANT,
            "vendor-details",
            golden_headers(signature),
            body.as_bytes().to_vec(),
            404,
            "NOT_FOUND",
        ),
        (
            "malformed json",
            LEGACY_TENANT,
            kind,
            wss_headers(LEGACY_SECRET, t, b"{\"data\": "),
            b"{\"data\": ".to_vec(),
            400,
            "INVALID_PAYLOAD",
        ),
        (
            "oversize",
            LEGACY_TENANT,
            kind,
            vec![],
            vec![b' '; 256 * 1024 + 1],
            413,
            "PAYLOAD_TOO_LARGE",
        ),
    ];
    for (name, tenant_path, kind, headers, body, status, expected) in cases {
        let writes = h.writes();
        let r = post(&h, tenant_path, kind, &headers, &body).await;
        assert_eq!(r.status, status, "{name}: {}", r.body);
        assert_eq!(code(&r), Some(expected), "{name}");
        assert_eq!(h.writes(), writes, "{name} wrote to the store");
    }
    assert_eq!(h.queue.attempts(), 0);
}

#[tokio::test]
async fn a_queue_outage_applies_the_event_inline_instead_of_losing_it() {
    let h = Harness::new().await;
    let (kind, signature, body) = VECTORS[0];
    h.queue.fail_next(1);
    let r = post(
        &h,
        LEGACY_TENANT,
        kind,
        &golden_headers(signature),
        body.as_bytes(),
    )
    .await;
    assert_eq!(r.body, json!({"success": true, "message": MESSAGES[0]}));
    assert_eq!(h.queue.len(), 0);
    // Visible at once, without the queue.
    assert_eq!(
        h.catalog(LEGACY_TENANT, "v-234", &["T-SHIRT-L"], &[])
            .await
            .products
            .len(),
        1
    );
    // And the replay key is recorded: a retry is a duplicate.
    let retry = post(
        &h,
        LEGACY_TENANT,
        kind,
        &golden_headers(signature),
        body.as_bytes(),
    )
    .await;
    assert_eq!(retry.body, json!({"accepted": true, "duplicate": true}));
}

#[tokio::test]
async fn a_later_legacy_delivery_for_the_same_entity_wins() {
    let h = Harness::new().await;
    let first = r#"{"event_type":"x","data":{"vendor_id":"v-5","name":"First","country":"SG"}}"#;
    let second = r#"{"event_type":"x","data":{"vendor_id":"v-5","name":"Second","country":"SG"}}"#;
    let t0 = now();
    for (body, at) in [
        (first, t0),
        (second, t0 + chrono::Duration::milliseconds(5)),
    ] {
        let headers = wss_headers(LEGACY_SECRET, at.timestamp(), body.as_bytes());
        let r = receive_legacy(
            &h.deps,
            LEGACY_TENANT,
            "vendor_details_update",
            &headers,
            body.as_bytes(),
            at,
        )
        .await;
        assert_eq!(r.status, 200);
    }
    // Applied in reverse order: the earlier receive time is stale.
    let mut bodies: Vec<String> = h.queue.take().into_iter().map(|m| m.body).collect();
    bodies.reverse();
    let mut outcomes = vec![];
    for b in &bodies {
        outcomes.push(oms_webhooks::apply(&h.updater, b).await.unwrap());
    }
    assert_eq!(outcomes, [Applied::Applied, Applied::Stale]);
    assert_eq!(
        h.catalog(LEGACY_TENANT, "v-5", &[], &[])
            .await
            .vendor
            .map(|v| v.name),
        Some("Second".into())
    );
}
