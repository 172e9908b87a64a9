//! DynamoDB backend (one table per [`crate::table::TABLE`]).
//!
//! The store owns retries: its copy of the client has the SDK's retries disabled, so every HTTP
//! attempt is one counted round trip and one policy applies (exponential backoff with jitter,
//! [`MAX_ATTEMPTS`] attempts) to throttling, 5xx, transport failures and `TransactionConflict`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::error::{BuildError, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, DeleteRequest, KeysAndAttributes, Put, PutRequest,
    TransactWriteItem, Update as SdkUpdate, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};

use crate::cond::{ExprAttributes, ExprBuilder};
use crate::counter::RoundTrips;
use crate::error::StoreError;
use crate::item::{
    attr, is_expired, BatchWrite, Index, Item, ItemStore, Key, Page, QueryRequest, Value, WriteOp,
};
use crate::limits::{self, BATCH_GET_CHUNK, BATCH_WRITE_CHUNK};
use crate::table;
use oms_clock::Clock;

/// Attempts per request (the first one included) before giving up.
pub const MAX_ATTEMPTS: u32 = 8;
const BASE_DELAY_MS: u64 = 25;
const MAX_DELAY_MS: u64 = 2_000;

type AvMap = HashMap<String, AttributeValue>;

/// Builds the DynamoDB client once per process, with the ring-based rustls HTTP client (the SDK
/// has no default HTTP client with our features: without it every call fails at run time).
///
/// Region, credentials and `AWS_ENDPOINT_URL` come from the environment; `endpoint`, when given,
/// overrides the endpoint (e.g. `http://127.0.0.1:5005` for moto).
pub async fn client_from_env(endpoint: Option<String>) -> Client {
    Client::new(&aws_config(endpoint).await)
}

/// The HTTPS client of every AWS SDK client of a process: hyper over rustls with the ring
/// provider (the SDKs are built without a default HTTP client).
pub fn https_client() -> aws_sdk_dynamodb::config::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// The AWS configuration every client of a process shares (DynamoDB, SQS), with the ring-based
/// rustls HTTP client. Region, credentials and `AWS_ENDPOINT_URL` come from the environment;
/// `endpoint` overrides the endpoint. Credentials are resolved on the first call, not here.
pub async fn aws_config(endpoint: Option<String>) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(https_client());
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    loader.load().await
}

/// [`ItemStore`] on one DynamoDB table created from [`crate::table::TABLE`].
pub struct DynamoStore {
    client: Client,
    table: String,
    round_trips: RoundTrips,
    /// Decides which items have expired: AWS deletes expired items only eventually (up to days
    /// later), so reads and conditions judge `expires_at` themselves, by the injected clock.
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for DynamoStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoStore")
            .field("table", &self.table)
            .field("round_trips", &self.round_trips)
            .finish_non_exhaustive()
    }
}

impl DynamoStore {
    /// A store on `table_name`. Keeps a copy of `client` with the SDK's own retries disabled
    /// (see the module docs); the client's connection pool is shared.
    pub fn new(client: &Client, table_name: impl Into<String>, clock: Arc<dyn Clock>) -> Self {
        let config = client
            .config()
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .build();
        DynamoStore {
            client: Client::from_conf(config),
            table: table_name.into(),
            round_trips: RoundTrips::default(),
            clock,
        }
    }

    /// The table this store uses.
    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// Sends one request with retries; every attempt is a round trip. `attempt` is told what
    /// became of the previous attempt.
    async fn send<T, E, Fut>(
        &self,
        mut attempt: impl FnMut(Previous) -> Fut,
        classify: fn(SdkError<E>) -> Failure,
    ) -> Result<T, StoreError>
    where
        Fut: Future<Output = Result<T, SdkError<E>>>,
    {
        let mut tries = 0;
        let mut previous = Previous::None;
        loop {
            tries += 1;
            self.round_trips.record();
            let err = match attempt(previous).await {
                Ok(out) => return Ok(out),
                Err(err) => {
                    previous = match &err {
                        SdkError::ServiceError(e) if e.raw().status().is_client_error() => {
                            Previous::Rejected
                        }
                        _ => Previous::Unknown,
                    };
                    match classify(err) {
                        Failure::Fatal(err) => return Err(err),
                        Failure::Retry(err) => err,
                    }
                }
            };
            if tries >= MAX_ATTEMPTS {
                return Err(err);
            }
            tracing::debug!(table = %self.table, tries, error = ?err, "retrying DynamoDB request");
            tokio::time::sleep(backoff(tries)).await;
        }
    }

