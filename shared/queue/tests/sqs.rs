//! `SqsQueue` and `process_batch` against SQS FIFO on moto (`infra/moto.sh start`).
//!
//! Nothing invokes Lambda locally, so these tests act as the SQS event-source mapping
//! (docs/development.md): `ReceiveMessage` (≤ 10 messages, all attributes) → an `SqsEvent` → call
//! `process_batch` in-process → delete every record not in `batchItemFailures`. Failed records
//! come back after the visibility timeout and move to the DLQ after `maxReceiveCount`.
//!
//! No test waits for a visibility timeout: moto's runs on the wall clock. The redelivery tests use
//! a timeout no test outlives ([`IN_FLIGHT_SECS`]) and end it explicitly for the records reported
//! failed ([`expire_visibility`]: `ChangeMessageVisibility` to 0, what a consumer does to retry at
//! once), so each receive returns exactly what the test expects, however slow the machine.
//!
//! They fail, never skip, when `AWS_ENDPOINT_URL` is unset: they must never reach real AWS, and
//! a missing emulator must not pass silently. Each test creates its own queues (ULID names).

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use aws_sdk_sqs::Client;
use oms_application::ports::{EventQueue, QueueMessage};
use oms_domain::ids::TenantId;
use oms_queue::{
    client_from_env, deduplication_id, message_group_id, message_size, process_batch,
    ReceivedMessage, RecordError, SqsQueue, MAX_MESSAGE_BYTES,
};

const REGION: &str = "us-east-1";

/// A visibility timeout (1 h) no test outlives: a received message neither deleted nor
/// explicitly made visible again ([`expire_visibility`]) stays in flight for the whole test.
const IN_FLIGHT_SECS: u32 = 3600;

/// Test environment check: endpoint, region and credentials must all be set.
fn require_emulator_env() {
    let hint = "start moto with `infra/moto.sh start` and export what it prints: \
                AWS_ENDPOINT_URL=http://127.0.0.1:5005 AWS_REGION=us-east-1 \
                AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test";
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok_and(|v| !v.is_empty()),
        "AWS_ENDPOINT_URL is not set: the SQS tests need the moto emulator; {hint}"
    );
    assert!(
        std::env::var("AWS_REGION")
            .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
            .is_ok(),
        "AWS_REGION is not set; {hint}"
    );
    for var in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
        assert!(std::env::var(var).is_ok(), "{var} is not set; {hint}");
    }
}

async fn client() -> Client {
    require_emulator_env();
    client_from_env(None).await
}

fn tenant(s: &str) -> TenantId {
    TenantId::new(s).unwrap()
}

fn msg(tenant_id: &str, group: &str, dedup: &str, body: &str) -> QueueMessage {
    QueueMessage {
        tenant: tenant(tenant_id),
        group: group.into(),
        dedup_id: dedup.into(),
        body: body.into(),
    }
}

/// A FIFO queue with a FIFO dead-letter queue of its own.
struct Queues {
    url: String,
    arn: String,
    dlq_url: String,
}

async fn create_fifo(
    client: &Client,
    name: &str,
    attributes: &[(QueueAttributeName, String)],
) -> String {
    let mut request = client
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "false");
    for (k, v) in attributes {
        request = request.attributes(k.clone(), v);
    }
    let out = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateQueue {name} failed (is moto running?): {e:?}"));
    out.queue_url().unwrap().to_owned()
}

async fn queue_arn(client: &Client, url: &str) -> String {
    client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .unwrap()
}

/// Creates `oms-test-<ulid>.fifo` and its DLQ `oms-test-<ulid>-dlq.fifo`.
async fn create_queues(client: &Client, visibility_secs: u32, max_receive_count: u32) -> Queues {
    let base = format!("oms-test-{}", ulid::Ulid::new());
    let dlq_url = create_fifo(client, &format!("{base}-dlq.fifo"), &[]).await;
    let dlq_arn = queue_arn(client, &dlq_url).await;
    let redrive =
        format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"{max_receive_count}"}}"#);
    let url = create_fifo(
        client,
        &format!("{base}.fifo"),
        &[
            (
                QueueAttributeName::VisibilityTimeout,
                visibility_secs.to_string(),
            ),
            (QueueAttributeName::RedrivePolicy, redrive),
        ],
    )
    .await;
    let arn = queue_arn(client, &url).await;
    Queues { url, arn, dlq_url }
}

