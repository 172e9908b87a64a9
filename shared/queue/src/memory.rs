//! The in-process queue of `oms serve`: [`InProcessQueue`].
//!
//! It has SQS FIFO's delivery semantics, in memory:
//!
//! * **Order per group.** Messages of one (tenant, group) are handed to the handler one at a
//!   time, in publish order; the next one starts only when the previous one succeeded or was
//!   dead-lettered. Different groups run in parallel (at most
//!   [`InProcessConfig::max_concurrency`] handler calls at once), so a failing entity, retrying
//!   with backoff, does not hold up the others (the local server must apply events within 2 s).
//! * **Retries.** A failing message is retried up to [`InProcessConfig::max_attempts`] times in
//!   all, with exponential backoff, then moved to the dead-letter list ([`dead_letters`]) and the
//!   group moves on to its next message, as SQS does after `maxReceiveCount`.
//!   [`redrive_dead_letters`] publishes them again. A handler that panics counts as a failure.
//! * **Dedupe.** A message whose (tenant, dedup id) was published within
//!   [`InProcessConfig::dedupe_window`] is accepted and dropped, like SQS's 5-minute window.
//! * **Bounded.** Publishing fails once [`InProcessConfig::max_pending`] messages are waiting or
//!   in flight (the webhook answers 5xx and the sender retries) instead of growing without limit.
//!
//! * **Durable, with a [`Journal`].** [`InProcessQueue::durable`] writes every accepted message
//!   to the journal before `publish` returns, removes it once handled, marks it dead when it
//!   failed every attempt, and on start hands the handler everything a crash or kill left
//!   (at least once: a message handled but not yet removed is handled again, so handlers must be
//!   idempotent, as they must be for SQS). [`InProcessQueue::new`] keeps nothing: what is
//!   accepted but not handled is lost when the process exits (tests, throwaway runs).
//!
//! Each group is drained by its own tokio task, started by `publish` (which therefore has to run
//! inside a tokio runtime) and ended when the group has nothing left. [`wait_idle`] waits until
//! nothing is waiting or in flight.
//!
//! [`dead_letters`]: InProcessQueue::dead_letters
//! [`redrive_dead_letters`]: InProcessQueue::redrive_dead_letters
//! [`wait_idle`]: InProcessQueue::wait_idle

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use oms_application::ports::{EventQueue, QueueError, QueueMessage};
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;

use crate::journal::Journal;
use crate::message::{ReceivedMessage, RecordError};
use crate::sqs::message_group_id;

/// Settings of an [`InProcessQueue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InProcessConfig {
    /// Handler calls per message before it is dead-lettered (at least 1).
    pub max_attempts: u32,
    /// Delay after the first failure; doubles per failure (jitter: uniform in the upper half).
    pub base_backoff: Duration,
    /// Cap on a single delay.
    pub max_backoff: Duration,
    /// How long a (tenant, dedup id) is remembered.
    pub dedupe_window: Duration,
    /// Messages waiting or in flight beyond which `publish` fails.
    pub max_pending: usize,
    /// Handler calls running at once, across groups (at least 1).
    pub max_concurrency: usize,
}

impl Default for InProcessConfig {
    /// 5 attempts with 50 ms doubling to at most 1 s (at most 0.75 s of backoff before a message is
    /// dead-lettered), a 5-minute dedupe window as in SQS, 10 000 pending messages and
    /// 8 concurrent handler calls.
    fn default() -> Self {
        InProcessConfig {
            max_attempts: 5,
            base_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(1),
            dedupe_window: Duration::from_secs(300),
            max_pending: 10_000,
            max_concurrency: 8,
        }
    }
}

impl InProcessConfig {
    fn backoff(&self, failures: u32) -> Duration {
        let base = u64::try_from(self.base_backoff.as_millis()).unwrap_or(u64::MAX);
        let cap = u64::try_from(self.max_backoff.as_millis()).unwrap_or(u64::MAX);
        let exp = base
            .saturating_mul(1u64 << failures.saturating_sub(1).min(20))
            .min(cap);
        Duration::from_millis(fastrand::u64(exp / 2..=exp))
    }
}

