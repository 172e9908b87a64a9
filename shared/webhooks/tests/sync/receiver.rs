//! `receive`: docs/webhooks.md §2, status by status.

use serde_json::{json, Value};

use oms_application::records::{SignatureScheme, TenantConfig, TenantSecrets};
use oms_persistence::keys;
use oms_store::ItemStore;
use oms_webhooks::{receive, Applied, Outcome, Reason, SyncMessage, WebhookResponse};

use crate::common::*;

async fn post(
    h: &Harness,
    t: &str,
    kind: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> WebhookResponse {
    receive(&h.deps, t, kind, &headers.to_vec(), body, now()).await
}

fn signed(body: &[u8]) -> Vec<(String, String)> {
    oms_headers(&[SECRET_NEW], now().timestamp(), body)
}

fn product_event(id: &str, version: u64) -> Vec<u8> {
    envelope(
        id,
        "vendor_product.upserted",
        "t1",
        version,
        product_data("p-1", "SKU-1", 5, "10.00"),
    )
}

fn error_code(r: &WebhookResponse) -> Option<&str> {
    r.body.pointer("/error/code").and_then(Value::as_str)
}

fn error_field(r: &WebhookResponse) -> Option<&str> {
    r.body.pointer("/error/field").and_then(Value::as_str)
}

#[tokio::test]
async fn a_signed_event_is_queued_with_its_entity_as_group_and_answered_202() {
    // GIVEN a configured tenant WHEN a signed product event arrives
    let h = Harness::new().await;
    let body = product_event("evt_1", 7);
    let r = post(&h, "t1", "vendor-products", &signed(&body), &body).await;

    // THEN 202 with the event id, and one message grouped by the product
    assert_eq!(r.status, 202);
    assert_eq!(r.body, json!({"accepted": true, "event_id": "evt_1"}));
    let messages = h.queue.messages();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m.tenant.as_str(), "t1");
    assert_eq!(m.group, "PRODUCT#p-1");
    assert_eq!(m.dedup_id, "evt_1");
    let decoded = SyncMessage::decode(&m.body).unwrap();
    assert_eq!(
        (decoded.kind.as_str(), decoded.version),
        ("vendor-products", 7)
    );

    // AND the updater makes the product visible
    assert!(matches!(h.drain().await.as_slice(), [Ok(Applied::Applied)]));
    let view = h.catalog("t1", "v-1", &["SKU-1"], &[]).await;
    assert_eq!(view.products.len(), 1);
    assert_eq!(view.products[0].stock, 5);
}

#[tokio::test]
async fn any_active_secret_signs_during_rotation() {
    let h = Harness::new().await;
    let t = now().timestamp();
    for (i, secrets) in [
        vec![SECRET_OLD],
        vec![SECRET_NEW],
        vec!["whsec_retired", SECRET_OLD],
    ]
    .into_iter()
    .enumerate()
    {
        let body = product_event(&format!("evt_rot_{i}"), 10 + i as u64);
        let r = post(
            &h,
            "t1",
            "vendor-products",
            &oms_headers(&secrets, t, &body),
            &body,
        )
        .await;
        assert_eq!(r.status, 202, "secrets {secrets:?}: {}", r.body);
    }
    assert_eq!(h.queue.len(), 3);
}

#[tokio::test]
async fn the_window_is_300_seconds_either_way_inclusive() {
    let h = Harness::new().await;
    let t = now().timestamp();
    for (i, skew) in [-300i64, 300].into_iter().enumerate() {
        let body = product_event(&format!("evt_edge_{i}"), 20 + i as u64);
        let r = post(
            &h,
            "t1",
            "vendor-products",
            &oms_headers(&[SECRET_NEW], t + skew, &body),
            &body,
        )
        .await;
        assert_eq!(r.status, 202, "skew {skew}");
    }
}

/// (name, path tenant, path kind, headers, body, status, error code, error field)
type Rejection<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Vec<(String, String)>,
    Vec<u8>,
    u16,
    &'a str,
    Option<&'a str>,
);