/// `ReceiveMessage` with every system and message attribute, as the mapping asks.
async fn receive(client: &Client, url: &str) -> Vec<aws_sdk_sqs::types::Message> {
    client
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .message_attribute_names("All")
        .wait_time_seconds(0)
        .send()
        .await
        .unwrap_or_else(|e| panic!("ReceiveMessage failed: {e:?}"))
        .messages
        .unwrap_or_default()
}

/// The `SqsEvent` the mapping would build from received messages.
fn to_event(messages: &[aws_sdk_sqs::types::Message], source_arn: &str) -> SqsEvent {
    oms_queue::lambda_event(messages, source_arn, REGION)
}

/// One poll of the event-source mapping: receive, invoke `process_batch`, delete every record not
/// reported failed. Returns the event handed to the function and its response.
async fn poll_once<F, Fut>(
    client: &Client,
    queues: &Queues,
    handler: F,
) -> (SqsEvent, SqsBatchResponse)
where
    F: FnMut(ReceivedMessage) -> Fut,
    Fut: Future<Output = Result<(), RecordError>>,
{
    let messages = receive(client, &queues.url).await;
    let event = to_event(&messages, &queues.arn);
    let response = process_batch(event.clone(), handler).await;
    let failed: HashSet<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    for record in &event.records {
        let id = record.message_id.as_deref().unwrap_or_default();
        if failed.contains(id) {
            continue;
        }
        client
            .delete_message()
            .queue_url(&queues.url)
            .receipt_handle(record.receipt_handle.as_deref().unwrap_or_default())
            .send()
            .await
            .unwrap_or_else(|e| panic!("DeleteMessage failed: {e:?}"));
    }
    (event, response)
}

/// Ends the visibility timeout of every record `response` reported failed, as if it had elapsed:
/// `ChangeMessageVisibility` to 0, so the next receive may return them (receive count + 1).
async fn expire_visibility(
    client: &Client,
    queues: &Queues,
    event: &SqsEvent,
    response: &SqsBatchResponse,
) {
    for id in ids(response) {
        let record = event
            .records
            .iter()
            .find(|r| r.message_id.as_deref() == Some(id.as_str()))
            .unwrap_or_else(|| panic!("{id} was reported failed but not in the batch"));
        client
            .change_message_visibility()
            .queue_url(&queues.url)
            .receipt_handle(record.receipt_handle.as_deref().unwrap_or_default())
            .visibility_timeout(0)
            .send()
            .await
            .unwrap_or_else(|e| panic!("ChangeMessageVisibility failed: {e:?}"));
    }
}

fn bodies(event: &SqsEvent) -> Vec<String> {
    event
        .records
        .iter()
        .map(|r| r.body.clone().unwrap_or_default())
        .collect()
}

/// The bodies of the records `response` reported failed, in batch order.
fn failed_bodies(event: &SqsEvent, response: &SqsBatchResponse) -> Vec<String> {
    ids(response).iter().map(|id| body_of(event, id)).collect()
}

/// Messages visible plus in flight.
async fn depth(client: &Client, url: &str) -> usize {
    let out = client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap();
    let attrs = out.attributes().cloned().unwrap_or_default();
    [
        QueueAttributeName::ApproximateNumberOfMessages,
        QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
    ]
    .iter()
    .map(|k| {
        attrs
            .get(k)
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0)
    })
    .sum()
}

fn ids(response: &SqsBatchResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

fn body_of(event: &SqsEvent, message_id: &str) -> String {
    event
        .records
        .iter()
        .find(|r| r.message_id.as_deref() == Some(message_id))
        .and_then(|r| r.body.clone())
        .unwrap()
}

type Calls = Arc<Mutex<Vec<ReceivedMessage>>>;

/// A handler recording every call and failing while `fail(message)` says so.
fn recording<'a>(
    calls: &'a Calls,
    fail: impl Fn(&ReceivedMessage) -> bool + 'a,
) -> impl FnMut(ReceivedMessage) -> std::future::Ready<Result<(), RecordError>> + 'a {
    move |m| {
        let failed = fail(&m);
        calls.lock().unwrap().push(m);
        std::future::ready(if failed {
            Err(RecordError::new("handler refused it"))
        } else {
            Ok(())
        })
    }
}

