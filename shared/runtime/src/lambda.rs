//! The Lambda entry points: each function's `main` is one call here. Composition happens once
//! per container (init); the handlers then serve every event the container receives.

use crate::{init_logs, LogFormat, Settings};

/// Reads the environment and starts JSON logs (init).
fn init() -> Result<Settings, crate::SettingsError> {
    let settings = Settings::from_env()?;
    init_logs(&settings, LogFormat::Json);
    Ok(settings)
}

/// `graphql-<group>`: one resolver group behind the HTTP API route `POST /graphql/{group}`.
///
/// # Errors
/// A setting is missing or malformed (init fails), or the runtime stops.
#[cfg(feature = "lambda-http")]
pub async fn run_graphql(group: oms_graphql::Group) -> Result<(), lambda_http::Error> {
    let settings = init()?;
    let config = crate::aws_config(None).await;
    let app =
        crate::http::graphql_function(&settings, group, None, &config, crate::system_clock())?;
    lambda_http::run(app).await
}

/// `webhooks`: both webhook routes behind the function URL.
///
/// # Errors
/// As [`run_graphql`].
#[cfg(feature = "lambda-http")]
pub async fn run_webhooks() -> Result<(), lambda_http::Error> {
    let settings = init()?;
    let config = crate::aws_config(None).await;
    let app = crate::http::webhook_function(&settings, &config, crate::system_clock())?;
    lambda_http::run(app).await
}

/// `sync-updater`: SQS FIFO batches of snapshot events, partial batch failures reported.
///
/// # Errors
/// As [`run_graphql`].
#[cfg(feature = "lambda")]
pub async fn run_updater() -> Result<(), lambda_runtime::Error> {
    use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
    use lambda_runtime::{service_fn, LambdaEvent};

    let settings = init()?;
    let deps = crate::updater(&settings, crate::system_clock()).await?;
    let deps = &deps;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        let stats = &deps.stats;
        let before = (stats.applied(), stats.stale(), stats.permanent_failures());
        let response = oms_webhooks::handle_sqs_batch(deps, event.payload).await;
        crate::metrics::emit(
            "sync-updater",
            deps.clock.now().timestamp_millis(),
            &[
                ("SnapshotsApplied", stats.applied() - before.0),
                ("StaleEvents", stats.stale() - before.1),
                ("PoisonMessages", stats.permanent_failures() - before.2),
                ("RecordsRetried", response.batch_item_failures.len() as u64),
            ],
        );
        Ok::<SqsBatchResponse, lambda_runtime::Error>(response)
    }))
    .await
}

/// `outbox-relay`: DynamoDB stream batches of the table (outbox inserts) → the events queue.
///
/// # Errors
/// As [`run_graphql`].
#[cfg(all(feature = "lambda", feature = "relay"))]
pub async fn run_relay() -> Result<(), lambda_runtime::Error> {
    use lambda_runtime::{service_fn, LambdaEvent};
    use oms_outbound::{StreamBatchResponse, StreamEvent};

    let settings = init()?;
    let config = crate::aws_config(None).await;
    let deps = crate::outbound::relay(&settings, &config, crate::system_clock())?;
    let deps = &deps;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<StreamEvent>| async move {
            let (response, report) = oms_outbound::relay(deps, event.payload).await;
            tracing::info!(?report, "relay batch done");
            crate::metrics::emit(
                "outbox-relay",
                deps.clock.now().timestamp_millis(),
                &[
                    ("EventsRelayed", report.published as u64),
                    ("EventsAlreadyRelayed", report.already_relayed as u64),
                    ("RelayFailures", report.failed as u64),
                ],
            );
            Ok::<StreamBatchResponse, lambda_runtime::Error>(response)
        },
    ))
    .await
}

/// `event-sender`: SQS batches of outbound events → each tenant's signed events URL.
///
/// # Errors
/// As [`run_graphql`].
#[cfg(all(feature = "lambda", feature = "sender"))]
pub async fn run_sender() -> Result<(), lambda_runtime::Error> {
    use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
    use lambda_runtime::{service_fn, LambdaEvent};

    let settings = init()?;
    let config = crate::aws_config(None).await;
    let deps = crate::outbound::sender(&settings, &config, crate::system_clock())?;
    let deps = &deps;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        let records = event.payload.records.len() as u64;
        let response = oms_outbound::send_batch(deps, event.payload).await;
        let failed = response.batch_item_failures.len() as u64;
        crate::metrics::emit(
            "event-sender",
            deps.clock.now().timestamp_millis(),
            &[
                ("EventsDelivered", records.saturating_sub(failed)),
                ("EventDeliveryFailures", failed),
            ],
        );
        Ok::<SqsBatchResponse, lambda_runtime::Error>(response)
    }))
    .await
}
