//! The whole pure pipeline through the public API, as the HTTP layer will drive it.

use oms_domain::ids::TenantId;
use oms_sync::signature::{self, oms, wss};
use oms_sync::{
    check_size, decode_legacy_webhook, decode_webhook, Kind, Snapshot, SyncError, SyncErrorCode,
    SyncEvent,
};

const NOW: i64 = 1_764_064_800;

fn tenant() -> TenantId {
    TenantId::new("t1").unwrap_or_else(|_| unreachable!())
}

/// route kind → size → signature → decode; returns the entity key or the HTTP status.
fn handle(route: &str, headers: &[(&str, &str)], body: &[u8], scheme: &str) -> Result<String, u16> {
    let run = || -> Result<String, SyncError> {
        let kind = Kind::parse_route(route)?;
        check_size(body.len())?;
        let scheme = signature::scheme(scheme).ok_or_else(|| SyncError::not_found("no scheme"))?;
        scheme.verify(
            &headers,
            body,
            &["old".to_string(), "current".to_string()],
            NOW,
        )?;
        Ok(decode_webhook(body, &tenant(), kind)?.event.entity_key())
    };
    run().map_err(|e| e.status())
}

fn product_body(tenant: &str) -> String {
    format!(
        r#"{{"id":"evt_1","type":"vendor_product.upserted","tenant_id":"{tenant}","version":7,"occurred_at":"2026-11-25T10:00:00Z","data":{{"product_id":"p-1","vendor_id":"v-1","product_sku":"SKU-1","product_name":"Shirt","product_price":12.5,"product_currency":"SGD","stock":3,"package_weight":"0.5","package_length":10,"package_width":10,"package_height":1}}}}"#
    )
}

#[test]
fn a_signed_product_event_is_accepted_end_to_end() {
    let body = product_body("t1");
    let header = oms::sign("current", NOW - 10, body.as_bytes());
    let r = handle(
        "vendor-products",
        &[("Oms-Signature", &header)],
        body.as_bytes(),
        "oms",
    );
    assert_eq!(r, Ok("PRODUCT#p-1".to_string()));
}

#[test]
fn each_failure_maps_to_its_status() {
    let body = product_body("t1");
    let header = oms::sign("current", NOW, body.as_bytes());
    let sig = [("Oms-Signature", header.as_str())];
    assert_eq!(
        handle("vendor-gadgets", &sig, body.as_bytes(), "oms"),
        Err(404)
    );
    assert_eq!(
        handle("vendor-products", &[], body.as_bytes(), "oms"),
        Err(401)
    );
    let stale = oms::sign("current", NOW - 301, body.as_bytes());
    assert_eq!(
        handle(
            "vendor-products",
            &[("oms-signature", &stale)],
            body.as_bytes(),
            "oms"
        ),
        Err(401)
    );
    assert_eq!(
        handle("vendor-details", &sig, body.as_bytes(), "oms"),
        Err(400)
    );
    let other = product_body("t2");
    let header = oms::sign("current", NOW, other.as_bytes());
    assert_eq!(
        handle(
            "vendor-products",
            &[("Oms-Signature", &header)],
            other.as_bytes(),
            "oms"
        ),
        Err(422)
    );
    let huge = vec![b'x'; 256 * 1024 + 1];
    assert_eq!(handle("vendor-products", &sig, &huge, "oms"), Err(413));
}

#[test]
fn a_legacy_wss_body_verifies_once_and_decodes_by_route() {
    let body = r#"{"event_type":"x","data":{"vendor_id":"v-1","tenant_id":"t1","name":"V","country":"Malaysia"}}"#;
    let sig = wss::sign("current", body.as_bytes());
    let ts = NOW.to_string();
    let headers = [
        ("X-Wss-Signature", sig.as_str()),
        ("X-Wss-Timestamp", ts.as_str()),
    ];
    let verified = signature::scheme("wss")
        .map(|s| s.verify(&headers, body.as_bytes(), &["current".to_string()], NOW));
    let replay_key = verified.and_then(Result::ok).and_then(|v| v.replay_key);
    assert_eq!(replay_key, Some(format!("wss:{sig}")));
    let kind = Kind::parse_legacy("vendor_details_update").unwrap_or(Kind::Identity);
    match decode_legacy_webhook(body.as_bytes(), &tenant(), kind).map(|e| e.snapshot) {
        Ok(Snapshot::Vendor(v)) => assert_eq!(v.country.code(), "MY"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn error_bodies_follow_the_contract() {
    let body = product_body("t1").replace(r#""stock":3"#, r#""stock":-3"#);
    let e = decode_webhook(body.as_bytes(), &tenant(), Kind::VendorProducts).err();
    assert_eq!(
        e.as_ref().map(|e| e.code),
        Some(SyncErrorCode::InvalidPayload)
    );
    let json = e.map(|e| e.body()).unwrap_or_default();
    assert_eq!(json["error"]["code"], "INVALID_PAYLOAD");
    assert_eq!(json["error"]["field"], "data.stock");
    assert!(matches!(
        decode_webhook(
            product_body("t1").as_bytes(),
            &tenant(),
            Kind::VendorProducts
        )
        .map(|e| e.event),
        Ok(SyncEvent::Snapshot(_))
    ));
}
