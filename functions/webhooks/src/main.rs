//! Lambda `webhooks`: `POST /webhooks/{tenant}/{kind}` and `POST /webhook/wss/{tenant}/{kind}`
//! behind the function URL (docs/webhooks.md). Accepted events go to the sync queue.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    oms_runtime::lambda::run_webhooks().await
}
