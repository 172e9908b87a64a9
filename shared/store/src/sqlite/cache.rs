//! Committed items of a database file kept in memory for key reads (`get`, `batch_get`).
//!
//! Why: a read connection's page cache is emptied whenever another connection commits, so under
//! load every key read fetched its B-tree pages again from the WAL or the file (system calls,
//! page copies) and decoded the body again. A checkout mutation reads about twenty keys (the
//! order, then the vendor, its offers and shipping options, products, stock, coupon, customer…)
//! that mostly did not change since the previous mutation: those reads were a fifth of the
//! server's CPU (docs/benchmarks.md, "Fourth round").
//!
//! Exactness comes from a *commit counter*: every group the writer commits also increments the
//! one row of the `commits` table, in the same transaction, and so does any other process
//! writing the file (`oms tenant put`, `oms import`, a second store on the same file: the same
//! code). The cache says which counter value its contents reflect ([`ItemCache::lookup`]'s
//! `seq`). A read transaction first reads the counter of its snapshot, then:
//!
//! * equal: every cached entry is exactly the item in that snapshot; misses are read from SQLite
//!   in the same transaction, and a key missed the second time is added (if the cache is still
//!   at that counter when it is).
//! * older: the writer committed since the snapshot began. Each entry knows the counter from
//!   which it holds (`since`: the commit that last wrote it while cached, or the snapshot that
//!   filled it), and every commit since then that wrote its key would have moved `since`; so an
//!   entry whose `since` is not past the snapshot's counter is that snapshot's item too. The
//!   others are read from SQLite, and nothing is added. (Under load the writer commits every
//!   fraction of a millisecond, and a reader preempted between its snapshot and its lookup used
//!   to read its whole batch from SQLite: about two batches of every checkout flow.)
//! * newer: another process committed (the writer empties the cache at its next group), or the
//!   writer did and has not yet applied it: the read uses SQLite alone. (A reader emptying the
//!   cache on a newer counter would throw the catalog away every time it caught the writer
//!   between its commit and its cache update: measured, a loss.)
//!
//! A read needs no read transaction at all when the cache holds all its keys and nobody has
//! committed since the writer's last commit: the writer hands the cache the file's WAL-index
//! header after each commit (when it can tell that header is exactly its commit's), and a
//! reader that finds the same header in the file now ([`ItemCache::latest`]) is served the
//! latest committed state.
//!
//! The writer, right after each commit and before answering any of its jobs, applies the group's
//! changes to the entries the cache holds and moves it to the new counter ([`ItemCache::committed`]);
//! a change to a key the cache does not hold adds nothing. So a read never sees an item older
//! than the last commit acknowledged to anyone, and items of other processes' commits are never
//! served once the reader's snapshot includes them. Expired items are cached like stored ones and
//! filtered by the reader, exactly as rows are.
//!
//! Memory is bounded ([`BUDGET_BYTES`] of item sizes): past it, entries not read since the last
//! eviction go first (a clock sweep), so the catalog a checkout reads every time stays while
//! finished orders leave.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
use std::sync::{Arc, Mutex, MutexGuard};

use super::wal_index::Header;
use crate::item::{Item, Key};
use crate::limits::item_size;

/// At most this many bytes of items (DynamoDB's item size: names plus values) are cached: some
/// 2,000 catalog items; about 2.5 MB of the process's memory when full.
pub(super) const BUDGET_BYTES: usize = 1024 * 1024;

/// What a write left under a key: the item, or `None` when it deleted it.
pub(super) type Change = (Key, Option<Item>);

/// Bookkeeping per entry beyond the item's own size (key strings, map slot, `Arc`).
const ENTRY_OVERHEAD: usize = 96;

/// At most this many keys read once and not (yet) cached are remembered.
const SEEN_KEYS: usize = 8192;

pub(super) struct ItemCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// The commit counter whose state the entries hold (an empty cache is right at any value).
    seq: u64,
    /// The file's WAL-index header right after the writer's commit of `seq`, when the writer
    /// could tell that it is exactly that commit's: while the file still has it, nobody has
    /// committed since, and the entries are the file's latest state ([`ItemCache::latest`]).
    header: Option<Header>,
    entries: HashMap<Key, Entry>,
    bytes: usize,
    /// Hashes of keys a reader missed once: the second miss caches the key, and so does a
    /// write of it before that (an order read and then edited is read again by the next
    /// edit). Why not at the first miss: a key read once (an import's or a sync's new snapshot,
    /// a new customer's coupon use) is seldom read again, and caching it cost a copy, memory and
    /// the eviction of keys that are (a 100,000-row re-import ran 40 % slower with every miss
    /// cached).
    seen: HashSet<u64>,
}

