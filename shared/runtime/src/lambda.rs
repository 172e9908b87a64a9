//! The Lambda entry points: each function's `main` is one call here. Composition happens once
//! per container (init); the handlers then serve every event the container receives.

#[cfg(feature = "lambda")]
use oms_application::metrics::Metric;

use crate::{init_logs, LogFormat, Settings};

/// Reads the environment and starts JSON logs (init).
fn init() -> Result<Settings, crate::SettingsError> {
    let settings = Settings::from_env()?;
    init_logs(&settings, LogFormat::Json);
    Ok(settings)
}

/// `graphql-<group>`: one resolver group behind the HTTP API route `POST /graphql/{group}`
/// (feature `lambda-graphql`, which brings the SSM client for `OMS_JWT_HS256_SECRET_PARAM`).
/// `group` is a constant of the function's `main` (`GroupSchema::CHECKOUT`, ...), so the binary
/// links that group's resolvers only.
///
/// # Errors
/// A setting is missing or malformed (init fails), or the runtime stops.
#[cfg(feature = "lambda-graphql")]
pub async fn run_graphql(group: oms_graphql::GroupSchema) -> Result<(), lambda_http::Error> {
    let settings = init()?;
    let config = crate::function_aws_config()?;
    let function =
        crate::http::graphql_function(&settings, group, None, &config, crate::system_clock())?;
    run_http(function).await
}

/// `webhooks`: both webhook routes behind the function URL.
///
/// # Errors
/// A setting is missing or malformed (init fails), or the runtime stops.
#[cfg(feature = "lambda-http")]
pub async fn run_webhooks() -> Result<(), lambda_http::Error> {
    let settings = init()?;
    let config = crate::function_aws_config()?;
    let function = crate::http::webhook_function(&settings, &config, crate::system_clock())?;
    run_http(function).await
}

/// Serves `function`'s router, writing its metrics line after every invocation.
#[cfg(feature = "lambda-http")]
async fn run_http(function: crate::http::HttpFunction) -> Result<(), lambda_http::Error> {
    let function = &function;
    lambda_http::run(lambda_http::service_fn(
        move |request: lambda_http::Request| async move {
            let (response, metrics) = function.invoke(request).await;
            println!("{metrics}");
            Ok::<_, lambda_http::Error>(response)
        },
    ))
    .await
}

#[cfg(feature = "lambda-http")]
impl crate::http::HttpFunction {
    /// One invocation: the request through the router, then the EMF line of what it counted
    /// (the entry point prints it; tests read it).
    pub async fn invoke(
        &self,
        request: lambda_http::Request,
    ) -> (axum::response::Response, String) {
        use lambda_http::tower::ServiceExt;
        let response = match self.router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        (response, self.metrics_line())
    }
}

/// `sync-updater`: SQS FIFO batches of snapshot events, partial batch failures reported.
///
/// # Errors
/// A setting is missing or malformed (init fails), or the runtime stops.
#[cfg(feature = "lambda")]
pub async fn run_updater() -> Result<(), lambda_runtime::Error> {
    use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
    use lambda_runtime::{service_fn, LambdaEvent};

    let settings = init()?;
    let config = crate::function_aws_config()?;
    let deps = crate::updater(&settings, &config, crate::system_clock())?;
    let (deps, max_receives) = (&deps, settings.max_receive_count);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        let (response, metrics) = updater_batch(deps, max_receives, event.payload).await;
        crate::metrics::emit(
            "sync-updater",
            deps.clock.now().timestamp_millis(),
            None,
            &metrics,
        );
        Ok::<SqsBatchResponse, lambda_runtime::Error>(response)
    }))
    .await
}

/// One invocation of the updater: the batch's response and its metrics.
#[cfg(feature = "lambda")]
pub async fn updater_batch(
    deps: &oms_webhooks::UpdaterDeps,
    max_receive_count: Option<u32>,
    event: aws_lambda_events::sqs::SqsEvent,
) -> (aws_lambda_events::sqs::SqsBatchResponse, Vec<(Metric, u64)>) {
    let stats = &deps.stats;
    let before = (stats.applied(), stats.stale(), stats.permanent_failures());
    let last = max_receive_count.map(|max| oms_queue::LastReceives::of(&event, max));
    let response = oms_webhooks::handle_sqs_batch(deps, event).await;
    let mut metrics = vec![
        (Metric::SnapshotsApplied, stats.applied() - before.0),
        (Metric::StaleEvents, stats.stale() - before.1),
        (
            Metric::PoisonMessages,
            stats.permanent_failures() - before.2,
        ),
        (
            Metric::RecordsRetried,
            response.batch_item_failures.len() as u64,
        ),
    ];
    if let Some(last) = last {
        metrics.push((Metric::MessagesDeadLettered, last.dead_lettered(&response)));
    }
    (response, metrics)
}