    fn transact_item(&self, op: &WriteOp, now: i64) -> Result<TransactWriteItem, StoreError> {
        let mut b = ExprBuilder::default();
        let builder = TransactWriteItem::builder();
        let built = match op {
            WriteOp::Put { item, cond } => {
                let cond = cond.as_ref().map(|c| b.condition(c, now));
                let (names, values) = sdk_attrs(b.finish());
                builder.put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(to_av_item(item)))
                        .set_condition_expression(cond)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .build()
                        .map_err(build_error)?,
                )
            }
            WriteOp::Update { key, updates, cond } => {
                let update = b.update(updates);
                let cond = cond.as_ref().map(|c| b.condition(c, now));
                let (names, values) = sdk_attrs(b.finish());
                builder.update(
                    SdkUpdate::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_av(key)))
                        .update_expression(update)
                        .set_condition_expression(cond)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .build()
                        .map_err(build_error)?,
                )
            }
            WriteOp::Delete { key, cond } => {
                let cond = cond.as_ref().map(|c| b.condition(c, now));
                let (names, values) = sdk_attrs(b.finish());
                builder.delete(
                    Delete::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_av(key)))
                        .set_condition_expression(cond)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .build()
                        .map_err(build_error)?,
                )
            }
            WriteOp::Check { key, cond } => {
                let cond = b.condition(cond, now);
                let (names, values) = sdk_attrs(b.finish());
                builder.condition_check(
                    ConditionCheck::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_av(key)))
                        .condition_expression(cond)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .build()
                        .map_err(build_error)?,
                )
            }
        };
        Ok(built.build())
    }

    /// Sends one chunk of a batch get, re-sending unprocessed keys with backoff.
    async fn batch_get_chunk(
        &self,
        keys: Vec<AvMap>,
        consistent: bool,
        now: i64,
        found: &mut Vec<Item>,
    ) -> Result<(), StoreError> {
        let mut pending = keys;
        for tries in 1..=MAX_ATTEMPTS {
            let request = KeysAndAttributes::builder()
                .set_keys(Some(pending.clone()))
                .consistent_read(consistent)
                .build()
                .map_err(build_error)?;
            let out = self
                .send(
                    |_| {
                        self.client
                            .batch_get_item()
                            .request_items(&self.table, request.clone())
                            .send()
                    },
                    classify,
                )
                .await?;
            if let Some(items) = out.responses().and_then(|r| r.get(&self.table)) {
                for av in items {
                    let item = from_av_item(av)?;
                    if !is_expired(&item, now) {
                        found.push(item);
                    }
                }
            }
            pending = out
                .unprocessed_keys()
                .and_then(|u| u.get(&self.table))
                .map(|k| k.keys().to_vec())
                .unwrap_or_default();
            if pending.is_empty() {
                return Ok(());
            }
            if tries < MAX_ATTEMPTS {
                tokio::time::sleep(backoff(tries)).await;
            }
        }
        Err(StoreError::Throttled(
            format!(
                "{} keys still unprocessed after {MAX_ATTEMPTS} attempts",
                pending.len()
            )
            .into(),
        ))
    }

    /// Sends one chunk of a batch write, re-sending unprocessed writes with backoff.
    async fn batch_write_chunk(&self, writes: Vec<WriteRequest>) -> Result<(), StoreError> {
        let mut pending = writes;
        for tries in 1..=MAX_ATTEMPTS {
            let out = self
                .send(
                    |_| {
                        self.client
                            .batch_write_item()
                            .request_items(&self.table, pending.clone())
                            .send()
                    },
                    classify,
                )
                .await?;
            pending = out
                .unprocessed_items()
                .and_then(|u| u.get(&self.table))
                .cloned()
                .unwrap_or_default();
            if pending.is_empty() {
                return Ok(());
            }
            if tries < MAX_ATTEMPTS {
                tokio::time::sleep(backoff(tries)).await;
            }
        }
        Err(StoreError::Throttled(
            format!(
                "{} writes still unprocessed after {MAX_ATTEMPTS} attempts",
                pending.len()
            )
            .into(),
        ))
    }
}

