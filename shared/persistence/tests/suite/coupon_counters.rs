//! A coupon's redemption counters exist to enforce its limits: placement counts a use on the
//! coupon's total only when it has a usage limit and on the customer's counter only when it has
//! a per-customer limit (an unlimited coupon writes no counter, its activity still checked on the
//! stored item); the order records which, and the release gives back exactly those.

use oms_application::ports::SnapshotWrite;
use oms_application::usecases::DraftChange;
use oms_persistence::keys;
use oms_store::{ItemStore as _, Value};

use crate::common::*;

/// SAVE10 has no limit: placing and cancelling an order with it writes neither counter.
pub async fn an_unlimited_coupon_writes_no_counter_at_placement_or_release(w: World) {
    let t = tenant(A);
    let c = customer(A, C1);
    let draft = w.ready_draft(&c, &[("TSHIRT", 1)]).await;
    w.change(&c, &draft, DraftChange::AddCoupon("SAVE10".into()))
        .await;
    let coupon_item = w
        .item(&keys::coupon(&t, &vendor_id(), &code("SAVE10")))
        .await;
    let placed = ok(w.oms.place_order(&c, draft.id.as_str(), None, None).await).order;
    let counted = placed.coupons[0].counted.unwrap();
    assert!(!counted.total && !counted.per_customer, "{counted:?}");

    // The coupon item is untouched (no `used`), no customer counter item exists.
    let use_key = keys::coupon_use(&t, &vendor_id(), &code("SAVE10"), &customer_id(C1));
    assert_eq!(
        w.item(&keys::coupon(&t, &vendor_id(), &code("SAVE10")))
            .await,
        coupon_item
    );
    assert_eq!(w.item(&use_key).await, None);

    // The cancellation gives nothing back: no counter goes below zero or appears.
    ok(w.oms
        .cancel_order(&c, placed.id.as_str(), "changed my mind")
        .await);
    assert_eq!(
        w.item(&keys::coupon(&t, &vendor_id(), &code("SAVE10")))
            .await,
        coupon_item
    );
    assert_eq!(w.item(&use_key).await, None);
    assert_eq!(w.stock(A, "TSHIRT").await, 100);
}

/// Only the counter of the limit the coupon has is written: LIMITED3 (total only) counts on the
/// coupon's total, ONCE (per customer only) on the customer's counter.
pub async fn a_coupon_counts_only_the_counters_of_its_limits(w: World) {
    let t = tenant(A);
    let c = customer(A, C1);
    let limited = w.ready_draft(&c, &[("TSHIRT", 1)]).await;
    w.change(&c, &limited, DraftChange::AddCoupon("LIMITED3".into()))
        .await;
    ok(w.oms.place_order(&c, limited.id.as_str(), None, None).await);
    assert_eq!(w.coupon_used(A, "LIMITED3").await, 1);
    let limited_use = keys::coupon_use(&t, &vendor_id(), &code("LIMITED3"), &customer_id(C1));
    assert_eq!(w.item(&limited_use).await, None);

    let once = w.ready_draft(&c, &[("TSHIRT", 1)]).await;
    w.change(&c, &once, DraftChange::AddCoupon("ONCE".into()))
        .await;
    ok(w.oms.place_order(&c, once.id.as_str(), None, None).await);
    assert_eq!(w.customer_coupon_used(A, "ONCE", C1).await, 1);
    let once_item = w
        .item(&keys::coupon(&t, &vendor_id(), &code("ONCE")))
        .await
        .unwrap();
    assert_eq!(
        once_item.get("used"),
        None,
        "no total counter without a usage limit"
    );
}

/// The release follows the order's record, not the coupon's current snapshot: a use counted on
/// the total only is given back on the total only, even after the coupon's limits changed.
pub async fn a_release_gives_back_the_counters_placement_counted_after_the_limits_changed(
    w: World,
) {
    let t = tenant(A);
    let c = customer(A, C1);
    let draft = w.ready_draft(&c, &[("TSHIRT", 1)]).await;
    w.change(&c, &draft, DraftChange::AddCoupon("LIMITED3".into()))
        .await;
    let placed = ok(w.oms.place_order(&c, draft.id.as_str(), None, None).await).order;
    assert_eq!(w.coupon_used(A, "LIMITED3").await, 1);

    // The coupon now has a per-customer limit and no usage limit.
    w.apply(
        A,
        SnapshotWrite::Coupon(coupon("Limited3", None, Some(1))),
        2,
    )
    .await;
    ok(w.oms
        .cancel_order(&c, placed.id.as_str(), "changed my mind")
        .await);
    assert_eq!(w.coupon_used(A, "LIMITED3").await, 0);
    let use_key = keys::coupon_use(&t, &vendor_id(), &code("LIMITED3"), &customer_id(C1));
    assert_eq!(
        w.item(&use_key).await,
        None,
        "the customer's counter was never counted: nothing to give back"
    );
}

/// An order stored before the counters were recorded (its applied coupon has no `counted`)
/// counted both counters at placement: its release gives back both.
pub async fn an_order_placed_before_counters_were_recorded_releases_both(w: World) {
    let t = tenant(A);
    let c = customer(A, C1);
    let draft = w.ready_draft(&c, &[("TSHIRT", 1)]).await;
    w.change(&c, &draft, DraftChange::AddCoupon("LIMITED3".into()))
        .await;
    let placed = ok(w.oms.place_order(&c, draft.id.as_str(), None, None).await).order;

    // As the earlier code stored it: no record on the order, the customer's counter counted too.
    let key = keys::order(&t, &placed.id);
    let mut item = w.item(&key).await.unwrap();
    let mut body: serde_json::Value =
        serde_json::from_str(item.get("body").and_then(Value::as_s).unwrap()).unwrap();
    body["coupons"][0]
        .as_object_mut()
        .unwrap()
        .remove("counted");
    item.insert("body".into(), Value::S(body.to_string()));
    ok(w.store.put(item, None).await);
    ok(w.store.put(counter_item(&t, "LIMITED3", C1, 1), None).await);
    assert_eq!(w.stored_order(A, &placed.id).await.coupons[0].counted, None);

    ok(w.oms
        .cancel_order(&c, placed.id.as_str(), "changed my mind")
        .await);
    assert_eq!(w.coupon_used(A, "LIMITED3").await, 0);
    assert_eq!(w.customer_coupon_used(A, "LIMITED3", C1).await, 0);
}

fn counter_item(
    t: &oms_domain::ids::TenantId,
    c: &str,
    customer: &str,
    used: i64,
) -> oms_store::Item {
    let key = keys::coupon_use(t, &vendor_id(), &code(c), &customer_id(customer));
    let mut item = key.to_item();
    item.insert("entity".into(), Value::S("CouponUse".into()));
    item.insert("used".into(), Value::N(used));
    item
}