/// `outbox-relay`: DynamoDB stream batches of the table (outbox inserts) → the events queue.
///
/// # Errors
/// A setting is missing or malformed (init fails), or the runtime stops.
#[cfg(all(feature = "lambda", feature = "relay"))]
pub async fn run_relay() -> Result<(), lambda_runtime::Error> {
    use lambda_runtime::{service_fn, LambdaEvent};
    use oms_outbound::{StreamBatchResponse, StreamEvent};

    let settings = init()?;
    let config = crate::function_aws_config()?;
    let deps = crate::outbound::relay(&settings, &config, crate::system_clock())?;
    let deps = &deps;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<StreamEvent>| async move {
            let (response, report) = oms_outbound::relay(deps, event.payload).await;
            tracing::info!(?report, "relay batch done");
            crate::metrics::emit(
                "outbox-relay",
                deps.clock.now().timestamp_millis(),
                None,
                &[
                    (Metric::EventsRelayed, report.published as u64),
                    (Metric::EventsAlreadyRelayed, report.already_relayed as u64),
                    (
                        Metric::EventsSkippedUnsubscribed,
                        report.not_subscribed as u64,
                    ),
                    (Metric::RelayFailures, report.failed as u64),
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
/// A setting is missing or malformed (init fails), or the runtime stops.
#[cfg(all(feature = "lambda", feature = "sender"))]
pub async fn run_sender() -> Result<(), lambda_runtime::Error> {
    use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
    use lambda_runtime::{service_fn, LambdaEvent};

    let settings = init()?;
    let config = crate::function_aws_config()?;
    let deps = crate::outbound::sender(&settings, &config, crate::system_clock())?;
    let (deps, max_receives) = (&deps, settings.max_receive_count);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        let (response, metrics) = sender_batch(deps, max_receives, event.payload).await;
        crate::metrics::emit(
            "event-sender",
            deps.clock.now().timestamp_millis(),
            None,
            &metrics,
        );
        Ok::<SqsBatchResponse, lambda_runtime::Error>(response)
    }))
    .await
}

/// One invocation of the sender: the batch's response and its metrics.
#[cfg(all(feature = "lambda", feature = "sender"))]
pub async fn sender_batch(
    deps: &oms_outbound::SenderDeps,
    max_receive_count: Option<u32>,
    event: aws_lambda_events::sqs::SqsEvent,
) -> (aws_lambda_events::sqs::SqsBatchResponse, Vec<(Metric, u64)>) {
    let last = max_receive_count.map(|max| oms_queue::LastReceives::of(&event, max));
    let response = oms_outbound::send_batch(deps, event).await;
    let mut reports = Metric::SENDER.to_vec();
    reports.push(Metric::RecordsRetried);
    deps.metrics.add(
        Metric::RecordsRetried,
        response.batch_item_failures.len() as u64,
    );
    if let Some(last) = last {
        reports.push(Metric::MessagesDeadLettered);
        deps.metrics
            .add(Metric::MessagesDeadLettered, last.dead_lettered(&response));
    }
    (response, deps.metrics.take().reported(&reports))
}

/// Holds lapsed per tenant that one hold-sweeper invocation expires at most (the next minute's
/// run carries on).
#[cfg(feature = "lambda")]
pub const SWEEP_PER_TENANT: usize = 500;

/// `hold-sweeper`: every minute (EventBridge schedule), cancels the PENDING orders whose hold
/// lapsed (docs/runtime.md "Stock, holds and expiry"). Answers what it did.
///
/// # Errors
/// A setting is missing (init fails), or the runtime stops. An invocation whose tenant list
/// cannot be read fails (Lambda retries the scheduled event).
#[cfg(feature = "lambda")]
pub async fn run_hold_sweeper() -> Result<(), lambda_runtime::Error> {
    use lambda_runtime::{service_fn, LambdaEvent};
    use std::sync::Arc;

    let settings = init()?;
    let config = crate::function_aws_config()?;
    let clock = crate::system_clock();
    let store = crate::dynamo_store(&config, settings.table()?, clock.clone());
    let oms = oms_application::Oms::new(
        store,
        clock.clone(),
        Arc::new(oms_application::ports::NoPaymentGateway),
    );
    let (oms, clock) = (&oms, &clock);
    lambda_runtime::run(service_fn(
        move |_: LambdaEvent<serde_json::Value>| async move {
            let (answer, metrics) = hold_sweep(oms).await?;
            crate::metrics::emit(
                "hold-sweeper",
                clock.now().timestamp_millis(),
                None,
                &metrics,
            );
            Ok::<serde_json::Value, lambda_runtime::Error>(answer)
        },
    ))
    .await
}

/// One hold-sweeper invocation (whatever the scheduled event says): its answer
/// `{"expired", "skipped", "failed"}` and its metrics.
///
/// # Errors
/// The tenant list cannot be read.
#[cfg(feature = "lambda")]
pub async fn hold_sweep(
    oms: &oms_application::Oms,
) -> Result<(serde_json::Value, Vec<(Metric, u64)>), oms_application::ports::StoreFault> {
    let outcome = oms.sweep_holds(SWEEP_PER_TENANT).await;
    let metrics = oms_application::usecases::report_sweep(&outcome);
    let report = outcome?;
    let answer = serde_json::json!({
        "expired": report.expired,
        "skipped": report.skipped,
        "failed": report.failed,
    });
    Ok((answer, metrics))
}
