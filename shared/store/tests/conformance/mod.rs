//! One conformance suite for every `ItemStore` backend. Each case takes a fresh, empty store;
//! `conformance_tests!(make_store)` turns every case into a `#[tokio::test]` of the including
//! test binary (`tests/sqlite.rs`, `tests/dynamo.rs`).

use std::collections::BTreeMap;
use std::sync::Arc;

use oms_clock::{Clock, ManualClock};
use oms_store::cond::eval;
use oms_store::{
    BatchWrite, Cond, Index, Item, ItemStore, Key, QueryRequest, SkCondition, StoreError, Update,
    Value, WriteOp,
};

/// Expands to one test per conformance case, each run on a store from `$make(clock).await`,
/// whose TTL view follows `clock` (pinned at [`pinned_now`], moved by the cases that need it).
macro_rules! conformance_tests {
    ($make:path) => {
        conformance_tests!(@cases $make;
            get_returns_what_put_wrote,
            every_condition_variant_matches_the_pure_evaluator,
            conditions_on_absent_items_match_the_pure_evaluator,
            update_sets_removes_and_adds_as_an_upsert,
            update_rejects_bad_changes,
            delete_respects_its_condition,
            transactions_are_all_or_nothing_and_report_failed_ops,
            transaction_limits_are_enforced_before_any_call,
            batch_get_reads_150_keys_in_two_round_trips,
            batch_write_chunks_at_25_and_rejects_duplicate_keys,
            query_primary_with_sort_key_conditions,
            query_gsis_with_begins_with_between_and_direction,
            every_gsi_is_sparse_and_key_ordered,
            gsi_queries_return_only_the_projected_attributes,
            changes_keep_or_move_index_entries_exactly_as_their_index_keys_say,
            paging_with_start_after_has_no_duplicates_or_gaps,
            query_pages_end_at_1_mb_and_page_on_without_gaps,
            expired_items_are_invisible_and_replaceable_with_put_if_absent,
            invalid_requests_are_rejected_without_a_round_trip
        );
    };
    (@cases $make:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let clock = std::sync::Arc::new(oms_clock::ManualClock::new(conformance::pinned_now()));
                conformance::$case($make(clock.clone()).await, &clock).await;
            }
        )*
    };
}

/// Where every case's clock starts: any date works, none is compared with the wall clock.
pub fn pinned_now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_900_000_000, 0).unwrap_or_default()
}

pub fn key(pk: &str, sk: &str) -> Key {
    Key::new(pk, sk)
}

pub fn item(pk: &str, sk: &str, attrs: &[(&str, Value)]) -> Item {
    let mut item = key(pk, sk).to_item();
    for (name, value) in attrs {
        item.insert((*name).to_owned(), value.clone());
    }
    item
}

fn s(v: &str) -> String {
    v.to_owned()
}

fn sk_of(item: &Item) -> &str {
    item.get("sk").and_then(Value::as_s).unwrap_or_default()
}

fn sks(items: &[Item]) -> Vec<String> {
    items.iter().map(|i| sk_of(i).to_owned()).collect()
}

fn is_cond_failed(r: &Result<(), StoreError>) -> bool {
    matches!(r, Err(StoreError::ConditionFailed))
}

pub async fn get_returns_what_put_wrote<S: ItemStore>(store: S, _clock: &ManualClock) {
    let rt = store.round_trips();
    let it = item(
        "P",
        "A",
        &[
            ("name", Value::from("widget")),
            ("price", Value::N(1250)),
            ("neg", Value::N(-7)),
            ("big", Value::N(i64::MAX)),
            ("ok", Value::Bool(true)),
            ("none", Value::Null),
            ("tags", Value::L(vec![Value::from("a"), Value::N(1)])),
            (
                "nested",
                Value::M(BTreeMap::from([(s("k"), Value::from("v"))])),
            ),
            ("empty", Value::from("")),
        ],
    );

    let before = rt.snapshot();
    store.put(it.clone(), None).await.unwrap();
    assert_eq!(rt.since(before), 1, "put is one round trip");

    let before = rt.snapshot();
    assert_eq!(
        store.get(&key("P", "A"), true).await.unwrap(),
        Some(it.clone())
    );
    assert_eq!(rt.since(before), 1, "get is one round trip");

    assert_eq!(store.get(&key("P", "missing"), false).await.unwrap(), None);
    assert_eq!(store.get(&key("other", "A"), true).await.unwrap(), None);

    // A put without condition replaces the whole item.
    let replacement = item("P", "A", &[("name", Value::from("gadget"))]);
    store.put(replacement.clone(), None).await.unwrap();
    assert_eq!(
        store.get(&key("P", "A"), true).await.unwrap(),
        Some(replacement)
    );
}

/// Every `Cond` variant (and the combinators) on a stored item: the backend agrees with the
/// pure evaluator, and the evaluator with the expected literal outcome.
pub async fn every_condition_variant_matches_the_pure_evaluator<S: ItemStore>(
    store: S,
    clock: &ManualClock,
) {
    let stored = item(
        "C",
        "X",
        &[
            ("n", Value::N(5)),
            ("text", Value::from("x")),
            ("flag", Value::Bool(true)),
            ("nothing", Value::Null),
        ],
    );
    let t = || Cond::Exists;
    let f = || Cond::NotExists;
    let cases: Vec<(Cond, bool)> = vec![
        (Cond::Exists, true),
        (Cond::NotExists, false),
        (Cond::AttrExists(s("n")), true),
        (Cond::AttrExists(s("missing")), false),
        (Cond::AttrNotExists(s("missing")), true),
        (Cond::AttrNotExists(s("n")), false),
        (Cond::Eq(s("n"), Value::N(5)), true),
        (Cond::Eq(s("n"), Value::N(6)), false),
        (Cond::Eq(s("n"), Value::from("5")), false),
        (Cond::Eq(s("text"), Value::from("x")), true),
        (Cond::Eq(s("flag"), Value::Bool(true)), true),
        (Cond::Eq(s("nothing"), Value::Null), true),
        (Cond::Eq(s("missing"), Value::Null), false),
        (Cond::Eq(s("flag"), Value::N(1)), false),
        (Cond::Eq(s("n"), Value::Bool(true)), false),
        (Cond::Eq(s("text"), Value::Null), false),
        (Cond::Ne(s("missing"), Value::Null), true),
        (Cond::Ne(s("text"), Value::from("y")), true),
        (Cond::Ne(s("text"), Value::from("x")), false),
        (Cond::Ne(s("missing"), Value::from("x")), true),
        (Cond::Lt(s("n"), 6), true),
        (Cond::Lt(s("n"), 5), false),
        (Cond::Le(s("n"), 5), true),
        (Cond::Le(s("n"), 4), false),
        (Cond::Gt(s("n"), 4), true),
        (Cond::Gt(s("n"), 5), false),
        (Cond::Ge(s("n"), 5), true),
        (Cond::Ge(s("n"), 6), false),
        (Cond::Ge(s("missing"), 0), false),
        (Cond::Lt(s("missing"), 100), false),
        (Cond::Lt(s("text"), 100), false),
        (Cond::Ge(s("flag"), 0), false),
        (Cond::And(vec![t(), Cond::Eq(s("n"), Value::N(5))]), true),
        (Cond::And(vec![t(), f()]), false),
        (Cond::And(vec![]), true),
        (Cond::Or(vec![f(), Cond::Gt(s("n"), 1)]), true),
        (Cond::Or(vec![f(), f()]), false),
        (Cond::Or(vec![]), false),
        (Cond::Not(Box::new(f())), true),
        (Cond::Not(Box::new(Cond::AttrExists(s("n")))), false),
        (
            Cond::Not(Box::new(Cond::And(vec![
                Cond::Ge(s("n"), 1),
                Cond::Or(vec![Cond::AttrNotExists(s("text")), Cond::Lt(s("n"), 0)]),
            ]))),
            true,
        ),
    ];
    store.put(stored.clone(), None).await.unwrap();
    let now = clock.now_unix();
    for (i, (cond, expected)) in cases.into_iter().enumerate() {
        assert_eq!(
            eval(&cond, Some(&stored), now),
            expected,
            "evaluator: {cond:?}"
        );
        // Write the same item back (plus a marker) under the condition.
        let mut next = stored.clone();
        next.insert(s("marker"), Value::N(i as i64));
        let result = store.put(next, Some(cond.clone())).await;
        if expected {
            result.unwrap_or_else(|e| panic!("{cond:?} should hold: {e:?}"));
        } else {
            assert!(is_cond_failed(&result), "{cond:?} should fail: {result:?}");
        }
        let current = store.get(&key("C", "X"), true).await.unwrap().unwrap();
        let marker = current.get("marker").cloned();
        if expected {
            assert_eq!(marker, Some(Value::N(i as i64)), "{cond:?} wrote");
        } else {
            assert_ne!(marker, Some(Value::N(i as i64)), "{cond:?} must not write");
        }
    }
}

