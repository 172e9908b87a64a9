//! The webhook body and the legacy `wss` body (docs/sync.md §2, §3), decoded and validated.
//!
//! Order of checks for `POST /webhooks/{tenant}/{kind}` (the caller does the first three):
//! 1. kind from the route ([`Kind::parse_route`]) and the tenant exist, else `NOT_FOUND`;
//! 2. [`check_size`] (`PAYLOAD_TOO_LARGE`);
//! 3. the signature over the raw bytes (`INVALID_SIGNATURE`);
//! 4. [`decode_webhook`]: JSON, envelope fields, tenant, type, then the one validation path.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use oms_domain::ids::TenantId;

use crate::error::{SyncError, SyncErrorCode};
use crate::event::{Snapshot, SyncEvent};
use crate::kind::{EventType, Kind};
use crate::validate::fields::Obj;
use crate::validate::{validate_event, validate_snapshot};

/// Largest accepted body: 256 KiB.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Longest event id, in characters.
const MAX_EVENT_ID: usize = 128;

/// # Errors
/// `PAYLOAD_TOO_LARGE` when `len` exceeds [`MAX_BODY_BYTES`].
pub fn check_size(len: usize) -> Result<(), SyncError> {
    if len > MAX_BODY_BYTES {
        return Err(SyncError::new(
            SyncErrorCode::PayloadTooLarge,
            format!("Body is larger than {MAX_BODY_BYTES} bytes."),
        ));
    }
    Ok(())
}

/// A decoded envelope whose `data` is not validated yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// Unique per event; the dedupe key (`T#<tenant>#EVT#<id>`).
    pub id: String,
    pub event_type: EventType,
    pub tenant_id: TenantId,
    /// Per-entity version (a sequence number or a timestamp in ms); newer wins.
    pub version: u64,
    pub occurred_at: DateTime<Utc>,
    pub data: Map<String, Value>,
}

/// A fully validated webhook event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    pub id: String,
    pub event_type: EventType,
    pub version: u64,
    pub occurred_at: DateTime<Utc>,
    pub event: SyncEvent,
}

fn parse_object(raw_body: &[u8]) -> Result<Map<String, Value>, SyncError> {
    check_size(raw_body.len())?;
    match serde_json::from_slice::<Value>(raw_body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(SyncError::new(
            SyncErrorCode::InvalidPayload,
            "The body must be a JSON object.",
        )),
        Err(e) => Err(SyncError::new(
            SyncErrorCode::InvalidPayload,
            format!("Malformed JSON: {e}."),
        )),
    }
}

fn invalid(field: &str, message: &str) -> SyncError {
    SyncError::invalid(field, format!("{field} {message}"))
}