struct Entry {
    /// The stored item (expired or not), or `None`: no item under the key.
    item: Option<Arc<Item>>,
    /// The lowest commit counter whose snapshot is known to hold `item`: every snapshot from
    /// this one to [`Inner::seq`] does.
    since: u64,
    size: usize,
    /// Read since the last eviction sweep.
    referenced: bool,
}

/// What [`ItemCache::lookup`] found for a read whose snapshot is at counter `seq`.
pub(super) struct Lookup {
    /// Per key asked: `Some(stored)` from the cache, `None` to read from SQLite.
    pub found: Vec<Option<Option<Arc<Item>>>>,
    /// Per key asked: a miss whose item, read from SQLite, is to be added ([`ItemCache::fill`]).
    pub admit: Vec<bool>,
}

impl ItemCache {
    /// An empty cache of a file whose commit counter is `seq`.
    pub(super) fn new(seq: u64) -> Self {
        ItemCache {
            inner: Mutex::new(Inner {
                seq,
                ..Inner::default()
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock only means a panic elsewhere while holding it; every update leaves
        // `Inner` consistent before anything can panic, so its contents stay usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The cached state of `keys` for a read transaction whose snapshot has counter `seq`.
    pub(super) fn lookup(&self, seq: u64, keys: &[Key]) -> Lookup {
        let mut inner = self.lock();
        if seq > inner.seq {
            // Another process committed (the writer empties the cache at its next group), or
            // the writer did and has not yet applied it: this read goes to SQLite alone.
            return Lookup {
                found: vec![None; keys.len()],
                admit: vec![false; keys.len()],
            };
        }
        if seq < inner.seq {
            // The writer committed since this snapshot: entries unchanged since then serve it,
            // the others are read from SQLite (and not added: the cache has moved on).
            let found = keys
                .iter()
                .map(|key| match inner.entries.get_mut(key) {
                    Some(entry) if entry.since <= seq => {
                        entry.referenced = true;
                        Some(entry.item.clone())
                    }
                    _ => None,
                })
                .collect();
            return Lookup {
                found,
                admit: vec![false; keys.len()],
            };
        }
        let inner = &mut *inner;
        let mut admit = vec![false; keys.len()];
        let found = keys
            .iter()
            .zip(admit.iter_mut())
            .map(|(key, admit)| match inner.entries.get_mut(key) {
                Some(entry) => {
                    entry.referenced = true;
                    Some(entry.item.clone())
                }
                None => {
                    let hash = seen_hash(key);
                    *admit = inner.seen.remove(&hash);
                    if !*admit {
                        if inner.seen.len() >= SEEN_KEYS {
                            inner.seen.clear();
                        }
                        inner.seen.insert(hash);
                    }
                    None
                }
            })
            .collect();
        Lookup { found, admit }
    }

    /// Every key's stored item when the file's WAL-index header is still `now`, the one the
    /// writer's last commit left (so the cache holds the latest committed state), and the cache
    /// holds them all; else `None` (the read takes a read transaction).
    pub(super) fn latest(&self, now: &Header, keys: &[Key]) -> Option<Vec<Option<Arc<Item>>>> {
        let mut inner = self.lock();
        if inner.header.as_ref() != Some(now) {
            return None;
        }
        keys.iter()
            .map(|key| {
                let entry = inner.entries.get_mut(key)?;
                entry.referenced = true;
                Some(entry.item.clone())
            })
            .collect()
    }

    /// The writer's look at `key` in its transaction that read counter `seq`: the cached stored
    /// item (or `Some(None)`: none), or `None` when the cache does not hold `seq`'s state of it.
    pub(super) fn committed_item(&self, seq: u64, key: &Key) -> Option<Option<Arc<Item>>> {
        let inner = self.lock();
        if inner.seq != seq {
            return None;
        }
        inner.entries.get(key).map(|entry| entry.item.clone())
    }

    /// Adds what a read transaction at counter `seq` found under keys the cache missed, unless
    /// the cache has moved on since.
    pub(super) fn fill(&self, seq: u64, read: Vec<(Key, Option<Item>)>) {
        let mut inner = self.lock();
        if inner.seq != seq {
            return;
        }
        for (key, item) in read {
            inner.insert_absent(key, item.map(Arc::new), seq);
        }
        inner.evict_over_budget();
    }

    /// The writer committed the group that read counter `before` and stored `after`, whose
    /// successful writes left `changes` (what the last write of each key left), and the file's
    /// WAL-index header is `header` (when the writer knows it is exactly its commit's). Called
    /// before any of the group's jobs is answered.
    pub(super) fn committed(
        &self,
        before: u64,
        after: u64,
        changes: impl IntoIterator<Item = Change>,
        header: Option<Header>,
    ) {
        let mut inner = self.lock();
        inner.header = header;
        if inner.seq != before && inner.seq != after {
            // Another process committed in between, and the cache may hold its old items.
            inner.reset(after);
            return;
        }
        let inner = &mut *inner;
        inner.seq = after;
        for (key, item) in changes {
            if let Some(entry) = inner.entries.get_mut(&key) {
                let size = entry_size(&key, item.as_ref());
                inner.bytes = inner.bytes - entry.size + size;
                entry.item = item.map(Arc::new);
                entry.size = size;
                entry.since = after;
            } else if inner.seen.remove(&seen_hash(&key)) {
                // Read (and missed) since it was last seen, now written: the next read would
                // be its second miss, so it is cached now, without reading it back.
                inner.insert_absent(key, item.map(Arc::new), after);
            }
        }
        inner.evict_over_budget();
    }

    /// How many entries and bytes are cached.
    #[cfg(test)]
    pub(super) fn len_and_bytes(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.entries.len(), inner.bytes)
    }
}

impl Inner {
    fn reset(&mut self, seq: u64) {
        self.entries.clear();
        self.bytes = 0;
        self.seq = seq;
    }

    /// Adds `key`'s `item` as the snapshot at counter `since` holds it, unless it is held.
    fn insert_absent(&mut self, key: Key, item: Option<Arc<Item>>, since: u64) {
        if self.entries.contains_key(&key) {
            return;
        }
        let size = entry_size(&key, item.as_deref());
        self.bytes += size;
        self.entries.insert(
            key,
            Entry {
                item,
                since,
                size,
                referenced: false,
            },
        );
    }

    /// Past the budget, drops entries until a quarter of it is free: first those not read since
    /// the previous sweep (whose marks it clears), then any.
    fn evict_over_budget(&mut self) {
        if self.bytes <= BUDGET_BYTES {
            return;
        }
        let target = BUDGET_BYTES / 4 * 3;
        let Inner { entries, bytes, .. } = self;
        entries.retain(|_, entry| {
            if *bytes <= target || entry.referenced {
                entry.referenced = false;
                return true;
            }
            *bytes -= entry.size;
            false
        });
        entries.retain(|_, entry| {
            if *bytes <= target {
                return true;
            }
            *bytes -= entry.size;
            false
        });
    }
}

/// How [`Inner::seen`] remembers a key.
fn seen_hash(key: &Key) -> u64 {
    BuildHasherDefault::<DefaultHasher>::default().hash_one(key)
}

fn entry_size(key: &Key, item: Option<&Item>) -> usize {
    ENTRY_OVERHEAD + key.pk.len() + key.sk.len() + item.map_or(0, item_size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::Value;

    fn key(sk: &str) -> Key {
        Key::new("P", sk)
    }

    fn item(sk: &str, v: i64) -> Item {
        let mut item = key(sk).to_item();
        item.insert("v".into(), Value::N(v));
        item
    }

    /// What readers at `seq` do when they read the keys of `read` twice: the first miss only
    /// remembers a key (unless an earlier lookup did), the second adds what SQLite returned.
    fn fill(cache: &ItemCache, seq: u64, read: Vec<(Key, Option<Item>)>) {
        let keys: Vec<Key> = read.iter().map(|(k, _)| k.clone()).collect();
        let first = cache.lookup(seq, &keys).admit;
        let second = cache.lookup(seq, &keys).admit;
        let admitted = read
            .into_iter()
            .zip(first.into_iter().zip(second))
            .filter_map(|(r, (first, second))| (first || second).then_some(r))
            .collect();
        cache.fill(seq, admitted);
    }

    fn hit(cache: &ItemCache, seq: u64, sk: &str) -> Option<Option<Item>> {
        let lookup = cache.lookup(seq, &[key(sk)]);
        lookup
            .found
            .into_iter()
            .next()
            .flatten()
            .map(|found| found.map(|i| (*i).clone()))
    }

    fn header(commits: u8) -> Header {
        let mut header = [0u8; 48];
        header[8] = commits;
        header[12] = 1;
        header
    }

    #[test]
    fn with_the_header_of_its_last_commit_the_cache_serves_reads_that_it_holds_entirely() {
        let cache = ItemCache::new(3);
        fill(
            &cache,
            3,
            vec![(key("a"), Some(item("a", 1))), (key("b"), None)],
        );
        assert!(
            cache.latest(&header(0), &[key("a")]).is_none(),
            "no commit since the cache started: nothing known about the file"
        );
        cache.committed(3, 4, vec![(key("a"), Some(item("a", 2)))], Some(header(4)));
        let found = cache.latest(&header(4), &[key("a"), key("b")]).unwrap();
        assert_eq!(found[0].as_deref(), Some(&item("a", 2)));
        assert!(found[1].is_none(), "b is cached as absent");
        assert!(
            cache.latest(&header(4), &[key("a"), key("c")]).is_none(),
            "c is not cached"
        );
        assert!(
            cache.latest(&header(5), &[key("a")]).is_none(),
            "someone committed since"
        );
        // A commit whose header the writer could not vouch for stops it.
        cache.committed(4, 5, vec![], None);
        assert!(cache.latest(&header(4), &[key("a")]).is_none());
    }

    #[test]
    fn a_key_is_cached_at_its_second_miss() {
        let cache = ItemCache::new(3);
        assert_eq!(cache.lookup(3, &[key("a")]).admit, [false]);
        assert_eq!(cache.lookup(3, &[key("a"), key("b")]).admit, [true, false]);
        cache.fill(3, vec![(key("a"), Some(item("a", 1)))]);
        assert_eq!(hit(&cache, 3, "a"), Some(Some(item("a", 1))));
        assert_eq!(hit(&cache, 3, "b"), None);
    }

    #[test]
    fn a_key_missed_once_and_then_written_is_cached_with_what_the_write_left() {
        let cache = ItemCache::new(3);
        assert_eq!(cache.lookup(3, &[key("a")]).admit, [false]);
        cache.committed(
            3,
            4,
            vec![
                (key("a"), Some(item("a", 2))),
                (key("w"), Some(item("w", 1))),
            ],
            None,
        );
        assert_eq!(hit(&cache, 4, "a"), Some(Some(item("a", 2))));
        assert_eq!(
            hit(&cache, 4, "w"),
            None,
            "written but never read: not cached"
        );
        // Deleted after one miss: cached as absent.
        assert_eq!(cache.lookup(4, &[key("d")]).admit, [false]);
        cache.committed(4, 5, vec![(key("d"), None)], None);
        assert_eq!(hit(&cache, 5, "d"), Some(None));
    }

    #[test]
    fn a_read_at_the_cache_counter_fills_and_then_hits() {
        let cache = ItemCache::new(3);
        assert_eq!(hit(&cache, 3, "a"), None);
        fill(
            &cache,
            3,
            vec![(key("a"), Some(item("a", 1))), (key("b"), None)],
        );
        assert_eq!(hit(&cache, 3, "a"), Some(Some(item("a", 1))));
        assert_eq!(
            hit(&cache, 3, "b"),
            Some(None),
            "an absent item is cached too"
        );
    }

    #[test]
    fn the_writer_updates_held_entries_and_ignores_others() {
        let cache = ItemCache::new(3);
        fill(
            &cache,
            3,
            vec![
                (key("a"), Some(item("a", 1))),
                (key("b"), Some(item("b", 1))),
            ],
        );
        cache.committed(
            3,
            4,
            vec![
                (key("a"), Some(item("a", 2))),
                (key("b"), None),
                (key("c"), Some(item("c", 1))),
            ],
            None,
        );
        assert_eq!(hit(&cache, 4, "a"), Some(Some(item("a", 2))));
        assert_eq!(hit(&cache, 4, "b"), Some(None));
        assert_eq!(hit(&cache, 4, "c"), None, "a write adds nothing new");
    }

    #[test]
    fn a_fill_from_an_older_snapshot_is_dropped() {
        let cache = ItemCache::new(3);
        fill(&cache, 3, vec![(key("a"), Some(item("a", 1)))]);
        cache.committed(3, 4, vec![(key("b"), Some(item("b", 2)))], None);
        // A reader whose snapshot predates commit 4 read b's old item: it must not land.
        fill(&cache, 3, vec![(key("b"), Some(item("b", 1)))]);
        assert_eq!(hit(&cache, 4, "b"), None);
        // A read at the old counter is served what did not change since, and admits nothing.
        assert_eq!(cache.lookup(3, &[key("c")]).admit, [false]);
        assert_eq!(cache.lookup(3, &[key("c")]).admit, [false]);
        assert_eq!(hit(&cache, 3, "a"), Some(Some(item("a", 1))));
    }

    #[test]
    fn an_older_snapshot_is_served_only_entries_unchanged_since_it() {
        let cache = ItemCache::new(3);
        fill(
            &cache,
            3,
            vec![
                (key("a"), Some(item("a", 1))),
                (key("b"), Some(item("b", 1))),
            ],
        );
        cache.committed(3, 4, vec![(key("a"), Some(item("a", 2)))], None);
        cache.committed(4, 5, vec![(key("c"), Some(item("c", 1)))], None);
        fill(&cache, 5, vec![(key("d"), Some(item("d", 1)))]);
        // At 3 and 4, b is what it was; a changed at 4, so 3 reads it from SQLite.
        assert_eq!(hit(&cache, 3, "b"), Some(Some(item("b", 1))));
        assert_eq!(hit(&cache, 3, "a"), None);
        assert_eq!(hit(&cache, 4, "a"), Some(Some(item("a", 2))));
        // d was filled at 5: whether it changed before is unknown to the cache.
        assert_eq!(hit(&cache, 4, "d"), None);
        assert_eq!(hit(&cache, 5, "d"), Some(Some(item("d", 1))));
        // A snapshot newer than the cache (a commit not applied yet) reads SQLite alone.
        assert_eq!(hit(&cache, 6, "b"), None);
    }

    #[test]
    fn after_another_process_commit_no_entry_serves_an_older_snapshot() {
        let cache = ItemCache::new(3);
        fill(&cache, 3, vec![(key("a"), Some(item("a", 1)))]);
        // Another process committed 4 (it may have changed a); the writer's group read 4.
        cache.committed(4, 5, vec![], None);
        assert_eq!(hit(&cache, 3, "a"), None);
        assert_eq!(hit(&cache, 4, "a"), None);
    }

    #[test]
    fn a_fill_before_the_writer_applies_its_commit_is_corrected_by_it() {
        let cache = ItemCache::new(3);
        // The reader's snapshot (3) predates the commit, the writer has not applied 4 yet.
        fill(&cache, 3, vec![(key("a"), Some(item("a", 1)))]);
        cache.committed(3, 4, vec![(key("a"), Some(item("a", 2)))], None);
        assert_eq!(hit(&cache, 4, "a"), Some(Some(item("a", 2))));
    }

    #[test]
    fn another_process_commit_sends_reads_to_sqlite_until_the_writer_starts_over() {
        let cache = ItemCache::new(3);
        fill(&cache, 3, vec![(key("a"), Some(item("a", 1)))]);
        // A reader sees counter 5: somebody else committed 4 and 5. It reads SQLite only.
        assert_eq!(hit(&cache, 5, "a"), None);
        fill(&cache, 5, vec![(key("a"), Some(item("a", 9)))]);
        assert_eq!(
            hit(&cache, 3, "a"),
            Some(Some(item("a", 1))),
            "still right at 3"
        );
        // The writer's next group read 5 (commits it did not make): nothing held can be
        // trusted, and the cache starts over at the writer's commit.
        cache.committed(5, 6, vec![(key("a"), Some(item("a", 10)))], None);
        assert_eq!(cache.len_and_bytes(), (0, 0));
        assert_eq!(hit(&cache, 6, "a"), None);
        fill(&cache, 6, vec![(key("a"), Some(item("a", 10)))]);
        assert_eq!(hit(&cache, 6, "a"), Some(Some(item("a", 10))));
    }

    #[test]
    fn a_group_without_a_successful_write_keeps_the_counter_and_the_entries() {
        let cache = ItemCache::new(3);
        fill(&cache, 3, vec![(key("a"), Some(item("a", 1)))]);
        cache.committed(3, 3, vec![], None);
        assert_eq!(hit(&cache, 3, "a"), Some(Some(item("a", 1))));
    }

    #[test]
    fn memory_stays_within_the_budget_and_keeps_what_is_read() {
        let cache = ItemCache::new(1);
        let hot = key("hot");
        fill(&cache, 1, vec![(hot.clone(), Some(item("hot", 1)))]);
        let mut big = item("x", 0);
        big.insert("blob".into(), Value::S("z".repeat(10_000)));
        for i in 0..1_000 {
            let mut it = big.clone();
            it.insert("sk".into(), Value::S(format!("x{i}")));
            assert!(
                hit(&cache, 1, "hot").is_some(),
                "the hot entry stays cached"
            );
            fill(&cache, 1, vec![(key(&format!("x{i}")), Some(it))]);
            let (_, bytes) = cache.len_and_bytes();
            assert!(bytes <= BUDGET_BYTES, "{bytes} bytes cached");
        }
    }
}
