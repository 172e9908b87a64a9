//! The real `oms` binary, end to end: `oms serve --demo` on 127.0.0.1:0 with a fresh data dir,
//! then the README's quick-start walk-through (its queries, read from README.md, in its order)
//! over HTTP with the printed tokens; `oms token` output accepted by the running server;
//! `oms tenant put` making a tenant whose signed webhooks are accepted; `oms import` (template,
//! dry run, a good CSV, a bad CSV with a line/column report). The server is stopped with SIGINT
//! at the end (and killed by a guard on panic).
//!
//! HTTP is spoken with a tiny std-only HTTP/1.1 client (this crate has no HTTP client
//! dependency): plain HTTP to 127.0.0.1 only.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const OMS: &str = env!("CARGO_BIN_EXE_oms");

/// Variables that would change which store or auth mode the binary uses.
const ENV_TO_CLEAR: &[&str] = &[
    "OMS_JWT_HS256_SECRET",
    "OMS_JWKS_URL",
    "OMS_JWT_ISSUER",
    "OMS_JWT_AUDIENCE",
    "OMS_DEFAULT_TENANT",
    "OMS_TABLE_NAME",
];

fn oms() -> Command {
    let mut cmd = Command::new(OMS);
    for var in ENV_TO_CLEAR {
        cmd.env_remove(var);
    }
    cmd.env("OMS_LOG", "warn");
    cmd.stdin(Stdio::null());
    cmd
}