/// Every 4xx of the contract, each checked to write nothing to the item store and queue nothing.
#[tokio::test]
async fn every_rejection_has_its_status_and_writes_nothing() {
    let h = Harness::new().await;
    let t = now().timestamp();
    let good = product_event("evt_4xx", 3);
    let mut tampered = good.clone();
    if let Some(b) = tampered.iter_mut().find(|b| **b == b'5') {
        *b = b'6'; // stock 5 → 6 after signing
    }
    let mut bad_stock = product_data("p-1", "SKU-1", 5, "10.00");
    bad_stock["stock"] = json!(-1);
    let bad_stock = envelope("evt_bad", "vendor_product.upserted", "t1", 3, bad_stock);
    let other_tenant = envelope(
        "evt_t2",
        "vendor_product.upserted",
        "t2",
        3,
        product_data("p-1", "SKU-1", 5, "10.00"),
    );
    let mut data_t2 = product_data("p-1", "SKU-1", 5, "10.00");
    data_t2["tenant_id"] = json!("t2");
    let data_other_tenant = envelope("evt_dt2", "vendor_product.upserted", "t1", 3, data_t2);
    let wrong_type = envelope(
        "evt_type",
        "vendor_details.upserted",
        "t1",
        3,
        product_data("p-1", "SKU-1", 5, "10.00"),
    );
    let oversize = vec![b' '; 256 * 1024 + 1];
    let malformed = b"{\"id\": \"evt\", ".to_vec();

    let sig = |body: &[u8]| oms_headers(&[SECRET_NEW], t, body);
    let none: Vec<(String, String)> = vec![];
    let cases: Vec<Rejection> = vec![
        (
            "wrong secret",
            "t1",
            "vendor-products",
            oms_headers(&["whsec_wrong"], t, &good),
            good.clone(),
            401,
            "INVALID_SIGNATURE",
            None,
        ),
        (
            "stale",
            "t1",
            "vendor-products",
            oms_headers(&[SECRET_NEW], t - 301, &good),
            good.clone(),
            401,
            "INVALID_SIGNATURE",
            None,
        ),
        (
            "future",
            "t1",
            "vendor-products",
            oms_headers(&[SECRET_NEW], t + 301, &good),
            good.clone(),
            401,
            "INVALID_SIGNATURE",
            None,
        ),
        (
            "missing header",
            "t1",
            "vendor-products",
            none.clone(),
            good.clone(),
            401,
            "INVALID_SIGNATURE",
            None,
        ),
        (
            "tampered body",
            "t1",
            "vendor-products",
            sig(&good),
            tampered,
            401,
            "INVALID_SIGNATURE",
            None,
        ),
        (
            "another tenant's secret scope",
            "t2",
            "vendor-products",
            oms_headers(&["whsec_wrong"], t, &other_tenant),
            other_tenant.clone(),
            401,
            "INVALID_SIGNATURE",
            None,
        ),
        (
            "unknown tenant",
            "t-nobody",
            "vendor-products",
            sig(&good),
            good.clone(),
            404,
            "NOT_FOUND",
            None,
        ),
        (
            "invalid tenant id",
            "t#1",
            "vendor-products",
            sig(&good),
            good.clone(),
            404,
            "NOT_FOUND",
            None,
        ),
        (
            "unknown kind",
            "t1",
            "vendor-widgets",
            sig(&good),
            good.clone(),
            404,
            "NOT_FOUND",
            None,
        ),
        (
            "oversize",
            "t1",
            "vendor-products",
            none.clone(),
            oversize,
            413,
            "PAYLOAD_TOO_LARGE",
            None,
        ),
        (
            "malformed json",
            "t1",
            "vendor-products",
            sig(&malformed),
            malformed.clone(),
            400,
            "INVALID_PAYLOAD",
            None,
        ),
        (
            "invalid field",
            "t1",
            "vendor-products",
            sig(&bad_stock),
            bad_stock.clone(),
            400,
            "INVALID_PAYLOAD",
            Some("data.stock"),
        ),
        (
            "type of another route",
            "t1",
            "vendor-products",
            sig(&wrong_type),
            wrong_type.clone(),
            400,
            "INVALID_PAYLOAD",
            Some("type"),
        ),
        (
            "body tenant is another tenant",
            "t1",
            "vendor-products",
            sig(&other_tenant),
            other_tenant.clone(),
            422,
            "TENANT_MISMATCH",
            Some("tenant_id"),
        ),
        (
            "data tenant is another tenant",
            "t1",
            "vendor-products",
            sig(&data_other_tenant),
            data_other_tenant.clone(),
            422,
            "TENANT_MISMATCH",
            Some("data.tenant_id"),
        ),
    ];
    for (name, t_path, kind, headers, body, status, code, field) in cases {
        let writes = h.writes();
        let r = post(&h, t_path, kind, &headers, &body).await;
        assert_eq!(r.status, status, "{name}: {}", r.body);
        assert_eq!(error_code(&r), Some(code), "{name}");
        assert_eq!(error_field(&r), field, "{name}");
        assert_eq!(h.writes(), writes, "{name} wrote to the store");
        assert_eq!(h.queue.attempts(), 0, "{name} published");
    }
}

