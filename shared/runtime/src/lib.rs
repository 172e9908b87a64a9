//! The one composition of the OMS.
//!
//! Every entry point — each Lambda function's `main`, `oms serve`, `oms import`, the end-to-end
//! harness — builds its components here, from [`Settings`] read once from the environment
//! (docs/deploy.md lists every variable). Building does no network I/O that can wait: the AWS
//! clients resolve credentials on their first call and the JWKS is fetched on the first token,
//! so a Lambda's init stays short.
//!
//! Feature `http` adds the HTTP surfaces (GraphQL groups, webhooks: [`http`]); without it (the
//! updater, relay and sender functions) neither GraphQL nor the JWT verifier is linked. Feature
//! `sqlite` adds the embedded store of `oms serve`.

mod logs;
pub mod metrics;
pub mod secrets;
mod settings;
mod store;

#[cfg(feature = "http")]
pub mod http;
#[cfg(any(feature = "lambda", feature = "lambda-http"))]
pub mod lambda;
#[cfg(feature = "sqlite")]
pub mod local;
#[cfg(any(feature = "relay", feature = "sender"))]
pub mod outbound;

pub use logs::{init_logs, LogFormat};
pub use settings::{Settings, SettingsError};
pub use store::{
    aws_config, config_cache, dynamo_store, function_aws_config, open_store, sqs_client, updater,
    StoreChoice,
};

/// The clock of a process: the machine's (tests compose with a pinned one instead).
pub fn system_clock() -> std::sync::Arc<dyn oms_clock::Clock> {
    oms_clock::system()
}