#[async_trait]
impl ItemStore for DynamoStore {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        limits::check_key(key)?;
        let now = self.clock.now_unix();
        let out = self
            .send(
                |_| {
                    self.client
                        .get_item()
                        .table_name(&self.table)
                        .set_key(Some(key_av(key)))
                        .consistent_read(consistent)
                        .send()
                },
                classify,
            )
            .await?;
        match out.item() {
            None => Ok(None),
            Some(av) => Ok(Some(from_av_item(av)?).filter(|item| !is_expired(item, now))),
        }
    }

    async fn batch_get(&self, keys: &[Key], consistent: bool) -> Result<Vec<Item>, StoreError> {
        let keys = limits::unique_keys(keys)?;
        let now = self.clock.now_unix();
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(BATCH_GET_CHUNK) {
            let chunk = chunk.iter().map(key_av).collect();
            self.batch_get_chunk(chunk, consistent, now, &mut found)
                .await?;
        }
        Ok(found)
    }

    async fn query(&self, req: QueryRequest) -> Result<Page, StoreError> {
        limits::check_query(&req)?;
        let now = self.clock.now_unix();
        let mut b = ExprBuilder::default();
        let key_condition = b.key_condition(req.index, &req.pk, &req.sk);
        let filter = b.live_filter(now);
        let (names, values) = sdk_attrs(b.finish());
        let index_name = table::index_name(req.index);
        let start = req.start_after.as_ref().map(to_av_item);
        let limit = i32::try_from(req.limit).unwrap_or(i32::MAX);
        // DynamoDB rejects ConsistentRead on a GSI.
        let consistent = req.consistent && req.index == Index::Primary;
        let out = self
            .send(
                |_| {
                    self.client
                        .query()
                        .table_name(&self.table)
                        .set_index_name(index_name.map(str::to_owned))
                        .key_condition_expression(&key_condition)
                        .filter_expression(&filter)
                        .set_expression_attribute_names(names.clone())
                        .set_expression_attribute_values(values.clone())
                        .scan_index_forward(req.forward)
                        .limit(limit)
                        .set_exclusive_start_key(start.clone())
                        .consistent_read(consistent)
                        .send()
                },
                classify,
            )
            .await?;
        let items = out
            .items()
            .iter()
            .map(from_av_item)
            .collect::<Result<_, _>>()?;
        let last_key = out.last_evaluated_key().map(from_av_item).transpose()?;
        Ok(Page { items, last_key })
    }

    async fn transact_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        limits::check_transaction(&ops)?;
        let now = self.clock.now_unix();
        let items = ops
            .iter()
            .map(|op| self.transact_item(op, now))
            .collect::<Result<Vec<_>, _>>()?;
        // The token makes a retry idempotent when the previous attempt's outcome is unknown
        // (lost response, 5xx). After a definite rejection (e.g. TransactionConflict) nothing
        // was applied, so the retry is a new request with a new token.
        let mut token = ulid::Ulid::new().to_string();
        self.send(
            |previous| {
                if previous == Previous::Rejected {
                    token = ulid::Ulid::new().to_string();
                }
                self.client
                    .transact_write_items()
                    .set_transact_items(Some(items.clone()))
                    .client_request_token(token.clone())
                    .send()
            },
            classify_transaction,
        )
        .await?;
        Ok(())
    }

    async fn write(&self, op: WriteOp) -> Result<(), StoreError> {
        limits::check_single(&op)?;
        let now = self.clock.now_unix();
        let mut b = ExprBuilder::default();
        match &op {
            WriteOp::Put { item, cond } => {
                let cond = cond.as_ref().map(|c| b.condition(c, now));
                let (names, values) = sdk_attrs(b.finish());
                let item = to_av_item(item);
                self.send(
                    |_| {
                        self.client
                            .put_item()
                            .table_name(&self.table)
                            .set_item(Some(item.clone()))
                            .set_condition_expression(cond.clone())
                            .set_expression_attribute_names(names.clone())
                            .set_expression_attribute_values(values.clone())
                            .send()
                    },
                    classify_single,
                )
                .await?;
            }
            WriteOp::Update { key, updates, cond } => {
                let update = b.update(updates);
                let cond = cond.as_ref().map(|c| b.condition(c, now));
                let (names, values) = sdk_attrs(b.finish());
                self.send(
                    |_| {
                        self.client
                            .update_item()
                            .table_name(&self.table)
                            .set_key(Some(key_av(key)))
                            .update_expression(&update)
                            .set_condition_expression(cond.clone())
                            .set_expression_attribute_names(names.clone())
                            .set_expression_attribute_values(values.clone())
                            .send()
                    },
                    classify_single,
                )
                .await?;
            }
            WriteOp::Delete { key, cond } => {
                let cond = cond.as_ref().map(|c| b.condition(c, now));
                let (names, values) = sdk_attrs(b.finish());
                self.send(
                    |_| {
                        self.client
                            .delete_item()
                            .table_name(&self.table)
                            .set_key(Some(key_av(key)))
                            .set_condition_expression(cond.clone())
                            .set_expression_attribute_names(names.clone())
                            .set_expression_attribute_values(values.clone())
                            .send()
                    },
                    classify_single,
                )
                .await?;
            }
            WriteOp::Check { .. } => {
                return Err(StoreError::invalid(
                    "a Check op is only valid inside transact_write",
                ))
            }
        }
        Ok(())
    }

    async fn batch_write(&self, writes: Vec<BatchWrite>) -> Result<(), StoreError> {
        limits::check_batch_write(&writes)?;
        for chunk in writes.chunks(BATCH_WRITE_CHUNK) {
            let requests = chunk
                .iter()
                .map(|w| match w {
                    BatchWrite::Put(item) => PutRequest::builder()
                        .set_item(Some(to_av_item(item)))
                        .build()
                        .map(|p| WriteRequest::builder().put_request(p).build()),
                    BatchWrite::Delete(key) => DeleteRequest::builder()
                        .set_key(Some(key_av(key)))
                        .build()
                        .map(|d| WriteRequest::builder().delete_request(d).build()),
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(build_error)?;
            self.batch_write_chunk(requests).await?;
        }
        Ok(())
    }

    fn round_trips(&self) -> &RoundTrips {
        &self.round_trips
    }
}

/// What became of the previous attempt of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Previous {
    /// This is the first attempt.
    None,
    /// DynamoDB answered with a 4xx error: nothing was applied.
    Rejected,
    /// Transport failure or 5xx: the request may or may not have been applied.
    Unknown,
}

