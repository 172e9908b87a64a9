//! The journalled in-process queues of `oms serve` on a real SQLite file: a "crash" (the tokio
//! runtime torn down with handlers mid-flight, the store dropped) loses nothing accepted.
#![cfg(feature = "sqlite")]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::TimeZone;
use oms_application::ports::{Clock, EventQueue, ManualClock, QueueMessage};
use oms_domain::ids::TenantId;
use oms_queue::{InProcessConfig, InProcessQueue, RecordError};
use oms_runtime::local::{open_embedded, SqliteJournal, SYNC_QUEUE};

fn clock() -> Arc<dyn Clock> {
    Arc::new(ManualClock::new(
        chrono::Utc
            .with_ymd_and_hms(2026, 3, 3, 12, 0, 0)
            .single()
            .expect("a date"),
    ))
}

fn dir() -> PathBuf {
    std::env::temp_dir().join(format!("oms-local-queues-{}", ulid::Ulid::new()))
}

fn message(group: &str, n: usize) -> QueueMessage {
    QueueMessage {
        tenant: TenantId::new("t1").expect("tenant"),
        group: group.into(),
        dedup_id: format!("{group}-{n}"),
        body: format!("{group}:{n}"),
    }
}

fn fast() -> InProcessConfig {
    InProcessConfig {
        max_attempts: 2,
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        ..InProcessConfig::default()
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

type Log = Arc<Mutex<Vec<String>>>;

/// A queue on the file in `dir` whose handler records bodies, failing those `fail` names.
async fn queue(dir: &Path, log: Log, fail: fn(&str) -> bool) -> InProcessQueue {
    let file = open_embedded(dir, clock()).expect("open");
    InProcessQueue::durable(
        fast(),
        Arc::new(SqliteJournal::new(file, SYNC_QUEUE)),
        move |m| {
            let log = Arc::clone(&log);
            async move {
                if fail(&m.body) {
                    return Err(RecordError::new("refused"));
                }
                log.lock().expect("log").push(m.body);
                Ok(())
            }
        },
    )
    .await
    .expect("durable queue")
}

#[test]
fn messages_accepted_before_a_crash_are_delivered_in_order_after_the_restart() {
    let dir = dir();
    // Run 1: the handler never finishes; the process "crashes" with everything in flight.
    let first = runtime();
    first.block_on(async {
        let file = open_embedded(&dir, clock()).expect("open");
        let q = InProcessQueue::durable(
            fast(),
            Arc::new(SqliteJournal::new(file, SYNC_QUEUE)),
            |_m| async {
                std::future::pending::<()>().await;
                Ok(())
            },
        )
        .await
        .expect("durable queue");
        for n in 0..3 {
            q.publish(message("a", n)).await.expect("accepted");
            q.publish(message("b", n)).await.expect("accepted");
        }
        // A duplicate within the window is accepted and dropped, never journalled twice.
        q.publish(message("a", 0)).await.expect("accepted");
    });
    first.shutdown_background();

    // Run 2: the same file; everything comes back, each group in publish order, exactly once.
    let log: Log = Arc::default();
    let second = runtime();
    second.block_on(async {
        let q = queue(&dir, log.clone(), |_| false).await;
        q.wait_idle().await;
        // Nothing is left for a third run.
        let again = queue(&dir, log.clone(), |_| false).await;
        again.wait_idle().await;
    });
    let delivered = log.lock().expect("log").clone();
    let of = |g: &str| {
        delivered
            .iter()
            .filter(|b| b.starts_with(g))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(of("a:"), ["a:0", "a:1", "a:2"]);
    assert_eq!(of("b:"), ["b:0", "b:1", "b:2"]);
    assert_eq!(delivered.len(), 6);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn dead_letters_survive_a_restart_and_can_be_redriven() {
    let dir = dir();
    let log: Log = Arc::default();
    runtime().block_on(async {
        let q = queue(&dir, log.clone(), |b| b == "a:1").await;
        for n in 0..3 {
            q.publish(message("a", n)).await.expect("accepted");
        }
        q.wait_idle().await;
        assert_eq!(q.dead_letters().len(), 1);
    });
    assert_eq!(*log.lock().expect("log"), ["a:0", "a:2"]);

    runtime().block_on(async {
        let q = queue(&dir, log.clone(), |_| false).await;
        let dead = q.dead_letters();
        assert_eq!(dead.len(), 1, "the dead letter is listed after the restart");
        assert_eq!(dead[0].message.body, "a:1");
        assert_eq!(dead[0].error, "refused");
        assert_eq!(q.redrive_dead_letters().expect("redrive"), 1);
        q.wait_idle().await;
        // The redrive's journal update runs on its own task: give it a moment.
        for _ in 0..100 {
            let file = open_embedded(&dir, clock()).expect("open");
            if file
                .journal_load(SYNC_QUEUE)
                .await
                .expect("load")
                .is_empty()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    assert_eq!(*log.lock().expect("log"), ["a:0", "a:2", "a:1"]);
    runtime().block_on(async {
        let file = open_embedded(&dir, clock()).expect("open");
        assert!(file
            .journal_load(SYNC_QUEUE)
            .await
            .expect("load")
            .is_empty());
    });
    let _ = std::fs::remove_dir_all(dir);
}
