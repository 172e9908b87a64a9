//! Lambda `sync-updater`: SQS FIFO batches of snapshot events (docs/queues.md), applied in
//! version order per entity; failed records come back in `batchItemFailures`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    oms_runtime::lambda::run_updater().await
}