/// A message that failed every attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub message: QueueMessage,
    /// The id it was delivered under (`inproc-<n>`).
    pub message_id: String,
    pub attempts: u32,
    /// The last handler error.
    pub error: String,
    /// Its id in the queue's journal (durable queues).
    pub journal_id: Option<u64>,
}

type BoxFuture = Pin<Box<dyn Future<Output = Result<(), RecordError>> + Send>>;
type Handler = Arc<dyn Fn(ReceivedMessage) -> BoxFuture + Send + Sync>;

/// (tenant, group): the ordering scope.
type GroupKey = (String, String);
/// (tenant, dedup id): the dedupe scope.
type DedupeKey = (String, String);

struct Pending {
    message: QueueMessage,
    message_id: String,
    journal_id: Option<u64>,
}

#[derive(Default)]
struct State {
    /// Groups with a running task, and what they still have to deliver. A key is present exactly
    /// while its task runs.
    groups: HashMap<GroupKey, VecDeque<Pending>>,
    /// Messages waiting or in flight.
    pending: usize,
    seen: HashMap<DedupeKey, Instant>,
    seen_order: VecDeque<(Instant, DedupeKey)>,
    dead: Vec<DeadLetter>,
}

struct Inner {
    config: InProcessConfig,
    handler: Handler,
    state: Mutex<State>,
    idle: Notify,
    permits: Semaphore,
    next_id: AtomicU64,
    journal: Option<Arc<dyn Journal>>,
    /// Held from journal append to enqueue, so that the journal's order is the delivery order.
    publishing: tokio::sync::Mutex<()>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // No code panics while holding the lock; recover the data if one ever did.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The in-process [`EventQueue`]: cheap to clone (clones share the queue). See the module docs.
#[derive(Clone)]
pub struct InProcessQueue {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for InProcessQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.inner.lock();
        f.debug_struct("InProcessQueue")
            .field("config", &self.inner.config)
            .field("pending", &state.pending)
            .field("dead_letters", &state.dead.len())
            .finish()
    }
}

