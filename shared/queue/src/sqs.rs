//! [`EventQueue`] on an SQS FIFO queue.
//!
//! Each [`QueueMessage`] becomes one `SendMessage`:
//!
//! * `MessageGroupId` = [`message_group_id`]: `<tenant>#<group>`, so one entity's messages stay in
//!   order while entities and tenants run in parallel;
//! * `MessageDeduplicationId` = [`deduplication_id`]: `<tenant>#<dedup_id>`. The tenant is part
//!   of it because FIFO deduplication is queue-wide: two tenants' senders may well use the same
//!   event id, and a bare id would silently drop the second tenant's event;
//! * message attributes `tenant`, `group` (when not empty) and `dedup_id` (the id as given), read
//!   back by [`crate::process_batch`].
//!
//! SQS accepts at most 128 characters from `!`..`~` (letters, digits, ASCII punctuation) in both
//! ids. When `<tenant>#<value>` is longer or has any other character (non-ASCII, space, control),
//! the id is `sha256:<64 hex digits>` of `<tenant>#<value>` instead: deterministic, so ordering and
//! deduplication still hold, and never equal to an unhashed id (those always contain `#`).
//!
//! Limits SQS enforces (and moto partly does not) are checked here before sending, with an error
//! and never by truncating: the message size ([`MAX_MESSAGE_BYTES`], body plus attributes), an
//! empty body or dedup id, and characters SQS refuses in the body and attribute values.
//!
//! Retries: the queue's copy of the client has the SDK's retries disabled so that one policy
//! ([`RetryPolicy`]: exponential backoff with jitter, bounded attempts) applies to throttling,
//! 5xx, timeouts and transport failures. A retried send that had in fact succeeded is absorbed by
//! the deduplication id (5-minute window). Anything else (queue missing, access denied, invalid
//! parameter) fails at once.

use std::time::Duration;

use async_trait::async_trait;
use aws_config::BehaviorVersion;
use aws_sdk_sqs::config::retry::RetryConfig;
use aws_sdk_sqs::config::timeout::TimeoutConfig;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::MessageAttributeValue;
use aws_sdk_sqs::Client;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use oms_application::ports::{EventQueue, QueueError, QueueMessage};
use oms_domain::ids::TenantId;
use sha2::{Digest, Sha256};

use crate::message::{ATTR_DEDUP_ID, ATTR_GROUP, ATTR_TENANT};

/// The SQS message size limit we enforce: body plus every message attribute's name, data type
/// and value, in bytes (256 KiB).
pub const MAX_MESSAGE_BYTES: usize = 262_144;

/// Longest `MessageGroupId` / `MessageDeduplicationId` SQS accepts.
const MAX_ID_CHARS: usize = 128;
const STRING_TYPE: &str = "String";

/// Builds the SQS client once per process, with the ring-based rustls HTTP client (the SDK has
/// no default HTTP client with our features: without it every call fails at run time with
/// "No HTTP client was available").
///
/// Region, credentials and `AWS_ENDPOINT_URL` come from the environment; `endpoint`, when given,
/// overrides the endpoint (e.g. `http://127.0.0.1:5005` for moto).
pub async fn client_from_env(endpoint: Option<String>) -> Client {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http_client);
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    Client::new(&loader.load().await)
}

/// How [`SqsQueue`] retries throttling, 5xx and transport failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per message, the first included (at least 1).
    pub max_attempts: u32,
    /// Delay before the second attempt; doubles per attempt (jitter: uniform in the upper half).
    pub base_delay: Duration,
    /// Cap on a single delay.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, 50 ms doubling to at most 1 s: under 2 s of waiting in total, since a webhook
    /// answers only once the message is enqueued.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// Delay after failed attempt number `attempt` (1-based).
    fn delay(&self, attempt: u32) -> Duration {
        let base = u64::try_from(self.base_delay.as_millis()).unwrap_or(u64::MAX);
        let cap_ms = u64::try_from(self.max_delay.as_millis()).unwrap_or(u64::MAX);
        let exp = base
            .saturating_mul(1u64 << attempt.saturating_sub(1).min(20))
            .min(cap_ms);
        Duration::from_millis(fastrand::u64(exp / 2..=exp))
    }
}

/// [`EventQueue`] on one SQS FIFO queue. See the module docs for the ids and limits.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: Client,
    queue_url: String,
    retry: RetryPolicy,
}