pub async fn conditions_on_absent_items_match_the_pure_evaluator<S: ItemStore>(
    store: S,
    clock: &ManualClock,
) {
    let cases: Vec<(Cond, bool)> = vec![
        (Cond::Exists, false),
        (Cond::NotExists, true),
        (Cond::AttrExists(s("n")), false),
        (Cond::AttrNotExists(s("n")), true),
        (Cond::Eq(s("n"), Value::N(0)), false),
        (Cond::Ne(s("n"), Value::N(0)), true),
        (Cond::Ge(s("n"), i64::MIN), false),
        (Cond::Le(s("n"), i64::MAX), false),
        (Cond::Or(vec![Cond::NotExists, Cond::Gt(s("v"), 3)]), true),
        (Cond::Not(Box::new(Cond::Exists)), true),
    ];
    let now = clock.now_unix();
    for (i, (cond, expected)) in cases.into_iter().enumerate() {
        assert_eq!(eval(&cond, None, now), expected, "evaluator: {cond:?}");
        let sk = format!("absent-{i}");
        let result = store.put(item("C", &sk, &[]), Some(cond.clone())).await;
        if expected {
            result.unwrap_or_else(|e| panic!("{cond:?} should hold on an absent item: {e:?}"));
        } else {
            assert!(is_cond_failed(&result), "{cond:?}: {result:?}");
        }
        let written = store.get(&key("C", &sk), true).await.unwrap().is_some();
        assert_eq!(written, expected, "{cond:?}");
    }
}

pub async fn update_sets_removes_and_adds_as_an_upsert<S: ItemStore>(
    store: S,
    _clock: &ManualClock,
) {
    let k = key("U", "1");
    // Upsert: an absent item starts as its key; Add counts a missing attribute as 0.
    store
        .write(WriteOp::Update {
            key: k.clone(),
            updates: vec![
                Update::Add(s("count"), 3),
                Update::Set(s("name"), Value::from("first")),
                Update::Set(s("gsi1pk"), Value::from("G")),
            ],
            cond: Some(Cond::NotExists),
        })
        .await
        .unwrap();
    let expected = item(
        "U",
        "1",
        &[
            ("count", Value::N(3)),
            ("name", Value::from("first")),
            ("gsi1pk", Value::from("G")),
        ],
    );
    assert_eq!(store.get(&k, true).await.unwrap(), Some(expected));

    // Inside a transaction, with a condition that holds.
    store
        .transact_write(vec![WriteOp::Update {
            key: k.clone(),
            updates: vec![
                Update::Add(s("count"), -1),
                Update::Remove(s("name")),
                Update::Set(s("status"), Value::from("OPEN")),
            ],
            cond: Some(Cond::Eq(s("count"), Value::N(3))),
        }])
        .await
        .unwrap();
    let expected = item(
        "U",
        "1",
        &[
            ("count", Value::N(2)),
            ("status", Value::from("OPEN")),
            ("gsi1pk", Value::from("G")),
        ],
    );
    assert_eq!(store.get(&k, true).await.unwrap(), Some(expected.clone()));

    // A failing condition changes nothing.
    let result = store
        .write(WriteOp::Update {
            key: k.clone(),
            updates: vec![Update::Add(s("count"), -5)],
            cond: Some(Cond::Ge(s("count"), 5)),
        })
        .await;
    assert!(is_cond_failed(&result), "{result:?}");
    assert_eq!(store.get(&k, true).await.unwrap(), Some(expected));

    // Update with Exists does not create.
    let result = store
        .write(WriteOp::Update {
            key: key("U", "2"),
            updates: vec![Update::Set(s("a"), Value::N(1))],
            cond: Some(Cond::Exists),
        })
        .await;
    assert!(is_cond_failed(&result), "{result:?}");
    assert_eq!(store.get(&key("U", "2"), true).await.unwrap(), None);
}

pub async fn update_rejects_bad_changes<S: ItemStore>(store: S, _clock: &ManualClock) {
    let k = key("U", "1");
    store
        .put(item("U", "1", &[("text", Value::from("x"))]), None)
        .await
        .unwrap();
    let update = |updates: Vec<Update>| WriteOp::Update {
        key: k.clone(),
        updates,
        cond: None,
    };
    // Adding to a string is rejected by both backends (DynamoDB: ValidationException).
    let result = store.write(update(vec![Update::Add(s("text"), 1)])).await;
    assert!(
        matches!(result, Err(StoreError::Invalid { .. })),
        "{result:?}"
    );
    let result = store
        .transact_write(vec![update(vec![Update::Add(s("text"), 1)])])
        .await;
    assert!(
        matches!(result, Err(StoreError::Invalid { .. })),
        "{result:?}"
    );
    // Key attributes cannot change; an attribute cannot be touched twice.
    let result = store
        .write(update(vec![Update::Set(s("sk"), Value::from("2"))]))
        .await;
    assert!(
        matches!(result, Err(StoreError::Invalid { .. })),
        "{result:?}"
    );
    let twice = vec![Update::Set(s("a"), Value::N(1)), Update::Add(s("a"), 1)];
    let result = store.write(update(twice)).await;
    assert!(
        matches!(result, Err(StoreError::Invalid { .. })),
        "{result:?}"
    );
    assert_eq!(
        store.get(&k, true).await.unwrap(),
        Some(item("U", "1", &[("text", Value::from("x"))]))
    );
}

