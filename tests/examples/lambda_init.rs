//! Lambda cold-start benchmark (docs/benchmarks.md, "Lambda functions"): for every function
//! binary built by `infra/lambda-build.sh`, its size, its init time — process start until it asks
//! a local Lambda Runtime API for its first event, the span AWS bills as init — and its peak RSS
//! at that moment. A benchmark, never a test: it prints figures and asserts nothing.
//!
//!   infra/lambda-build.sh && cargo run --release -p oms-e2e --example lambda_init [-- RUNS]
//!
//! The Runtime API here is a loopback stub that records the first `GET .../invocation/next` and
//! never answers it; the AWS clients resolve credentials lazily, so no network is touched.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::get;
use axum::Router;
use tokio::sync::Notify;

#[derive(Default)]
struct Stub {
    asked: Notify,
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let lambda_dir = root.join("target/lambda");
    let mut binaries: Vec<(String, PathBuf)> = std::fs::read_dir(&lambda_dir)
        .map_err(|e| {
            format!(
                "{}: {e} (run infra/lambda-build.sh first)",
                lambda_dir.display()
            )
        })?
        .filter_map(|e| e.ok())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                e.path().join("bootstrap"),
            )
        })
        .filter(|(_, p)| p.exists())
        .collect();
    binaries.sort();

    let stub = Arc::new(Stub::default());
    let handler_stub = stub.clone();
    let app = Router::new().route(
        "/2018-06-01/runtime/invocation/next",
        get(move || {
            let stub = handler_stub.clone();
            async move {
                stub.asked.notify_one();
                // Never answer: the process is measured and killed while it waits.
                tokio::time::sleep(Duration::from_secs(3600)).await;
                ""
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let api = listener.local_addr()?.to_string();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    println!("{runs} cold starts per function; init = process start → first GET /invocation/next");
    println!(
        "{:<18} {:>11} {:>10} {:>10} {:>10} {:>12}",
        "function", "size", "init p50", "init min", "init max", "peak RSS"
    );
    for (name, path) in &binaries {
        let size = std::fs::metadata(path)?.len();
        let mut inits = Vec::new();
        let mut rss = 0;
        for _ in 0..runs {
            let started = Instant::now();
            let mut child = tokio::process::Command::new(path)
                .env_clear()
                .env("AWS_LAMBDA_RUNTIME_API", &api)
                .env("AWS_LAMBDA_FUNCTION_NAME", name)
                .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
                .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
                .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
                .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
                .env("AWS_REGION", "us-east-1")
                .env("AWS_ACCESS_KEY_ID", "bench")
                .env("AWS_SECRET_ACCESS_KEY", "bench")
                .env("OMS_TABLE_NAME", "oms-bench")
                .env(
                    "OMS_SYNC_QUEUE_URL",
                    "https://sqs.us-east-1.amazonaws.com/1/sync.fifo",
                )
                .env(
                    "OMS_EVENTS_QUEUE_URL",
                    "https://sqs.us-east-1.amazonaws.com/1/events.fifo",
                )
                .env(
                    "OMS_JWKS_URL",
                    "https://issuer.example.com/.well-known/jwks.json",
                )
                .env("OMS_JWT_ISSUER", "https://issuer.example.com/")
                .env("OMS_JWT_AUDIENCE", "oms")
                .env("OMS_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()?;
            let asked = tokio::time::timeout(Duration::from_secs(10), stub.asked.notified()).await;
            let init = started.elapsed();
            if let Some(pid) = child.id() {
                rss = rss.max(peak_rss_kib(pid).unwrap_or(0));
            }
            child.kill().await?;
            if asked.is_err() {
                return Err(
                    format!("{name} never asked for an event (did it fail at init?)").into(),
                );
            }
            inits.push(init);
        }
        inits.sort();
        let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
        let line = format!(
            "{:<18} {:>8.2} MB {:>10} {:>10} {:>10} {:>9} MB",
            name,
            size as f64 / 1_048_576.0,
            ms(inits[inits.len() / 2]),
            ms(inits[0]),
            ms(inits[inits.len() - 1]),
            format!("{:.1}", rss as f64 / 1024.0),
        );
        println!("{line}");
    }
    Ok(())
}
