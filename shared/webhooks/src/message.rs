//! The snapshot-sync queue message: what the receivers publish and the updater applies.
//!
//! The body carries the sender's ORIGINAL `data` object, not our decoded snapshot: the updater
//! runs it through the same oms-sync validation as the receiver ([`SyncMessage::validate`]), so a
//! message is never trusted because it sits on our queue, and there is one validation path.
//!
//! ```json
//! {"format": 1, "source": "webhook", "tenant": "t1", "kind": "vendor-products",
//!  "type": "vendor_product.upserted", "event_id": "evt_1", "version": 7,
//!  "occurred_at": "2026-11-25T10:00:00Z", "data": {...}}
//! ```

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use oms_domain::ids::TenantId;
use oms_sync::{validate_event, EventType, Kind, SyncError, SyncErrorCode, SyncEvent};

/// Version of the message format.
pub const MESSAGE_FORMAT: u32 = 1;

/// Largest message body we publish. SQS allows 256 KiB for the body PLUS the message attributes
/// the queue adapter adds (tenant, group, dedup id: well under 1 KiB); 2 KiB are kept for them.
/// A compact webhook body close to the 256 KiB request limit can therefore be refused with 413.
pub const MAX_MESSAGE_BODY_BYTES: usize = 256 * 1024 - 2 * 1024;

/// Which route received the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageSource {
    /// `POST /webhooks/{tenant}/{kind}` (docs/webhooks.md §2).
    Webhook,
    /// `POST /webhook/wss/{tenant}/{legacy_kind}` (docs/webhooks.md §3).
    LegacyWss,
}

/// One accepted sync event on the queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncMessage {
    pub format: u32,
    pub source: MessageSource,
    pub tenant: String,
    /// Route kind (`vendor-products`).
    pub kind: String,
    #[serde(rename = "type")]
    pub event_type: String,
    /// The webhook event id, or the legacy replay key (`wss:<mac>`).
    pub event_id: String,
    /// Per-entity version: the sender's, or the receive time in ms for legacy events.
    pub version: u64,
    pub occurred_at: DateTime<Utc>,
    /// The sender's `data`, exactly as received (re-validated on apply).
    pub data: Map<String, Value>,
}

/// A message that passed validation: everything the updater needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidMessage {
    pub tenant: TenantId,
    pub kind: Kind,
    pub event_type: EventType,
    pub event_id: String,
    pub version: u64,
    /// When the sender observed the data (the envelope's `occurred_at`; the receive time for
    /// legacy events).
    pub occurred_at: DateTime<Utc>,
    pub event: SyncEvent,
}

impl SyncMessage {
    /// The queue body: compact JSON. U+FFFE and U+FFFF (which JSON allows unescaped but SQS
    /// refuses in a body) are written as `\u` escapes, so any valid request can be queued.
    ///
    /// # Errors
    /// `PAYLOAD_TOO_LARGE` when the body exceeds [`MAX_MESSAGE_BODY_BYTES`].
    pub fn encode(&self) -> Result<String, SyncError> {
        let json = serde_json::to_string(self).map_err(|e| {
            SyncError::new(
                SyncErrorCode::InvalidPayload,
                format!("The event cannot be queued: {e}."),
            )
        })?;
        let body = if json.contains(['\u{fffe}', '\u{ffff}']) {
            json.replace('\u{fffe}', "\\ufffe")
                .replace('\u{ffff}', "\\uffff")
        } else {
            json
        };
        if body.len() > MAX_MESSAGE_BODY_BYTES {
            return Err(SyncError::new(
                SyncErrorCode::PayloadTooLarge,
                format!(
                    "The event is larger than the queue allows ({MAX_MESSAGE_BODY_BYTES} bytes)."
                ),
            ));
        }
        Ok(body)
    }

    /// Parses a queue body.
    ///
    /// # Errors
    /// A readable reason when the body is not a message of [`MESSAGE_FORMAT`].
    pub fn decode(body: &str) -> Result<SyncMessage, String> {
        let message: SyncMessage =
            serde_json::from_str(body).map_err(|e| format!("not a sync message: {e}"))?;
        if message.format != MESSAGE_FORMAT {
            return Err(format!(
                "unsupported message format {} (expected {MESSAGE_FORMAT})",
                message.format
            ));
        }
        Ok(message)
    }

