//! The snapshot-sync updater for SQS batches (the updater Lambda's handler): each record goes
//! through the same [`crate::apply`] as `oms serve`'s in-process queue; failed records are
//! reported in `batchItemFailures` (and, per message group, the records after them), so one bad
//! message never blocks or re-applies the others. Messages that keep failing reach the DLQ.

use crate::UpdaterDeps;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use oms_queue::{process_batch, RecordError};

pub async fn handle_sqs_batch(deps: &UpdaterDeps, event: SqsEvent) -> SqsBatchResponse {
    process_batch(event, |message| async move {
        crate::apply(deps, &message.body)
            .await
            .map(|_| ())
            .map_err(|e| {
                tracing::warn!(tenant = %message.tenant, message_id = %message.message_id, error = %e, "sync message failed");
                RecordError::new(e.to_string())
            })
    })
    .await
}