/// What to do with a failed attempt.
#[derive(Debug)]
enum Failure {
    /// Transient: retry; return this error if the attempts run out.
    Retry(StoreError),
    Fatal(StoreError),
}

/// Retry delay before attempt `tries + 1`: exponential (25 ms · 2^tries, capped at 2 s) with
/// jitter (uniform in the upper half).
fn backoff(tries: u32) -> Duration {
    let cap = BASE_DELAY_MS
        .saturating_mul(1u64 << tries.min(16))
        .min(MAX_DELAY_MS);
    Duration::from_millis(fastrand::u64(cap / 2..=cap))
}

/// DynamoDB refused the request for its rate: `Throttled` once the attempts run out.
fn is_throttling(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "ProvisionedThroughputExceededException"
                | "ThrottlingException"
                | "RequestLimitExceeded"
        )
    )
}

/// Transient service-side failures: `Unavailable` once the attempts run out.
fn is_transient_service(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("TransactionInProgressException" | "InternalServerError" | "ServiceUnavailable")
    )
}

/// Errors common to every operation.
fn classify<E>(err: SdkError<E>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match err.code() {
        Some("TransactionConflictException") => return Failure::Retry(StoreError::Conflict),
        Some("ValidationException") => {
            let reason = err.message().unwrap_or("ValidationException").to_owned();
            return Failure::Fatal(StoreError::Invalid {
                reason,
                source: Some(Box::new(err)),
            });
        }
        code if is_throttling(code) => return Failure::Retry(StoreError::Throttled(Box::new(err))),
        code if is_transient_service(code) => {
            return Failure::Retry(StoreError::Unavailable(Box::new(err)))
        }
        _ => {}
    }
    let transient = match &err {
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
        SdkError::DispatchFailure(failure) => failure.is_io() || failure.is_timeout(),
        SdkError::ServiceError(service) => service.raw().status().is_server_error(),
        _ => false,
    };
    if transient {
        Failure::Retry(StoreError::Unavailable(Box::new(err)))
    } else {
        Failure::Fatal(StoreError::Internal(Box::new(err)))
    }
}

/// `PutItem` / `UpdateItem` / `DeleteItem`.
fn classify_single<E>(err: SdkError<E>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if err.code() == Some("ConditionalCheckFailedException") {
        return Failure::Fatal(StoreError::ConditionFailed);
    }
    classify(err)
}

/// `TransactWriteItems`: cancellation reasons decide.
fn classify_transaction(err: SdkError<TransactWriteItemsError>) -> Failure {
    let Some(TransactWriteItemsError::TransactionCanceledException(canceled)) =
        err.as_service_error()
    else {
        return classify(err);
    };
    let codes: Vec<&str> = canceled
        .cancellation_reasons()
        .iter()
        .map(|r| r.code().unwrap_or("None"))
        .collect();
    let failed: Vec<usize> = codes
        .iter()
        .enumerate()
        .filter(|(_, code)| **code == "ConditionalCheckFailed")
        .map(|(i, _)| i)
        .collect();
    if !failed.is_empty() {
        Failure::Fatal(StoreError::TransactionCanceled { failed })
    } else if codes.contains(&"ValidationError") {
        let reason = format!("transaction rejected: {codes:?}");
        Failure::Fatal(StoreError::Invalid {
            reason,
            source: Some(Box::new(err)),
        })
    } else if codes.contains(&"TransactionConflict") {
        Failure::Retry(StoreError::Conflict)
    } else if codes
        .iter()
        .any(|c| matches!(*c, "ThrottlingError" | "ProvisionedThroughputExceeded"))
    {
        Failure::Retry(StoreError::Throttled(Box::new(err)))
    } else {
        Failure::Fatal(StoreError::Internal(Box::new(err)))
    }
}

