//! Lambda `event-sender`: SQS batches of outbound order events → `POST` to each tenant's events
//! URL, signed (docs/outbound-events.md). Failed deliveries are retried by the queue, then
//! dead-lettered.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    oms_runtime::lambda::run_sender().await
}
