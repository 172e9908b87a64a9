//! What the SQS event-source mapping does, for places where no Lambda service runs it (tests on
//! the local emulator, a local poller): received messages → the `SqsEvent` a function gets.

use aws_lambda_events::sqs::{SqsEvent, SqsMessage, SqsMessageAttribute};

/// The `SqsEvent` the mapping would build from messages received with all system and message
/// attributes.
pub fn lambda_event(
    messages: &[aws_sdk_sqs::types::Message],
    source_arn: &str,
    region: &str,
) -> SqsEvent {
    let mut event = SqsEvent::default();
    for m in messages {
        let mut record = SqsMessage::default();
        record.message_id = m.message_id().map(str::to_owned);
        record.receipt_handle = m.receipt_handle().map(str::to_owned);
        record.body = m.body().map(str::to_owned);
        record.md5_of_body = m.md5_of_body().map(str::to_owned);
        record.md5_of_message_attributes = m.md5_of_message_attributes().map(str::to_owned);
        record.attributes = m
            .attributes()
            .map(|a| {
                a.iter()
                    .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        record.message_attributes = m
            .message_attributes()
            .map(|a| {
                a.iter()
                    .map(|(k, v)| {
                        let mut attr = SqsMessageAttribute::default();
                        attr.string_value = v.string_value().map(str::to_owned);
                        attr.data_type = Some(v.data_type().to_owned());
                        (k.clone(), attr)
                    })
                    .collect()
            })
            .unwrap_or_default();
        record.event_source = Some("aws:sqs".to_owned());
        record.event_source_arn = Some(source_arn.to_owned());
        record.aws_region = Some(region.to_owned());
        event.records.push(record);
    }
    event
}