pub async fn delete_respects_its_condition<S: ItemStore>(store: S, _clock: &ManualClock) {
    let k = key("D", "1");
    store
        .put(item("D", "1", &[("v", Value::N(1))]), None)
        .await
        .unwrap();
    let result = store
        .write(WriteOp::Delete {
            key: k.clone(),
            cond: Some(Cond::Eq(s("v"), Value::N(2))),
        })
        .await;
    assert!(is_cond_failed(&result), "{result:?}");
    assert!(store.get(&k, true).await.unwrap().is_some());
    store
        .write(WriteOp::Delete {
            key: k.clone(),
            cond: Some(Cond::Eq(s("v"), Value::N(1))),
        })
        .await
        .unwrap();
    assert_eq!(store.get(&k, true).await.unwrap(), None);
    // Deleting an absent item is fine without a condition, a failure with Exists.
    store
        .write(WriteOp::Delete {
            key: k.clone(),
            cond: None,
        })
        .await
        .unwrap();
    let result = store
        .write(WriteOp::Delete {
            key: k,
            cond: Some(Cond::Exists),
        })
        .await;
    assert!(is_cond_failed(&result), "{result:?}");
}

pub async fn transactions_are_all_or_nothing_and_report_failed_ops<S: ItemStore>(
    store: S,
    _clock: &ManualClock,
) {
    let rt = store.round_trips();
    let a = item("T", "a", &[("v", Value::N(1))]);
    let b = item("T", "b", &[("v", Value::N(2))]);
    store.put(a.clone(), None).await.unwrap();
    store.put(b.clone(), None).await.unwrap();
    let ops = |v_expected: i64| {
        vec![
            WriteOp::Put {
                item: item("T", "c", &[("v", Value::N(3))]),
                cond: Some(Cond::NotExists),
            },
            WriteOp::Update {
                key: key("T", "a"),
                updates: vec![Update::Add(s("v"), 10)],
                cond: Some(Cond::Eq(s("v"), Value::N(v_expected))),
            },
            WriteOp::Delete {
                key: key("T", "b"),
                cond: Some(Cond::Exists),
            },
            WriteOp::Check {
                key: key("T", "d"),
                cond: Cond::NotExists,
            },
            WriteOp::Check {
                key: key("T", "e"),
                cond: if v_expected == 1 {
                    Cond::NotExists
                } else {
                    Cond::Exists
                },
            },
        ]
    };

    let before = rt.snapshot();
    let result = store.transact_write(ops(99)).await;
    assert_eq!(
        rt.since(before),
        1,
        "a cancelled transaction is one round trip"
    );
    match result {
        Err(StoreError::TransactionCanceled { failed }) => assert_eq!(failed, vec![1, 4]),
        other => panic!("expected TransactionCanceled, got {other:?}"),
    }
    // Nothing was applied.
    assert_eq!(store.get(&key("T", "a"), true).await.unwrap(), Some(a));
    assert_eq!(store.get(&key("T", "b"), true).await.unwrap(), Some(b));
    assert_eq!(store.get(&key("T", "c"), true).await.unwrap(), None);

    let before = rt.snapshot();
    store.transact_write(ops(1)).await.unwrap();
    assert_eq!(rt.since(before), 1, "a transaction is one round trip");
    assert_eq!(
        store.get(&key("T", "a"), true).await.unwrap(),
        Some(item("T", "a", &[("v", Value::N(11))]))
    );
    assert_eq!(store.get(&key("T", "b"), true).await.unwrap(), None);
    assert_eq!(
        store.get(&key("T", "c"), true).await.unwrap(),
        Some(item("T", "c", &[("v", Value::N(3))]))
    );
    assert_eq!(
        store.get(&key("T", "d"), true).await.unwrap(),
        None,
        "Check writes nothing"
    );
}

pub async fn transaction_limits_are_enforced_before_any_call<S: ItemStore>(
    store: S,
    _clock: &ManualClock,
) {
    let rt = store.round_trips();
    let put = |sk: String| WriteOp::Put {
        item: item("L", &sk, &[]),
        cond: None,
    };
    let before = rt.snapshot();

    let ops: Vec<WriteOp> = (0..101).map(|i| put(format!("{i:03}"))).collect();
    let result = store.transact_write(ops).await;
    assert!(
        matches!(result, Err(StoreError::LimitExceeded(_))),
        "101 ops: {result:?}"
    );

    let dup = vec![
        put(s("x")),
        WriteOp::Update {
            key: key("L", "x"),
            updates: vec![Update::Add(s("n"), 1)],
            cond: None,
        },
    ];
    let result = store.transact_write(dup).await;
    assert!(
        matches!(result, Err(StoreError::LimitExceeded(_))),
        "duplicate key: {result:?}"
    );

    let huge = item("L", "huge", &[("blob", Value::S("x".repeat(401 * 1024)))]);
    let result = store.put(huge.clone(), None).await;
    assert!(
        matches!(result, Err(StoreError::LimitExceeded(_))),
        "huge put: {result:?}"
    );
    let result = store
        .transact_write(vec![WriteOp::Put {
            item: huge,
            cond: None,
        }])
        .await;
    assert!(
        matches!(result, Err(StoreError::LimitExceeded(_))),
        "huge in tx: {result:?}"
    );
    let result = store
        .write(WriteOp::Update {
            key: key("L", "huge"),
            updates: vec![Update::Set(s("blob"), Value::S("x".repeat(401 * 1024)))],
            cond: None,
        })
        .await;
    assert!(
        matches!(result, Err(StoreError::LimitExceeded(_))),
        "huge update: {result:?}"
    );

    assert_eq!(rt.since(before), 0, "rejected before any backend call");
    assert_eq!(store.get(&key("L", "000"), true).await.unwrap(), None);
    assert_eq!(store.get(&key("L", "x"), true).await.unwrap(), None);

    // Exactly 100 ops and a large (but legal) item are accepted.
    let ops: Vec<WriteOp> = (0..100).map(|i| put(format!("{i:03}"))).collect();
    store.transact_write(ops).await.unwrap();
    assert!(store.get(&key("L", "099"), true).await.unwrap().is_some());
    let large = item("L", "large", &[("blob", Value::S("x".repeat(390 * 1024)))]);
    store.put(large.clone(), None).await.unwrap();
    assert_eq!(
        store.get(&key("L", "large"), true).await.unwrap(),
        Some(large)
    );
}

