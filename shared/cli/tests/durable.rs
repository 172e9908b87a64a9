//! `oms serve` keeps what it accepted, on the real binary:
//! - an order placed reaches the tenant's events URL as a signed POST (outbox → change stream →
//!   relay → journalled events queue → sender);
//! - webhook events answered 202 are applied even when the process is killed with SIGKILL before
//!   it applied them (the sync queue's journal is replayed on the next start).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod support;
use support::*;

/// A POST the fake tenant endpoint received.
struct Received {
    path: String,
    signature: String,
    body: String,
}

/// An HTTP endpoint on 127.0.0.1 answering every request 200, reporting each one.
fn tenant_endpoint() -> (String, mpsc::Receiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let path = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_string();
            let (mut length, mut signature) = (0usize, String::new());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                let (name, value) = line.split_once(':').unwrap_or_default();
                match name.trim().to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    "oms-signature" => signature = value.trim().to_string(),
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = tx.send(Received {
                path,
                signature,
                body: String::from_utf8_lossy(&body).to_string(),
            });
        }
    });
    (format!("http://{addr}/events"), rx)
}

/// `t=<unix>,v1=<hex>`: recomputed with the secret over the body.
fn signed_with(secret: &str, received: &Received) -> bool {
    let t = received
        .signature
        .split(',')
        .find_map(|part| part.strip_prefix("t="))
        .and_then(|t| t.parse::<i64>().ok());
    t.is_some_and(|t| {
        oms_sync::signature::oms::sign(secret, t, received.body.as_bytes()) == received.signature
    })
}

fn mutation(server: &Server, query: &str, field: &str) -> Value {
    let data = server.graphql(&server.customer_token, query);
    let payload = data[field].clone();
    assert_eq!(payload["userErrors"], json!([]), "{field}: {payload}");
    payload
}

#[test]
fn an_order_placed_on_oms_serve_reaches_the_tenants_url_signed() {
    let dir = TempDir::new();
    let (url, received) = tenant_endpoint();
    // Subscribed before the server starts: a running server sees a configuration change within
    // its one-minute tenant configuration cache, not at once.
    let out = run(oms()
        .args([
            "tenant",
            "put",
            "demo",
            "--webhook-secret",
            "demo-webhook-secret",
            "--events-url",
            &url,
            "--events-secret",
            "demo-events-secret-1",
            "--data-dir",
        ])
        .arg(&dir.0));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let server = Server::start(&dir.0);

    let checkout = mutation(
        &server,
        r#"mutation { checkoutItems(input: {vendorId: "v-demo", items: [{sku: "MUG-01", quantity: 1}],
            destination: {street: "1 Raffles Place", city: "Singapore", postal: "048616", country: "SG"}}) {
            order { id } userErrors { code message } } }"#,
        "checkoutItems",
    );
    let order = checkout["order"]["id"]
        .as_str()
        .expect("order id")
        .to_string();
    mutation(
        &server,
        &format!(
            r#"mutation {{ selectShippingOption(input: {{orderId: "{order}", method: STANDARD}}) {{
                order {{ id }} userErrors {{ code message }} }} }}"#
        ),
        "selectShippingOption",
    );
    let placed = mutation(
        &server,
        &format!(
            r#"mutation {{ placeOrder(input: {{orderId: "{order}", idempotencyKey: "durable-1"}}) {{
                order {{ status version total {{ amount }} }} userErrors {{ code message }} }} }}"#
        ),
        "placeOrder",
    );
    assert_eq!(placed["order"]["status"], "PENDING");

    let deadline = Instant::now() + Duration::from_secs(60);
    let event = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let post = received
            .recv_timeout(left)
            .expect("no order.placed POST within 60 s");
        let body: Value = serde_json::from_str(&post.body).expect("the event is JSON");
        if body["type"] == "order.placed" && body["data"]["order_id"] == order.as_str() {
            assert_eq!(post.path, "/events");
            assert!(
                signed_with("demo-events-secret-1", &post),
                "Oms-Signature {} does not verify",
                post.signature
            );
            assert!(!signed_with("another-secret", &post));
            break body;
        }
    };
    assert_eq!(event["tenant_id"], "demo");
    assert_eq!(event["data"]["status"], "PENDING");
    assert_eq!(event["version"], placed["order"]["version"]);
    assert_eq!(event["data"]["total"], placed["order"]["total"]["amount"]);
    assert!(event["id"].as_str().is_some_and(|id| !id.is_empty()));
    server.stop();
}

/// A signed product snapshot of the demo vendor.
fn product_event(i: usize) -> String {
    json!({
        "id": format!("evt-kill-{i}"), "type": "vendor_product.upserted", "tenant_id": "demo",
        "version": 1, "occurred_at": "2026-01-01T00:00:00Z",
        "data": {"product_id": format!("p-kill-{i}"), "vendor_id": "v-demo",
                 "product_sku": format!("KILL-{i}"), "product_name": format!("Kill test {i}"),
                 "product_category": "Test", "options": {}, "product_price": "3.00", "stock": 5,
                 "product_currency": "SGD", "package_weight": "0.1", "package_length": 1,
                 "package_width": 1, "package_height": 1, "is_active": true}
    })
    .to_string()
}