#[tokio::test]
async fn a_signature_failure_gives_no_hint() {
    let h = Harness::new().await;
    let body = product_event("evt_hint", 1);
    let wrong = post(
        &h,
        "t1",
        "vendor-products",
        &oms_headers(&["x"], now().timestamp(), &body),
        &body,
    )
    .await;
    let stale = post(
        &h,
        "t1",
        "vendor-products",
        &oms_headers(&[SECRET_NEW], 0, &body),
        &body,
    )
    .await;
    // What is sent is identical; only the metrics (never sent) tell them apart.
    assert_eq!((wrong.status, &wrong.body), (stale.status, &stale.body));
    assert_eq!(
        (wrong.outcome, stale.outcome),
        (
            Outcome::Rejected(Reason::BadSignature),
            Outcome::Rejected(Reason::StaleTimestamp)
        )
    );
    assert_eq!(
        wrong.body,
        json!({"error": {"code": "INVALID_SIGNATURE", "message": "Invalid signature."}})
    );
}

#[tokio::test]
async fn a_repeated_event_id_is_a_duplicate_and_queued_once() {
    let h = Harness::new().await;
    let body = product_event("evt_dup", 4);
    let first = post(&h, "t1", "vendor-products", &signed(&body), &body).await;
    let second = post(&h, "t1", "vendor-products", &signed(&body), &body).await;
    assert_eq!(first.status, 202);
    assert_eq!(second.status, 200);
    assert_eq!(second.body, json!({"accepted": true, "duplicate": true}));
    // Published twice under the same dedup id (see docs: publish before record); queued once.
    assert_eq!(h.queue.attempts(), 2);
    assert_eq!(h.queue.len(), 1);
    // The record carries a TTL of at least 3 days.
    let item = h
        .items
        .get(&keys::webhook_event(&tenant("t1"), "evt_dup"), true)
        .await
        .unwrap()
        .unwrap();
    let expires = match item.get("expires_at") {
        Some(oms_store::Value::N(n)) => *n,
        other => panic!("no expires_at: {other:?}"),
    };
    assert!(expires - now().timestamp() >= 3 * 24 * 3600, "{expires}");
}

#[tokio::test]
async fn a_failed_publish_records_nothing_so_the_retry_is_accepted() {
    let h = Harness::new().await;
    let body = product_event("evt_retry", 5);
    h.queue.fail_next(1);
    let writes = h.writes();
    let failed = post(&h, "t1", "vendor-products", &signed(&body), &body).await;
    assert_eq!(failed.status, 503);
    assert_eq!(error_code(&failed), Some("UNAVAILABLE"));
    assert_eq!(h.writes(), writes, "the event id must not be recorded");
    assert!(h
        .items
        .get(&keys::webhook_event(&tenant("t1"), "evt_retry"), true)
        .await
        .unwrap()
        .is_none());

    let retry = post(&h, "t1", "vendor-products", &signed(&body), &body).await;
    assert_eq!(retry.status, 202);
    assert_eq!(h.queue.len(), 1);
}

