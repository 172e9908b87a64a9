//! What the `oms` binary's tests share: a temp data dir, the running `oms serve` (started with
//! `--demo` on 127.0.0.1:0, killed on drop), and a tiny std-only HTTP/1.1 client (plain HTTP to
//! 127.0.0.1 only; this crate has no HTTP client dependency).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const OMS: &str = env!("CARGO_BIN_EXE_oms");

/// Variables that would change which store or auth mode the binary uses.
pub const ENV_TO_CLEAR: &[&str] = &[
    "OMS_JWT_HS256_SECRET",
    "OMS_JWKS_URL",
    "OMS_JWT_ISSUER",
    "OMS_JWT_AUDIENCE",
    "OMS_DEFAULT_TENANT",
    "OMS_TABLE_NAME",
];

pub fn oms() -> Command {
    let mut cmd = Command::new(OMS);
    for var in ENV_TO_CLEAR {
        cmd.env_remove(var);
    }
    cmd.env("OMS_LOG", "warn");
    cmd.stdin(Stdio::null());
    cmd
}

/// A fresh directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
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
pub struct Server {
    pub child: Option<Child>,
    pub lines: Receiver<String>,
    pub addr: String,
    pub customer_token: String,
    pub vendor_token: String,
    pub graphql_url: String,
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
    pub fn start(data_dir: &Path) -> Server {
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

    /// SIGKILL (`kill -9`): no shutdown code runs.
    pub fn kill_9(mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL");
            let _ = child.wait();
        }
    }

    /// SIGINT (Ctrl-C) and wait for a clean exit.
    pub fn stop(mut self) {
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

    pub fn graphql(&self, token: &str, query: &str) -> Value {
        graphql_at(&self.addr, token, query)
    }

    /// POSTs the JSON `body` to `/webhooks/<tenant>/<kind>`, signed now with `secret` (the
    /// `oms` scheme's `Oms-Signature` header); returns (status, body).
    pub fn post_signed_webhook(
        &self,
        tenant: &str,
        kind: &str,
        secret: &str,
        body: &str,
    ) -> (u16, String) {
        let signature =
            oms_sync::signature::oms::sign(secret, chrono::Utc::now().timestamp(), body.as_bytes());
        http(
            &self.addr,
            "POST",
            &format!("/webhooks/{tenant}/{kind}"),
            &[
                ("Oms-Signature", signature),
                ("Content-Type", "application/json".to_string()),
            ],
            body.as_bytes(),
        )
    }
}

/// One HTTP/1.1 request with `Connection: close`; returns (status, body).
/// `query` as `token` against the server at `addr` (a fresh connection, so threads can share
/// the address): its `data`, after asserting a 200 without top-level errors.
pub fn graphql_at(addr: &str, token: &str, query: &str) -> Value {
    let body = json!({"query": query}).to_string();
    let (status, text) = http(
        addr,
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

pub fn http(
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

pub fn dechunk(mut data: &[u8]) -> Vec<u8> {
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

pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {OMS}: {e}"))
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}