pub async fn batch_get_reads_150_keys_in_two_round_trips<S: ItemStore>(
    store: S,
    clock: &ManualClock,
) {
    let rt = store.round_trips();
    let now = clock.now_unix();
    let writes: Vec<BatchWrite> = (0..140)
        .map(|i| {
            let mut attrs = vec![("i", Value::N(i))];
            if i == 7 {
                attrs.push(("expires_at", Value::N(now - 60)));
            }
            BatchWrite::Put(item("B", &format!("{i:03}"), &attrs))
        })
        .collect();
    let before = rt.snapshot();
    store.batch_write(writes).await.unwrap();
    assert_eq!(rt.since(before), 6, "140 writes are 6 chunks of 25");

    // 150 distinct keys: 140 stored (one expired) + 10 missing, plus duplicates.
    let mut keys: Vec<Key> = (0..150).map(|i| key("B", &format!("{i:03}"))).collect();
    keys.push(key("B", "000"));
    keys.push(key("B", "149"));
    let before = rt.snapshot();
    let found = store.batch_get(&keys, false).await.unwrap();
    assert_eq!(rt.since(before), 2, "150 keys are 2 chunks of 100");
    let mut got = sks(&found);
    got.sort();
    let expected: Vec<String> = (0..140)
        .filter(|i| *i != 7)
        .map(|i| format!("{i:03}"))
        .collect();
    assert_eq!(got, expected);
    let first = found.iter().find(|i| sk_of(i) == "042").unwrap();
    assert_eq!(first.get("i"), Some(&Value::N(42)));

    let before = rt.snapshot();
    assert!(store.batch_get(&[], true).await.unwrap().is_empty());
    assert_eq!(rt.since(before), 0, "nothing to read, no round trip");
}

pub async fn batch_write_chunks_at_25_and_rejects_duplicate_keys<S: ItemStore>(
    store: S,
    _clock: &ManualClock,
) {
    let rt = store.round_trips();
    let puts: Vec<BatchWrite> = (0..26)
        .map(|i| BatchWrite::Put(item("W", &format!("{i:02}"), &[])))
        .collect();
    let before = rt.snapshot();
    store.batch_write(puts).await.unwrap();
    assert_eq!(rt.since(before), 2, "26 writes are 2 chunks");

    let mixed = vec![
        BatchWrite::Delete(key("W", "00")),
        BatchWrite::Delete(key("W", "01")),
        BatchWrite::Put(item("W", "02", &[("v", Value::N(2))])),
    ];
    store.batch_write(mixed).await.unwrap();
    let keys: Vec<Key> = (0..26).map(|i| key("W", &format!("{i:02}"))).collect();
    let found = store.batch_get(&keys, true).await.unwrap();
    assert_eq!(found.len(), 24);
    assert_eq!(
        store.get(&key("W", "02"), true).await.unwrap(),
        Some(item("W", "02", &[("v", Value::N(2))]))
    );

    let before = rt.snapshot();
    let dup = vec![
        BatchWrite::Put(item("W", "x", &[])),
        BatchWrite::Delete(key("W", "x")),
    ];
    let result = store.batch_write(dup).await;
    assert!(
        matches!(result, Err(StoreError::LimitExceeded(_))),
        "{result:?}"
    );
    assert_eq!(rt.since(before), 0);
}

async fn seed_partition<S: ItemStore>(store: &S) {
    let mut writes = Vec::new();
    for i in 1..=10 {
        writes.push(BatchWrite::Put(item(
            "Q",
            &format!("A#{i:02}"),
            &[("i", Value::N(i))],
        )));
    }
    for i in 1..=5 {
        writes.push(BatchWrite::Put(item("Q", &format!("B#{i:02}"), &[])));
    }
    writes.push(BatchWrite::Put(item("Q2", "A#01", &[])));
    writes.push(BatchWrite::Put(item("Q", "A", &[])));
    store.batch_write(writes).await.unwrap();
}

fn a(range: std::ops::RangeInclusive<i32>) -> Vec<String> {
    range.map(|i| format!("A#{i:02}")).collect()
}

pub async fn query_primary_with_sort_key_conditions<S: ItemStore>(store: S, _clock: &ManualClock) {
    seed_partition(&store).await;
    let rt = store.round_trips();
    let run = |sk: SkCondition, forward: bool| {
        let store = &store;
        async move {
            let mut req = QueryRequest::new(Index::Primary, "Q");
            req.sk = sk;
            req.forward = forward;
            req.consistent = true;
            let page = store.query(req).await.unwrap();
            assert_eq!(page.last_key, None);
            sks(&page.items)
        }
    };
    let before = rt.snapshot();
    let mut all = vec![s("A")];
    all.extend(a(1..=10));
    all.extend((1..=5).map(|i| format!("B#{i:02}")));
    assert_eq!(run(SkCondition::Any, true).await, all);
    assert_eq!(rt.since(before), 1, "a query page is one round trip");

    assert_eq!(run(SkCondition::BeginsWith(s("A#")), true).await, a(1..=10));
    let mut backward = a(1..=10);
    backward.reverse();
    assert_eq!(run(SkCondition::BeginsWith(s("A#")), false).await, backward);
    assert_eq!(
        run(SkCondition::BeginsWith(s("A#1")), true).await,
        a(10..=10)
    );
    assert_eq!(
        run(SkCondition::BeginsWith(s("C")), true).await,
        Vec::<String>::new()
    );
    assert_eq!(
        run(SkCondition::Between(s("A#03"), s("A#05")), true).await,
        a(3..=5),
        "BETWEEN is inclusive"
    );
    let mut after_a09 = a(10..=10);
    after_a09.extend((1..=5).map(|i| format!("B#{i:02}")));
    assert_eq!(run(SkCondition::Gt(s("A#09")), true).await, after_a09);
    assert_eq!(run(SkCondition::Ge(s("B#05")), true).await, vec![s("B#05")]);
    assert_eq!(run(SkCondition::Lt(s("A#01")), true).await, vec![s("A")]);
    assert_eq!(
        run(SkCondition::Le(s("A#01")), false).await,
        vec![s("A#01"), s("A")]
    );
}

