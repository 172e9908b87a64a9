//! The environment of a process, read once (docs/deploy.md, "Environment").

use std::collections::BTreeMap;
use std::fmt;

use oms_domain::ids::TenantId;

pub const ENV_TABLE_NAME: &str = "OMS_TABLE_NAME";
pub const ENV_SYNC_QUEUE_URL: &str = "OMS_SYNC_QUEUE_URL";
pub const ENV_EVENTS_QUEUE_URL: &str = "OMS_EVENTS_QUEUE_URL";
pub const ENV_LOG: &str = "OMS_LOG";
pub const ENV_GRAPHQL_INTROSPECTION: &str = "OMS_GRAPHQL_INTROSPECTION";
pub const ENV_DEFAULT_TENANT: &str = "OMS_DEFAULT_TENANT";
/// The secret list cursors are signed with (docs/data-model.md, "List cursors").
pub const ENV_CURSOR_SECRET: &str = "OMS_CURSOR_SECRET";
/// Shortest `OMS_CURSOR_SECRET` accepted, in bytes (e.g. `openssl rand -base64 32`).
pub const MIN_CURSOR_SECRET_BYTES: usize = 32;
/// The `maxReceiveCount` of the queue an SQS-triggered function consumes (its redrive policy):
/// a record failing on that receive is dead-lettered, which the function counts.
pub const ENV_MAX_RECEIVE_COUNT: &str = "OMS_MAX_RECEIVE_COUNT";
/// The token variables (docs/auth.md "Environment"), kept as read and interpreted by oms-auth
/// (`AuthConfig::from_lookup`) when a GraphQL function builds its verifier.
pub const AUTH_VARIABLES: [&str; 6] = [
    "OMS_JWKS_URL",
    "OMS_JWT_ISSUER",
    "OMS_JWT_AUDIENCE",
    "OMS_JWT_HS256_SECRET",
    "OMS_JWT_HS256_SECRET_PARAM",
    ENV_DEFAULT_TENANT,
];
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
    /// `OMS_LOG` (`target=level` directives such as `info` or `info,oms_webhooks=debug`).
    pub log_filter: Option<String>,
    /// `OMS_GRAPHQL_INTROSPECTION=true` turns introspection on in a GraphQL function (off by
    /// default in AWS).
    pub introspection: bool,
    pub default_tenant: Option<TenantId>,
    /// `OMS_MAX_RECEIVE_COUNT` (1..=1000, SQS's range): the source queue's `maxReceiveCount`.
    /// Unset: the function cannot tell which failures are dead-lettered and does not report
    /// `MessagesDeadLettered`.
    pub max_receive_count: Option<u32>,
    /// The token variables ([`AUTH_VARIABLES`]) that are set.
    pub auth: AuthVariables,
    /// The key list cursors are signed with, derived from `OMS_CURSOR_SECRET` (`Debug` shows no
    /// key). `None`: the public local key ([`Settings::cursor_key`]).
    pub cursor_key: Option<oms_persistence::cursor::CursorKey>,
    /// Running inside AWS Lambda.
    pub in_lambda: bool,
}

/// The token variables that are set, by name. `Debug` shows names only (one is a secret).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct AuthVariables(BTreeMap<&'static str, String>);

impl AuthVariables {
    /// The value of `name`, when set.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }

    /// Sets one of [`AUTH_VARIABLES`] (tests, tools); other names are ignored.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        if let Some(known) = AUTH_VARIABLES.iter().find(|v| **v == name) {
            self.0.insert(known, value.into());
        }
    }
}

