//! `oms-webhooks`: the snapshot-sync application layer, transport-free. The server (axum) and
//! the Lambda functions call these handlers; `docs/webhooks.md` describes them.
//!
//! - [`receive`]: `POST /webhooks/{tenant}/{kind}` (docs/webhooks.md §2) → [`WebhookResponse`].
//! - [`receive_legacy`]: `POST /webhook/wss/{tenant}/{legacy_kind}` (docs/webhooks.md §3).
//! - [`apply`]: the updater, one queue message at a time (SQS Lambda, `oms serve`'s queue).
//! - [`import_csv`]: CSV snapshot import (docs/webhooks.md §6), the core of `oms import`.
//!
//! All of them go through the oms-sync validation path and the oms-application ports only.

pub mod import;
pub mod legacy;
pub mod message;
pub mod receiver;
pub mod response;
pub mod sqs_batch;
pub mod updater;

pub use import::{
    import_csv, write_error_report_csv, ImportError, ImportOptions, ImportProgress, ImportReport,
    EMBEDDED_IMPORT_CONCURRENCY, IMPORT_CONCURRENCY,
};
pub use legacy::receive_legacy;
pub use message::{MessageSource, SyncMessage, ValidMessage};
pub use receiver::{receive, WebhookDeps, EVENT_ID_TTL_DAYS};
pub use response::{Outcome, Reason, WebhookResponse};
pub use sqs_batch::handle_sqs_batch;
pub use updater::{apply, Applied, UpdateError, UpdaterDeps, UpdaterStats};