pub async fn query_gsis_with_begins_with_between_and_direction<S: ItemStore>(
    store: S,
    _clock: &ManualClock,
) {
    let mut writes = Vec::new();
    // GSI1: orders of customer C by date; two orders share a date (ties ordered by base key).
    for (sk, date) in [
        ("o1", "2024-01-05"),
        ("o2", "2024-02-01"),
        ("o3", "2024-02-01"),
        ("o4", "2024-03-10"),
    ] {
        writes.push(BatchWrite::Put(item(
            &format!("ORDER#{sk}"),
            "META",
            &[
                ("gsi1pk", Value::from("CUST#C")),
                ("gsi1sk", Value::S(format!("DATE#{date}"))),
                ("gsi2pk", Value::from("STATUS#OPEN")),
                ("gsi2sk", Value::S(format!("T#{sk}"))),
            ],
        )));
    }
    // Sparse: no gsi1sk, so not in GSI1; no GSI2 keys at all.
    writes.push(BatchWrite::Put(item(
        "ORDER#o5",
        "META",
        &[("gsi1pk", Value::from("CUST#C"))],
    )));
    // Another customer.
    writes.push(BatchWrite::Put(item(
        "ORDER#o6",
        "META",
        &[
            ("gsi1pk", Value::from("CUST#D")),
            ("gsi1sk", Value::from("DATE#2024-02-01")),
        ],
    )));
    store.batch_write(writes).await.unwrap();

    let run = |index: Index, pk: &'static str, sk: SkCondition, forward: bool| {
        let store = &store;
        async move {
            let mut req = QueryRequest::new(index, pk);
            req.sk = sk;
            req.forward = forward;
            req.consistent = true; // ignored on GSIs (DynamoDB would reject it)
            let page = store.query(req).await.unwrap();
            assert_eq!(page.last_key, None);
            page.items
                .iter()
                .map(|i| {
                    i.get("pk")
                        .and_then(Value::as_s)
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect::<Vec<_>>()
        }
    };
    let orders = |ids: &[&str]| ids.iter().map(|i| format!("ORDER#{i}")).collect::<Vec<_>>();

    let all = run(Index::Gsi1, "CUST#C", SkCondition::Any, true).await;
    assert_eq!(all.len(), 4, "o5 has no gsi1sk: {all:?}");
    assert_eq!(all[0], "ORDER#o1");
    assert_eq!(all[3], "ORDER#o4");
    let feb = run(
        Index::Gsi1,
        "CUST#C",
        SkCondition::BeginsWith(s("DATE#2024-02")),
        true,
    )
    .await;
    let mut feb_sorted = feb.clone();
    feb_sorted.sort();
    assert_eq!(feb_sorted, orders(&["o2", "o3"]));
    let between = run(
        Index::Gsi1,
        "CUST#C",
        SkCondition::Between(s("DATE#2024-02-01"), s("DATE#2024-03-10")),
        false,
    )
    .await;
    assert_eq!(between.len(), 3);
    assert_eq!(between[0], "ORDER#o4", "backward starts at the latest");
    let mut tied = between[1..].to_vec();
    tied.sort();
    assert_eq!(tied, orders(&["o2", "o3"]));

    let gsi2 = run(
        Index::Gsi2,
        "STATUS#OPEN",
        SkCondition::BeginsWith(s("T#o")),
        false,
    )
    .await;
    assert_eq!(gsi2, orders(&["o4", "o3", "o2", "o1"]));
    let gsi2 = run(
        Index::Gsi2,
        "STATUS#OPEN",
        SkCondition::Between(s("T#o2"), s("T#o3")),
        true,
    )
    .await;
    assert_eq!(gsi2, orders(&["o2", "o3"]));
    assert!(run(Index::Gsi2, "CUST#C", SkCondition::Any, true)
        .await
        .is_empty());

    // A GSI returns its projection: the table's and its own keys, not another index's.
    let page = store
        .query(QueryRequest::new(Index::Gsi2, "STATUS#OPEN"))
        .await
        .unwrap();
    assert_eq!(page.items[0].get("gsi1pk"), None);
    assert_eq!(
        page.items[0].get("gsi2pk"),
        Some(&Value::from("STATUS#OPEN"))
    );
}

/// Puts and updates that leave an item's index keys alone keep it in its indexes with its new
/// expiry (the embedded store rewrites only the row's body then); changing, adding or removing
/// an index key moves it, adds it or drops it.
pub async fn changes_keep_or_move_index_entries_exactly_as_their_index_keys_say<S: ItemStore>(
    store: S,
    clock: &ManualClock,
) {
    let now = clock.now_unix();
    let k = key("IDX", "1");
    let in_index = |index: Index, pk: &'static str, sk_prefix: &'static str| {
        let store = &store;
        async move {
            let mut request = QueryRequest::new(index, pk);
            if !sk_prefix.is_empty() {
                request.sk = SkCondition::BeginsWith(sk_prefix.to_owned());
            }
            let page = store.query(request).await.unwrap();
            page.items
                .iter()
                .map(|i| (i["pk"].clone(), i.get("expires_at").cloned()))
                .collect::<Vec<_>>()
        }
    };
    let at = |expires_at: i64| vec![(Value::from("IDX"), Some(Value::N(expires_at)))];
    let attrs = |status: &str, expires_at: i64| {
        vec![
            ("gsi1pk", Value::from("G")),
            ("gsi1sk", Value::from("S1")),
            ("gsi3pk", Value::from("H")),
            ("gsi3sk", Value::from("T1")),
            ("status", Value::from(status)),
            ("expires_at", Value::N(expires_at)),
        ]
    };
    store
        .put(item("IDX", "1", &attrs("A", now + 100)), None)
        .await
        .unwrap();

    // Put again with the same index keys: a new body and expiry, the same index entries.
    store
        .put(item("IDX", "1", &attrs("B", now + 200)), Some(Cond::Exists))
        .await
        .unwrap();
    assert_eq!(in_index(Index::Gsi1, "G", "S1").await, at(now + 200));
    assert_eq!(in_index(Index::Gsi3, "H", "T1").await, at(now + 200));
    let stored = store.get(&k, true).await.unwrap().unwrap();
    assert_eq!(stored["status"], Value::from("B"));

    // Update without naming an index key, inside a transaction.
    store
        .transact_write(vec![WriteOp::Update {
            key: k.clone(),
            updates: vec![
                Update::Set(s("status"), Value::from("C")),
                Update::Set(s("expires_at"), Value::N(now + 300)),
                Update::Add(s("version"), 1),
            ],
            cond: Some(Cond::Eq(s("status"), Value::from("B"))),
        }])
        .await
        .unwrap();
    assert_eq!(in_index(Index::Gsi1, "G", "S1").await, at(now + 300));
    assert_eq!(in_index(Index::Gsi3, "H", "T1").await, at(now + 300));
    let stored = store.get(&k, true).await.unwrap().unwrap();
    assert_eq!(
        (stored["status"].clone(), stored["version"].clone()),
        (Value::from("C"), Value::N(1))
    );

    // An update that moves one index key: the entry moves, the other index keeps its own.
    store
        .write(WriteOp::Update {
            key: k.clone(),
            updates: vec![Update::Set(s("gsi3sk"), Value::from("T2"))],
            cond: None,
        })
        .await
        .unwrap();
    assert_eq!(in_index(Index::Gsi3, "H", "T1").await, vec![]);
    assert_eq!(in_index(Index::Gsi3, "H", "T2").await, at(now + 300));
    assert_eq!(in_index(Index::Gsi1, "G", "S1").await, at(now + 300));

    // Adding an index key (GSI2), then removing one (GSI3) by update and one (GSI1) by put.
    store
        .write(WriteOp::Update {
            key: k.clone(),
            updates: vec![
                Update::Set(s("gsi2pk"), Value::from("V")),
                Update::Set(s("gsi2sk"), Value::from("W")),
            ],
            cond: None,
        })
        .await
        .unwrap();
    assert_eq!(in_index(Index::Gsi2, "V", "W").await, at(now + 300));
    store
        .write(WriteOp::Update {
            key: k.clone(),
            updates: vec![Update::Remove(s("gsi3pk"))],
            cond: None,
        })
        .await
        .unwrap();
    assert_eq!(in_index(Index::Gsi3, "H", "").await, vec![]);
    let mut without_gsi1 = store.get(&k, true).await.unwrap().unwrap();
    without_gsi1.remove("gsi1pk");
    store.put(without_gsi1.clone(), None).await.unwrap();
    assert_eq!(in_index(Index::Gsi1, "G", "").await, vec![]);
    assert_eq!(in_index(Index::Gsi2, "V", "W").await, at(now + 300));
    assert_eq!(store.get(&k, true).await.unwrap(), Some(without_gsi1));
}

/// Every GSI query returns exactly what the index projects ([`oms_store::TABLE`]: the table's
/// keys, the index's keys and `expires_at`), on every backend, so no code can depend on a body
/// that only one backend's index would hand back. The base table returns whole items; `get` and
/// `batch_get` of the listed keys give the rest.
pub async fn gsi_queries_return_only_the_projected_attributes<S: ItemStore>(
    store: S,
    clock: &ManualClock,
) {
    let later = clock.now_unix() + 3600;
    let mut attrs = vec![
        ("body", Value::S("{\"lines\":[1,2,3]}".repeat(50))),
        ("status", Value::from("PENDING")),
        ("version", Value::N(7)),
        ("entity", Value::from("Order")),
        ("expires_at", Value::N(later)),
    ];
    for (n, index) in Index::GSIS.into_iter().enumerate() {
        let (pk, sk) = index.key_attrs();
        attrs.push((pk, Value::S(format!("G{n}"))));
        attrs.push((sk, Value::S(format!("S{n}"))));
    }
    let whole = item("PROJ", "1", &attrs);
    store.put(whole.clone(), None).await.unwrap();

    for (n, index) in Index::GSIS.into_iter().enumerate() {
        let page = store
            .query(QueryRequest::new(index, format!("G{n}")))
            .await
            .unwrap();
        let (pk, sk) = index.key_attrs();
        let expected: Item = ["pk", "sk", pk, sk, "expires_at"]
            .into_iter()
            .map(|name| (name.to_owned(), whole[name].clone()))
            .collect();
        assert_eq!(page.items, vec![expected.clone()], "{index:?}");
        assert_eq!(
            oms_store::TABLE.project(index, whole.clone()),
            Some(expected),
            "{index:?}: TABLE.project says what the backend returns"
        );
    }
    let page = store
        .query(QueryRequest::new(Index::Primary, "PROJ"))
        .await
        .unwrap();
    assert_eq!(
        page.items,
        vec![whole.clone()],
        "the base table returns whole items"
    );
    let bodies = store.batch_get(&[key("PROJ", "1")], false).await.unwrap();
    assert_eq!(bodies, vec![whole]);
}

pub async fn every_gsi_is_sparse_and_key_ordered<S: ItemStore>(store: S, _clock: &ManualClock) {
    let mut writes = Vec::new();
    for (n, index) in Index::GSIS.into_iter().enumerate() {
        let (pk_attr, sk_attr) = index.key_attrs();
        for sk in ["b", "c", "a"] {
            writes.push(BatchWrite::Put(item(
                &format!("IDX{n}#{sk}"),
                "META",
                &[
                    (pk_attr, Value::from("G")),
                    (sk_attr, Value::S(format!("S#{sk}"))),
                ],
            )));
        }
        // Only the partition key: not in the index.
        writes.push(BatchWrite::Put(item(
            &format!("IDX{n}#sparse"),
            "META",
            &[(pk_attr, Value::from("G"))],
        )));
    }
    store.batch_write(writes).await.unwrap();
    for (n, index) in Index::GSIS.into_iter().enumerate() {
        for forward in [true, false] {
            let mut req = QueryRequest::new(index, "G");
            req.sk = SkCondition::BeginsWith(s("S#"));
            req.forward = forward;
            let page = store.query(req).await.unwrap();
            let pks: Vec<&str> = page
                .items
                .iter()
                .map(|i| i.get("pk").and_then(Value::as_s).unwrap_or_default())
                .collect();
            let mut want: Vec<String> = ["a", "b", "c"]
                .iter()
                .map(|sk| format!("IDX{n}#{sk}"))
                .collect();
            if !forward {
                want.reverse();
            }
            assert_eq!(pks, want, "{index:?}, forward={forward}");
        }
    }
}

/// Pages through `req` with `start_after`, checking page sizes; returns the items in order.
async fn collect_pages<S: ItemStore>(store: &S, mut req: QueryRequest) -> Vec<Item> {
    let mut all = Vec::new();
    for _ in 0..100 {
        let page = store.query(req.clone()).await.unwrap();
        assert!(page.items.len() <= req.limit as usize, "page over limit");
        all.extend(page.items);
        match page.last_key {
            Some(last) => req.start_after = Some(last),
            None => return all,
        }
    }
    panic!("paging did not terminate");
}

pub async fn paging_with_start_after_has_no_duplicates_or_gaps<S: ItemStore>(
    store: S,
    clock: &ManualClock,
) {
    let now = clock.now_unix();
    let mut writes = Vec::new();
    let mut live = Vec::new();
    for i in 0..23 {
        let sk = format!("E#{i:02}");
        let mut attrs = vec![
            ("gsi1pk", Value::from("G")),
            // Repeating GSI sort keys: paging must still not skip or repeat.
            ("gsi1sk", Value::S(format!("S#{}", i / 4))),
        ];
        if i % 5 == 3 {
            attrs.push(("expires_at", Value::N(now - 30)));
        } else {
            attrs.push(("expires_at", Value::N(now + 3600)));
            live.push(sk.clone());
        }
        writes.push(BatchWrite::Put(item("PG", &sk, &attrs)));
    }
    store.batch_write(writes).await.unwrap();

    for forward in [true, false] {
        for limit in [1, 3, 4, 50] {
            let mut req = QueryRequest::new(Index::Primary, "PG");
            req.forward = forward;
            req.limit = limit;
            let got = sks(&collect_pages(&store, req).await);
            let mut want = live.clone();
            if !forward {
                want.reverse();
            }
            assert_eq!(got, want, "primary, forward={forward}, limit={limit}");

            let mut req = QueryRequest::new(Index::Gsi1, "G");
            req.forward = forward;
            req.limit = limit;
            let items = collect_pages(&store, req).await;
            let mut got = sks(&items);
            let gsi_sks: Vec<String> = items
                .iter()
                .map(|i| {
                    i.get("gsi1sk")
                        .and_then(Value::as_s)
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect();
            let mut ordered = gsi_sks.clone();
            ordered.sort();
            if !forward {
                ordered.reverse();
            }
            assert_eq!(
                gsi_sks, ordered,
                "GSI order, forward={forward}, limit={limit}"
            );
            got.sort();
            assert_eq!(got, live, "GSI, forward={forward}, limit={limit}");
        }
    }

    // last_key carries the base and index keys.
    let mut req = QueryRequest::new(Index::Gsi1, "G");
    req.limit = 2;
    let last = store
        .query(req)
        .await
        .unwrap()
        .last_key
        .expect("more pages");
    let mut names: Vec<&str> = last.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["gsi1pk", "gsi1sk", "pk", "sk"]);
}

/// A `Query` page holds at most 1 MB (`limits::MAX_QUERY_PAGE_BYTES`) whatever its `limit`: it
/// ends early with a `last_key`, and paging on from it reads everything exactly once. Items of
/// ~150 KB: 6 fit in a page under both DynamoDB's 1 MB (1,048,576 bytes, our SQLite backend) and
/// moto's 1,000,000, 7 do not. An expired item still counts toward the cut (it is dropped after
/// it, as DynamoDB filters after reading). On a GSI the cut counts the projected entries.
pub async fn query_pages_end_at_1_mb_and_page_on_without_gaps<S: ItemStore>(
    store: S,
    clock: &ManualClock,
) {
    let now = clock.now_unix();
    let blob = "x".repeat(150 * 1024);
    let mut writes = Vec::new();
    let mut live = Vec::new();
    for i in 0..20 {
        let sk = format!("E#{i:02}");
        let expires = if i == 8 { now - 1 } else { now + 3600 };
        writes.push(BatchWrite::Put(item(
            "BIG",
            &sk,
            &[
                ("gsi2pk", Value::from("BG")),
                ("gsi2sk", Value::S(format!("S#{i:02}"))),
                ("blob", Value::S(blob.clone())),
                ("expires_at", Value::N(expires)),
            ],
        )));
        if i != 8 {
            live.push(sk);
        }
    }
    store.batch_write(writes).await.unwrap();

    // On the base table (a GSI holds no blob: its pages are checked below; moto would still
    // size them by the whole item, AWS and the embedded store by the projection).
    {
        let (index, pk) = (Index::Primary, "BIG");
        for forward in [true, false] {
            let mut req = QueryRequest::new(index, pk);
            req.forward = forward;
            req.limit = 100;
            let mut pages = Vec::new();
            let mut got = Vec::new();
            loop {
                let before = store.round_trips().snapshot();
                let page = store.query(req.clone()).await.unwrap();
                assert_eq!(store.round_trips().since(before), 1);
                pages.push(page.items.len());
                got.extend(sks(&page.items));
                match page.last_key {
                    Some(last) => req.start_after = Some(last),
                    None => break,
                }
                assert!(pages.len() < 10, "paging does not terminate");
            }
            let mut want = live.clone();
            if !forward {
                want.reverse();
            }
            assert_eq!(got, want, "{index:?}, forward={forward}");
            // 6 items per MB; the second page (either way) holds the expired item: 5 shown.
            assert_eq!(pages, [6, 5, 6, 2], "{index:?}, forward={forward}");
        }
    }

    // A limit below the cut still decides alone.
    let mut req = QueryRequest::new(Index::Primary, "BIG");
    req.limit = 4;
    let page = store.query(req).await.unwrap();
    assert_eq!(sks(&page.items), live[..4].to_vec());
    assert!(page.last_key.is_some());

    // A GSI page ends at 1 MB of what the index holds. Keys-only entries of about 4 KB (long
    // base and index keys): 253 of them fit moto's 1,000,000 bytes, 265 DynamoDB's 1 MB.
    let long = "k".repeat(1900);
    let mut writes = Vec::new();
    let mut want = Vec::new();
    for i in 0..600 {
        let sk = format!("{}{i:04}", "s".repeat(1000));
        writes.push(BatchWrite::Put(item(
            &format!("L#{long}"),
            &sk,
            &[
                ("gsi2pk", Value::from("LG")),
                ("gsi2sk", Value::S(format!("{}{i:04}", "g".repeat(1000)))),
                ("expires_at", Value::N(now + 3600)),
            ],
        )));
        want.push(sk);
    }
    store.batch_write(writes).await.unwrap();
    let mut req = QueryRequest::new(Index::Gsi2, "LG");
    req.limit = 1000;
    let mut pages = Vec::new();
    let mut got = Vec::new();
    loop {
        let page = store.query(req.clone()).await.unwrap();
        let bytes: usize = page.items.iter().map(oms_store::limits::item_size).sum();
        assert!(
            bytes <= oms_store::limits::MAX_QUERY_PAGE_BYTES,
            "{bytes} bytes"
        );
        pages.push(page.items.len());
        got.extend(sks(&page.items));
        match page.last_key {
            Some(last) => req.start_after = Some(last),
            None => break,
        }
        assert!(pages.len() < 10, "paging does not terminate");
    }
    assert_eq!(got, want, "every index entry once, in order");
    assert!(pages.len() == 3, "{pages:?}");
    assert!(
        pages[..2].iter().all(|n| (240..=270).contains(n)),
        "{pages:?}"
    );
}

pub async fn expired_items_are_invisible_and_replaceable_with_put_if_absent<S: ItemStore>(
    store: S,
    clock: &ManualClock,
) {
    let now = clock.now_unix();
    let expired = item(
        "X",
        "1",
        &[
            ("expires_at", Value::N(now - 10)),
            ("stock", Value::N(9)),
            ("gsi1pk", Value::from("XG")),
            ("gsi1sk", Value::from("1")),
        ],
    );
    let live = item(
        "X",
        "2",
        &[
            ("expires_at", Value::N(now + 3600)),
            ("gsi1pk", Value::from("XG")),
            ("gsi1sk", Value::from("2")),
        ],
    );
    store.put(expired.clone(), None).await.unwrap();
    store.put(live.clone(), None).await.unwrap();

    // Invisible to every read.
    assert_eq!(store.get(&key("X", "1"), true).await.unwrap(), None);
    assert_eq!(
        store.get(&key("X", "2"), true).await.unwrap(),
        Some(live.clone())
    );
    let found = store
        .batch_get(&[key("X", "1"), key("X", "2")], true)
        .await
        .unwrap();
    assert_eq!(found, vec![live.clone()]);
    let page = store
        .query(QueryRequest::new(Index::Primary, "X"))
        .await
        .unwrap();
    assert_eq!(page.items, vec![live.clone()]);
    let page = store
        .query(QueryRequest::new(Index::Gsi1, "XG"))
        .await
        .unwrap();
    assert_eq!(page.items, vec![live.clone()]);

    // Absent for conditions: Exists fails, attribute conditions see no attributes.
    let result = store.put(item("X", "1", &[]), Some(Cond::Exists)).await;
    assert!(is_cond_failed(&result), "{result:?}");
    let result = store
        .write(WriteOp::Update {
            key: key("X", "1"),
            updates: vec![Update::Add(s("stock"), -1)],
            cond: Some(Cond::Ge(s("stock"), 1)),
        })
        .await;
    assert!(is_cond_failed(&result), "{result:?}");
    let result = store
        .transact_write(vec![WriteOp::Check {
            key: key("X", "1"),
            cond: Cond::AttrExists(s("stock")),
        }])
        .await;
    assert!(
        matches!(result, Err(StoreError::TransactionCanceled { ref failed }) if failed == &[0]),
        "{result:?}"
    );
    // ... while a live item is present.
    let result = store.put(item("X", "2", &[]), Some(Cond::NotExists)).await;
    assert!(is_cond_failed(&result), "{result:?}");

    // "Put if absent or expired" overwrites the expired item.
    let fresh = item("X", "1", &[("v", Value::from("fresh"))]);
    store
        .put(fresh.clone(), Some(Cond::NotExists))
        .await
        .unwrap();
    assert_eq!(store.get(&key("X", "1"), true).await.unwrap(), Some(fresh));

    // The same inside a transaction, with a Delete of an expired item guarded by NotExists.
    store.put(expired.clone(), None).await.unwrap();
    let mut expired3 = expired.clone();
    expired3.insert(s("sk"), Value::from("3"));
    store.put(expired3, None).await.unwrap();
    store
        .transact_write(vec![
            WriteOp::Put {
                item: item("X", "1", &[("v", Value::from("again"))]),
                cond: Some(Cond::NotExists),
            },
            WriteOp::Delete {
                key: key("X", "3"),
                cond: Some(Cond::NotExists),
            },
        ])
        .await
        .unwrap();
    assert_eq!(
        store.get(&key("X", "1"), true).await.unwrap(),
        Some(item("X", "1", &[("v", Value::from("again"))]))
    );

    // Reviving an expired item by update: set expires_at (see WriteOp::Update docs).
    store.put(expired, None).await.unwrap();
    store
        .write(WriteOp::Update {
            key: key("X", "1"),
            updates: vec![
                Update::Set(s("expires_at"), Value::N(now + 3600)),
                Update::Set(s("stock"), Value::N(1)),
            ],
            cond: Some(Cond::NotExists),
        })
        .await
        .unwrap();
    let revived = store
        .get(&key("X", "1"), true)
        .await
        .unwrap()
        .expect("revived");
    assert_eq!(revived.get("stock"), Some(&Value::N(1)));

    // The injected clock decides, not the machine's: an hour later (on the store's clock) the
    // live item has lapsed for every read and condition.
    clock.advance(chrono::Duration::seconds(3601));
    assert_eq!(store.get(&key("X", "2"), true).await.unwrap(), None);
    assert_eq!(store.get(&key("X", "1"), true).await.unwrap(), None);
    let page = store
        .query(QueryRequest::new(Index::Gsi1, "XG"))
        .await
        .unwrap();
    assert_eq!(page.items, vec![], "lapsed items leave the index too");
    store
        .put(item("X", "2", &[]), Some(Cond::NotExists))
        .await
        .expect("a lapsed item is replaceable");
}

/// Truly concurrent transactions: run on the embedded store only. moto (our local DynamoDB)
/// does not isolate concurrent transactions, so on it this would test moto, not our conditions;
/// the condition itself (`stock >= 1`) is covered on both backends by the evaluator cases.
#[allow(dead_code)] // only tests/sqlite.rs runs it
pub async fn concurrent_decrements_sell_exactly_the_stock<S: ItemStore>(
    store: S,
    _clock: &ManualClock,
) {
    let store = Arc::new(store);
    store
        .put(item("SKU", "1", &[("stock", Value::N(5))]), None)
        .await
        .unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .transact_write(vec![
                        WriteOp::Update {
                            key: key("SKU", "1"),
                            updates: vec![Update::Add(s("stock"), -1)],
                            cond: Some(Cond::Ge(s("stock"), 1)),
                        },
                        WriteOp::Put {
                            item: item("ORDER", &format!("{i:02}"), &[]),
                            cond: Some(Cond::NotExists),
                        },
                    ])
                    .await
            })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => won += 1,
            Err(StoreError::TransactionCanceled { failed }) => assert_eq!(failed, vec![0]),
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(won, 5, "exactly the stock is sold");
    let sku = store.get(&key("SKU", "1"), true).await.unwrap().unwrap();
    assert_eq!(sku.get("stock"), Some(&Value::N(0)));
    let orders = store
        .query(QueryRequest::new(Index::Primary, "ORDER"))
        .await
        .unwrap();
    assert_eq!(orders.items.len(), 5, "only winners wrote their order");
}

