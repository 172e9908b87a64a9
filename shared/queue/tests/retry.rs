//! `SqsQueue` retries against a scripted HTTP server on loopback (no moto needed): moto never
//! throttles or fails with 5xx, so the retry policy is checked here, together with the exact
//! `SendMessage` request we put on the wire.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sqs::Client;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use oms_application::ports::{EventQueue, QueueMessage};
use oms_domain::ids::TenantId;
use oms_queue::{RetryPolicy, SqsQueue};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One scripted answer: status and JSON body.
type Reply = (u16, &'static str);

const OK: Reply = (
    200,
    r#"{"MessageId":"5fea7756-0ea4-451a-a703-a558b933e274","MD5OfMessageBody":"fafb00f5732ab283681e124bf8747ed1","SequenceNumber":"1"}"#,
);
const UNAVAILABLE: Reply = (
    503,
    r#"{"__type":"com.amazonaws.sqs#ServiceUnavailable","message":"try later"}"#,
);
const THROTTLED: Reply = (
    400,
    r#"{"__type":"com.amazonaws.sqs#RequestThrottled","message":"slow down"}"#,
);
const INTERNAL: Reply = (
    500,
    r#"{"__type":"com.amazonaws.sqs#InternalError","message":"oops"}"#,
);
const NO_QUEUE: Reply = (
    400,
    r#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}"#,
);

/// Serves `script` in order (the last reply repeats); returns the endpoint and the request
/// bodies received.
async fn scripted_server(script: Vec<Reply>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let requests: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = Arc::clone(&requests);
    tokio::spawn(async move {
        let mut served = 0usize;
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let Some(body) = read_request(&mut socket).await else {
                continue;
            };
            seen.lock().unwrap().push(body);
            let (status, reply) = script[served.min(script.len() - 1)];
            served += 1;
            let response = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/x-amz-json-1.0\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{reply}",
                reply.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    (endpoint, requests)
}

/// Reads one HTTP/1.1 request and returns its body.
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return Some(String::from_utf8_lossy(&buf[end + 4..end + 4 + length]).to_string());
            }
        }
    }
}

fn client(endpoint: &str) -> Client {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(endpoint)
        .http_client(http_client)
        .build();
    Client::from_conf(config)
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    }
}

fn message() -> QueueMessage {
    QueueMessage {
        tenant: TenantId::new("t1").unwrap(),
        group: "vendor-products:p-1".into(),
        dedup_id: "evt_1".into(),
        body: r#"{"id":"evt_1"}"#.into(),
    }
}

async fn publish(script: Vec<Reply>) -> (Result<(), String>, Vec<String>) {
    let (endpoint, requests) = scripted_server(script).await;
    let queue = SqsQueue::new(
        &client(&endpoint),
        format!("{endpoint}/123456789012/q.fifo"),
    )
    .with_retry_policy(fast_retries());
    let result = queue.publish(message()).await.map_err(|e| e.message);
    let requests = requests.lock().unwrap().clone();
    (result, requests)
}

#[tokio::test]
async fn sends_the_fifo_ids_and_attributes() {
    let (result, requests) = publish(vec![OK]).await;
    result.unwrap();
    assert_eq!(requests.len(), 1);
    let sent: serde_json::Value = serde_json::from_str(&requests[0]).unwrap();
    assert_eq!(sent["MessageGroupId"], "t1#vendor-products:p-1");
    assert_eq!(sent["MessageDeduplicationId"], "t1#evt_1");
    assert_eq!(sent["MessageBody"], r#"{"id":"evt_1"}"#);
    assert_eq!(sent["QueueUrl"], requests_queue_url(&sent));
    let attrs = &sent["MessageAttributes"];
    assert_eq!(attrs["tenant"]["StringValue"], "t1");
    assert_eq!(attrs["tenant"]["DataType"], "String");
    assert_eq!(attrs["group"]["StringValue"], "vendor-products:p-1");
    assert_eq!(attrs["dedup_id"]["StringValue"], "evt_1");
}

fn requests_queue_url(sent: &serde_json::Value) -> serde_json::Value {
    let url = sent["QueueUrl"].as_str().unwrap_or_default();
    assert!(url.ends_with("/123456789012/q.fifo"), "{url}");
    sent["QueueUrl"].clone()
}

#[tokio::test]
async fn retries_5xx_and_throttling_then_succeeds() {
    let (result, requests) = publish(vec![UNAVAILABLE, THROTTLED, INTERNAL, OK]).await;
    result.unwrap();
    assert_eq!(requests.len(), 4);
    // Every attempt is the same request, so the dedup id absorbs a send that did succeed.
    let parsed: Vec<serde_json::Value> = requests
        .iter()
        .map(|r| serde_json::from_str(r).unwrap())
        .collect();
    assert!(parsed.iter().all(|r| r == &parsed[0]), "{parsed:?}");
}

#[tokio::test]
async fn gives_up_after_max_attempts() {
    let (result, requests) = publish(vec![UNAVAILABLE]).await;
    let err = result.unwrap_err();
    assert_eq!(requests.len(), 4);
    assert!(err.contains("after 4 attempt(s)"), "{err}");
    assert!(err.contains("ServiceUnavailable"), "{err}");
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let (result, requests) = publish(vec![NO_QUEUE, OK]).await;
    let err = result.unwrap_err();
    assert_eq!(requests.len(), 1);
    assert!(err.contains("QueueDoesNotExist"), "{err}");
}

#[tokio::test]
async fn a_refused_connection_is_retried_and_reported() {
    // Bind then drop: nothing listens on the port.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let queue = SqsQueue::new(
        &client(&endpoint),
        format!("{endpoint}/123456789012/q.fifo"),
    )
    .with_retry_policy(fast_retries());
    let err = queue.publish(message()).await.unwrap_err();
    assert!(
        err.message.contains("after 4 attempt(s)"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn invalid_messages_never_reach_the_network() {
    let (endpoint, requests) = scripted_server(vec![OK]).await;
    let queue = SqsQueue::new(
        &client(&endpoint),
        format!("{endpoint}/123456789012/q.fifo"),
    );
    let mut empty = message();
    empty.body.clear();
    assert!(queue.publish(empty).await.is_err());
    let mut control = message();
    control.body = "a\u{1}b".into();
    assert!(queue.publish(control).await.is_err());
    assert!(requests.lock().unwrap().is_empty());
}