/// Guards the SDK gotcha: without an explicit HTTP client every call fails at run time.
#[tokio::test]
async fn client_from_env_reaches_the_endpoint_with_the_ring_http_client() {
    require_emulator_env();
    let endpoint = std::env::var("AWS_ENDPOINT_URL").ok();
    for client in [client_from_env(None).await, client_from_env(endpoint).await] {
        client
            .list_queues()
            .max_results(1)
            .send()
            .await
            .unwrap_or_else(|e| panic!("ListQueues failed: {e:?}"));
    }
}

#[tokio::test]
async fn fifo_order_within_groups_and_dedupe() {
    let client = client().await;
    let queues = create_queues(&client, 30, 5).await;
    let queue = SqsQueue::new(&client, &queues.url);

    for m in [
        msg("t1", "vendor-products:p-1", "evt_1", "a1"),
        msg("t1", "vendor-products:p-2", "evt_2", "b1"),
        msg("t1", "vendor-products:p-1", "evt_3", "a2"),
        msg("t1", "vendor-products:p-1", "evt_1", "a1 again"), // same dedup id: dropped
        msg("t1", "vendor-products:p-2", "evt_4", "b2"),
        msg("t1", "vendor-products:p-1", "evt_5", "a3"),
        msg("t2", "vendor-products:p-1", "evt_1", "other tenant"), // same id, other tenant
    ] {
        queue.publish(m).await.unwrap();
    }

    let calls: Calls = Arc::default();
    for _ in 0..20 {
        let (event, response) = poll_once(&client, &queues, recording(&calls, |_| false)).await;
        assert!(response.batch_item_failures.is_empty());
        if event.records.is_empty() && depth(&client, &queues.url).await == 0 {
            break;
        }
    }
    assert_eq!(depth(&client, &queues.url).await, 0);
    let calls = calls.lock().unwrap().clone();
    let bodies = |t: &str, group: &str| -> Vec<String> {
        calls
            .iter()
            .filter(|m| m.tenant.as_str() == t && m.group == group)
            .map(|m| m.body.clone())
            .collect()
    };
    assert_eq!(bodies("t1", "vendor-products:p-1"), ["a1", "a2", "a3"]);
    assert_eq!(bodies("t1", "vendor-products:p-2"), ["b1", "b2"]);
    assert_eq!(bodies("t2", "vendor-products:p-1"), ["other tenant"]);
    assert_eq!(calls.len(), 6, "the duplicate must not be delivered");

    let a1 = calls.iter().find(|m| m.body == "a1").unwrap();
    assert_eq!(a1.receive_count, 1);
    assert_eq!(a1.dedup_id.as_deref(), Some("evt_1"));
    assert_eq!(
        a1.message_group_id.as_deref(),
        Some("t1#vendor-products:p-1")
    );
}

#[tokio::test]
async fn partial_failure_redelivers_only_the_failed_record_and_the_rest_of_its_group() {
    let client = client().await;
    let queues = create_queues(&client, IN_FLIGHT_SECS, 5).await;
    let queue = SqsQueue::new(&client, &queues.url);
    for (group, body) in [
        ("A", "x1"),
        ("B", "y1"),
        ("A", "x2"),
        ("A", "x3"),
        ("B", "y2"),
    ] {
        queue.publish(msg("t1", group, body, body)).await.unwrap();
    }

    // First poll: x2 fails on its first delivery.
    let calls: Calls = Arc::default();
    let (event, response) = poll_once(
        &client,
        &queues,
        recording(&calls, |m| m.body == "x2" && m.receive_count == 1),
    )
    .await;
    assert_eq!(
        bodies(&event),
        ["x1", "y1", "x2", "x3", "y2"],
        "moto hands the whole backlog to one ReceiveMessage in send order"
    );
    assert_eq!(failed_bodies(&event, &response), ["x2", "x3"]);
    let handled: Vec<String> = calls
        .lock()
        .unwrap()
        .iter()
        .map(|m| m.body.clone())
        .collect();
    assert_eq!(
        handled,
        ["x1", "y1", "x2", "y2"],
        "x3 must not be handled after x2 failed"
    );

    // While x2/x3 are in flight nothing else is left: the others were deleted.
    let (idle, _) = poll_once(&client, &queues, recording(&calls, |_| false)).await;
    assert!(idle.records.is_empty(), "deleted records came back");
    assert_eq!(depth(&client, &queues.url).await, 2, "x2 and x3 are kept");

    // Once their visibility timeout is over: exactly x2 then x3 (the group's order), received for
    // the second time, handled once each and deleted.
    expire_visibility(&client, &queues, &event, &response).await;
    calls.lock().unwrap().clear();
    let (event, response) = poll_once(&client, &queues, recording(&calls, |_| false)).await;
    assert!(response.batch_item_failures.is_empty());
    let again: Vec<(String, String)> = event
        .records
        .iter()
        .map(|r| {
            (
                r.body.clone().unwrap(),
                r.attributes["ApproximateReceiveCount"].clone(),
            )
        })
        .collect();
    assert_eq!(
        again,
        [
            ("x2".to_owned(), "2".to_owned()),
            ("x3".to_owned(), "2".to_owned())
        ]
    );
    let handled: Vec<(String, u32)> = calls
        .lock()
        .unwrap()
        .iter()
        .map(|m| (m.body.clone(), m.receive_count))
        .collect();
    assert_eq!(handled, [("x2".to_owned(), 2), ("x3".to_owned(), 2)]);
    assert_eq!(depth(&client, &queues.url).await, 0);
    assert_eq!(depth(&client, &queues.dlq_url).await, 0);
}