    /// Re-validates the message through the one oms-sync path (`validate_event`): the tenant,
    /// kind and type must be known and agree, and `data` must be a valid payload of the type for
    /// the tenant (including `data.tenant_id`).
    ///
    /// # Errors
    /// A readable reason (with the field path of a data error).
    pub fn validate(&self) -> Result<ValidMessage, String> {
        let tenant = TenantId::new(&self.tenant).map_err(|e| format!("tenant: {}", e.message))?;
        let kind =
            Kind::from_route(&self.kind).ok_or_else(|| format!("unknown kind '{}'", self.kind))?;
        let event_type = EventType::parse(&self.event_type)
            .filter(|t| t.kind() == kind)
            .ok_or_else(|| format!("type '{}' is not a type of '{kind}'", self.event_type))?;
        let event_id = self.event_id.trim();
        if event_id.is_empty() {
            return Err("event_id is empty".into());
        }
        let event =
            validate_event(event_type, &self.data, &tenant).map_err(|e| match &e.field {
                Some(field) => format!("{}: {field}: {}", e.code, e.message),
                None => format!("{}: {}", e.code, e.message),
            })?;
        Ok(ValidMessage {
            tenant,
            kind,
            event_type,
            event_id: event_id.to_string(),
            version: self.version,
            occurred_at: self.occurred_at,
            event,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(data: Value) -> SyncMessage {
        SyncMessage {
            format: MESSAGE_FORMAT,
            source: MessageSource::Webhook,
            tenant: "t1".into(),
            kind: "vendor-details".into(),
            event_type: "vendor_details.upserted".into(),
            event_id: "evt_1".into(),
            version: 7,
            occurred_at: DateTime::from_timestamp(1_764_064_800, 0).unwrap_or_default(),
            data: data.as_object().cloned().unwrap_or_default(),
        }
    }

    #[test]
    fn a_message_round_trips_and_validates() {
        let m = message(json!({"vendor_id": "v-1", "name": "Vendor", "country": "Singapore"}));
        let body = m.encode().unwrap_or_default();
        let back = SyncMessage::decode(&body);
        assert_eq!(back.as_ref().ok(), Some(&m));
        let valid = back.and_then(|b| b.validate());
        assert_eq!(valid.as_ref().map(|v| v.version).ok(), Some(7));
        assert_eq!(
            valid.map(|v| v.event.entity_key()).ok(),
            Some("VENDOR#v-1".to_string())
        );
    }

    #[test]
    fn noncharacters_sqs_refuses_are_escaped_and_decode_back() {
        let m = message(json!({"vendor_id": "v-1", "name": "A\u{ffff}B\u{fffe}", "country": "SG"}));
        let body = m.encode().unwrap_or_default();
        assert!(!body.contains('\u{ffff}') && !body.contains('\u{fffe}'));
        assert!(body.contains("\\uffff"));
        assert_eq!(SyncMessage::decode(&body).ok(), Some(m));
    }

    #[test]
    fn queue_contents_are_not_trusted() {
        // Another kind's type, an unknown format, invalid data, another tenant in data.
        let mut wrong_type = message(json!({"vendor_id": "v-1", "name": "V", "country": "SG"}));
        wrong_type.event_type = "vendor_product.upserted".into();
        assert!(wrong_type.validate().is_err());

        let body = message(json!({})).encode().unwrap_or_default();
        let other_format = body.replace("\"format\":1", "\"format\":2");
        assert!(SyncMessage::decode(&other_format).is_err());
        assert!(SyncMessage::decode("{\"format\":1}").is_err());

        let invalid = message(json!({"vendor_id": "v-1", "country": "SG"}));
        let reason = invalid.validate().err().unwrap_or_default();
        assert!(reason.contains("data.name"), "{reason}");

        let foreign =
            message(json!({"vendor_id": "v-1", "name": "V", "country": "SG", "tenant_id": "t2"}));
        assert!(foreign.validate().is_err());
    }

    #[test]
    fn an_oversized_message_is_refused() {
        let big = "x".repeat(MAX_MESSAGE_BODY_BYTES);
        let m = message(json!({"vendor_id": "v-1", "name": big, "country": "SG"}));
        assert_eq!(
            m.encode().err().map(|e| e.code),
            Some(SyncErrorCode::PayloadTooLarge)
        );
    }
}
