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
    let app =
        crate::http::graphql_function(&settings, group, None, None, crate::system_clock()).await?;
    lambda_http::run(app).await
}

/// `webhooks`: both webhook routes behind the function URL.
///
/// # Errors
/// As [`run_graphql`].
#[cfg(feature = "lambda-http")]
pub async fn run_webhooks() -> Result<(), lambda_http::Error> {
    let settings = init()?;
    let app = crate::http::webhook_function(&settings, None, crate::system_clock()).await?;
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
        Ok::<SqsBatchResponse, lambda_runtime::Error>(
            oms_webhooks::handle_sqs_batch(deps, event.payload).await,
        )
    }))
    .await
}
