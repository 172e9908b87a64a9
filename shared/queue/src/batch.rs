//! The Lambda side of the queue: run a handler over an SQS event and report partial failures.
//!
//! [`process_batch`] is pure apart from the handler: no AWS call, no Lambda runtime. The updater
//! function calls it from its `service_fn`; the tests call it directly, acting as the event-source
//! mapping (docs/development.md). The mapping must be configured with
//! `FunctionResponseTypes: [ReportBatchItemFailures]`; without it the response is ignored and one
//! failure returns the whole batch.
//!
//! # Failure rules
//!
//! Records are handled one at a time, in the order of the event.
//!
//! * A record that cannot be parsed (no body, no `tenant` attribute, an invalid tenant id) is
//!   reported failed without calling the handler, and logged with its message id (and tenant when
//!   known). It is redelivered until `maxReceiveCount`, then lands in the DLQ.
//! * A record whose handler returns `Err` is reported failed.
//! * **FIFO (per message group).** Once a record of a message group (`MessageGroupId`) has failed,
//!   every later record of *that group* in the batch is reported failed **without being
//!   handled**, so the group is redelivered from its first failure on and its order is kept.
//!   Records of other groups continue. This is Powertools' `SqsFifoPartialProcessor` with
//!   `skip_group_on_error`; the processor's default also stops every other group after the
//!   first failure. Both keep each group in order (SQS orders only within a group); stopping
//!   only the failing group keeps one poisoned entity or tenant from delaying everyone else in
//!   the batch and from burning their receive counts towards the DLQ.
//! * Records without a `MessageGroupId` (a standard queue) are independent: a failure affects
//!   only that record.
//! * A record without a message id cannot be reported. Then every record of the event is reported
//!   failed, without calling the handler, and the missing one with an empty identifier, which
//!   Lambda treats as a failure of the whole batch. (SQS always sends message ids; this guards
//!   against a malformed event.)
//!
//! Logs carry the tenant, message id, group id and receive count, never the body.

use std::collections::HashSet;
use std::future::Future;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use oms_domain::ids::TenantId;

use crate::message::{ReceivedMessage, RecordError, ATTR_DEDUP_ID, ATTR_GROUP, ATTR_TENANT};

const MESSAGE_GROUP_ID: &str = "MessageGroupId";
const APPROXIMATE_RECEIVE_COUNT: &str = "ApproximateReceiveCount";

/// Runs `handler` over the records of `event` in order and returns the records to redeliver
/// (see the module docs for the rules).
pub async fn process_batch<F, Fut>(event: SqsEvent, mut handler: F) -> SqsBatchResponse
where
    F: FnMut(ReceivedMessage) -> Fut,
    Fut: Future<Output = Result<(), RecordError>>,
{
    let mut response = SqsBatchResponse::default();

    if event.records.iter().any(|r| message_id(r).is_none()) {
        tracing::error!(
            records = event.records.len(),
            "SQS record without a message id: failing the whole batch"
        );
        for record in &event.records {
            response.add_failure(message_id(record).unwrap_or_default());
        }
        return response;
    }

    let mut failed_groups: HashSet<String> = HashSet::new();
    for record in event.records {
        let id = message_id(&record).unwrap_or_default().to_owned();
        let group_id = record.attributes.get(MESSAGE_GROUP_ID).cloned();

        if let Some(group_id) = &group_id {
            if failed_groups.contains(group_id) {
                tracing::info!(
                    message_id = %id,
                    tenant = attribute(&record, ATTR_TENANT).unwrap_or_default(),
                    message_group_id = %group_id,
                    "skipped: an earlier record of its message group failed"
                );
                response.add_failure(id);
                continue;
            }
        }

        let ok = match parse(record, &id) {
            Err(reason) => {
                tracing::warn!(
                    message_id = %id,
                    tenant = reason.tenant.as_deref().unwrap_or_default(),
                    message_group_id = group_id.as_deref().unwrap_or_default(),
                    error = %reason.message,
                    "unparseable SQS record"
                );
                false
            }
            Ok(message) => {
                let tenant = message.tenant.clone();
                let receive_count = message.receive_count;
                match handler(message).await {
                    Ok(()) => true,
                    Err(err) => {
                        tracing::warn!(
                            message_id = %id,
                            tenant = %tenant,
                            message_group_id = group_id.as_deref().unwrap_or_default(),
                            receive_count,
                            error = %err,
                            "SQS record failed"
                        );
                        false
                    }
                }
            }
        };
        if !ok {
            response.add_failure(id);
            if let Some(group_id) = group_id {
                failed_groups.insert(group_id);
            }
        }
    }
    response
}