#[tokio::test]
async fn a_store_fault_after_publishing_is_500_and_the_retry_still_counts_once() {
    let h = Harness::new().await;
    let body = product_event("evt_fault", 6);
    h.items.fail_writes(true);
    let r = post(&h, "t1", "vendor-products", &signed(&body), &body).await;
    assert_eq!(r.status, 500);
    assert_eq!(error_code(&r), Some("INTERNAL"));
    h.items.fail_writes(false);
    let retry = post(&h, "t1", "vendor-products", &signed(&body), &body).await;
    assert_eq!(retry.status, 202);
    // Both attempts published under one dedup id: one message.
    assert_eq!(h.queue.len(), 1);
}

#[tokio::test]
async fn event_ids_are_scoped_by_tenant() {
    let h = Harness::new().await;
    let t1 = product_event("evt_same", 1);
    let t2 = envelope(
        "evt_same",
        "vendor_product.upserted",
        "t2",
        1,
        product_data("p-1", "SKU-1", 9, "10.00"),
    );
    assert_eq!(
        post(&h, "t1", "vendor-products", &signed(&t1), &t1)
            .await
            .status,
        202
    );
    assert_eq!(
        post(&h, "t2", "vendor-products", &signed(&t2), &t2)
            .await
            .status,
        202
    );
    assert_eq!(h.queue.len(), 2);
    h.drain().await;
    assert_eq!(
        h.catalog("t1", "v-1", &["SKU-1"], &[]).await.products[0].stock,
        5
    );
    assert_eq!(
        h.catalog("t2", "v-1", &["SKU-1"], &[]).await.products[0].stock,
        9
    );
}

#[tokio::test]
async fn identity_and_payment_events_are_grouped_by_their_entity() {
    let h = Harness::new().await;
    let identity = envelope(
        "evt_id",
        "user.logged_in",
        "t1",
        1,
        json!({"sub": "u-1", "roles": ["customer"]}),
    );
    let payment = envelope(
        "evt_pay",
        "payment.succeeded",
        "t1",
        1,
        json!({"order_id": "ORD-1", "transaction_id": "txn_1", "method": "Stripe", "amount": "10.00", "currency": "SGD"}),
    );
    assert_eq!(
        post(&h, "t1", "identity", &signed(&identity), &identity)
            .await
            .status,
        202
    );
    assert_eq!(
        post(&h, "t1", "payments", &signed(&payment), &payment)
            .await
            .status,
        202
    );
    let groups: Vec<String> = h.queue.messages().into_iter().map(|m| m.group).collect();
    assert_eq!(groups, ["IDENTITY#u-1", "PAYMENT#txn_1"]);
}

#[tokio::test]
async fn a_tenant_on_the_wss_scheme_signs_the_new_route_with_wss_headers() {
    let h = Harness::new().await;
    let mut config = TenantConfig::new(tenant("t-wss"));
    config.signature_scheme = SignatureScheme::Wss;
    h.store.put_tenant_config(&config).await.unwrap();
    let mut secrets = TenantSecrets::new(tenant("t-wss"));
    secrets.webhook_secrets = vec![SECRET_NEW.into()];
    h.store.put_tenant_secrets(&secrets).await.unwrap();
    let body = envelope(
        "evt_w",
        "vendor_product.upserted",
        "t-wss",
        1,
        product_data("p-1", "SKU-1", 5, "10.00"),
    );
    let t = now().timestamp();
    let oms = post(
        &h,
        "t-wss",
        "vendor-products",
        &oms_headers(&[SECRET_NEW], t, &body),
        &body,
    )
    .await;
    assert_eq!(oms.status, 401);
    let wss = post(
        &h,
        "t-wss",
        "vendor-products",
        &wss_headers(SECRET_NEW, t, &body),
        &body,
    )
    .await;
    assert_eq!(wss.status, 202, "{}", wss.body);
    // The event id dedupes (the signed body carries id and version).
    let again = post(
        &h,
        "t-wss",
        "vendor-products",
        &wss_headers(SECRET_NEW, t, &body),
        &body,
    )
    .await;
    assert_eq!(again.body, json!({"accepted": true, "duplicate": true}));
}

