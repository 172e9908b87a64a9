//! `oms serve`'s stand-ins for what AWS makes durable (feature `sqlite`), all kept in the
//! embedded store's one SQLite file:
//!
//! | on AWS | in `oms serve` |
//! |---|---|
//! | SQS sync queue → updater function | [`InProcessQueue`] journalled as [`SYNC_QUEUE`] |
//! | DynamoDB stream → outbox relay function | the store's change stream → [`relay_stream`] |
//! | SQS events queue → sender function | [`InProcessQueue`] journalled as [`EVENTS_QUEUE`] |
//!
//! The relay and sender are the functions' own code (`oms_outbound::relay`,
//! `oms_outbound::sender::send_one`); only the transport differs. An event accepted anywhere on the way
//! (an outbox item committed with its order, a journalled queue message) survives a crash or
//! kill of the process and is carried on after the restart.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use oms_application::outbound::OUTBOX_ENTITY;
use oms_application::ports::{Clock, QueueError, QueueMessage, Store};
use oms_domain::ids::TenantId;
use oms_outbound::stream::{StreamData, StreamEvent, StreamRecord};
use oms_outbound::{EventDelivery, RelayDeps, SenderDeps};
use oms_queue::{InProcessConfig, InProcessQueue, Journal, JournalEntry};
use oms_store::{dynamodb_json, JournalMessage, SqliteStore, StoreError, StreamFilter};

/// The journal name of the snapshot-sync queue.
pub const SYNC_QUEUE: &str = "sync";
/// The journal name of the outbound events queue.
pub const EVENTS_QUEUE: &str = "events";

/// Stream records relayed per batch (a stream batch of the relay function holds at most 100).
const RELAY_BATCH: usize = 100;
/// How often the relay looks at the stream when no write woke it.
const RELAY_POLL: Duration = Duration::from_secs(1);
/// After a batch that did not fill, the relay waits this long before it reads the stream again
/// (the batching window of the relay function's stream trigger, in small).
///
/// Why: every mutation commits one outbox event. Relaying each as it comes costs a stream read
/// (a hop to the blocking pool), the relay's reads and a trim of the stream (a write, so a
/// commit) per event; under load that was more work than many of the mutations themselves. With
/// the window, one read, one relay call and one trim serve the events of every commit in it.
/// An idle relay still wakes at the first write, so an event waits at most this long more.
const RELAY_WINDOW: Duration = Duration::from_millis(10);

/// Opens the embedded store in `dir` (file `oms.sqlite`), recording outbox inserts in its
/// change stream.
///
/// # Errors
/// The directory or file cannot be created or opened.
pub fn open_embedded(dir: &Path, clock: Arc<dyn Clock>) -> Result<Arc<SqliteStore>, StoreError> {
    std::fs::create_dir_all(dir).map_err(|e| StoreError::Internal(Box::new(e)))?;
    Ok(Arc::new(
        SqliteStore::open(dir.join("oms.sqlite"), clock)?
            .with_stream(StreamFilter::attribute_equals("entity", OUTBOX_ENTITY)),
    ))
}

/// The journal of one in-process queue in the embedded store.
pub struct SqliteJournal {
    store: Arc<SqliteStore>,
    queue: &'static str,
}

impl SqliteJournal {
    pub fn new(store: Arc<SqliteStore>, queue: &'static str) -> Self {
        SqliteJournal { store, queue }
    }
}

fn queue_error(context: &str, e: StoreError) -> QueueError {
    QueueError {
        message: format!("queue journal: {context}"),
        source: Some(Box::new(e)),
    }
}

#[async_trait]
impl Journal for SqliteJournal {
    async fn append(&self, message: &QueueMessage) -> Result<u64, QueueError> {
        let entry = JournalMessage {
            tenant: message.tenant.as_str().to_owned(),
            group: message.group.clone(),
            dedup_id: message.dedup_id.clone(),
            body: message.body.clone(),
        };
        self.store
            .journal_append(self.queue, entry)
            .await
            .map_err(|e| queue_error("append", e))
    }

    async fn remove(&self, id: u64) -> Result<(), QueueError> {
        self.store
            .journal_remove(id)
            .await
            .map_err(|e| queue_error("remove", e))
    }

    async fn mark_dead(&self, id: u64, error: Option<&str>) -> Result<(), QueueError> {
        self.store
            .journal_mark(id, error.map(str::to_owned))
            .await
            .map_err(|e| queue_error("mark", e))
    }

    async fn load(&self) -> Result<Vec<JournalEntry>, QueueError> {
        let entries = self
            .store
            .journal_load(self.queue)
            .await
            .map_err(|e| queue_error("load", e))?;
        Ok(entries
            .into_iter()
            .filter_map(|e| {
                // Only valid tenants were ever journalled; an unreadable row is left alone.
                let tenant = TenantId::new(&e.message.tenant)
                    .map_err(|_| {
                        tracing::error!(seq = e.seq, "journalled message has no valid tenant")
                    })
                    .ok()?;
                Some(JournalEntry {
                    id: e.seq,
                    message: QueueMessage {
                        tenant,
                        group: e.message.group,
                        dedup_id: e.message.dedup_id,
                        body: e.message.body,
                    },
                    dead_error: e.dead_error,
                })
            })
            .collect())
    }
}