/// A fresh directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("oms-cli-test-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The running `oms serve`; killed on drop (e.g. when a step panics).
struct Server {
    child: Option<Child>,
    lines: Receiver<String>,
    addr: String,
    customer_token: String,
    vendor_token: String,
    graphql_url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Server {
    /// `oms serve --demo --addr 127.0.0.1:0 --data-dir DIR`, reading stdout until the banner's
    /// export lines (stdout keeps being drained by a thread so the server never blocks on it).
    fn start(data_dir: &Path) -> Server {
        let stderr = std::fs::File::create(data_dir.join("serve.stderr")).unwrap();
        let mut child = oms()
            .args(["serve", "--demo", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {OMS}: {e}"));
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child: Some(child),
            lines,
            addr: String::new(),
            customer_token: String::new(),
            vendor_token: String::new(),
            graphql_url: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut banner = Vec::new();
        while server.customer_token.is_empty()
            || server.vendor_token.is_empty()
            || server.graphql_url.is_empty()
        {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = server.lines.recv_timeout(left).unwrap_or_else(|e| {
                let stderr = std::fs::read_to_string(data_dir.join("serve.stderr")).unwrap_or_default();
                panic!("no complete banner from `oms serve` ({e}); stdout so far: {banner:#?}; stderr: {stderr}")
            });
            banner.push(line.clone());
            if let Some(rest) = line.strip_prefix("oms serving on http://") {
                server.addr = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
            } else if let Some(t) = line.strip_prefix("export CUSTOMER_TOKEN=") {
                server.customer_token = t.trim().to_string();
            } else if let Some(t) = line.strip_prefix("export VENDOR_TOKEN=") {
                server.vendor_token = t.trim().to_string();
            } else if let Some(u) = line.strip_prefix("export OMS=") {
                server.graphql_url = u.trim().to_string();
            }
        }
        assert!(
            !server.addr.is_empty(),
            "no `oms serving on http://ADDR` line before the exports: {banner:#?}"
        );
        assert!(
            server.addr.starts_with("127.0.0.1:") && !server.addr.ends_with(":0"),
            "banner address {}",
            server.addr
        );
        assert_eq!(
            server.graphql_url,
            format!("http://{}/graphql", server.addr),
            "the OMS export names another address"
        );
        server
    }

    /// SIGINT (Ctrl-C) and wait for a clean exit.
    fn stop(mut self) {
        let mut child = self.child.take().unwrap();
        let status = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .expect("kill -INT");
        assert!(status.success(), "could not send SIGINT to the server");
        let deadline = Instant::now() + Duration::from_secs(30);
        let exit = loop {
            if let Some(exit) = child.try_wait().expect("try_wait") {
                break exit;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("`oms serve` did not stop within 30 s of SIGINT");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(
            exit.success(),
            "`oms serve` exited with {exit} after SIGINT"
        );
        // The process is gone: read what it printed until the drain thread sees EOF.
        let mut rest = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(10)) {
            rest.push(line);
        }
        assert!(
            rest.iter().any(|l| l.contains("oms stopped")),
            "no `oms stopped` line after SIGINT: {rest:#?}"
        );
    }

    fn graphql(&self, token: &str, query: &str) -> Value {
        let body = json!({"query": query}).to_string();
        let (status, text) = http(
            &self.addr,
            "POST",
            "/graphql",
            &[
                ("Authorization", format!("Bearer {token}")),
                ("Content-Type", "application/json".into()),
            ],
            body.as_bytes(),
        );
        assert_eq!(status, 200, "POST /graphql answered {status}: {text}");
        let value: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        assert!(
            value.get("errors").is_none(),
            "top-level errors for {query}: {value}"
        );
        value["data"].clone()
    }
}

/// One HTTP/1.1 request with `Connection: close`; returns (status, body).
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .unwrap_or_else(|e| panic!("reading the response: {e}"));
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end: {}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut payload = raw[split + 4..].to_vec();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line: {head}"));
    if head.lines().any(|l| {
        l.to_ascii_lowercase().starts_with("transfer-encoding:")
            && l.to_ascii_lowercase().contains("chunked")
    }) {
        payload = dechunk(&payload);
    }
    (status, String::from_utf8_lossy(&payload).to_string())
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..end]).to_string();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
    out
}

/// The `gql $TOKEN '<query>'` / `gql $TOKEN "<query>"` calls of the README, in order, as
/// (token variable, query as the shell would pass it with `$ORDER` still in it).
fn readme_steps() -> Vec<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut steps = Vec::new();
    let mut rest = text.as_str();
    while let Some(pos) = rest.find("gql $") {
        rest = &rest[pos + "gql $".len()..];
        let var_end = rest.find(' ').expect("a token variable");
        let var = rest[..var_end].to_string();
        rest = rest[var_end..].trim_start_matches(' ');
        let mut chars = rest.char_indices();
        let (_, quote) = chars.next().expect("a quoted query");
        let mut query = String::new();
        let mut end = None;
        let mut escaped = false;
        for (i, c) in chars {
            if quote == '"' && escaped {
                // In double quotes the shell drops the backslash before " \ $ `.
                if !matches!(c, '"' | '\\' | '$' | '`') {
                    query.push('\\');
                }
                query.push(c);
                escaped = false;
            } else if quote == '"' && c == '\\' {
                escaped = true;
            } else if c == quote {
                end = Some(i);
                break;
            } else {
                query.push(c);
            }
        }
        let end = end.unwrap_or_else(|| panic!("unterminated query after gql ${var}"));
        assert!(
            quote == '\'' || quote == '"',
            "gql ${var} is not followed by a quoted query"
        );
        rest = &rest[end + 1..];
        steps.push((var, query));
    }
    steps
}

fn amount(v: &Value) -> &str {
    v["amount"]
        .as_str()
        .unwrap_or_else(|| panic!("no amount in {v}"))
}

