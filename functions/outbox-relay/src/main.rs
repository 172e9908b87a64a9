//! Lambda `outbox-relay`: DynamoDB stream batches of the table → the events queue
//! (docs/outbound-events.md). Partial failures resume the shard at the first failed record.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    oms_runtime::lambda::run_relay().await
}