#[tokio::test]
async fn a_message_that_keeps_failing_lands_in_the_dlq() {
    let client = client().await;
    let max_receive_count = 2;
    let queues = create_queues(&client, IN_FLIGHT_SECS, max_receive_count).await;
    let queue = SqsQueue::new(&client, &queues.url);
    queue.publish(msg("t1", "p", "e1", "poison")).await.unwrap();
    queue
        .publish(msg("t1", "p", "e2", "after poison"))
        .await
        .unwrap();
    queue
        .publish(msg("t1", "q", "e3", "other group"))
        .await
        .unwrap();

    let calls: Calls = Arc::default();
    // Receives 1 and 2: the poison fails, its follower is skipped (reported failed with it); the
    // other group is handled (and deleted) on the first receive. Both failures are made visible
    // again at once, as after the visibility timeout.
    for (receive_count, expected) in [
        (1, vec!["poison", "after poison", "other group"]),
        (2, vec!["poison", "after poison"]),
    ] {
        let (event, response) =
            poll_once(&client, &queues, recording(&calls, |m| m.body == "poison")).await;
        assert_eq!(bodies(&event), expected, "receive {receive_count}");
        assert_eq!(
            failed_bodies(&event, &response),
            ["poison", "after poison"],
            "receive {receive_count}"
        );
        expire_visibility(&client, &queues, &event, &response).await;
    }
    assert_eq!(
        depth(&client, &queues.dlq_url).await,
        0,
        "nothing dead-lettered yet"
    );

    // Receive 3: both were received maxReceiveCount times, so SQS moves them to the DLQ instead
    // of handing them over.
    let (event, _) = poll_once(&client, &queues, recording(&calls, |_| false)).await;
    assert!(
        event.records.is_empty(),
        "handed over: {:?}",
        bodies(&event)
    );
    assert_eq!(
        depth(&client, &queues.url).await,
        0,
        "the main queue is drained"
    );

    let dead = receive(&client, &queues.dlq_url).await;
    let dead_bodies: Vec<&str> = dead.iter().filter_map(|m| m.body()).collect();
    // The follower shared the poison's receives (it was skipped behind it each time), so it is
    // dead-lettered with it: never lost, never handled out of order.
    assert_eq!(dead_bodies, ["poison", "after poison"]);
    for m in &dead {
        let tenant_attr = m
            .message_attributes()
            .and_then(|a| a.get("tenant"))
            .and_then(|a| a.string_value());
        assert_eq!(tenant_attr, Some("t1"), "attributes travel to the DLQ");
    }

    let calls = calls.lock().unwrap();
    let handled: Vec<(&str, u32)> = calls
        .iter()
        .map(|m| (m.body.as_str(), m.receive_count))
        .collect();
    assert_eq!(
        handled,
        [("poison", 1), ("other group", 1), ("poison", 2)],
        "the poison is handled once per receive up to maxReceiveCount, the other group once, at \
         once, and the follower never (it waits behind the poison)"
    );
}

