//! The DynamoDB stream event a relay invocation receives (only the fields the relay reads), and
//! its partial-failure answer.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `{"Records": [...]}` as Lambda delivers a DynamoDB stream batch.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct StreamEvent {
    #[serde(rename = "Records", default)]
    pub records: Vec<StreamRecord>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct StreamRecord {
    /// `INSERT`, `MODIFY` or `REMOVE`.
    #[serde(rename = "eventName", default)]
    pub event_name: String,
    pub dynamodb: StreamData,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct StreamData {
    #[serde(rename = "SequenceNumber")]
    pub sequence_number: String,
    /// The item after the write, in DynamoDB JSON (`{"attr": {"S": "..."}}`).
    #[serde(rename = "NewImage", default)]
    pub new_image: Option<Map<String, Value>>,
}

impl StreamRecord {
    /// A string attribute of the new image.
    pub fn string(&self, name: &str) -> Option<&str> {
        self.dynamodb
            .new_image
            .as_ref()?
            .get(name)?
            .get("S")?
            .as_str()
    }
}

/// `{"batchItemFailures": [{"itemIdentifier": "<SequenceNumber>"}]}`: Lambda resumes the shard
/// from the lowest reported sequence number (ReportBatchItemFailures).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct StreamBatchResponse {
    #[serde(rename = "batchItemFailures")]
    pub batch_item_failures: Vec<ItemFailure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ItemFailure {
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

/// Stream sequence numbers are decimal strings of up to 40 digits: compare them as numbers.
pub fn sequence_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_compare_as_numbers() {
        use std::cmp::Ordering::*;
        assert_eq!(sequence_order("900", "1000"), Less);
        assert_eq!(sequence_order("1000", "999"), Greater);
        assert_eq!(sequence_order("123", "123"), Equal);
    }

    #[test]
    fn a_stream_record_reads_string_attributes_of_the_new_image() {
        let event: StreamEvent = serde_json::from_value(serde_json::json!({"Records": [
            {"eventName": "INSERT", "dynamodb": {"SequenceNumber": "100",
              "NewImage": {"entity": {"S": "OutboxEvent"}, "n": {"N": "1"}}}},
            {"eventName": "REMOVE", "dynamodb": {"SequenceNumber": "101"}}
        ]}))
        .unwrap_or_default();
        assert_eq!(event.records.len(), 2);
        assert_eq!(event.records[0].string("entity"), Some("OutboxEvent"));
        assert_eq!(event.records[0].string("n"), None);
        assert_eq!(event.records[1].string("entity"), None);
    }
}