/// The outbound events queue of `oms serve`: durable, each message delivered by the sender's
/// own [`oms_outbound::sender::send_one`].
///
/// # Errors
/// The journal cannot be read.
pub async fn events_queue(
    file: Arc<SqliteStore>,
    deps: SenderDeps,
    config: InProcessConfig,
) -> Result<InProcessQueue, QueueError> {
    let deps = Arc::new(deps);
    InProcessQueue::durable(
        config,
        Arc::new(SqliteJournal::new(file, EVENTS_QUEUE)),
        move |message| {
            let deps = Arc::clone(&deps);
            async move {
                oms_outbound::sender::send_one(&deps, &message.tenant, &message.body)
                    .await
                    .map(|_| ())
            }
        },
    )
    .await
}

/// The sender's components for `oms serve`: HTTP(S) delivery with the providers' client.
///
/// # Errors
/// The HTTP client cannot be built.
pub fn sender_deps(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> Result<SenderDeps, Box<dyn std::error::Error + Send + Sync>> {
    let http = oms_payments::ProviderHttp::new(oms_payments::ProviderSettings::default())?;
    let delivery: Arc<dyn EventDelivery> = Arc::new(crate::outbound::HttpsDelivery(http));
    Ok(SenderDeps {
        store,
        delivery,
        secrets: crate::secrets::standard_resolver(clock.clone()),
        clock,
        // `oms serve` prints no EMF lines; the counters are kept for nobody.
        metrics: Arc::default(),
    })
}

/// Relays the store's change stream for ever, as the relay function relays the table's stream:
/// each batch through [`oms_outbound::relay`], trimmed up to the first failure (retried with
/// backoff) or entirely.
pub async fn relay_stream(file: Arc<SqliteStore>, deps: RelayDeps) {
    let mut failures: u32 = 0;
    loop {
        let entries = match file.stream_read(0, RELAY_BATCH).await {
            Ok(entries) => entries,
            Err(e) => {
                failures += 1;
                tracing::warn!(error = %e, "local relay: cannot read the change stream");
                tokio::time::sleep(backoff(failures)).await;
                continue;
            }
        };
        let Some(last) = entries.last().map(|e| e.seq) else {
            tokio::select! {
                () = file.stream_changed() => {}
                () = tokio::time::sleep(RELAY_POLL) => {}
            }
            continue;
        };
        let event = StreamEvent {
            records: entries
                .iter()
                .map(|e| StreamRecord {
                    event_name: "INSERT".into(),
                    dynamodb: StreamData {
                        sequence_number: e.seq.to_string(),
                        new_image: Some(dynamodb_json(&e.item)),
                    },
                })
                .collect(),
        };
        let (response, report) = oms_outbound::relay(&deps, event).await;
        let failed_at = response
            .batch_item_failures
            .first()
            .and_then(|f| f.item_identifier.parse::<u64>().ok());
        let through = failed_at.map_or(last, |seq| seq.saturating_sub(1));
        if let Err(e) = file.stream_trim(through).await {
            tracing::warn!(error = %e, "local relay: cannot trim the change stream");
        }
        if failed_at.is_some() {
            failures += 1;
            tracing::warn!(failed = report.failed, "local relay: retrying with backoff");
            tokio::time::sleep(backoff(failures)).await;
        } else {
            failures = 0;
            if entries.len() < RELAY_BATCH {
                tokio::time::sleep(RELAY_WINDOW).await;
            }
        }
    }
}

/// 100 ms doubling to at most 10 s.
fn backoff(failures: u32) -> Duration {
    Duration::from_millis(100u64.saturating_mul(1 << failures.min(7))).min(Duration::from_secs(10))
}

/// How the events queue of `oms serve` retries a delivery: 8 attempts, 1 s doubling to at most
/// 1 min (about 2 minutes in all, like a few SQS receives), then the dead-letter list.
pub fn events_queue_config() -> InProcessConfig {
    InProcessConfig {
        max_attempts: 8,
        base_backoff: Duration::from_secs(1),
        max_backoff: Duration::from_secs(60),
        ..InProcessConfig::default()
    }
}

/// The durable plumbing of `oms serve` on its embedded store, running: the sync queue (give it
/// to the webhooks), the events queue and the relay task. Dropping it stops the relay.
pub struct Local {
    pub sync: InProcessQueue,
    pub events: InProcessQueue,
    relay: tokio::task::JoinHandle<()>,
}

impl Drop for Local {
    fn drop(&mut self) {
        self.relay.abort();
    }
}

/// Starts [`Local`] over `file` (the embedded store) and `store` (its repositories): resumes
/// both journals, then relays the change stream. Must run inside a tokio runtime.
///
/// # Errors
/// A journal cannot be read, or the HTTP client cannot be built.
pub async fn start(
    file: Arc<SqliteStore>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    events_config: InProcessConfig,
) -> Result<Local, Box<dyn std::error::Error + Send + Sync>> {
    let sync = oms_server::app::durable_sync_queue(
        store.clone(),
        clock.clone(),
        Arc::new(SqliteJournal::new(file.clone(), SYNC_QUEUE)),
    )
    .await?;
    let sender = sender_deps(store.clone(), clock.clone())?;
    let events = events_queue(file.clone(), sender, events_config).await?;
    let relay = tokio::spawn(relay_stream(
        file,
        RelayDeps {
            store,
            queue: Arc::new(events.clone()),
            clock,
        },
    ));
    Ok(Local {
        sync,
        events,
        relay,
    })
}