pub async fn invalid_requests_are_rejected_without_a_round_trip<S: ItemStore>(
    store: S,
    _clock: &ManualClock,
) {
    let rt = store.round_trips();
    let before = rt.snapshot();
    let invalid = |r: &Result<(), StoreError>| matches!(r, Err(StoreError::Invalid { .. }));

    let check = WriteOp::Check {
        key: key("I", "1"),
        cond: Cond::Exists,
    };
    assert!(
        invalid(&store.write(check).await),
        "Check outside a transaction"
    );
    assert!(
        invalid(&store.transact_write(vec![]).await),
        "empty transaction"
    );
    assert!(
        invalid(&store.put(item("", "1", &[]), None).await),
        "empty pk"
    );
    let mut no_sk = item("I", "1", &[]);
    no_sk.remove("sk");
    assert!(invalid(&store.put(no_sk, None).await), "missing sk");
    assert!(
        invalid(
            &store
                .put(item("I", "1", &[("gsi1sk", Value::N(3))]), None)
                .await
        ),
        "numeric index key"
    );
    let mut req = QueryRequest::new(Index::Primary, "I");
    req.limit = 0;
    assert!(matches!(
        store.query(req).await,
        Err(StoreError::Invalid { .. })
    ));
    let mut req = QueryRequest::new(Index::Gsi1, "I");
    req.sk = SkCondition::BeginsWith(String::new());
    assert!(matches!(
        store.query(req).await,
        Err(StoreError::Invalid { .. })
    ));
    let mut req = QueryRequest::new(Index::Gsi1, "I");
    req.start_after = Some(item("I", "1", &[]));
    assert!(
        matches!(store.query(req).await, Err(StoreError::Invalid { .. })),
        "a GSI start key needs the GSI keys"
    );
    let expires_text = item("I", "1", &[("expires_at", Value::from("soon"))]);
    assert!(
        invalid(&store.put(expires_text, None).await),
        "non-numeric expires_at"
    );
    assert!(matches!(
        store.get(&key("I", ""), false).await,
        Err(StoreError::Invalid { .. })
    ));
    assert_eq!(rt.since(before), 0);
}