#[tokio::test]
async fn every_answer_is_counted_once_under_its_own_metric() {
    use oms_application::metrics::Metric;

    let h = Harness::new().await;
    let body = product_event("evt_m1", 1);
    let other_tenant = envelope(
        "evt_m2",
        "vendor_product.upserted",
        "t2",
        1,
        product_data("p-1", "SKU-1", 5, "10.00"),
    );
    let invalid = envelope(
        "evt_m3",
        "vendor_product.upserted",
        "t1",
        1,
        product_data("p-1", "SKU-1", -5, "10.00"),
    );
    let huge = vec![b' '; 256 * 1024 + 1];
    type Case<'a> = (Vec<(String, String)>, &'a [u8], &'a str, Metric);
    let cases: Vec<Case> = vec![
        (
            signed(&body),
            &body,
            "vendor-products",
            Metric::WebhooksAccepted,
        ),
        (
            signed(&body),
            &body,
            "vendor-products",
            Metric::WebhookDuplicates,
        ),
        (
            signed(&huge),
            &huge,
            "vendor-products",
            Metric::WebhookRejectedTooLarge,
        ),
        (
            signed(&body),
            &body,
            "vendor-teapots",
            Metric::WebhookRejectedUnknownKind,
        ),
        (
            vec![],
            &body,
            "vendor-products",
            Metric::WebhookRejectedMissingSignature,
        ),
        (
            oms_headers(&[SECRET_NEW], now().timestamp() - 301, &body),
            &body,
            "vendor-products",
            Metric::WebhookRejectedStaleTimestamp,
        ),
        (
            oms_headers(&["not-a-secret-of-t1"], now().timestamp(), &body),
            &body,
            "vendor-products",
            Metric::WebhookRejectedBadSignature,
        ),
        (
            signed(&invalid),
            &invalid,
            "vendor-products",
            Metric::WebhookRejectedInvalidPayload,
        ),
        (
            signed(&other_tenant),
            &other_tenant,
            "vendor-products",
            Metric::WebhookRejectedTenantMismatch,
        ),
    ];
    for (headers, raw, kind, metric) in cases {
        let r = post(&h, "t1", kind, &headers, raw).await;
        assert_eq!(r.outcome.metric(), metric, "{} {:?}", r.status, r.body);
        let counts = h.deps.metrics.take();
        let counted: Vec<(Metric, u64)> =
            counts.counts.into_iter().filter(|(_, n)| *n > 0).collect();
        assert_eq!(counted, [(metric, 1)], "{} {:?}", r.status, r.body);
        let expected_tenant = (metric != Metric::WebhookRejectedTooLarge
            && metric != Metric::WebhookRejectedUnknownKind)
            .then(|| tenant("t1"));
        assert_eq!(counts.tenant, expected_tenant, "{metric}");
    }
    let r = post(&h, "nobody", "vendor-products", &signed(&body), &body).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        h.deps
            .metrics
            .take()
            .get(Metric::WebhookRejectedUnknownTenant),
        1
    );

    // A queue outage: 503, counted as a failure.
    h.queue.fail_next(1);
    let body = product_event("evt_m4", 2);
    let r = post(&h, "t1", "vendor-products", &signed(&body), &body).await;
    assert_eq!(r.status, 503);
    assert_eq!(h.deps.metrics.take().get(Metric::WebhookFailures), 1);
}