#[tokio::test]
async fn long_or_non_ascii_ids_are_hashed_and_still_dedupe() {
    let client = client().await;
    let queues = create_queues(&client, 30, 5).await;
    let queue = SqsQueue::new(&client, &queues.url);
    let group = "vendor-products:café crème";
    let dedup = format!("evt_{}", "é".repeat(150));
    queue
        .publish(msg("t1", group, &dedup, "first"))
        .await
        .unwrap();
    queue
        .publish(msg("t1", group, &dedup, "second"))
        .await
        .unwrap();

    let messages = receive(&client, &queues.url).await;
    assert_eq!(messages.len(), 1, "the hashed dedup id must dedupe");
    let m = &messages[0];
    assert_eq!(m.body(), Some("first"));
    let system = m.attributes().unwrap();
    let expected_group = message_group_id(&tenant("t1"), group);
    assert!(expected_group.starts_with("sha256:"));
    assert_eq!(
        system.get(&MessageSystemAttributeName::MessageGroupId),
        Some(&expected_group)
    );
    assert_eq!(
        system.get(&MessageSystemAttributeName::MessageDeduplicationId),
        Some(&deduplication_id(&tenant("t1"), &dedup))
    );

    // The handler still gets the group and dedup id as published.
    let event = to_event(&messages, &queues.arn);
    let seen: Arc<Mutex<Option<ReceivedMessage>>> = Arc::default();
    let response = process_batch(event, |m| {
        *seen.lock().unwrap() = Some(m);
        async { Ok(()) }
    })
    .await;
    assert!(response.batch_item_failures.is_empty());
    let seen = seen.lock().unwrap().clone().unwrap();
    assert_eq!(seen.group, group);
    assert_eq!(seen.dedup_id.as_deref(), Some(dedup.as_str()));
}

#[tokio::test]
async fn oversized_messages_are_refused_before_sending() {
    let client = client().await;
    let queues = create_queues(&client, 30, 5).await;
    let queue = SqsQueue::new(&client, &queues.url);
    let overhead = message_size(&msg("t1", "g", "big", ""));

    let too_big = msg(
        "t1",
        "g",
        "big",
        &"x".repeat(MAX_MESSAGE_BYTES - overhead + 1),
    );
    assert_eq!(message_size(&too_big), MAX_MESSAGE_BYTES + 1);
    let err = queue.publish(too_big).await.unwrap_err();
    assert!(err.message.contains("at most 262144"), "{}", err.message);
    assert_eq!(depth(&client, &queues.url).await, 0, "nothing may be sent");

    let fits = msg("t1", "g", "fit", &"x".repeat(MAX_MESSAGE_BYTES - overhead));
    assert_eq!(message_size(&fits), MAX_MESSAGE_BYTES);
    queue.publish(fits).await.unwrap();
    let messages = receive(&client, &queues.url).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0].body().map(str::len),
        Some(MAX_MESSAGE_BYTES - overhead),
        "never truncated"
    );
}

#[tokio::test]
async fn a_missing_queue_fails_without_retrying() {
    let client = client().await;
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap();
    let url = format!(
        "{}/123456789012/oms-test-missing-{}.fifo",
        endpoint.trim_end_matches('/'),
        ulid::Ulid::new()
    );
    let queue = SqsQueue::new(&client, url);
    let err = queue
        .publish(msg("t1", "g", "e1", "body"))
        .await
        .unwrap_err();
    assert!(
        err.message.contains("after 1 attempt(s)"),
        "{}",
        err.message
    );
    assert!(err.source.is_some());
}

#[tokio::test]
async fn handler_sees_tenant_group_and_receive_count_across_redeliveries() {
    let client = client().await;
    let queues = create_queues(&client, IN_FLIGHT_SECS, 5).await;
    let queue = SqsQueue::new(&client, &queues.url);
    queue
        .publish(msg("acme", "customer-details:c-9", "evt_9", "{}"))
        .await
        .unwrap();

    // Fails on receives 1 and 2 (reported, then made visible again), succeeds on receive 3.
    let calls: Calls = Arc::default();
    for receive_count in 1..=3 {
        let (event, response) =
            poll_once(&client, &queues, recording(&calls, |m| m.receive_count < 3)).await;
        let seen: Vec<ReceivedMessage> = calls.lock().unwrap().drain(..).collect();
        assert_eq!(seen.len(), 1, "receive {receive_count}");
        assert_eq!(seen[0].tenant.as_str(), "acme");
        assert_eq!(seen[0].group, "customer-details:c-9");
        assert_eq!(seen[0].receive_count, receive_count);
        let expected_failures = usize::from(receive_count < 3);
        assert_eq!(
            response.batch_item_failures.len(),
            expected_failures,
            "receive {receive_count}"
        );
        expire_visibility(&client, &queues, &event, &response).await;
    }
    // Deleted after the successful third receive.
    assert_eq!(depth(&client, &queues.url).await, 0);
    assert_eq!(depth(&client, &queues.dlq_url).await, 0);
}
