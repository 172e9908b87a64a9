//! The embedded store's change stream and queue journal: what DynamoDB Streams and SQS give the
//! Lambda functions, kept in the same SQLite file so that `oms serve` loses nothing it accepted.
//!
//! * **Change stream.** With [`SqliteStore::with_stream`], every insert of an item the
//!   [`StreamFilter`] selects is also appended to the `stream` table *in the same transaction*:
//!   an order's outbox events are in the stream exactly when the order change committed. A local
//!   relay reads it in sequence order ([`SqliteStore::stream_read`]) and trims what it relayed
//!   ([`SqliteStore::stream_trim`]).
//! * **Queue journal.** A durable in-process queue appends each accepted message
//!   ([`SqliteStore::journal_append`], committed with `synchronous=FULL` before `publish`
//!   returns), removes it once handled, marks it dead when it failed every attempt, and reloads
//!   what is left after a restart ([`SqliteStore::journal_load`]).
//!
//! Neither is a DynamoDB call: they count no round trip.

use rusqlite::{params, Connection};

use super::{decode, sql, SqliteStore};
use crate::error::StoreError;
use crate::item::{Item, Value};

/// Which inserts the change stream records: items whose string attribute `attribute` equals
/// `value` (e.g. `entity` = `OutboxEvent`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamFilter {
    pub attribute: String,
    pub value: String,
}

impl StreamFilter {
    /// Items whose `attribute` is the string `value`.
    pub fn attribute_equals(attribute: impl Into<String>, value: impl Into<String>) -> Self {
        StreamFilter {
            attribute: attribute.into(),
            value: value.into(),
        }
    }

    fn selects(&self, item: &Item) -> bool {
        item.get(&self.attribute).and_then(Value::as_s) == Some(self.value.as_str())
    }
}

/// One recorded insert: the item as written.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamEntry {
    /// Increasing, never reused.
    pub seq: u64,
    pub item: Item,
}

/// A queued message as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalMessage {
    pub tenant: String,
    pub group: String,
    pub dedup_id: String,
    pub body: String,
}

/// A journalled message: pending, or dead (`dead_error`) after failing every attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    /// Increasing within the file: the publish order.
    pub seq: u64,
    pub message: JournalMessage,
    pub dead_error: Option<String>,
}

/// Appends `item` to the stream when `filter` selects it and `is_insert()` says no item was
/// stored under its key; `true` when it did.
pub(super) fn record_insert(
    conn: &Connection,
    filter: Option<&StreamFilter>,
    item: &Item,
    is_insert: impl FnOnce() -> Result<bool, StoreError>,
) -> Result<bool, StoreError> {
    let Some(filter) = filter else {
        return Ok(false);
    };
    if !filter.selects(item) || !is_insert()? {
        return Ok(false);
    }
    let body = serde_json::to_string(item).map_err(|e| StoreError::Internal(Box::new(e)))?;
    conn.prepare_cached("INSERT INTO stream (body) VALUES (?1)")
        .map_err(sql)?
        .execute(params![body])
        .map_err(sql)?;
    Ok(true)
}

fn seq(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}

