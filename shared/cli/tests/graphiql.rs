//! GraphiQL works anywhere: headless Chromium (Debian's package, installed by
//! `infra/chromium.sh`) opens the GraphiQL page of the real `oms serve --demo` with no network
//! but loopback, runs the README's first query (checkoutItems) with the token the server printed,
//! and the result pane shows the order. The page's assets are compiled into the binary: if one
//! were missing, or fetched from another origin, GraphiQL would not render here.
//!
//! Chromium is driven with `--dump-dom` and a virtual time budget: the page's URL fragment
//! (`#token=…&query=…&run=1`) puts the token in the headers pane, the query in the editor, and
//! presses the run button; the DOM is printed once the page is idle. A missing Chromium FAILS
//! the test (never a skip): run `infra/chromium.sh` (`infra/test.sh` does).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod support;
use support::*;

/// The browser: `$OMS_CHROMIUM`, else `chromium` on `PATH`.
fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("OMS_CHROMIUM").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("chromium"))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| {
            panic!(
                "Chromium is not installed: run infra/chromium.sh (it installs Debian's chromium \
                 package; infra/test.sh runs it before the tests), or set OMS_CHROMIUM"
            )
        })
}

/// The README's first query: the first `gql $CUSTOMER_TOKEN '…'` (the checkout).
fn readme_first_query() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let start = text
        .find("gql $CUSTOMER_TOKEN '")
        .expect("README has no `gql $CUSTOMER_TOKEN '…'` call")
        + "gql $CUSTOMER_TOKEN '".len();
    let len = text[start..].find('\'').expect("unterminated query");
    let query = text[start..start + len].to_string();
    assert!(
        query.contains("checkoutItems"),
        "the README's first query is no longer the checkout: {query}"
    );
    query
}

/// Percent-encodes everything but RFC 3986's unreserved characters (for a URL fragment read
/// with `URLSearchParams`, where `+` would be a space).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET path` over HTTP/1.1; returns (status, lower-cased head, body bytes).
fn get(addr: &str, path: &str) -> (u16, String, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP head for {path}"));
    let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status for {path}: {head}"));
    let mut body = raw[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    (status, head, body)
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&rest[..line_end])
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .unwrap();
        rest = &rest[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

/// The `src`/`href` values of the page's `<script>` and `<link>` elements.
fn asset_urls(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for attr in [" src=\"", " href=\""] {
        let mut rest = html;
        while let Some(pos) = rest.find(attr) {
            rest = &rest[pos + attr.len()..];
            let end = rest.find('"').unwrap();
            urls.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    urls
}

/// Text of an HTML document: tags dropped, the usual entities decoded.
fn text_of(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&nbsp;", " ")
        .replace('\u{a0}', " ")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Headless Chromium with no network but loopback: every host name resolves to nothing but
/// 127.0.0.1, and everything else would go through a proxy that is not there. Returns the DOM
/// after the page went idle (virtual time), or panics after `timeout`.
fn dump_dom(url: &str, profile: &Path, timeout: Duration) -> String {
    let browser = chromium();
    let mut child = Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-sync",
            "--disable-background-networking",
            "--disable-component-update",
            "--proxy-server=127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            "--window-size=1400,2400",
            "--virtual-time-budget=30000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(url)
        // The browser keeps the machine's real clock when the suite runs under libfaketime
        // (infra/test-future.sh): headless Chromium's virtual time breaks with the library
        // preloaded (the page loads, its query never answers). The server, our code, still runs
        // on the shifted clock, which is what that check is about; a browser whose clock differs
        // from the server's is the ordinary case anyway (the page never judges a token's time).
        .env_remove("LD_PRELOAD")
        .env_remove("FAKETIME")
        .env_remove("FAKETIME_DONT_FAKE_MONOTONIC")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {} ({e}): run infra/chromium.sh",
                browser.display()
            )
        });
    let deadline = Instant::now() + timeout;
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("Chromium did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = child.wait_with_output().unwrap();
    let dom = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success() && !dom.is_empty(),
        "Chromium failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    dom
}

#[test]
fn graphiql_runs_the_readme_query_offline_in_headless_chromium() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);

    // The page is ours: no handlebars template, no other origin, a CSP that allows this one only.
    let (status, head, body) = get(&server.addr, "/graphql");
    assert_eq!(status, 200, "GET /graphql");
    let html = String::from_utf8(body).unwrap();
    assert!(head.contains("content-type: text/html"), "{head}");
    assert!(
        head.contains("content-security-policy: default-src 'none'; script-src 'self';"),
        "{head}"
    );
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("//"),
        "the GraphiQL page names another origin (a CDN?): {html}"
    );
    let urls = asset_urls(&html);
    assert!(urls.len() >= 4, "the page loads too few assets: {urls:?}");
    for url in urls.iter().filter(|u| !u.starts_with("data:")) {
        assert!(url.starts_with("/graphiql/assets/"), "asset {url}");
        let (status, head, body) = get(&server.addr, url);
        assert_eq!(status, 200, "GET {url}");
        assert!(body.len() > 100, "{url} is nearly empty");
        let want = if url.ends_with(".css") {
            "content-type: text/css"
        } else {
            "content-type: text/javascript"
        };
        assert!(head.contains(want), "{url}: {head}");
        assert!(head.contains("cache-control: "), "{url}: {head}");
    }
    let (status, _, _) = get(&server.addr, "/graphiql/assets/nope.js");
    assert_eq!(status, 404);

    // The browser: the README's first query, with the token `oms serve --demo` printed.
    let query = readme_first_query();
    let url = format!(
        "http://{}/graphql#token={}&query={}&run=1",
        server.addr,
        encode(&server.customer_token),
        encode(&query)
    );
    let profile = dir.0.join("chromium-profile");
    let dom = dump_dom(&url, &profile, Duration::from_secs(120));
    let text = text_of(&dom);

    assert!(
        dom.contains("graphiql-container") && !text.contains("Loading..."),
        "GraphiQL did not render (assets missing or blocked?): {dom}"
    );
    assert!(
        dom.contains("graphiql-execute-button"),
        "no run button in GraphiQL: {dom}"
    );
    // The result pane: the checkout's order, a DRAFT in SGD.
    let result = text
        .find("\"checkoutItems\"")
        .map(|at| &text[at..])
        .unwrap_or_else(|| panic!("the result pane shows no checkoutItems result: {text}"));
    for want in [
        "\"status\": \"DRAFT\"",
        "\"currency\": \"SGD\"",
        "\"userErrors\": []",
    ] {
        assert!(result.contains(want), "no {want} in the result: {result}");
    }
    let id_at = result
        .find("\"id\": \"")
        .unwrap_or_else(|| panic!("no order id in the result: {result}"))
        + "\"id\": \"".len();
    let id = &result[id_at..id_at + result[id_at..].find('"').unwrap()];

    // The order the page shows is the one the server stored, for the printed token's customer.
    let data = server.graphql(
        &server.customer_token,
        "{ listOrders(as: CUSTOMER) { edges { node { id status } } } }",
    );
    let edges = data["listOrders"]["edges"].as_array().unwrap();
    assert!(
        edges
            .iter()
            .any(|e| e["node"]["id"] == id && e["node"]["status"] == "DRAFT"),
        "order {id} shown by GraphiQL is not the customer's: {data}"
    );
    server.stop();
}