impl SqsQueue {
    /// A publisher to `queue_url` (a FIFO queue). Keeps a copy of `client` with the SDK's own
    /// retries disabled (this type retries, see [`RetryPolicy`]) and a 10 s per-attempt timeout;
    /// the connection pool is shared.
    pub fn new(client: &Client, queue_url: impl Into<String>) -> Self {
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_millis(3_100))
            .operation_attempt_timeout(Duration::from_secs(10))
            .build();
        let config = client
            .config()
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .timeout_config(timeouts)
            .build();
        SqsQueue {
            client: Client::from_conf(config),
            queue_url: queue_url.into(),
            retry: RetryPolicy::default(),
        }
    }

    /// Replaces the retry policy.
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }
}

#[async_trait]
impl EventQueue for SqsQueue {
    async fn publish(&self, message: QueueMessage) -> Result<(), QueueError> {
        validate(&message)?;
        let group_id = message_group_id(&message.tenant, &message.group);
        let dedup_id = deduplication_id(&message.tenant, &message.dedup_id);
        let mut attributes = vec![
            (ATTR_TENANT, string_attribute(message.tenant.as_str())?),
            (ATTR_DEDUP_ID, string_attribute(&message.dedup_id)?),
        ];
        if !message.group.is_empty() {
            attributes.push((ATTR_GROUP, string_attribute(&message.group)?));
        }

        let max_attempts = self.retry.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self
                .client
                .send_message()
                .queue_url(&self.queue_url)
                .message_body(&message.body)
                .message_group_id(&group_id)
                .message_deduplication_id(&dedup_id);
            for (name, value) in &attributes {
                request = request.message_attributes(*name, value.clone());
            }
            let err = match request.send().await {
                Ok(out) => {
                    tracing::debug!(
                        tenant = %message.tenant,
                        message_group_id = %group_id,
                        message_id = out.message_id().unwrap_or_default(),
                        attempt,
                        "message sent to SQS"
                    );
                    return Ok(());
                }
                Err(err) => err,
            };
            let retryable = is_retryable(&err);
            if !retryable || attempt >= max_attempts {
                tracing::warn!(
                    tenant = %message.tenant,
                    message_group_id = %group_id,
                    attempt,
                    retryable,
                    error = %describe(&err),
                    "SendMessage failed"
                );
                return Err(QueueError {
                    message: format!(
                        "SendMessage to {} failed after {attempt} attempt(s): {}",
                        self.queue_url,
                        describe(&err)
                    ),
                    source: Some(Box::new(err)),
                });
            }
            tracing::debug!(
                tenant = %message.tenant,
                attempt,
                error = %describe(&err),
                "retrying SendMessage"
            );
            tokio::time::sleep(self.retry.delay(attempt)).await;
        }
    }
}

/// `MessageGroupId` for a tenant's group: `<tenant>#<group>`, or its SHA-256 (`sha256:<hex>`)
/// when that is longer than 128 characters or has a character SQS refuses.
pub fn message_group_id(tenant: &TenantId, group: &str) -> String {
    sqs_id(tenant, group)
}

/// `MessageDeduplicationId` for a tenant's dedup id: `<tenant>#<dedup_id>`, or its SHA-256
/// (`sha256:<hex>`) when that is longer than 128 characters or has a character SQS refuses.
pub fn deduplication_id(tenant: &TenantId, dedup_id: &str) -> String {
    sqs_id(tenant, dedup_id)
}