impl fmt::Debug for AuthVariables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
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
        let mut auth = AuthVariables::default();
        for name in AUTH_VARIABLES {
            if let Some(value) = get(name) {
                auth.set(name, value);
            }
        }
        Ok(Settings {
            table_name: get(ENV_TABLE_NAME),
            sync_queue_url: get(ENV_SYNC_QUEUE_URL),
            events_queue_url: get(ENV_EVENTS_QUEUE_URL),
            log_filter: get(ENV_LOG),
            introspection,
            default_tenant,
            max_receive_count,
            auth,
            cursor_key: get(ENV_CURSOR_SECRET)
                .map(|secret| cursor_key(&secret))
                .transpose()?,
            in_lambda: get(ENV_LAMBDA_FUNCTION).is_some(),
        })
    }

    /// The key list cursors are signed and checked with: `OMS_CURSOR_SECRET`'s, else the public
    /// local key (`oms serve` on a laptop, tests).
    pub fn cursor_key(&self) -> oms_persistence::cursor::CursorKey {
        self.cursor_key
            .clone()
            .unwrap_or_else(oms_persistence::cursor::CursorKey::local_default)
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

fn cursor_key(secret: &str) -> Result<oms_persistence::cursor::CursorKey, SettingsError> {
    if secret.len() < MIN_CURSOR_SECRET_BYTES {
        return Err(SettingsError::Invalid {
            name: ENV_CURSOR_SECRET,
            reason: format!(
                "{} bytes; at least {MIN_CURSOR_SECRET_BYTES} are needed",
                secret.len()
            ),
        });
    }
    Ok(oms_persistence::cursor::CursorKey::from_secret(
        secret.as_bytes(),
    ))
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
            ("OMS_JWT_HS256_SECRET_PARAM", "/oms/dev/jwt-hs256-secret"),
            ("OMS_JWT_HS256_SECRET", "do-not-print-me"),
            ("OMS_JWT_ISSUER", " "),
            ("AWS_LAMBDA_FUNCTION_NAME", "oms-graphql-checkout"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.table(), Ok("oms-prod"));
        assert_eq!(s.sync_queue(), Ok("http://q/sync.fifo"));
        assert_eq!(s.events_queue_url, None);
        assert_eq!(s.log_filter.as_deref(), Some("debug"));
        assert!(s.introspection);
        assert_eq!(
            s.default_tenant.as_ref().map(|t| t.to_string()).as_deref(),
            Some("shop-1")
        );
        assert_eq!(s.max_receive_count, Some(5));
        assert_eq!(
            s.auth.get("OMS_JWT_HS256_SECRET_PARAM").as_deref(),
            Some("/oms/dev/jwt-hs256-secret")
        );
        assert_eq!(s.auth.get("OMS_DEFAULT_TENANT").as_deref(), Some("shop-1"));
        assert_eq!(s.auth.get("OMS_JWT_ISSUER"), None, "blank is unset");
        assert!(!format!("{s:?}").contains("do-not-print-me"), "{s:?}");
        assert!(s.in_lambda);
    }

    #[cfg(feature = "http")]
    #[test]
    fn the_token_variables_are_the_ones_oms_auth_reads() {
        assert_eq!(
            AUTH_VARIABLES,
            [
                oms_auth::ENV_JWKS_URL,
                oms_auth::ENV_ISSUER,
                oms_auth::ENV_AUDIENCE,
                oms_auth::ENV_HS256_SECRET,
                oms_auth::ENV_HS256_SECRET_PARAM,
                oms_auth::ENV_DEFAULT_TENANT,
            ]
        );
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

    #[test]
    fn the_cursor_secret_gives_the_cursor_key_and_is_never_printed() {
        use oms_persistence::cursor::CursorKey;
        let secret = "0123456789abcdef0123456789abcdef";
        let s = read(&[("OMS_CURSOR_SECRET", secret)]).unwrap();
        assert_eq!(s.cursor_key(), CursorKey::from_secret(secret.as_bytes()));
        assert_ne!(s.cursor_key(), CursorKey::local_default());
        assert!(!format!("{s:?}").contains(secret));
        let unset = read(&[("OMS_CURSOR_SECRET", "  ")]).unwrap();
        assert_eq!(unset.cursor_key, None);
        assert_eq!(unset.cursor_key(), CursorKey::local_default());
        assert!(matches!(
            read(&[("OMS_CURSOR_SECRET", "short")]),
            Err(SettingsError::Invalid {
                name: "OMS_CURSOR_SECRET",
                ..
            })
        ));
    }
}
