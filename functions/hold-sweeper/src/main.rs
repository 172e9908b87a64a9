//! Lambda `hold-sweeper`: run every minute by an EventBridge schedule; cancels the PENDING
//! orders whose hold lapsed (reason `expired`), giving back their stock and coupon uses.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    oms_runtime::lambda::run_hold_sweeper().await
}