/// The records of an event that are on their last receive: SQS moves such a record to the
/// dead-letter queue instead of redelivering it if it fails now. Taken from the event before it
/// is processed, then compared with the response ([`LastReceives::dead_lettered`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LastReceives(HashSet<String>);

impl LastReceives {
    /// The message ids whose `ApproximateReceiveCount` has reached `max_receive_count` (the
    /// source queue's redrive `maxReceiveCount`).
    pub fn of(event: &SqsEvent, max_receive_count: u32) -> Self {
        LastReceives(
            event
                .records
                .iter()
                .filter(|r| receive_count(r) >= max_receive_count)
                .filter_map(|r| message_id(r).map(str::to_owned))
                .collect(),
        )
    }

    /// How many of the records `response` reports failed were on their last receive: the
    /// messages SQS dead-letters after this invocation.
    pub fn dead_lettered(&self, response: &SqsBatchResponse) -> u64 {
        response
            .batch_item_failures
            .iter()
            .filter(|f| self.0.contains(&f.item_identifier))
            .count() as u64
    }
}

fn receive_count(record: &SqsMessage) -> u32 {
    record
        .attributes
        .get(APPROXIMATE_RECEIVE_COUNT)
        .and_then(|c| c.parse::<u32>().ok())
        .unwrap_or(1)
        .max(1)
}

fn message_id(record: &SqsMessage) -> Option<&str> {
    record.message_id.as_deref().filter(|id| !id.is_empty())
}

fn attribute<'a>(record: &'a SqsMessage, name: &str) -> Option<&'a str> {
    record
        .message_attributes
        .get(name)
        .and_then(|a| a.string_value.as_deref())
}

#[derive(Debug)]
struct Unparseable {
    tenant: Option<String>,
    message: String,
}