impl Envelope {
    /// Decodes `{id, type, tenant_id, version, occurred_at, data}` posted to `kind` for
    /// `path_tenant`. Unknown top-level fields are ignored.
    ///
    /// # Errors
    /// `PAYLOAD_TOO_LARGE` over 256 KiB; `TENANT_MISMATCH` when `tenant_id` or `data.tenant_id`
    /// differs from `path_tenant`; `INVALID_PAYLOAD` (with `field`) for malformed JSON, a missing
    /// or invalid field, or a `type` that is not one of `kind`'s.
    pub fn parse(
        raw_body: &[u8],
        path_tenant: &TenantId,
        kind: Kind,
    ) -> Result<Envelope, SyncError> {
        let mut body = parse_object(raw_body)?;
        let tenant_id = match body.get("tenant_id") {
            Some(Value::String(s)) if s.trim() == path_tenant.as_str() => path_tenant.clone(),
            Some(Value::String(_)) => return Err(SyncError::tenant_mismatch("tenant_id")),
            Some(_) => return Err(invalid("tenant_id", "must be a string.")),
            None => return Err(invalid("tenant_id", "is required.")),
        };
        let id = match body.get("id") {
            Some(Value::String(s)) => {
                let s = s.trim();
                if s.is_empty()
                    || s.chars().count() > MAX_EVENT_ID
                    || s.chars().any(|c| c == '#' || c.is_control())
                {
                    return Err(invalid(
                        "id",
                        &format!("must be 1 to {MAX_EVENT_ID} characters without '#' or control characters."),
                    ));
                }
                s.to_string()
            }
            Some(_) => return Err(invalid("id", "must be a string.")),
            None => return Err(invalid("id", "is required.")),
        };
        let event_type = match body.get("type") {
            Some(Value::String(s)) => match EventType::parse(s.trim()) {
                Some(t) if t.kind() == kind => t,
                Some(t) => {
                    return Err(invalid(
                        "type",
                        &format!(
                            "'{}' does not belong to the route kind '{kind}'.",
                            t.as_str()
                        ),
                    ))
                }
                None => {
                    let expected: Vec<&str> =
                        kind.event_types().iter().map(|t| t.as_str()).collect();
                    return Err(invalid(
                        "type",
                        &format!("must be {} for '{kind}'.", expected.join(" or ")),
                    ));
                }
            },
            Some(_) => return Err(invalid("type", "must be a string.")),
            None => return Err(invalid("type", "is required.")),
        };
        let version = match body.get("version") {
            Some(Value::Number(n)) => n
                .as_u64()
                .ok_or_else(|| invalid("version", "must be a whole number ≥ 0."))?,
            Some(_) => return Err(invalid("version", "must be a whole number ≥ 0.")),
            None => return Err(invalid("version", "is required.")),
        };
        let occurred_at = match body.get("occurred_at") {
            Some(Value::String(s)) => DateTime::parse_from_rfc3339(s.trim())
                .map(|d| d.with_timezone(&Utc))
                .map_err(|_| {
                    invalid(
                        "occurred_at",
                        "must be an RFC 3339 date-time such as 2026-11-25T10:00:00Z.",
                    )
                })?,
            Some(_) => return Err(invalid("occurred_at", "must be a string.")),
            None => return Err(invalid("occurred_at", "is required.")),
        };
        let data = match body.remove("data") {
            Some(Value::Object(m)) => m,
            Some(_) => return Err(invalid("data", "must be a JSON object.")),
            None => return Err(invalid("data", "is required.")),
        };
        Obj::new(&data, "data").check_tenant(path_tenant)?;
        Ok(Envelope {
            id,
            event_type,
            tenant_id,
            version,
            occurred_at,
            data,
        })
    }

    /// Runs the one validation path on `data`.
    ///
    /// # Errors
    /// As [`validate_event`].
    pub fn validate(self) -> Result<WebhookEvent, SyncError> {
        let event = validate_event(self.event_type, &self.data, &self.tenant_id)?;
        Ok(WebhookEvent {
            id: self.id,
            event_type: self.event_type,
            version: self.version,
            occurred_at: self.occurred_at,
            event,
        })
    }
}

/// [`Envelope::parse`] then [`Envelope::validate`]: everything after the signature check.
///
/// # Errors
/// See [`Envelope::parse`] and [`validate_event`].
pub fn decode_webhook(
    raw_body: &[u8],
    path_tenant: &TenantId,
    kind: Kind,
) -> Result<WebhookEvent, SyncError> {
    Envelope::parse(raw_body, path_tenant, kind)?.validate()
}

/// A validated legacy `wss` webhook (`{"event_type": ..., "data": {...}}`).
///
/// The body has no id and no version: the caller uses [`crate::signature::Verified::replay_key`]
/// as the event id (duplicate = 200 `{"accepted": true, "duplicate": true}`) and the receive time
/// in ms as the version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyEvent {
    /// The sender's `event_type`, informational only: the route decides the kind.
    pub event_type: Option<String>,
    pub snapshot: Snapshot,
}

