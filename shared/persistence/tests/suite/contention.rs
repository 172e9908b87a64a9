//! Contention and the coupon's own condition: a commit that stays contended after the store's
//! retries is a retryable `TRY_AGAIN` user error (never INTERNAL) and writes nothing; a coupon
//! deactivated between placeOrder's read and its commit refuses the placement through the
//! transaction's condition on the stored coupon item.

use oms_application::records::IdempotencyKey;
use oms_application::usecases::DraftChange;
use oms_domain::ErrorCode;
use oms_persistence::keys;
use oms_store::{StoreError, Update, Value, WriteOp};

use crate::common::*;

/// DynamoDB's `TransactionConflict` after the retries, DynamoDB throttling and a busy SQLite
/// database each answer TRY_AGAIN saying which, with nothing written; the same request then
/// succeeds.
pub async fn a_commit_still_contended_after_retries_is_try_again_and_writes_nothing(w: World) {
    let t = tenant(A);
    let c = customer(A, C1);
    let cases: [(StoreError, &str); 2] = [
        (StoreError::Conflict, "transaction conflict"),
        (
            StoreError::Throttled("ProvisionedThroughputExceeded".into()),
            "throttled",
        ),
    ];
    for (i, (error, says)) in cases.into_iter().enumerate() {
        let draft = w.ready_draft(&c, &[("TSHIRT", 1), ("MUG", 1)]).await;
        w.change(&c, &draft, DraftChange::AddCoupon("SAVE10".into()))
            .await;
        let draft = w.stored_order(A, &draft.id).await;
        let used_before = w.coupon_used(A, "SAVE10").await;
        let (tshirt, mug) = (w.stock(A, "TSHIRT").await, w.stock(A, "MUG").await);
        let key = format!("idem-contended-{i}");

        w.store.fail_next_transaction(error);
        let r = w
            .oms
            .place_order(&c, draft.id.as_str(), None, Some(key.as_str()))
            .await;
        let e = user_error(r);
        assert_eq!(
            (e.code, e.field.clone()),
            (ErrorCode::TryAgain, None),
            "{e:?}"
        );
        assert!(e.message.contains(says), "{}", e.message);
        assert!(
            e.message.contains("send the request again"),
            "{}",
            e.message
        );

        // Nothing written: order, stock, coupon counters, idempotency record, outbox.
        assert_eq!(w.stored_order(A, &draft.id).await, draft);
        assert_eq!(w.stock(A, "TSHIRT").await, tshirt);
        assert_eq!(w.stock(A, "MUG").await, mug);
        assert_eq!(w.coupon_used(A, "SAVE10").await, used_before);
        assert!(w.outbox(A, &draft.id, draft.version + 1).await.is_empty());
        let idem = IdempotencyKey::new(C1, "placeOrder", &key);
        assert_eq!(w.item(&keys::idempotency(&t, &idem)).await, None);

        // The same request, sent again, places the order.
        let placed = ok(w
            .oms
            .place_order(&c, draft.id.as_str(), None, Some(key.as_str()))
            .await);
        assert!(!placed.replayed);
        assert_eq!(w.stock(A, "TSHIRT").await, tshirt - 1);
    }
}

/// The coupon's activity is checked by the transaction's own condition on the stored coupon
/// item: deactivated (a newer snapshot) between placeOrder's read and its commit, the placement
/// is refused with the coupon's user error and nothing is written.
pub async fn a_coupon_deactivated_between_read_and_commit_refuses_the_placement(w: World) {
    let t = tenant(A);
    let c = customer(A, C1);
    let draft = w.ready_draft(&c, &[("TSHIRT", 1)]).await;
    w.change(&c, &draft, DraftChange::AddCoupon("SAVE10".into()))
        .await;
    let draft = w.stored_order(A, &draft.id).await;
    let tshirt = w.stock(A, "TSHIRT").await;

    let mut retired = coupon("Save10", None, None);
    retired.is_active = false;
    w.before_next_transaction(vec![WriteOp::Update {
        key: keys::coupon(&t, &vendor_id(), &retired.code),
        updates: vec![
            Update::Set("is_active".into(), Value::Bool(false)),
            Update::Set("version".into(), Value::N(2)),
        ],
        cond: None,
    }]);
    let r = w.oms.place_order(&c, draft.id.as_str(), None, None).await;
    let e = user_error(r);
    assert_eq!(e.code, ErrorCode::CouponInvalid, "{e:?}");
    assert_eq!(
        e.field,
        Some(vec!["coupons".to_string(), "SAVE10".to_string()]),
        "{e:?}"
    );
    assert_eq!(w.stored_order(A, &draft.id).await, draft);
    assert_eq!(w.stock(A, "TSHIRT").await, tshirt);
    assert_eq!(w.coupon_used(A, "SAVE10").await, 0);
    assert_eq!(w.customer_coupon_used(A, "SAVE10", C1).await, 0);
    assert!(w.outbox(A, &draft.id, draft.version + 1).await.is_empty());
}

/// A read the store kept throttling after its retries (DynamoDB throughput or request limits,
/// unprocessed batch keys, a busy SQLite database) is the retryable TRY_AGAIN too, never
/// INTERNAL, whichever read of the command it hits; nothing is written and the same request then
/// succeeds.
pub async fn a_read_still_throttled_after_retries_is_try_again_and_writes_nothing(w: World) {
    let c = customer(A, C1);
    let draft = w.ready_draft(&c, &[("TSHIRT", 1)]).await;
    let tshirt = w.stock(A, "TSHIRT").await;
    // The order's read, then the catalog's read of the same placement.
    for skip_reads in [0, 1] {
        let before = w.rt();
        if skip_reads == 0 {
            w.store.fail_next_read(StoreError::Throttled(
                "ProvisionedThroughputExceededException".into(),
            ));
        } else {
            w.store.fail_next_read_after(
                1,
                StoreError::Throttled("unprocessed keys after the retries".into()),
            );
        }
        let r = w.oms.place_order(&c, draft.id.as_str(), None, None).await;
        let e = user_error(r);
        assert_eq!(
            (e.code, e.field.clone()),
            (ErrorCode::TryAgain, None),
            "{e:?}"
        );
        assert!(e.message.contains("throttled"), "{}", e.message);
        assert!(
            e.message.contains("send the request again"),
            "{}",
            e.message
        );
        assert!(w.since(before) <= 2, "no commit was tried");
        assert_eq!(w.stored_order(A, &draft.id).await, draft);
        assert_eq!(w.stock(A, "TSHIRT").await, tshirt);
    }
    // A query (listOrders) too.
    w.store
        .fail_next_read(StoreError::Throttled("ThrottlingException".into()));
    let r = w
        .oms
        .list_orders(&c, oms_domain::auth::Role::Customer, None, 10, None)
        .await;
    assert_eq!(user_error(r).code, ErrorCode::TryAgain);

    let placed = ok(w.oms.place_order(&c, draft.id.as_str(), None, None).await);
    assert!(!placed.replayed);
    assert_eq!(w.stock(A, "TSHIRT").await, tshirt - 1);
}