fn build_error(err: BuildError) -> StoreError {
    StoreError::Internal(Box::new(err))
}

fn sdk_attrs(attrs: ExprAttributes) -> (Option<HashMap<String, String>>, Option<AvMap>) {
    let names = (!attrs.names.is_empty()).then(|| attrs.names.into_iter().collect());
    let values = (!attrs.values.is_empty()).then(|| {
        attrs
            .values
            .iter()
            .map(|(k, v)| (k.clone(), to_av(v)))
            .collect()
    });
    (names, values)
}

fn key_av(key: &Key) -> AvMap {
    HashMap::from([
        (attr::PK.to_owned(), AttributeValue::S(key.pk.clone())),
        (attr::SK.to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

/// `Value` → `AttributeValue` (`N` as an integer string, `Null` as `NULL: true`).
pub fn to_av(value: &Value) -> AttributeValue {
    match value {
        Value::S(s) => AttributeValue::S(s.clone()),
        Value::N(n) => AttributeValue::N(n.to_string()),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Null => AttributeValue::Null(true),
        Value::L(list) => AttributeValue::L(list.iter().map(to_av).collect()),
        Value::M(map) => {
            AttributeValue::M(map.iter().map(|(k, v)| (k.clone(), to_av(v))).collect())
        }
    }
}

/// `AttributeValue` → `Value`.
///
/// # Errors
/// `Internal` for numbers that are not `i64` integers and for types the store does not use
/// (binary, sets).
pub fn from_av(av: &AttributeValue) -> Result<Value, StoreError> {
    Ok(match av {
        AttributeValue::S(s) => Value::S(s.clone()),
        AttributeValue::N(n) => Value::N(n.parse().map_err(|_| {
            StoreError::internal(format!("stored number `{n}` is not an i64 integer"))
        })?),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::L(list) => Value::L(list.iter().map(from_av).collect::<Result<_, _>>()?),
        AttributeValue::M(map) => Value::M(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), from_av(v)?)))
                .collect::<Result<_, StoreError>>()?,
        ),
        other => {
            return Err(StoreError::internal(format!(
                "unsupported attribute type: {other:?}"
            )))
        }
    })
}

fn to_av_item(item: &Item) -> AvMap {
    item.iter().map(|(k, v)| (k.clone(), to_av(v))).collect()
}

fn from_av_item(av: &AvMap) -> Result<Item, StoreError> {
    av.iter()
        .map(|(k, v)| Ok((k.clone(), from_av(v)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_attribute_values() {
        let value = Value::M(
            [
                ("s".to_owned(), Value::from("x")),
                ("n".to_owned(), Value::N(-1250)),
                ("b".to_owned(), Value::Bool(true)),
                ("z".to_owned(), Value::Null),
                (
                    "l".to_owned(),
                    Value::L(vec![Value::N(1), Value::from("2")]),
                ),
            ]
            .into(),
        );
        let av = to_av(&value);
        assert_eq!(from_av(&av).unwrap(), value);
        assert_eq!(to_av(&Value::N(-1250)), AttributeValue::N("-1250".into()));
    }

    #[test]
    fn decimal_numbers_are_rejected_on_read() {
        let err = from_av(&AttributeValue::N("12.5".into())).unwrap_err();
        assert!(matches!(err, StoreError::Internal(_)), "{err:?}");
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        for tries in 1..=40 {
            let delay = backoff(tries).as_millis() as u64;
            let cap = (BASE_DELAY_MS << tries.min(16)).min(MAX_DELAY_MS);
            assert!(delay >= cap / 2 && delay <= cap, "try {tries}: {delay} ms");
        }
        assert!(backoff(1) <= Duration::from_millis(50));
        assert!(backoff(30) >= Duration::from_millis(MAX_DELAY_MS / 2));
    }

    #[test]
    fn unused_expression_maps_are_omitted() {
        let (names, values) = sdk_attrs(ExprAttributes::default());
        assert!(names.is_none() && values.is_none());
    }
}