impl InProcessQueue {
    /// A queue delivering to `handler`. The handler gets an owned [`ReceivedMessage`]
    /// (`receive_count` = the attempt number) and may run concurrently for different groups.
    pub fn new<F, Fut>(config: InProcessConfig, handler: F) -> Self
    where
        F: Fn(ReceivedMessage) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), RecordError>> + Send + 'static,
    {
        Self::build(config, None, handler)
    }

    /// A queue that journals every accepted message in `journal` (see the module docs), first
    /// delivering (or listing as dead letters) what the journal still holds from a previous
    /// run. Must run inside a tokio runtime.
    ///
    /// # Errors
    /// The journal cannot be read.
    pub async fn durable<F, Fut>(
        config: InProcessConfig,
        journal: Arc<dyn Journal>,
        handler: F,
    ) -> Result<Self, QueueError>
    where
        F: Fn(ReceivedMessage) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), RecordError>> + Send + 'static,
    {
        let left = journal.load().await?;
        let queue = Self::build(config, Some(journal), handler);
        let handle = runtime()?;
        let now = Instant::now();
        let mut state = queue.inner.lock();
        let (mut pending, mut dead) = (0, 0);
        for entry in left {
            let key = (
                entry.message.tenant.as_str().to_owned(),
                entry.message.dedup_id.clone(),
            );
            state.seen.insert(key.clone(), now);
            state.seen_order.push_back((now, key));
            match entry.dead_error {
                None => {
                    pending += 1;
                    enqueue(
                        &queue.inner,
                        &mut state,
                        &handle,
                        entry.message,
                        Some(entry.id),
                    );
                }
                Some(error) => {
                    dead += 1;
                    let n = queue.inner.next_id.fetch_add(1, Ordering::Relaxed);
                    state.dead.push(DeadLetter {
                        message: entry.message,
                        message_id: format!("inproc-{n}"),
                        attempts: config.max_attempts.max(1),
                        error,
                        journal_id: Some(entry.id),
                    });
                }
            }
        }
        drop(state);
        if pending + dead > 0 {
            tracing::info!(pending, dead, "in-process queue: resumed from its journal");
        }
        Ok(queue)
    }

    fn build<F, Fut>(config: InProcessConfig, journal: Option<Arc<dyn Journal>>, handler: F) -> Self
    where
        F: Fn(ReceivedMessage) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), RecordError>> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |m| Box::pin(handler(m)) as BoxFuture);
        InProcessQueue {
            inner: Arc::new(Inner {
                config,
                handler,
                state: Mutex::new(State::default()),
                idle: Notify::new(),
                permits: Semaphore::new(config.max_concurrency.max(1)),
                next_id: AtomicU64::new(1),
                journal,
                publishing: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Messages that failed every attempt, oldest first.
    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        self.inner.lock().dead.clone()
    }

    /// Messages waiting or in flight.
    pub fn pending(&self) -> usize {
        self.inner.lock().pending
    }

    /// Takes every dead letter off the list and publishes it again (bypassing dedupe); returns
    /// how many. Must run inside a tokio runtime.
    pub fn redrive_dead_letters(&self) -> Result<usize, QueueError> {
        let handle = runtime()?;
        let mut state = self.inner.lock();
        let dead = std::mem::take(&mut state.dead);
        let count = dead.len();
        for letter in dead {
            if let (Some(journal), Some(id)) = (&self.inner.journal, letter.journal_id) {
                // Pending again in the journal too; were this lost in a crash, the letter would
                // just be listed as dead again after the restart.
                let journal = Arc::clone(journal);
                handle.spawn(async move {
                    if let Err(e) = journal.mark_dead(id, None).await {
                        tracing::warn!(error = %e, "in-process queue: journal redrive failed");
                    }
                });
            }
            enqueue(
                &self.inner,
                &mut state,
                &handle,
                letter.message,
                letter.journal_id,
            );
        }
        Ok(count)
    }

    /// Waits until no message is waiting or in flight (returns at once if none is). Messages
    /// published meanwhile are waited for too.
    pub async fn wait_idle(&self) {
        loop {
            let notified = self.inner.idle.notified();
            tokio::pin!(notified);
            // Register before checking, so a notification between the check and the await is
            // not lost.
            notified.as_mut().enable();
            if self.inner.lock().pending == 0 {
                return;
            }
            notified.await;
        }
    }
}

#[async_trait]
impl EventQueue for InProcessQueue {
    async fn publish(&self, message: QueueMessage) -> Result<(), QueueError> {
        let handle = runtime()?;
        let Some(journal) = self.inner.journal.clone() else {
            return self.accept(&handle, message, None);
        };
        let _order = self.inner.publishing.lock().await;
        if !admit(&self.inner.config, &mut self.inner.lock(), &message)? {
            return Ok(());
        }
        // Durable before accepted: a failed append refuses the message (the sender retries).
        let id = journal.append(&message).await?;
        let accepted = self.accept(&handle, message, Some(id));
        if accepted.is_err() {
            // Refused after all (the queue filled meanwhile): the sender retries, so forget it.
            if let Err(e) = journal.remove(id).await {
                tracing::warn!(error = %e, "in-process queue: journal removal failed");
            }
        }
        accepted
    }
}

impl InProcessQueue {
    /// Dedupes, bounds and enqueues `message` (already journalled as `journal_id`).
    fn accept(
        &self,
        handle: &tokio::runtime::Handle,
        message: QueueMessage,
        journal_id: Option<u64>,
    ) -> Result<(), QueueError> {
        let mut state = self.inner.lock();
        if !admit(&self.inner.config, &mut state, &message)? {
            return Ok(());
        }
        let dedupe_key = (message.tenant.as_str().to_owned(), message.dedup_id.clone());
        let now = Instant::now();
        state.seen.insert(dedupe_key.clone(), now);
        state.seen_order.push_back((now, dedupe_key));
        enqueue(&self.inner, &mut state, handle, message, journal_id);
        Ok(())
    }
}

/// Whether `message` is to be taken: `false` for a duplicate within the dedupe window (accepted
/// and dropped), an error when the queue is full. Forgets dedupe ids older than the window.
fn admit(
    config: &InProcessConfig,
    state: &mut State,
    message: &QueueMessage,
) -> Result<bool, QueueError> {
    let now = Instant::now();
    while let Some((at, _)) = state.seen_order.front() {
        if now.saturating_duration_since(*at) < config.dedupe_window {
            break;
        }
        if let Some((at, key)) = state.seen_order.pop_front() {
            if state.seen.get(&key) == Some(&at) {
                state.seen.remove(&key);
            }
        }
    }
    let dedupe_key = (message.tenant.as_str().to_owned(), message.dedup_id.clone());
    if state.seen.contains_key(&dedupe_key) {
        tracing::debug!(tenant = %message.tenant, "duplicate dedup id dropped");
        return Ok(false);
    }
    if state.pending >= config.max_pending {
        return Err(QueueError {
            message: format!(
                "in-process queue is full ({} messages pending)",
                state.pending
            ),
            source: None,
        });
    }
    Ok(true)
}

fn runtime() -> Result<tokio::runtime::Handle, QueueError> {
    tokio::runtime::Handle::try_current().map_err(|e| QueueError {
        message: "the in-process queue needs a tokio runtime".into(),
        source: Some(Box::new(e)),
    })
}

/// Appends to the message's group, starting the group's task if it has none.
fn enqueue(
    inner: &Arc<Inner>,
    state: &mut State,
    handle: &tokio::runtime::Handle,
    message: QueueMessage,
    journal_id: Option<u64>,
) {
    let n = inner.next_id.fetch_add(1, Ordering::Relaxed);
    let pending = Pending {
        message_id: format!("inproc-{n}"),
        message,
        journal_id,
    };
    let key = (
        pending.message.tenant.as_str().to_owned(),
        pending.message.group.clone(),
    );
    state.pending += 1;
    match state.groups.get_mut(&key) {
        Some(queue) => queue.push_back(pending),
        None => {
            state.groups.insert(key.clone(), VecDeque::from([pending]));
            handle.spawn(run_group(Arc::clone(inner), key));
        }
    }
}

/// Delivers a group's messages one after the other until it has none left.
async fn run_group(inner: Arc<Inner>, key: GroupKey) {
    loop {
        let next = {
            let mut state = inner.lock();
            match state.groups.get_mut(&key).and_then(VecDeque::pop_front) {
                Some(next) => next,
                None => {
                    state.groups.remove(&key);
                    return;
                }
            }
        };
        deliver(&inner, next).await;
        let mut state = inner.lock();
        state.pending = state.pending.saturating_sub(1);
        if state.pending == 0 {
            inner.idle.notify_waiters();
        }
    }
}

/// Calls the handler until it succeeds or the attempts run out (then dead-letters).
async fn deliver(inner: &Inner, pending: Pending) {
    let max_attempts = inner.config.max_attempts.max(1);
    let message_group_id = message_group_id(&pending.message.tenant, &pending.message.group);
    let mut last_error = String::new();
    for attempt in 1..=max_attempts {
        let received = ReceivedMessage {
            message_id: pending.message_id.clone(),
            tenant: pending.message.tenant.clone(),
            group: pending.message.group.clone(),
            dedup_id: Some(pending.message.dedup_id.clone()),
            body: pending.message.body.clone(),
            receive_count: attempt,
            message_group_id: Some(message_group_id.clone()),
        };
        // The semaphore is never closed; were it, run without a permit rather than stall.
        let permit = inner.permits.acquire().await.ok();
        // Its own task, so that a panicking handler is a failed attempt, not a dead group.
        let result = match tokio::spawn((inner.handler)(received)).await {
            Ok(result) => result,
            Err(join) if join.is_panic() => Err(RecordError::new("handler panicked")),
            Err(_) => Err(RecordError::new("handler task was cancelled")),
        };
        drop(permit);
        match result {
            Ok(()) => {
                if let (Some(journal), Some(id)) = (&inner.journal, pending.journal_id) {
                    // Failing here only means it is handled once more after a restart.
                    if let Err(e) = journal.remove(id).await {
                        tracing::warn!(error = %e, "in-process queue: journal removal failed");
                    }
                }
                return;
            }
            Err(err) => {
                tracing::warn!(
                    tenant = %pending.message.tenant,
                    message_id = %pending.message_id,
                    attempt,
                    max_attempts,
                    error = %err,
                    "in-process queue: handler failed"
                );
                last_error = err.to_string();
                if attempt < max_attempts {
                    tokio::time::sleep(inner.config.backoff(attempt)).await;
                }
            }
        }
    }
    tracing::error!(
        tenant = %pending.message.tenant,
        message_id = %pending.message_id,
        attempts = max_attempts,
        "in-process queue: message dead-lettered"
    );
    if let (Some(journal), Some(id)) = (&inner.journal, pending.journal_id) {
        if let Err(e) = journal.mark_dead(id, Some(&last_error)).await {
            tracing::warn!(error = %e, "in-process queue: journal dead-lettering failed");
        }
    }
    inner.lock().dead.push(DeadLetter {
        message: pending.message,
        message_id: pending.message_id,
        attempts: max_attempts,
        error: last_error,
        journal_id: pending.journal_id,
    });
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use oms_domain::ids::TenantId;

    use super::*;

    fn msg(tenant: &str, group: &str, dedup: &str, body: &str) -> QueueMessage {
        QueueMessage {
            tenant: TenantId::new(tenant).unwrap(),
            group: group.into(),
            dedup_id: dedup.into(),
            body: body.into(),
        }
    }

    fn fast() -> InProcessConfig {
        InProcessConfig {
            max_attempts: 3,
            base_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            ..InProcessConfig::default()
        }
    }

    type Log = Arc<Mutex<Vec<ReceivedMessage>>>;

    /// A handler that records every delivery and fails while `fail(message)` says so.
    fn recording(
        fail: impl Fn(&ReceivedMessage) -> bool + Send + Sync + 'static,
    ) -> (
        Log,
        impl Fn(ReceivedMessage) -> BoxFuture + Send + Sync + 'static,
    ) {
        let log: Log = Arc::default();
        let sink = Arc::clone(&log);
        let handler = move |m: ReceivedMessage| {
            let failed = fail(&m);
            let sink = Arc::clone(&sink);
            Box::pin(async move {
                // Yield so that groups interleave.
                tokio::time::sleep(Duration::from_millis(fastrand::u64(0..3))).await;
                sink.lock().unwrap().push(m);
                if failed {
                    Err(RecordError::new("nope"))
                } else {
                    Ok(())
                }
            }) as BoxFuture
        };
        (log, handler)
    }

    async fn idle(queue: &InProcessQueue) {
        tokio::time::timeout(Duration::from_secs(10), queue.wait_idle())
            .await
            .expect("queue did not become idle");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn delivers_in_publish_order_per_group() {
        let (log, handler) = recording(|_| false);
        let queue = InProcessQueue::new(fast(), handler);
        for i in 0..40 {
            for group in ["g1", "g2", "g3"] {
                let body = format!("{group}-{i}");
                queue.publish(msg("t1", group, &body, &body)).await.unwrap();
            }
        }
        queue
            .publish(msg("t2", "g1", "x", "t2-g1-0"))
            .await
            .unwrap();
        idle(&queue).await;

        let log = log.lock().unwrap();
        assert_eq!(log.len(), 121);
        for group in ["g1", "g2", "g3"] {
            let bodies: Vec<&str> = log
                .iter()
                .filter(|m| m.tenant.as_str() == "t1" && m.group == group)
                .map(|m| m.body.as_str())
                .collect();
            let expected: Vec<String> = (0..40).map(|i| format!("{group}-{i}")).collect();
            assert_eq!(bodies, expected, "group {group}");
        }
        let other = log.iter().find(|m| m.tenant.as_str() == "t2").unwrap();
        assert_eq!(other.group, "g1");
        assert_eq!(other.message_group_id.as_deref(), Some("t2#g1"));
        assert_eq!(other.dedup_id.as_deref(), Some("x"));
        assert_eq!(other.receive_count, 1);
        assert!(queue.dead_letters().is_empty());
        assert_eq!(queue.pending(), 0);
    }

    #[tokio::test]
    async fn retries_a_failing_message_before_the_next_one_of_its_group() {
        // Fails m1's first two attempts.
        let (log, handler) = recording(|m| m.body == "m1" && m.receive_count < 3);
        let queue = InProcessQueue::new(fast(), handler);
        queue.publish(msg("t1", "g", "1", "m1")).await.unwrap();
        queue.publish(msg("t1", "g", "2", "m2")).await.unwrap();
        idle(&queue).await;

        let log = log.lock().unwrap();
        let seen: Vec<(&str, u32)> = log
            .iter()
            .map(|m| (m.body.as_str(), m.receive_count))
            .collect();
        assert_eq!(seen, [("m1", 1), ("m1", 2), ("m1", 3), ("m2", 1)]);
        // Every attempt is the same message.
        assert!(log[..3].iter().all(|m| m.message_id == log[0].message_id));
        assert!(queue.dead_letters().is_empty());
    }

    #[tokio::test]
    async fn dead_letters_after_max_attempts_then_the_group_moves_on() {
        let (log, handler) = recording(|m| m.body == "poison");
        let queue = InProcessQueue::new(fast(), handler);
        let poison = msg("t1", "g", "1", "poison");
        queue.publish(poison.clone()).await.unwrap();
        queue.publish(msg("t1", "g", "2", "after")).await.unwrap();
        idle(&queue).await;

        let dead = queue.dead_letters();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].message, poison);
        assert_eq!(dead[0].attempts, 3);
        assert_eq!(dead[0].error, "nope");
        let seen: Vec<String> = log.lock().unwrap().iter().map(|m| m.body.clone()).collect();
        assert_eq!(seen, ["poison", "poison", "poison", "after"]);

        // Redrive: the handler still fails, so it is back on the list after 3 more attempts.
        assert_eq!(queue.redrive_dead_letters().unwrap(), 1);
        idle(&queue).await;
        assert_eq!(queue.dead_letters().len(), 1);
        assert_eq!(log.lock().unwrap().len(), 7);
    }

    #[tokio::test]
    async fn a_panicking_handler_counts_as_a_failure() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let queue = InProcessQueue::new(fast(), move |m: ReceivedMessage| {
            counter.fetch_add(1, Ordering::SeqCst);
            async move {
                if m.body == "panic" {
                    panic!("handler bug");
                }
                Ok(())
            }
        });
        queue.publish(msg("t1", "g", "1", "panic")).await.unwrap();
        queue.publish(msg("t1", "g", "2", "fine")).await.unwrap();
        idle(&queue).await;
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        let dead = queue.dead_letters();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].error, "handler panicked");
    }

    #[tokio::test]
    async fn dedupes_by_tenant_and_dedup_id() {
        let (log, handler) = recording(|_| false);
        let queue = InProcessQueue::new(fast(), handler);
        queue
            .publish(msg("t1", "g", "evt_1", "first"))
            .await
            .unwrap();
        queue
            .publish(msg("t1", "g", "evt_1", "again"))
            .await
            .unwrap();
        queue
            .publish(msg("t1", "other", "evt_1", "other group"))
            .await
            .unwrap();
        idle(&queue).await;
        // Still deduped after the first copy was handled.
        queue
            .publish(msg("t1", "g", "evt_1", "late"))
            .await
            .unwrap();
        // Another tenant's same id is a different message.
        queue.publish(msg("t2", "g", "evt_1", "t2")).await.unwrap();
        idle(&queue).await;

        let seen: Vec<String> = log.lock().unwrap().iter().map(|m| m.body.clone()).collect();
        assert_eq!(seen, ["first", "t2"]);
    }

    #[tokio::test(start_paused = true)]
    async fn dedupe_forgets_ids_after_the_window() {
        let (log, handler) = recording(|_| false);
        let config = InProcessConfig {
            dedupe_window: Duration::from_secs(300),
            ..fast()
        };
        let queue = InProcessQueue::new(config, handler);
        queue
            .publish(msg("t1", "g", "evt_1", "first"))
            .await
            .unwrap();
        idle(&queue).await;
        tokio::time::advance(Duration::from_secs(299)).await;
        queue
            .publish(msg("t1", "g", "evt_1", "inside"))
            .await
            .unwrap();
        tokio::time::advance(Duration::from_secs(2)).await;
        queue
            .publish(msg("t1", "g", "evt_1", "after"))
            .await
            .unwrap();
        idle(&queue).await;
        let seen: Vec<String> = log.lock().unwrap().iter().map(|m| m.body.clone()).collect();
        assert_eq!(seen, ["first", "after"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stuck_group_does_not_hold_up_other_groups() {
        let release = Arc::new(Notify::new());
        let done = Arc::new(Mutex::new(Vec::new()));
        let (gate, sink) = (Arc::clone(&release), Arc::clone(&done));
        let queue = InProcessQueue::new(fast(), move |m: ReceivedMessage| {
            let (gate, sink) = (Arc::clone(&gate), Arc::clone(&sink));
            async move {
                if m.group == "slow" {
                    gate.notified().await;
                }
                sink.lock().unwrap().push(m.body);
                Ok(())
            }
        });
        queue
            .publish(msg("t1", "slow", "1", "slow-1"))
            .await
            .unwrap();
        queue
            .publish(msg("t1", "slow", "2", "slow-2"))
            .await
            .unwrap();
        queue
            .publish(msg("t1", "fast", "3", "fast-1"))
            .await
            .unwrap();

        tokio::time::timeout(Duration::from_secs(5), async {
            while !done.lock().unwrap().contains(&"fast-1".to_owned()) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("the fast group waited for the slow one");
        assert_eq!(queue.pending(), 2);
        assert_eq!(*done.lock().unwrap(), ["fast-1"]);

        // Release slow-1 (slow-2 has not started: it waits behind slow-1).
        release.notify_one();
        tokio::time::timeout(Duration::from_secs(5), async {
            while done.lock().unwrap().len() < 2 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("slow-1 was not delivered");
        release.notify_one();
        idle(&queue).await;
        assert_eq!(*done.lock().unwrap(), ["fast-1", "slow-1", "slow-2"]);
    }

    /// Whether `future` is ready on its first poll (no waiting of any kind).
    fn ready_at_once<F: Future>(future: F) -> bool {
        let mut future = std::pin::pin!(future);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        future.as_mut().poll(&mut cx).is_ready()
    }

    #[tokio::test]
    async fn publish_fails_when_full_and_wait_idle_returns_at_once_when_empty() {
        // The handler holds every message until the gate opens: the queue provably stays full.
        let (open, gate) = tokio::sync::watch::channel(false);
        let started = Arc::new(AtomicUsize::new(0));
        let handled = Arc::new(Mutex::new(Vec::new()));
        let (starts, sink) = (Arc::clone(&started), Arc::clone(&handled));
        let queue = InProcessQueue::new(
            InProcessConfig {
                max_pending: 2,
                ..fast()
            },
            move |m: ReceivedMessage| {
                let (mut gate, sink) = (gate.clone(), Arc::clone(&sink));
                starts.fetch_add(1, Ordering::SeqCst);
                async move {
                    gate.wait_for(|open| *open)
                        .await
                        .map_err(|_| RecordError::new("gate dropped"))?;
                    sink.lock().unwrap().push(m.body);
                    Ok(())
                }
            },
        );
        assert!(ready_at_once(queue.wait_idle()), "empty: idle at once");
        queue.publish(msg("t1", "g", "1", "a")).await.unwrap();
        queue.publish(msg("t1", "g", "2", "b")).await.unwrap();
        // "a" is in flight (held at the gate), "b" waits behind it: both count.
        while started.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(queue.pending(), 2);
        let err = queue.publish(msg("t1", "g", "3", "c")).await.unwrap_err();
        assert_eq!(err.message, "in-process queue is full (2 messages pending)");
        assert!(
            !ready_at_once(queue.wait_idle()),
            "not idle while messages are held"
        );

        open.send_replace(true);
        idle(&queue).await;
        assert_eq!(queue.pending(), 0);
        // A rejected message was not remembered for dedupe: it can be published now.
        queue.publish(msg("t1", "g", "3", "c")).await.unwrap();
        idle(&queue).await;
        assert_eq!(queue.pending(), 0);
        assert_eq!(*handled.lock().unwrap(), ["a", "b", "c"]);
        assert!(queue.dead_letters().is_empty());
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        let config = InProcessConfig::default();
        for failures in 1..40 {
            assert!(config.backoff(failures) <= config.max_backoff);
        }
        assert!(config.backoff(1) <= config.base_backoff);
        assert!(config.backoff(30) >= config.max_backoff / 2);
    }
}