fn post_product(server: &Server, i: usize) {
    let (status, reply) = server.post_signed_webhook(
        "demo",
        "vendor-products",
        "demo-webhook-secret",
        &product_event(i),
    );
    assert_eq!(status, 202, "event {i}: {reply}");
}

/// Messages of the sync queue still in the journal of the (stopped) server's file.
fn journalled(dir: &std::path::Path) -> i64 {
    let conn = rusqlite::Connection::open(dir.join("oms.sqlite")).expect("open the store file");
    conn.query_row(
        "SELECT COUNT(*) FROM queue_journal WHERE queue = 'sync' AND dead_error IS NULL",
        [],
        |r| r.get(0),
    )
    .expect("count the journal")
}

#[test]
fn webhook_events_accepted_before_a_kill_9_are_applied_after_the_restart() {
    let dir = TempDir::new();
    // Each round accepts a burst and kills the server right after the last 202, before it can
    // apply them all; a round that happened to apply everything proves nothing, so up to five.
    let mut sent = 0;
    let mut interrupted = false;
    for _round in 0..5 {
        let server = Server::start(&dir.0);
        for _ in 0..60 {
            post_product(&server, sent);
            sent += 1;
        }
        server.kill_9();
        if journalled(&dir.0) > 0 {
            interrupted = true;
            break;
        }
    }
    assert!(
        interrupted,
        "every burst was applied before the kill: the test proved nothing"
    );

    let server = Server::start(&dir.0);
    let deadline = Instant::now() + Duration::from_secs(60);
    for i in 0..sent {
        // Every product accepted is there: checkout finds it.
        loop {
            let data = server.graphql(
                &server.customer_token,
                &format!(
                    r#"mutation {{ checkoutItems(input: {{vendorId: "v-demo", items: [{{sku: "KILL-{i}", quantity: 1}}]}}) {{
                        order {{ id }} userErrors {{ code message }} }} }}"#
                ),
            );
            if data["checkoutItems"]["userErrors"] == json!([]) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "product KILL-{i} (accepted with 202) was never applied: {data}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    server.stop();
    assert_eq!(
        journalled(&dir.0),
        0,
        "the journal is empty once all is applied"
    );
}

/// `query` as `token` over a fresh connection; the payload of `field`, with no user errors.
fn payload_at(addr: &str, token: &str, query: &str, field: &str) -> Value {
    let data = graphql_at(addr, token, query);
    let payload = data[field].clone();
    assert_eq!(payload["userErrors"], json!([]), "{field}: {data}");
    payload
}

/// Orders placed by concurrent clients (whose commits share fsyncs: the embedded store's group
/// commit) are all there after a SIGKILL right after the last acknowledgement.
#[test]
fn orders_placed_by_concurrent_clients_survive_a_kill_9() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let addr = server.addr.clone();
    // One customer per client (one customer's concurrent checkouts contend on its snapshot).
    let tokens: Vec<String> = (0..8)
        .map(|c| {
            let out = run(oms()
                .args(["token", "--tenant", "demo", "--roles", "customer", "--sub"])
                .arg(format!("c-kill-{c}"))
                .arg("--data-dir")
                .arg(&dir.0));
            assert!(out.status.success(), "{}", text(&out.stderr));
            text(&out.stdout).trim().to_string()
        })
        .collect();
    // (client, order id) of every order whose placeOrder was acknowledged.
    let placed: Vec<(usize, String)> = std::thread::scope(|s| {
        let clients: Vec<_> = tokens
            .iter()
            .enumerate()
            .map(|(c, token)| {
                let addr = &addr;
                s.spawn(move || {
                    let mut ids = Vec::new();
                    for n in 0..4 {
                        let checkout = payload_at(
                            addr,
                            token,
                            r#"mutation { checkoutItems(input: {vendorId: "v-demo", items: [{sku: "MUG-01", quantity: 1}],
                                destination: {street: "1 Raffles Place", city: "Singapore", postal: "048616", country: "SG"}}) {
                                order { id } userErrors { code message } } }"#,
                            "checkoutItems",
                        );
                        let id = checkout["order"]["id"].as_str().expect("id").to_string();
                        payload_at(
                            addr,
                            token,
                            &format!(
                                r#"mutation {{ selectShippingOption(input: {{orderId: "{id}", method: STANDARD}}) {{
                                    order {{ id }} userErrors {{ code message }} }} }}"#
                            ),
                            "selectShippingOption",
                        );
                        let placed = payload_at(
                            addr,
                            token,
                            &format!(
                                r#"mutation {{ placeOrder(input: {{orderId: "{id}", idempotencyKey: "kill-{c}-{n}"}}) {{
                                    order {{ status }} userErrors {{ code message }} }} }}"#
                            ),
                            "placeOrder",
                        );
                        assert_eq!(placed["order"]["status"], "PENDING");
                        ids.push((c, id));
                    }
                    ids
                })
            })
            .collect();
        clients
            .into_iter()
            .flat_map(|c| c.join().expect("a client failed"))
            .collect()
    });
    server.kill_9();

    let server = Server::start(&dir.0);
    for (c, id) in &placed {
        let data = server.graphql(
            &tokens[*c],
            &format!(r#"{{ getOrder(orderId: "{id}") {{ id status }} }}"#),
        );
        assert_eq!(data["getOrder"]["status"], "PENDING", "order {id}: {data}");
    }
    assert_eq!(placed.len(), 32);
    server.stop();
}