fn no_user_errors(payload: &Value, step: &str) {
    assert_eq!(payload["userErrors"], json!([]), "{step}: {payload}");
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {OMS}: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

const PRODUCT_HEADER: &str = "product_id,vendor_id,product_sku,product_name,product_price,product_currency,stock,package_weight,package_length,package_width,package_height";

#[test]
fn the_readme_quick_start_works_against_the_real_binary() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);

    // Health and GraphiQL.
    let (status, body) = http(&server.addr, "GET", "/healthz", &[], b"");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"status": "ok"})
    );
    let (status, body) = http(&server.addr, "GET", "/graphql", &[], b"");
    assert_eq!(status, 200);
    assert!(
        body.to_lowercase().contains("graphiql"),
        "GET /graphql should serve GraphiQL"
    );
    assert!(
        body.contains(&format!("Bearer {}", server.customer_token)),
        "with --demo, GraphiQL opens with the demo customer's token in its headers"
    );

    // The walk-through, exactly as the README has it.
    let steps = readme_steps();
    let expected: [(&str, &str); 12] = [
        ("CUSTOMER_TOKEN", "checkoutItems"),
        ("CUSTOMER_TOKEN", "addLineItems"),
        ("CUSTOMER_TOKEN", "addCoupon"),
        ("CUSTOMER_TOKEN", "listShippingOptions"),
        ("CUSTOMER_TOKEN", "selectShippingOption"),
        ("CUSTOMER_TOKEN", "placeOrder"),
        ("CUSTOMER_TOKEN", "confirmOrder"),
        ("VENDOR_TOKEN", "listOrders(as: VENDOR, status: CONFIRMED)"),
        ("VENDOR_TOKEN", "markAsShipped"),
        ("VENDOR_TOKEN", "addShippingTrackingReference"),
        ("VENDOR_TOKEN", "markAsCompleted"),
        ("CUSTOMER_TOKEN", "listOrders(as: CUSTOMER)"),
    ];
    assert_eq!(
        steps.len(),
        expected.len(),
        "the README's walk-through changed: {steps:#?}"
    );
    for ((var, query), (want_var, op)) in steps.iter().zip(expected) {
        assert_eq!(var, want_var, "README step {op} uses ${var}");
        assert!(
            query.contains(op),
            "README step order changed: expected {op} in {query}"
        );
    }

    let mut order_id = String::new();
    for (i, (var, query)) in steps.iter().enumerate() {
        let token = if var == "VENDOR_TOKEN" {
            &server.vendor_token
        } else {
            &server.customer_token
        };
        let query = query.replace("$ORDER", &order_id);
        let data = server.graphql(token, &query);
        let step = format!("README step {} ({})", i + 1, expected[i].1);
        match i {
            0 => {
                let p = &data["checkoutItems"];
                no_user_errors(p, &step);
                let o = &p["order"];
                order_id = o["id"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{step}: no id: {data}"))
                    .to_string();
                assert!(order_id.starts_with("ORD-"), "{step}: {order_id}");
                assert_eq!(o["version"], 1);
                assert_eq!(o["status"], "DRAFT");
                assert_eq!(o["subtotal"], json!({"amount": "20.00", "currency": "SGD"}));
                assert_eq!(amount(&o["total"]), "21.80");
            }
            1 => {
                let p = &data["addLineItems"];
                no_user_errors(p, &step);
                assert_eq!(p["order"]["version"], 2);
                assert_eq!(amount(&p["order"]["subtotal"]), "32.50");
            }
            2 => {
                let p = &data["addCoupon"];
                no_user_errors(p, &step);
                assert_eq!(amount(&p["order"]["discountTotal"]), "3.25");
                assert_eq!(
                    p["order"]["appliedOffers"],
                    json!([{"name": "Welcome 10% off", "discount": {"amount": "3.25"}}])
                );
            }
            3 => {
                let p = &data["listShippingOptions"];
                no_user_errors(p, &step);
                assert_eq!(
                    p["options"],
                    json!([
                        {"method": "STANDARD", "name": "Standard", "deliveryTime": "2-3 Days", "cost": {"amount": "8.75"}},
                        {"method": "EXPRESS", "name": "Express", "deliveryTime": "Next day", "cost": {"amount": "17.00"}},
                    ])
                );
            }
            4 => {
                let p = &data["selectShippingOption"];
                no_user_errors(p, &step);
                assert_eq!(amount(&p["order"]["shippingCost"]), "8.75");
                assert_eq!(
                    p["order"]["taxLines"],
                    json!([{"name": "GST", "rate": "9", "amount": {"amount": "3.42"}}])
                );
                assert_eq!(amount(&p["order"]["total"]), "41.42");
            }
            5 => {
                let p = &data["placeOrder"];
                no_user_errors(p, &step);
                assert_eq!(p["order"], json!({"status": "PENDING", "version": 5}));
            }
            6 => {
                let p = &data["confirmOrder"];
                no_user_errors(p, &step);
                assert_eq!(
                    p["order"],
                    json!({"status": "CONFIRMED", "payment": {"method": "CASH_ON_DELIVERY", "status": "UNPAID"}})
                );
            }
            7 => {
                let edges = data["listOrders"]["edges"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{step}: {data}"));
                assert_eq!(edges.len(), 1, "{step}: {data}");
                assert_eq!(
                    edges[0]["node"],
                    json!({"id": order_id, "total": {"amount": "41.42"}})
                );
            }
            8 => {
                let p = &data["markAsShipped"];
                no_user_errors(p, &step);
                assert_eq!(p["order"]["status"], "SHIPPED");
            }
            9 => {
                let p = &data["addShippingTrackingReference"];
                no_user_errors(p, &step);
                assert_eq!(
                    p["order"]["trackingReference"],
                    "https://track.example.com/X1"
                );
            }
            10 => {
                let p = &data["markAsCompleted"];
                no_user_errors(p, &step);
                assert_eq!(
                    p["order"],
                    json!({"status": "COMPLETED", "payment": {"status": "PAID", "paidAmount": {"amount": "41.42"}}})
                );
            }
            11 => {
                let edges = data["listOrders"]["edges"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{step}: {data}"));
                assert_eq!(edges.len(), 1, "{step}: {data}");
                assert_eq!(
                    edges[0]["node"],
                    json!({"id": order_id, "status": "COMPLETED", "total": {"amount": "41.42"}})
                );
            }
            _ => unreachable!(),
        }
    }

    // `oms token` (README: "More tokens") is accepted by the running server.
    let out = run(oms()
        .args([
            "token",
            "--tenant",
            "demo",
            "--sub",
            "c-2",
            "--roles",
            "customer",
            "--data-dir",
        ])
        .arg(&dir.0));
    assert!(
        out.status.success(),
        "oms token failed: {}",
        text(&out.stderr)
    );
    let c2 = text(&out.stdout).trim().to_string();
    assert_eq!(c2.split('.').count(), 3, "not a JWT: {c2}");
    let me = server.graphql(&c2, "{ me { sub tenantId roles } }");
    assert_eq!(
        me["me"],
        json!({"sub": "c-2", "tenantId": "demo", "roles": ["CUSTOMER"]})
    );
    let mine = server.graphql(
        &c2,
        "{ listOrders(as: CUSTOMER) { edges { node { id } } } }",
    );
    assert_eq!(
        mine["listOrders"]["edges"],
        json!([]),
        "c-2 must not see c-demo's order"
    );
    let out = run(oms()
        .args([
            "token",
            "--tenant",
            "demo",
            "--sub",
            "u-2",
            "--roles",
            "vendor",
            "--vendor-id",
            "v-demo",
            "--ttl",
            "30m",
            "--data-dir",
        ])
        .arg(&dir.0));
    assert!(
        out.status.success(),
        "oms token (vendor) failed: {}",
        text(&out.stderr)
    );
    let vendor2 = text(&out.stdout).trim().to_string();
    let theirs = server.graphql(
        &vendor2,
        "{ listOrders(as: VENDOR) { edges { node { id status } } } }",
    );
    assert_eq!(
        theirs["listOrders"]["edges"],
        json!([{"node": {"id": order_id, "status": "COMPLETED"}}])
    );

    // `oms tenant put` creates a tenant whose signed webhooks the running server accepts.
    let out = run(oms()
        .args([
            "tenant",
            "put",
            "acme",
            "--webhook-secret",
            "acme-secret-0001",
            "--data-dir",
        ])
        .arg(&dir.0));
    assert!(
        out.status.success(),
        "oms tenant put failed: {}",
        text(&out.stderr)
    );
    let body = json!({
        "id": "evt-acme-1", "type": "vendor_details.upserted", "tenant_id": "acme", "version": 1,
        "occurred_at": "2026-01-01T00:00:00Z", "data": {"vendor_id": "v-acme", "name": "Acme", "country": "SG"}
    })
    .to_string();
    let signature = oms_sync::signature::oms::sign(
        "acme-secret-0001",
        chrono::Utc::now().timestamp(),
        body.as_bytes(),
    );
    let headers = [
        ("Oms-Signature", signature),
        ("Content-Type", "application/json".to_string()),
    ];
    let (status, reply) = http(
        &server.addr,
        "POST",
        "/webhooks/acme/vendor-details",
        &headers,
        body.as_bytes(),
    );
    assert_eq!(status, 202, "{reply}");
    let wrong = oms_sync::signature::oms::sign(
        "demo-webhook-secret",
        chrono::Utc::now().timestamp(),
        body.as_bytes(),
    );
    let (status, reply) = http(
        &server.addr,
        "POST",
        "/webhooks/acme/vendor-details",
        &[("Oms-Signature", wrong)],
        body.as_bytes(),
    );
    assert_eq!(status, 401, "{reply}");

    // `oms import`: template, dry run, good file, bad file.
    let out = run(oms().args(["import", "--template", "vendor-products"]));
    assert!(
        out.status.success(),
        "oms import --template failed: {}",
        text(&out.stderr)
    );
    let template = text(&out.stdout);
    let lines: Vec<&str> = template.lines().collect();
    assert_eq!(lines.len(), 2, "header and one example row: {template}");
    for column in PRODUCT_HEADER.split(',') {
        assert!(
            lines[0].split(',').any(|c| c == column),
            "the template header lacks {column}: {}",
            lines[0]
        );
    }

    let good = dir.0.join("good.csv");
    std::fs::write(
        &good,
        format!("{PRODUCT_HEADER}\np-csv-tee,v-demo,CSV-TEE,CSV Tee,9.90,SGD,7,0.5,10,10,1\n"),
    )
    .unwrap();
    let checkout_tee = "mutation { checkoutItems(input: {vendorId: \"v-demo\", items: [{sku: \"CSV-TEE\", quantity: 1}]}) { order { lineItems { unitPrice { amount } } } userErrors { code } } }";

    let out = run(oms()
        .args([
            "import",
            "--tenant",
            "demo",
            "--kind",
            "vendor-products",
            "--dry-run",
            "--data-dir",
        ])
        .arg(&dir.0)
        .arg(&good));
    assert!(
        out.status.success(),
        "dry run failed: {} {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let data = server.graphql(&c2, checkout_tee);
    assert_eq!(
        data["checkoutItems"]["userErrors"],
        json!([{"code": "PRODUCT_UNAVAILABLE"}]),
        "a dry run imported the product"
    );

    let out = run(oms()
        .args([
            "import",
            "--tenant",
            "demo",
            "--kind",
            "vendor-products",
            "--data-dir",
        ])
        .arg(&dir.0)
        .arg(&good));
    assert!(
        out.status.success(),
        "import of a good file failed: {} {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let data = server.graphql(&c2, checkout_tee);
    assert_eq!(data["checkoutItems"]["userErrors"], json!([]), "{data}");
    assert_eq!(
        data["checkoutItems"]["order"]["lineItems"][0]["unitPrice"]["amount"],
        "9.90"
    );

    let bad = dir.0.join("bad.csv");
    std::fs::write(
        &bad,
        format!("{PRODUCT_HEADER}\np-bad-1,v-demo,BAD-1,Bad One,5.00,SGD,-5,0.5,10,10,1\np-bad-2,v-demo,BAD-2,Bad Two,abc,SGD,5,0.5,10,10,1\n"),
    )
    .unwrap();
    let out = run(oms()
        .args([
            "import",
            "--tenant",
            "demo",
            "--kind",
            "vendor-products",
            "--data-dir",
        ])
        .arg(&dir.0)
        .arg(&bad));
    assert!(
        !out.status.success(),
        "importing a bad file must exit non-zero"
    );
    let report = format!("{}{}", text(&out.stdout), text(&out.stderr));
    // One report line per bad row naming its physical line and column (the header is line 1).
    let reported = |line: &str, column: &str| {
        report
            .lines()
            .any(|l| l.contains(&format!("line {line}")) && l.contains(column))
    };
    assert!(
        reported("2", "stock"),
        "no line 2 / column stock in the report: {report}"
    );
    assert!(
        reported("3", "product_price"),
        "no line 3 / column product_price in the report: {report}"
    );
    let data = server.graphql(&c2, "mutation { checkoutItems(input: {vendorId: \"v-demo\", items: [{sku: \"BAD-1\", quantity: 1}]}) { order { id } userErrors { code } } }");
    assert_eq!(
        data["checkoutItems"]["userErrors"],
        json!([{"code": "PRODUCT_UNAVAILABLE"}]),
        "a bad row was imported"
    );

    server.stop();
}
