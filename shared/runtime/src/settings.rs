//! The environment of a process, read once (docs/deploy.md, "Environment").

use oms_domain::ids::TenantId;

pub const ENV_TABLE_NAME: &str = "OMS_TABLE_NAME";
pub const ENV_SYNC_QUEUE_URL: &str = "OMS_SYNC_QUEUE_URL";
pub const ENV_EVENTS_QUEUE_URL: &str = "OMS_EVENTS_QUEUE_URL";
pub const ENV_LOG: &str = "OMS_LOG";
pub const ENV_GRAPHQL_INTROSPECTION: &str = "OMS_GRAPHQL_INTROSPECTION";
pub const ENV_DEFAULT_TENANT: &str = "OMS_DEFAULT_TENANT";
/// The `maxReceiveCount` of the queue an SQS-triggered function consumes (its redrive policy):
/// a record failing on that receive is dead-lettered, which the function counts.
pub const ENV_MAX_RECEIVE_COUNT: &str = "OMS_MAX_RECEIVE_COUNT";
/// Set by the Lambda runtime in every function: logs are JSON lines there.
pub const ENV_LAMBDA_FUNCTION: &str = "AWS_LAMBDA_FUNCTION_NAME";

/// A variable is missing or malformed: the process refuses to start (a Lambda init error is
/// visible at once, unlike a fault on the first request).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// What the environment says. Empty values count as unset.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Settings {
    pub table_name: Option<String>,
    pub sync_queue_url: Option<String>,
    pub events_queue_url: Option<String>,
    /// `OMS_LOG` (an `EnvFilter` directive such as `info` or `oms=debug`).
    pub log_filter: Option<String>,
    /// `OMS_GRAPHQL_INTROSPECTION=true` turns introspection on in a GraphQL function (off by
    /// default in AWS).
    pub introspection: bool,
    pub default_tenant: Option<TenantId>,
    /// `OMS_MAX_RECEIVE_COUNT` (1..=1000, SQS's range): the source queue's `maxReceiveCount`.
    /// Unset: the function cannot tell which failures are dead-lettered and does not report
    /// `MessagesDeadLettered`.
    pub max_receive_count: Option<u32>,
    /// Running inside AWS Lambda.
    pub in_lambda: bool,
}

impl Settings {
    /// # Errors
    /// As [`Settings::from_lookup`].
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `lookup` (tests pass a map).
    ///
    /// # Errors
    /// [`SettingsError::Invalid`] for a malformed boolean or tenant id.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let introspection = match get(ENV_GRAPHQL_INTROSPECTION).as_deref() {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("true") || v == "1" => true,
            Some(v) if v.eq_ignore_ascii_case("false") || v == "0" => false,
            Some(v) => {
                return Err(SettingsError::Invalid {
                    name: ENV_GRAPHQL_INTROSPECTION,
                    reason: format!("expected true or false, got {v:?}"),
                })
            }
        };
        let default_tenant = get(ENV_DEFAULT_TENANT)
            .map(|t| TenantId::new(&t))
            .transpose()
            .map_err(|e| SettingsError::Invalid {
                name: ENV_DEFAULT_TENANT,
                reason: e.to_string(),
            })?;
        let max_receive_count = get(ENV_MAX_RECEIVE_COUNT)
            .map(|v| match v.parse::<u32>() {
                Ok(n) if (1..=1000).contains(&n) => Ok(n),
                _ => Err(SettingsError::Invalid {
                    name: ENV_MAX_RECEIVE_COUNT,
                    reason: format!("expected a whole number from 1 to 1000, got {v:?}"),
                }),
            })
            .transpose()?;
        Ok(Settings {
            table_name: get(ENV_TABLE_NAME),
            sync_queue_url: get(ENV_SYNC_QUEUE_URL),
            events_queue_url: get(ENV_EVENTS_QUEUE_URL),
            log_filter: get(ENV_LOG),
            introspection,
            default_tenant,
            max_receive_count,
            in_lambda: get(ENV_LAMBDA_FUNCTION).is_some(),
        })
    }

    /// `OMS_TABLE_NAME`, required by every function.
    ///
    /// # Errors
    /// [`SettingsError::Missing`].
    pub fn table(&self) -> Result<&str, SettingsError> {
        self.table_name
            .as_deref()
            .ok_or(SettingsError::Missing(ENV_TABLE_NAME))
    }

    /// `OMS_EVENTS_QUEUE_URL`, required by the outbox relay.
    ///
    /// # Errors
    /// [`SettingsError::Missing`].
    pub fn events_queue(&self) -> Result<&str, SettingsError> {
        self.events_queue_url
            .as_deref()
            .ok_or(SettingsError::Missing(ENV_EVENTS_QUEUE_URL))
    }

    /// `OMS_SYNC_QUEUE_URL`, required by the webhook function.
    ///
    /// # Errors
    /// [`SettingsError::Missing`].
    pub fn sync_queue(&self) -> Result<&str, SettingsError> {
        self.sync_queue_url
            .as_deref()
            .ok_or(SettingsError::Missing(ENV_SYNC_QUEUE_URL))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn every_variable_is_read_and_blank_counts_as_unset() {
        let s = read(&[
            ("OMS_TABLE_NAME", "oms-prod"),
            ("OMS_SYNC_QUEUE_URL", "http://q/sync.fifo"),
            ("OMS_EVENTS_QUEUE_URL", " "),
            ("OMS_LOG", "debug"),
            ("OMS_GRAPHQL_INTROSPECTION", "TRUE"),
            ("OMS_DEFAULT_TENANT", "shop-1"),
            ("OMS_MAX_RECEIVE_COUNT", "5"),
            ("AWS_LAMBDA_FUNCTION_NAME", "oms-graphql-checkout"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.table(), Ok("oms-prod"));
        assert_eq!(s.sync_queue(), Ok("http://q/sync.fifo"));
        assert_eq!(s.events_queue_url, None);
        assert_eq!(s.log_filter.as_deref(), Some("debug"));
        assert!(s.introspection);
        assert_eq!(
            s.default_tenant.map(|t| t.to_string()).as_deref(),
            Some("shop-1")
        );
        assert_eq!(s.max_receive_count, Some(5));
        assert!(s.in_lambda);
    }

    #[test]
    fn missing_and_malformed_variables_are_named() {
        let s = read(&[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.table(), Err(SettingsError::Missing("OMS_TABLE_NAME")));
        assert_eq!(
            s.sync_queue(),
            Err(SettingsError::Missing("OMS_SYNC_QUEUE_URL"))
        );
        assert!(!s.introspection && !s.in_lambda);
        assert_eq!(s.max_receive_count, None);
        for bad in ["0", "1001", "five", "-1"] {
            assert!(
                matches!(
                    read(&[("OMS_MAX_RECEIVE_COUNT", bad)]),
                    Err(SettingsError::Invalid {
                        name: "OMS_MAX_RECEIVE_COUNT",
                        ..
                    })
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            read(&[("OMS_GRAPHQL_INTROSPECTION", "yes please")]),
            Err(SettingsError::Invalid {
                name: "OMS_GRAPHQL_INTROSPECTION",
                ..
            })
        ));
        assert!(matches!(
            read(&[("OMS_DEFAULT_TENANT", "a#b")]),
            Err(SettingsError::Invalid {
                name: "OMS_DEFAULT_TENANT",
                ..
            })
        ));
    }
}