/// Decodes a legacy body posted to `POST /webhook/wss/{tenant}/{legacy_kind}`.
///
/// # Errors
/// `NOT_FOUND` when `kind` has no legacy route; `PAYLOAD_TOO_LARGE`; `INVALID_PAYLOAD` for
/// malformed JSON or invalid `data`; `TENANT_MISMATCH` for a `data.tenant_id` of another tenant.
pub fn decode_legacy_webhook(
    raw_body: &[u8],
    path_tenant: &TenantId,
    kind: Kind,
) -> Result<LegacyEvent, SyncError> {
    if kind.legacy_name().is_none() {
        return Err(SyncError::not_found(format!(
            "'{kind}' has no legacy webhook."
        )));
    }
    let body = parse_object(raw_body)?;
    let event_type = match body.get("event_type") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(invalid("event_type", "must be a string.")),
    };
    let data = match body.get("data") {
        Some(Value::Object(m)) => m,
        Some(_) => return Err(invalid("data", "must be a JSON object.")),
        None => return Err(invalid("data", "is required.")),
    };
    let snapshot = validate_snapshot(kind, data, path_tenant)?;
    Ok(LegacyEvent {
        event_type,
        snapshot,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::PaymentEventStatus;
    use crate::golden::{TENANT, VECTORS};
    use serde_json::json;

    fn tenant(t: &str) -> TenantId {
        TenantId::new(t).unwrap_or_else(|_| unreachable!())
    }

    fn product_data() -> Value {
        json!({
            "product_id": "p-1", "vendor_id": "v-1", "product_sku": "SKU-1", "product_name": "Shirt",
            "product_price": "10.00", "product_currency": "SGD", "stock": 3, "package_weight": "0.5",
            "package_length": 10, "package_width": 10, "package_height": 1
        })
    }

    fn envelope(overrides: Value) -> Vec<u8> {
        let mut body = json!({
            "id": "evt_01J", "type": "vendor_product.upserted", "tenant_id": "t1",
            "version": 7, "occurred_at": "2026-11-25T10:00:00Z", "data": product_data()
        });
        if let (Some(b), Some(o)) = (body.as_object_mut(), overrides.as_object()) {
            for (k, v) in o {
                if v == &json!("__remove__") {
                    b.remove(k);
                } else {
                    b.insert(k.clone(), v.clone());
                }
            }
        }
        serde_json::to_vec(&body).unwrap_or_default()
    }

    fn decode(body: &[u8], kind: Kind) -> Result<WebhookEvent, SyncError> {
        decode_webhook(body, &tenant("t1"), kind)
    }

    fn code_and_field(
        r: Result<WebhookEvent, SyncError>,
    ) -> Option<(SyncErrorCode, Option<String>)> {
        r.err().map(|e| (e.code, e.field))
    }

    #[test]
    fn a_valid_envelope_decodes_into_a_snapshot_event() {
        let e = decode(&envelope(json!({})), Kind::VendorProducts);
        let e = e.ok();
        assert_eq!(e.as_ref().map(|e| e.id.as_str()), Some("evt_01J"));
        assert_eq!(e.as_ref().map(|e| e.version), Some(7));
        assert_eq!(
            e.as_ref().map(|e| e.event_type),
            Some(EventType::VendorProductUpserted)
        );
        assert_eq!(
            e.as_ref().map(|e| e.occurred_at.to_rfc3339()),
            Some("2026-11-25T10:00:00+00:00".into())
        );
        assert_eq!(e.map(|e| e.event.entity_key()), Some("PRODUCT#p-1".into()));
    }

    #[test]
    fn a_millisecond_timestamp_is_a_valid_version() {
        let e = decode(
            &envelope(json!({"version": 1_764_064_800_123u64})),
            Kind::VendorProducts,
        );
        assert_eq!(e.map(|e| e.version).ok(), Some(1_764_064_800_123));
    }

    #[test]
    fn body_tenant_mismatch_is_422() {
        let r = decode(&envelope(json!({"tenant_id": "t2"})), Kind::VendorProducts);
        assert_eq!(
            code_and_field(r),
            Some((SyncErrorCode::TenantMismatch, Some("tenant_id".into())))
        );
    }

    #[test]
    fn data_tenant_mismatch_is_422() {
        let mut data = product_data();
        if let Some(m) = data.as_object_mut() {
            m.insert("tenant_id".into(), json!("t2"));
        }
        let r = decode(&envelope(json!({ "data": data })), Kind::VendorProducts);
        assert_eq!(
            code_and_field(r),
            Some((SyncErrorCode::TenantMismatch, Some("data.tenant_id".into())))
        );
        let env = Envelope::parse(
            &envelope(json!({ "data": data })),
            &tenant("t1"),
            Kind::VendorProducts,
        );
        assert_eq!(env.err().map(|e| e.status()), Some(422));
    }

    #[test]
    fn a_matching_data_tenant_is_accepted() {
        let mut data = product_data();
        if let Some(m) = data.as_object_mut() {
            m.insert("tenant_id".into(), json!("t1"));
        }
        assert!(decode(&envelope(json!({ "data": data })), Kind::VendorProducts).is_ok());
    }

    #[test]
    fn the_type_must_belong_to_the_route_kind() {
        let r = decode(
            &envelope(json!({"type": "vendor_details.upserted"})),
            Kind::VendorProducts,
        );
        assert_eq!(
            code_and_field(r),
            Some((SyncErrorCode::InvalidPayload, Some("type".into())))
        );
        let r = decode(
            &envelope(json!({"type": "product.created"})),
            Kind::VendorProducts,
        );
        assert_eq!(
            code_and_field(r),
            Some((SyncErrorCode::InvalidPayload, Some("type".into())))
        );
    }

    #[test]
    fn missing_or_invalid_envelope_fields_name_the_field() {
        let cases = [
            (json!({"id": "__remove__"}), "id"),
            (json!({"id": ""}), "id"),
            (json!({"id": "evt#1"}), "id"),
            (json!({"id": 5}), "id"),
            (json!({"type": "__remove__"}), "type"),
            (json!({"tenant_id": "__remove__"}), "tenant_id"),
            (json!({"tenant_id": 1}), "tenant_id"),
            (json!({"version": "__remove__"}), "version"),
            (json!({"version": -1}), "version"),
            (json!({"version": 1.5}), "version"),
            (json!({"version": "7"}), "version"),
            (json!({"occurred_at": "yesterday"}), "occurred_at"),
            (json!({"occurred_at": "__remove__"}), "occurred_at"),
            (json!({"data": "__remove__"}), "data"),
            (json!({"data": [1]}), "data"),
        ];
        for (overrides, field) in cases {
            let r = decode(&envelope(overrides.clone()), Kind::VendorProducts);
            assert_eq!(
                code_and_field(r),
                Some((SyncErrorCode::InvalidPayload, Some(field.into()))),
                "{overrides}"
            );
        }
    }

    #[test]
    fn malformed_json_is_400_without_field() {
        let r = decode(b"{\"id\": ", Kind::VendorProducts);
        assert_eq!(
            code_and_field(r),
            Some((SyncErrorCode::InvalidPayload, None))
        );
        let r = decode(b"[1,2]", Kind::VendorProducts);
        assert_eq!(
            code_and_field(r),
            Some((SyncErrorCode::InvalidPayload, None))
        );
    }

    #[test]
    fn bodies_over_256_kib_are_413() {
        assert!(check_size(MAX_BODY_BYTES).is_ok());
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        let r = decode(&big, Kind::VendorProducts);
        assert_eq!(
            r.err().map(|e| (e.code, e.status())),
            Some((SyncErrorCode::PayloadTooLarge, 413))
        );
        let r = decode_legacy_webhook(&big, &tenant("t1"), Kind::VendorProducts);
        assert_eq!(
            r.err().map(|e| e.code),
            Some(SyncErrorCode::PayloadTooLarge)
        );
    }

    #[test]
    fn data_errors_carry_the_data_path() {
        let mut data = product_data();
        if let Some(m) = data.as_object_mut() {
            m.insert("stock".into(), json!(-1));
        }
        let r = decode(&envelope(json!({ "data": data })), Kind::VendorProducts);
        assert_eq!(
            code_and_field(r),
            Some((SyncErrorCode::InvalidPayload, Some("data.stock".into())))
        );
    }

    #[test]
    fn payment_events_take_their_status_from_the_type() {
        let data = json!({"order_id": "ORD-1", "transaction_id": "txn_1", "method": "Stripe", "amount": "19.62", "currency": "SGD"});
        for (t, status) in [
            ("payment.succeeded", PaymentEventStatus::Succeeded),
            ("payment.refunded", PaymentEventStatus::Refunded),
        ] {
            let body = envelope(json!({"type": t, "data": data}));
            let e = decode(&body, Kind::Payments).map(|e| e.event);
            match e {
                Ok(SyncEvent::Payment(p)) => {
                    assert_eq!(p.status, status);
                    assert_eq!(p.amount.minor(), 1962);
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn identity_events_decode() {
        let data = json!({"sub": "u-1", "email": "a@b.co", "name": "A", "tenant_id": "t1", "roles": ["customer", "offline_access"]});
        let body = envelope(json!({"type": "user.logged_in", "data": data}));
        let e = decode(&body, Kind::Identity).map(|e| e.event.entity_key());
        assert_eq!(e.ok(), Some("IDENTITY#u-1".into()));
    }

    #[test]
    fn the_five_legacy_golden_bodies_validate_for_their_route() {
        for (legacy, _, body) in VECTORS {
            let kind = Kind::parse_legacy(legacy).unwrap_or(Kind::Identity);
            let e = decode_legacy_webhook(body.as_bytes(), &tenant(TENANT), kind);
            let e = e.map_err(|e| format!("{legacy}: {e:?}"));
            assert_eq!(e.as_ref().map(|e| e.snapshot.kind()), Ok(kind));
            assert_eq!(
                e.as_ref()
                    .ok()
                    .and_then(|e| e.event_type.clone())
                    .as_deref(),
                kind.legacy_event_type()
            );
        }
    }

    #[test]
    fn legacy_bodies_check_the_data_tenant_against_the_route() {
        let (_, _, body) = VECTORS[0];
        let r = decode_legacy_webhook(body.as_bytes(), &tenant("other"), Kind::VendorProducts);
        assert_eq!(
            r.err().map(|e| (e.code, e.field)),
            Some((SyncErrorCode::TenantMismatch, Some("data.tenant_id".into())))
        );
    }

    #[test]
    fn legacy_kind_comes_from_the_route_not_the_event_type() {
        // Vector 3 (vendor details) posted to the product route fails product validation.
        let (_, _, body) = VECTORS[2];
        let r = decode_legacy_webhook(body.as_bytes(), &tenant(TENANT), Kind::VendorProducts);
        assert_eq!(
            r.err().map(|e| (e.code, e.field)),
            Some((
                SyncErrorCode::InvalidPayload,
                Some("data.product_id".into())
            ))
        );
        let r = decode_legacy_webhook(body.as_bytes(), &tenant(TENANT), Kind::CustomerDetails);
        assert_eq!(r.err().map(|e| e.code), Some(SyncErrorCode::NotFound));
        let r = decode_legacy_webhook(
            br#"{"event_type": "x"}"#,
            &tenant(TENANT),
            Kind::VendorDetails,
        );
        assert_eq!(r.err().map(|e| e.field), Some(Some("data".into())));
    }
}