fn parse(record: SqsMessage, id: &str) -> Result<ReceivedMessage, Unparseable> {
    let raw_tenant = attribute(&record, ATTR_TENANT).map(str::to_owned);
    let fail = |message: String| Unparseable {
        tenant: raw_tenant.clone(),
        message,
    };
    let tenant = match raw_tenant.as_deref() {
        None => return Err(fail(format!("no `{ATTR_TENANT}` message attribute"))),
        Some(raw) => TenantId::new(raw).map_err(|e| fail(format!("invalid tenant: {e}")))?,
    };
    let group = attribute(&record, ATTR_GROUP)
        .unwrap_or_default()
        .to_owned();
    let dedup_id = attribute(&record, ATTR_DEDUP_ID).map(str::to_owned);
    let receive_count = receive_count(&record);
    let message_group_id = record.attributes.get(MESSAGE_GROUP_ID).cloned();
    let Some(body) = record.body else {
        return Err(fail("no body".into()));
    };
    Ok(ReceivedMessage {
        message_id: id.to_owned(),
        tenant,
        group,
        dedup_id,
        body,
        receive_count,
        message_group_id,
    })
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::HashMap;

    use aws_lambda_events::sqs::SqsMessageAttribute;

    use super::*;

    fn string_attr(value: &str) -> SqsMessageAttribute {
        let mut a = SqsMessageAttribute::default();
        a.string_value = Some(value.to_owned());
        a.data_type = Some("String".to_owned());
        a
    }

    /// A FIFO record as the event-source mapping delivers it.
    fn record(id: &str, tenant: &str, group: &str, body: &str) -> SqsMessage {
        let mut r = SqsMessage::default();
        r.message_id = Some(id.to_owned());
        r.receipt_handle = Some(format!("rh-{id}"));
        r.body = Some(body.to_owned());
        r.attributes = HashMap::from([
            (MESSAGE_GROUP_ID.to_owned(), format!("{tenant}#{group}")),
            (APPROXIMATE_RECEIVE_COUNT.to_owned(), "1".to_owned()),
        ]);
        r.message_attributes = HashMap::from([
            (ATTR_TENANT.to_owned(), string_attr(tenant)),
            (ATTR_GROUP.to_owned(), string_attr(group)),
            (ATTR_DEDUP_ID.to_owned(), string_attr(&format!("d-{id}"))),
        ]);
        r.event_source = Some("aws:sqs".to_owned());
        r
    }

    fn event(records: Vec<SqsMessage>) -> SqsEvent {
        let mut e = SqsEvent::default();
        e.records = records;
        e
    }

    fn failures(response: &SqsBatchResponse) -> Vec<&str> {
        response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect()
    }

    /// Runs the batch with a handler that fails the given message ids; returns the response and
    /// the ids the handler saw, in order.
    async fn run(records: Vec<SqsMessage>, fail: &[&str]) -> (SqsBatchResponse, Vec<String>) {
        let seen = RefCell::new(Vec::new());
        let response = process_batch(event(records), |m: ReceivedMessage| {
            seen.borrow_mut().push(m.message_id.clone());
            let result = if fail.contains(&m.message_id.as_str()) {
                Err(RecordError::new("boom"))
            } else {
                Ok(())
            };
            async move { result }
        })
        .await;
        (response, seen.into_inner())
    }

    #[tokio::test]
    async fn all_successes_report_nothing_and_hand_over_every_field() {
        let mut r = record("m1", "t1", "vendor-products:p-1", "{\"v\":1}");
        r.attributes
            .insert(APPROXIMATE_RECEIVE_COUNT.to_owned(), "3".to_owned());
        let got = RefCell::new(Vec::new());
        let response = process_batch(
            event(vec![r, record("m2", "t2", "g", "b2")]),
            |m: ReceivedMessage| {
                got.borrow_mut().push(m);
                async { Ok(()) }
            },
        )
        .await;
        assert!(response.batch_item_failures.is_empty());
        let got = got.into_inner();
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0],
            ReceivedMessage {
                message_id: "m1".into(),
                tenant: TenantId::new("t1").unwrap(),
                group: "vendor-products:p-1".into(),
                dedup_id: Some("d-m1".into()),
                body: "{\"v\":1}".into(),
                receive_count: 3,
                message_group_id: Some("t1#vendor-products:p-1".into()),
            }
        );
        assert_eq!(got[1].tenant.as_str(), "t2");
    }

    #[tokio::test]
    async fn a_failure_fails_the_rest_of_its_group_only_and_keeps_order() {
        let records = vec![
            record("a1", "t1", "A", "x"),
            record("b1", "t1", "B", "x"),
            record("a2", "t1", "A", "x"),
            record("b2", "t1", "B", "x"),
            record("a3", "t1", "A", "x"),
            record("c1", "t2", "A", "x"), // same group name, other tenant: other SQS group
        ];
        let (response, seen) = run(records, &["a2"]).await;
        assert_eq!(failures(&response), ["a2", "a3"]);
        // a3 was never handled; B and the other tenant went on.
        assert_eq!(seen, ["a1", "b1", "a2", "b2", "c1"]);
    }

    #[tokio::test]
    async fn failures_in_two_groups_are_reported_in_event_order() {
        let records = vec![
            record("a1", "t1", "A", "x"),
            record("b1", "t1", "B", "x"),
            record("a2", "t1", "A", "x"),
            record("b2", "t1", "B", "x"),
        ];
        let (response, seen) = run(records, &["a1", "b2"]).await;
        assert_eq!(failures(&response), ["a1", "a2", "b2"]);
        assert_eq!(seen, ["a1", "b1", "b2"]);
    }

    #[tokio::test]
    async fn unparseable_records_fail_without_the_handler_and_block_their_group() {
        let mut no_tenant = record("m1", "t1", "A", "x");
        no_tenant.message_attributes.remove(ATTR_TENANT);
        let mut bad_tenant = record("m3", "t1", "B", "x");
        bad_tenant
            .message_attributes
            .insert(ATTR_TENANT.to_owned(), string_attr("a#b"));
        let mut no_body = record("m5", "t1", "C", "x");
        no_body.body = None;
        let records = vec![
            no_tenant,
            record("m2", "t1", "A", "x"),
            bad_tenant,
            record("m4", "t1", "D", "x"),
            no_body,
        ];
        let (response, seen) = run(records, &[]).await;
        assert_eq!(failures(&response), ["m1", "m2", "m3", "m5"]);
        assert_eq!(seen, ["m4"]);
    }

    #[tokio::test]
    async fn standard_queue_records_fail_independently() {
        let mut records = vec![
            record("s1", "t1", "A", "x"),
            record("s2", "t1", "A", "x"),
            record("s3", "t1", "A", "x"),
        ];
        for r in &mut records {
            r.attributes.remove(MESSAGE_GROUP_ID);
        }
        let (response, seen) = run(records, &["s1"]).await;
        assert_eq!(failures(&response), ["s1"]);
        assert_eq!(seen, ["s1", "s2", "s3"]);
    }

    #[tokio::test]
    async fn a_record_without_message_id_fails_the_whole_batch_unhandled() {
        let mut anonymous = record("x", "t1", "B", "x");
        anonymous.message_id = None;
        let records = vec![record("m1", "t1", "A", "x"), anonymous];
        let (response, seen) = run(records, &[]).await;
        assert_eq!(failures(&response), ["m1", ""]);
        assert!(seen.is_empty());
    }

    #[tokio::test]
    async fn missing_group_attribute_and_receive_count_have_defaults() {
        let mut r = record("m1", "t1", "ignored", "x");
        r.message_attributes.remove(ATTR_GROUP);
        r.message_attributes.remove(ATTR_DEDUP_ID);
        r.attributes.remove(APPROXIMATE_RECEIVE_COUNT);
        let got = RefCell::new(None);
        let response = process_batch(event(vec![r]), |m: ReceivedMessage| {
            *got.borrow_mut() = Some(m);
            async { Ok(()) }
        })
        .await;
        assert!(response.batch_item_failures.is_empty());
        let m = got.into_inner().unwrap();
        assert_eq!(m.group, "");
        assert_eq!(m.dedup_id, None);
        assert_eq!(m.receive_count, 1);
    }

    #[tokio::test]
    async fn only_failures_on_their_last_receive_count_as_dead_lettered() {
        let with_count = |id: &str, group: &str, count: &str| {
            let mut r = record(id, "t1", group, "b");
            r.attributes
                .insert(APPROXIMATE_RECEIVE_COUNT.to_owned(), count.to_owned());
            r
        };
        // m1 fails on its 5th receive (DLQ), m2 fails on its 2nd (retried), m3 succeeds on its
        // 7th, m4 is skipped behind m1 on its 5th (DLQ too: skipped records are failures).
        let records = vec![
            with_count("m1", "g1", "5"),
            with_count("m2", "g2", "2"),
            with_count("m3", "g3", "7"),
            with_count("m4", "g1", "5"),
        ];
        let last = LastReceives::of(&event(records.clone()), 5);
        let (response, _) = run(records.clone(), &["m1", "m2"]).await;
        assert_eq!(failures(&response), ["m1", "m2", "m4"]);
        assert_eq!(last.dead_lettered(&response), 2);
        // A higher limit: nobody is on the last receive yet.
        assert_eq!(
            LastReceives::of(&event(records), 8).dead_lettered(&response),
            0
        );
        // Without the attribute a record counts as its first receive.
        let mut bare = record("m5", "t1", "g5", "b");
        bare.attributes.remove(APPROXIMATE_RECEIVE_COUNT);
        let (response, _) = run(vec![bare.clone()], &["m5"]).await;
        assert_eq!(
            LastReceives::of(&event(vec![bare.clone()]), 1).dead_lettered(&response),
            1
        );
        assert_eq!(
            LastReceives::of(&event(vec![bare]), 2).dead_lettered(&response),
            0
        );
    }

    #[tokio::test]
    async fn an_empty_event_reports_nothing() {
        let (response, seen) = run(vec![], &[]).await;
        assert!(response.batch_item_failures.is_empty());
        assert!(seen.is_empty());
    }

    #[test]
    fn the_response_serializes_as_lambda_expects() {
        let mut response = SqsBatchResponse::default();
        response.add_failure("m1");
        let json = serde_json::to_value(&response).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"batchItemFailures": [{"itemIdentifier": "m1"}]})
        );
    }

    #[test]
    fn a_lambda_json_event_parses_into_the_record_shape_we_read() {
        let json = serde_json::json!({"Records": [{
            "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
            "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
            "body": "{\"id\":\"evt_1\"}",
            "attributes": {
                "ApproximateReceiveCount": "2",
                "SentTimestamp": "1545082649183",
                "MessageGroupId": "t1#vendor-products:p-1",
                "MessageDeduplicationId": "t1#evt_1",
                "SequenceNumber": "18849496460467696128"
            },
            "messageAttributes": {
                "tenant": {"stringValue": "t1", "stringListValues": [], "binaryListValues": [], "dataType": "String"},
                "group": {"stringValue": "vendor-products:p-1", "dataType": "String"}
            },
            "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:sync.fifo",
            "awsRegion": "us-east-1"
        }]});
        let event: SqsEvent = serde_json::from_value(json).unwrap();
        let m = parse(event.records[0].clone(), "id").unwrap();
        assert_eq!(m.tenant.as_str(), "t1");
        assert_eq!(m.group, "vendor-products:p-1");
        assert_eq!(m.receive_count, 2);
        assert_eq!(
            m.message_group_id.as_deref(),
            Some("t1#vendor-products:p-1")
        );
    }
}
