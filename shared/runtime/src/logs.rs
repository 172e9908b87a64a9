//! Logs: JSON lines in Lambda (CloudWatch Logs Insights reads the fields), human-readable
//! locally. Every request's lines carry `request_id` and `tenant` from the request span; tokens,
//! secrets and bodies are never logged (callers log ids and reasons only).

use tracing_subscriber::EnvFilter;

use crate::Settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Human,
}

impl LogFormat {
    /// JSON inside Lambda, human-readable elsewhere.
    pub fn for_settings(settings: &Settings) -> Self {
        if settings.in_lambda {
            LogFormat::Json
        } else {
            LogFormat::Human
        }
    }
}

/// Installs the process-wide subscriber once (later calls are no-ops), filtered by `OMS_LOG`
/// (default `info`).
pub fn init_logs(settings: &Settings, format: LogFormat) {
    let filter = settings
        .log_filter
        .as_deref()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            // Lambda adds its own timestamp to every line.
            .without_time()
            .try_init(),
        LogFormat::Human => builder.try_init(),
    };
}
