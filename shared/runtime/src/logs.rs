//! Logs: JSON lines in Lambda (CloudWatch Logs Insights reads the fields), human-readable
//! locally. Every request's lines carry `request_id` and `tenant` from the request span; tokens,
//! secrets and bodies are never logged (callers log ids and reasons only).

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

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

/// The filter of `OMS_LOG`: comma-separated `target=level` directives or a bare default level,
/// e.g. `info` or `info,oms_webhooks=debug` (`tracing_subscriber::filter::Targets` syntax: no
/// regex and no span or field filters, so the Lambda binaries link no regex engine). Unset or
/// malformed: `info`.
fn log_filter(directives: Option<&str>) -> Targets {
    directives
        .and_then(|f| f.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO))
}

/// Installs the process-wide subscriber once (later calls are no-ops), filtered by `OMS_LOG`
/// (default `info`).
pub fn init_logs(settings: &Settings, format: LogFormat) {
    let filter = log_filter(settings.log_filter.as_deref());
    let layer = tracing_subscriber::fmt::layer().with_target(false);
    let _ = match format {
        LogFormat::Json => tracing_subscriber::registry()
            .with(
                layer
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    // Lambda adds its own timestamp to every line.
                    .without_time(),
            )
            .with(filter)
            .try_init(),
        LogFormat::Human => tracing_subscriber::registry()
            .with(layer)
            .with(filter)
            .try_init(),
    };
}

#[cfg(test)]
mod tests {
    use tracing::Level;

    use super::log_filter;

    #[test]
    fn default_level_and_per_target_levels() {
        let f = log_filter(Some("warn,oms_webhooks=debug"));
        assert!(f.would_enable("oms_webhooks::updater", &Level::DEBUG));
        assert!(!f.would_enable("oms_webhooks::updater", &Level::TRACE));
        assert!(f.would_enable("oms_store", &Level::WARN));
        assert!(!f.would_enable("oms_store", &Level::INFO));
    }

    #[test]
    fn unset_or_malformed_is_info() {
        for directives in [None, Some("info,oms=loud"), Some("oms=verbose=x")] {
            let f = log_filter(directives);
            assert!(f.would_enable("oms_store", &Level::INFO), "{directives:?}");
            assert!(
                !f.would_enable("oms_store", &Level::DEBUG),
                "{directives:?}"
            );
        }
    }
}