fn sqs_id(tenant: &TenantId, value: &str) -> String {
    let raw = format!("{}#{value}", tenant.as_str());
    if raw.len() <= MAX_ID_CHARS && raw.chars().all(|c| c.is_ascii_graphic()) {
        return raw;
    }
    let digest = Sha256::digest(raw.as_bytes());
    let mut id = String::with_capacity(7 + 64);
    id.push_str("sha256:");
    for byte in digest.iter() {
        id.push(char::from(HEX[usize::from(byte >> 4)]));
        id.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    id
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The size SQS counts for `message` as [`SqsQueue`] sends it: the body plus each message
/// attribute's name, data type and value, in bytes.
pub fn message_size(message: &QueueMessage) -> usize {
    let attribute = |name: &str, value: &str| name.len() + STRING_TYPE.len() + value.len();
    let mut size = message.body.len()
        + attribute(ATTR_TENANT, message.tenant.as_str())
        + attribute(ATTR_DEDUP_ID, &message.dedup_id);
    if !message.group.is_empty() {
        size += attribute(ATTR_GROUP, &message.group);
    }
    size
}

/// Characters SQS accepts in a body or attribute value: `#x9 | #xA | #xD | #x20-#xD7FF |
/// #xE000-#xFFFD | #x10000-#x10FFFF` (surrogates cannot occur in a Rust string).
fn sqs_char_ok(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn invalid(message: String) -> QueueError {
    QueueError {
        message,
        source: None,
    }
}

fn validate(message: &QueueMessage) -> Result<(), QueueError> {
    if message.body.is_empty() {
        return Err(invalid("message body is empty; SQS refuses it".into()));
    }
    if message.dedup_id.is_empty() {
        return Err(invalid(
            "dedup_id is empty; a FIFO message needs one".into(),
        ));
    }
    let size = message_size(message);
    if size > MAX_MESSAGE_BYTES {
        return Err(invalid(format!(
            "message is {size} bytes (body and attributes); SQS accepts at most {MAX_MESSAGE_BYTES}"
        )));
    }
    for (what, value) in [
        ("body", message.body.as_str()),
        ("group", message.group.as_str()),
        ("dedup_id", message.dedup_id.as_str()),
        ("tenant", message.tenant.as_str()),
    ] {
        if let Some(position) = value.chars().position(|c| !sqs_char_ok(c)) {
            return Err(invalid(format!(
                "{what} has a character SQS refuses at character {position}"
            )));
        }
    }
    Ok(())
}

fn string_attribute(value: &str) -> Result<MessageAttributeValue, QueueError> {
    MessageAttributeValue::builder()
        .data_type(STRING_TYPE)
        .string_value(value)
        .build()
        .map_err(|e| QueueError {
            message: format!("building a message attribute failed: {e}"),
            source: Some(Box::new(e)),
        })
}

/// Error codes (the part after the last `.` of a query-compatible code) worth another attempt.
fn is_retryable_code(code: &str) -> bool {
    let code = code.rsplit('.').next().unwrap_or(code);
    matches!(
        code,
        "RequestThrottled"
            | "ThrottlingException"
            | "Throttling"
            | "ThrottledException"
            | "TooManyRequestsException"
            | "KmsThrottled"
            | "RequestTimeout"
            | "RequestTimeoutException"
            | "ServiceUnavailable"
            | "InternalError"
            | "InternalFailure"
    )
}

fn is_retryable<E>(err: &SdkError<E>) -> bool
where
    E: ProvideErrorMetadata,
{
    if err.code().is_some_and(is_retryable_code) {
        return true;
    }
    match err {
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
        SdkError::DispatchFailure(failure) => failure.is_io() || failure.is_timeout(),
        SdkError::ServiceError(service) => {
            let status = service.raw().status();
            status.is_server_error() || status.as_u16() == 429
        }
        _ => false,
    }
}

/// A one-line description of an SDK error (its code and message when the service sent one).
fn describe<E>(err: &SdkError<E>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => format!("{}", aws_sdk_sqs::error::DisplayErrorContext(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(s: &str) -> TenantId {
        TenantId::new(s).unwrap()
    }

    fn message(body: &str) -> QueueMessage {
        QueueMessage {
            tenant: tenant("t1"),
            group: "vendor-products:p-1".into(),
            dedup_id: "evt_01".into(),
            body: body.into(),
        }
    }

    #[test]
    fn short_ascii_ids_are_tenant_prefixed_and_readable() {
        let t = tenant("t1");
        assert_eq!(
            message_group_id(&t, "vendor-products:p-1"),
            "t1#vendor-products:p-1"
        );
        assert_eq!(deduplication_id(&t, "evt_01J"), "t1#evt_01J");
        assert_eq!(message_group_id(&t, ""), "t1#");
    }

    #[test]
    fn the_same_event_id_in_two_tenants_gives_two_dedup_ids() {
        assert_ne!(
            deduplication_id(&tenant("a"), "evt_1"),
            deduplication_id(&tenant("b"), "evt_1")
        );
    }

    #[test]
    fn long_or_non_ascii_ids_are_hashed_deterministically() {
        let t = tenant("t1");
        let long = "x".repeat(200);
        let hashed = deduplication_id(&t, &long);
        assert!(hashed.starts_with("sha256:"), "{hashed}");
        assert_eq!(hashed.len(), 7 + 64);
        assert!(hashed.chars().all(|c| c.is_ascii_graphic()));
        assert_eq!(hashed, deduplication_id(&t, &long));
        assert_ne!(hashed, deduplication_id(&tenant("t2"), &long));

        for refused in ["caf\u{e9}", "a b", "tab\there", "\u{1F600}"] {
            let id = message_group_id(&t, refused);
            assert!(id.starts_with("sha256:"), "{refused:?} -> {id}");
        }
        // Exactly 128 characters stays readable; 129 is hashed.
        let at_limit = "y".repeat(MAX_ID_CHARS - 3);
        assert_eq!(message_group_id(&t, &at_limit), format!("t1#{at_limit}"));
        let over = "y".repeat(MAX_ID_CHARS - 2);
        assert!(message_group_id(&t, &over).starts_with("sha256:"));
        // A non-ASCII tenant is hashed too.
        assert!(deduplication_id(&tenant("t\u{e9}"), "e").starts_with("sha256:"));
    }

    #[test]
    fn hashed_ids_cannot_collide_with_readable_ones() {
        // Readable ids always contain the tenant separator; hashed ids never do.
        let t = tenant("t1");
        let hashed = deduplication_id(&t, &"z".repeat(300));
        assert!(!hashed.contains('#'));
        assert!(deduplication_id(&t, "sha256:abc").contains('#'));
    }

    #[test]
    fn size_counts_body_and_attributes() {
        let m = message("hello");
        let expected = 5
            + ("tenant".len() + 6 + 2)
            + ("dedup_id".len() + 6 + 6)
            + ("group".len() + 6 + "vendor-products:p-1".len());
        assert_eq!(message_size(&m), expected);
        let mut no_group = m.clone();
        no_group.group.clear();
        assert_eq!(message_size(&no_group), expected - ("group".len() + 6 + 19));
    }

    #[test]
    fn oversized_messages_are_rejected_not_truncated() {
        let overhead = message_size(&message(""));
        let fits = message(&"a".repeat(MAX_MESSAGE_BYTES - overhead));
        assert_eq!(message_size(&fits), MAX_MESSAGE_BYTES);
        assert!(validate(&fits).is_ok());
        let over = message(&"a".repeat(MAX_MESSAGE_BYTES - overhead + 1));
        let err = validate(&over).unwrap_err();
        assert!(err.message.contains("262145 bytes"), "{}", err.message);
        // Multi-byte characters count as bytes.
        let multibyte = message(&"\u{e9}".repeat(MAX_MESSAGE_BYTES / 2));
        assert!(validate(&multibyte).is_err());
    }

    #[test]
    fn refused_characters_empty_body_and_empty_dedup_id_are_rejected() {
        assert!(validate(&message("{\"ok\":\"caf\u{e9} \u{1F600}\"}\n\t\r")).is_ok());
        for bad in ["a\u{0}b", "\u{1b}[31m", "x\u{FFFE}", "\u{FFFF}"] {
            let err = validate(&message(bad)).unwrap_err();
            assert!(err.message.starts_with("body has a character"), "{bad:?}");
        }
        assert!(validate(&message("")).is_err());
        let mut m = message("x");
        m.dedup_id.clear();
        assert!(validate(&m).is_err());
        let mut m = message("x");
        m.group = "g\u{7}".into();
        assert!(validate(&m).unwrap_err().message.starts_with("group"));
    }

    #[test]
    fn retryable_codes_include_throttling_and_server_errors_only() {
        for code in [
            "RequestThrottled",
            "AWS.SimpleQueueService.RequestThrottled",
            "ThrottlingException",
            "ServiceUnavailable",
            "InternalError",
            "KmsThrottled",
        ] {
            assert!(is_retryable_code(code), "{code}");
        }
        for code in [
            "QueueDoesNotExist",
            "AWS.SimpleQueueService.NonExistentQueue",
            "InvalidParameterValue",
            "AccessDenied",
            "InvalidMessageContents",
        ] {
            assert!(!is_retryable_code(code), "{code}");
        }
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        let policy = RetryPolicy::default();
        for attempt in 1..40 {
            let delay = policy.delay(attempt);
            assert!(delay <= policy.max_delay, "attempt {attempt}: {delay:?}");
        }
        assert!(policy.delay(1) <= Duration::from_millis(50));
        assert!(policy.delay(1) >= Duration::from_millis(25));
        assert!(policy.delay(30) >= policy.max_delay / 2);
    }
}