fn row_id(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

impl SqliteStore {
    /// Records inserts of the items `filter` selects in the change stream (set before sharing
    /// the store).
    #[must_use]
    pub fn with_stream(mut self, filter: StreamFilter) -> Self {
        self.stream = Some(filter);
        self
    }

    /// Wakes after a write that recorded stream entries (a waiter registered before the write
    /// is woken; one registered after finds the entries by reading).
    pub async fn stream_changed(&self) {
        self.stream_changed.notified().await;
    }

    pub(super) fn stream_written(&self, recorded: bool) {
        if recorded {
            // `notify_one` keeps a permit when nobody waits yet: the next wait returns at once.
            self.stream_changed.notify_one();
        }
    }

    /// Up to `limit` stream entries after `after` (0: from the start), in sequence order.
    ///
    /// # Errors
    /// SQLite fails, or a stored entry does not decode.
    pub async fn stream_read(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<StreamEntry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read_call(0, false, move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT seq, body FROM stream WHERE seq > ?1 ORDER BY seq LIMIT ?2")
                .map_err(sql)?;
            let rows = stmt
                .query_map(params![row_id(after), limit], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                })
                .map_err(sql)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(sql)?;
            rows.into_iter()
                .map(|(s, body)| {
                    Ok(StreamEntry {
                        seq: seq(s),
                        item: decode(&body)?,
                    })
                })
                .collect()
        })
        .await
    }

    /// Forgets the stream entries up to and including `through`.
    ///
    /// # Errors
    /// SQLite fails.
    pub async fn stream_trim(&self, through: u64) -> Result<(), StoreError> {
        self.write_call(0, move |conn| {
            conn.prepare_cached("DELETE FROM stream WHERE seq <= ?1")
                .map_err(sql)?
                .execute(params![row_id(through)])
                .map_err(sql)?;
            Ok(())
        })
        .await
    }

    /// Appends `message` to queue `queue`'s journal; durable when this returns. Its sequence.
    ///
    /// # Errors
    /// SQLite fails (the message is then not accepted).
    pub async fn journal_append(
        &self,
        queue: &str,
        message: JournalMessage,
    ) -> Result<u64, StoreError> {
        let queue = queue.to_owned();
        self.write_call(0, move |conn| {
            conn.prepare_cached(
                "INSERT INTO queue_journal (queue, tenant, grp, dedup_id, body)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(sql)?
            .execute(params![
                queue,
                message.tenant,
                message.group,
                message.dedup_id,
                message.body
            ])
            .map_err(sql)?;
            Ok(seq(conn.last_insert_rowid()))
        })
        .await
    }

    /// Removes a handled message (no error when it is gone already).
    ///
    /// # Errors
    /// SQLite fails.
    pub async fn journal_remove(&self, seq: u64) -> Result<(), StoreError> {
        self.write_call(0, move |conn| {
            conn.prepare_cached("DELETE FROM queue_journal WHERE seq = ?1")
                .map_err(sql)?
                .execute(params![row_id(seq)])
                .map_err(sql)?;
            Ok(())
        })
        .await
    }

    /// Marks a message dead (`error`: the last failure), or pending again with `None`.
    ///
    /// # Errors
    /// SQLite fails.
    pub async fn journal_mark(&self, seq: u64, error: Option<String>) -> Result<(), StoreError> {
        self.write_call(0, move |conn| {
            conn.prepare_cached("UPDATE queue_journal SET dead_error = ?2 WHERE seq = ?1")
                .map_err(sql)?
                .execute(params![row_id(seq), error])
                .map_err(sql)?;
            Ok(())
        })
        .await
    }

    /// Every message of `queue` still journalled, in publish order.
    ///
    /// # Errors
    /// SQLite fails.
    pub async fn journal_load(&self, queue: &str) -> Result<Vec<JournalEntry>, StoreError> {
        let queue = queue.to_owned();
        self.read_call(0, false, move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT seq, tenant, grp, dedup_id, body, dead_error FROM queue_journal
                     WHERE queue = ?1 ORDER BY seq",
                )
                .map_err(sql)?;
            let rows = stmt
                .query_map(params![queue], |r| {
                    Ok(JournalEntry {
                        seq: seq(r.get(0)?),
                        message: JournalMessage {
                            tenant: r.get(1)?,
                            group: r.get(2)?,
                            dedup_id: r.get(3)?,
                            body: r.get(4)?,
                        },
                        dead_error: r.get(5)?,
                    })
                })
                .map_err(sql)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(sql)?;
            Ok(rows)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use oms_clock::ManualClock;

    use super::*;
    use crate::item::{ItemStore, WriteOp};

    fn clock() -> Arc<ManualClock> {
        use chrono::TimeZone;
        Arc::new(ManualClock::new(
            chrono::Utc
                .with_ymd_and_hms(2026, 3, 3, 12, 0, 0)
                .single()
                .unwrap(),
        ))
    }

    fn store() -> SqliteStore {
        let clock = clock();
        SqliteStore::in_memory(clock)
            .unwrap()
            .with_stream(StreamFilter::attribute_equals("entity", "OutboxEvent"))
    }

    fn item(sk: &str, entity: &str) -> Item {
        [("pk", "P"), ("sk", sk), ("entity", entity)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Value::from(v)))
            .collect()
    }

    fn put(item: Item) -> WriteOp {
        WriteOp::Put { item, cond: None }
    }

    #[tokio::test]
    async fn the_stream_records_inserts_of_selected_items_with_their_transaction() {
        let s = store();
        s.transact_write(vec![put(item("A", "Order")), put(item("B", "OutboxEvent"))])
            .await
            .unwrap();
        // Overwriting the same key is no insert; another selected item is.
        s.write(put(item("B", "OutboxEvent"))).await.unwrap();
        s.batch_write(vec![crate::item::BatchWrite::Put(item("C", "OutboxEvent"))])
            .await
            .unwrap();
        let entries = s.stream_read(0, 10).await.unwrap();
        let sks: Vec<_> = entries
            .iter()
            .map(|e| {
                e.item
                    .get("sk")
                    .and_then(Value::as_s)
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect();
        assert_eq!(sks, ["B", "C"]);
        assert!(entries[0].seq < entries[1].seq);
        assert_eq!(
            s.round_trips().snapshot(),
            3,
            "the stream costs no round trip"
        );

        s.stream_trim(entries[0].seq).await.unwrap();
        let left = s.stream_read(0, 10).await.unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].seq, entries[1].seq);
        assert!(s.stream_read(entries[1].seq, 10).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_cancelled_transaction_records_nothing() {
        let s = store();
        s.write(put(item("A", "Order"))).await.unwrap();
        let refused = s
            .transact_write(vec![
                put(item("B", "OutboxEvent")),
                WriteOp::Put {
                    item: item("A", "Order"),
                    cond: Some(crate::item::Cond::NotExists),
                },
            ])
            .await;
        assert!(refused.is_err());
        assert!(s.stream_read(0, 10).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_store_without_a_filter_records_nothing() {
        let s = SqliteStore::in_memory(clock()).unwrap();
        s.write(put(item("B", "OutboxEvent"))).await.unwrap();
        assert!(s.stream_read(0, 10).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_write_that_records_wakes_the_reader() {
        let s = Arc::new(store());
        let waiter = {
            let s = Arc::clone(&s);
            tokio::spawn(async move { s.stream_changed().await })
        };
        tokio::task::yield_now().await;
        s.write(put(item("B", "OutboxEvent"))).await.unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
    }

    fn message(n: u32) -> JournalMessage {
        JournalMessage {
            tenant: "t1".into(),
            group: "g".into(),
            dedup_id: format!("d{n}"),
            body: format!("{{\"n\":{n}}}"),
        }
    }

    #[tokio::test]
    async fn the_journal_keeps_pending_and_dead_messages_per_queue_in_publish_order() {
        let s = store();
        let a = s.journal_append("sync", message(1)).await.unwrap();
        let b = s.journal_append("sync", message(2)).await.unwrap();
        let c = s.journal_append("sync", message(3)).await.unwrap();
        let other = s.journal_append("events", message(4)).await.unwrap();
        assert!(a < b && b < c);
        s.journal_remove(a).await.unwrap();
        s.journal_mark(c, Some("boom".into())).await.unwrap();
        let sync = s.journal_load("sync").await.unwrap();
        assert_eq!(
            sync.iter()
                .map(|e| (e.seq, e.dead_error.clone()))
                .collect::<Vec<_>>(),
            [(b, None), (c, Some("boom".to_owned()))]
        );
        assert_eq!(sync[0].message, message(2));
        s.journal_mark(c, None).await.unwrap();
        assert_eq!(s.journal_load("sync").await.unwrap()[1].dead_error, None);
        let events = s.journal_load("events").await.unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].seq, other);
        // Removing twice is harmless.
        s.journal_remove(a).await.unwrap();
    }

    #[tokio::test]
    async fn the_journal_and_stream_survive_reopening_the_file() {
        let db = crate::sqlite::temp_db::TempDb::new();
        let path = &db.0;
        let clock = clock();
        {
            let s = SqliteStore::open(path, clock.clone())
                .unwrap()
                .with_stream(StreamFilter::attribute_equals("entity", "OutboxEvent"));
            s.journal_append("sync", message(1)).await.unwrap();
            s.write(put(item("B", "OutboxEvent"))).await.unwrap();
        }
        let s = SqliteStore::open(path, clock).unwrap();
        assert_eq!(s.journal_load("sync").await.unwrap().len(), 1);
        assert_eq!(s.stream_read(0, 10).await.unwrap().len(), 1);
    }
}
