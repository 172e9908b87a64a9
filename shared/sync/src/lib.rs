//! Pure snapshot sync: webhook signature schemes, the event envelope, and the ONE validation
//! path that turns webhook `data` objects and CSV rows into domain snapshots. No I/O: HTTP
//! routes, queues, dedupe/version storage and the `oms import` CLI are built on top of this.
//!
//! Typical webhook flow (`POST /webhooks/{tenant}/{kind}`):
//! 1. [`Kind::parse_route`] and a tenant lookup (404), [`check_size`] (413);
//! 2. [`signature::scheme`]`(tenant's scheme)`.verify(headers, raw body, secrets, now) (401);
//! 3. [`decode_webhook`] → [`WebhookEvent`] (400 / 422), then dedupe by `id` and apply if
//!    `version` is newer than the stored one for [`SyncEvent::entity_key`].
//!
//! Errors map to HTTP once: [`SyncError::status`] and [`SyncError::body`].

pub mod csv;
pub mod envelope;
pub mod error;
pub mod event;
pub mod kind;
pub mod schema;
pub mod signature;
pub mod validate;

pub mod golden;

pub use crate::csv::{template, CsvImport, CsvRow, RowError};
pub use envelope::{
    check_size, decode_legacy_webhook, decode_webhook, Envelope, LegacyEvent, WebhookEvent,
    MAX_BODY_BYTES,
};
pub use error::{SyncError, SyncErrorCode};
pub use event::{IdentityEvent, PaymentEventStatus, PaymentRecord, Snapshot, SyncEvent};
pub use kind::{EventType, Kind};
pub use signature::{Headers, SignatureError, SignatureScheme, Verified};
pub use validate::{validate_event, validate_snapshot};
