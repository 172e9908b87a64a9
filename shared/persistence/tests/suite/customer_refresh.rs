//! The OMS's own refreshes of the customer snapshot (syncUser, `user.logged_in`, checkout's
//! customer details and saved address) are writes conditional on the item as read: a newer
//! upstream snapshot written meanwhile is read again, never overwritten, and a customer the
//! customer system retired is never revived.

use oms_application::ports::{CatalogRepository, SnapshotWrite};
use oms_application::usecases::{CheckoutInput, CustomerInput, SyncUserInput};
use oms_domain::catalog::Customer;
use oms_domain::ids::UserId;
use oms_domain::order::OrderStatus;
use oms_domain::ErrorCode;
use oms_persistence::keys;
use oms_store::{Item, Value, WriteOp};

use crate::common::*;

fn snapshot(sub: &str, email: &str, active: bool) -> Customer {
    Customer {
        customer_id: customer_id(sub),
        first_name: Some("Grace".into()),
        last_name: Some("Hopper".into()),
        email: Some(email.into()),
        is_active: active,
    }
}

/// The item an upstream customer snapshot of `version` is stored as (what `apply_snapshot`
/// writes), as a raw Put another writer slips in.
fn upstream_put(t: &str, customer: &Customer, version: i64) -> WriteOp {
    let mut item: Item = keys::customer(&tenant(t), &customer.customer_id).to_item();
    item.insert("entity".into(), Value::S("Customer".into()));
    item.insert(
        "body".into(),
        Value::S(serde_json::to_string(customer).unwrap()),
    );
    item.insert("version".into(), Value::N(version));
    item.insert("is_active".into(), Value::Bool(customer.is_active));
    WriteOp::Put { item, cond: None }
}

async fn stored(w: &World, t: &str, sub: &str) -> Option<Customer> {
    ok(w.repo.get_customer(&tenant(t), &customer_id(sub)).await)
}

async fn version_and_rev(w: &World, t: &str, sub: &str) -> (Option<i64>, Option<i64>) {
    let item = w
        .item(&keys::customer(&tenant(t), &customer_id(sub)))
        .await
        .unwrap();
    (
        item.get("version").and_then(Value::as_n),
        item.get("rev").and_then(Value::as_n),
    )
}

/// syncUser of a customer the customer system deactivated: INVALID_STATE, nothing written (the
/// customer stays inactive, no UserAuthorization is created).
pub async fn sync_user_never_revives_a_retired_customer(w: World) {
    let t = tenant(A);
    w.apply(
        A,
        SnapshotWrite::Customer(snapshot("u-gone", "gone@example.com", false)),
        3,
    )
    .await;
    let before = w.item(&keys::customer(&t, &customer_id("u-gone"))).await;
    let e = user_error(
        w.oms
            .sync_user(&customer(A, "u-gone"), SyncUserInput::default())
            .await,
    );
    assert_eq!(
        (e.code, e.field.clone()),
        (ErrorCode::InvalidState, None),
        "{e:?}"
    );
    assert!(e.message.contains("deactivated"), "{}", e.message);
    assert_eq!(
        w.item(&keys::customer(&t, &customer_id("u-gone"))).await,
        before
    );
    let authz = ok(w
        .repo
        .get_user_authorization(&t, &UserId::new("u-gone").unwrap())
        .await);
    assert_eq!(authz, None);
}

/// A newer upstream snapshot written between syncUser's read and its write: the conditional write
/// fails, syncUser reads again and refreshes on top of the newer snapshot (its version kept, the
/// fields the token and input do not give kept).
pub async fn sync_user_keeps_a_newer_snapshot_written_between_its_read_and_write(w: World) {
    w.apply(
        A,
        SnapshotWrite::Customer(snapshot("u-race", "old@example.com", true)),
        1,
    )
    .await;
    let mut newer = snapshot("u-race", "new@example.com", true);
    newer.last_name = Some("Hopper-Murray".into());
    w.before_next_write(vec![upstream_put(A, &newer, 2)]);
    let mut c = customer(A, "u-race");
    c.family_name = None;
    c.email = None;
    let input = SyncUserInput {
        first_name: Some("Amazing".into()),
        ..SyncUserInput::default()
    };
    ok(w.oms.sync_user(&c, input).await);
    let now = stored(&w, A, "u-race").await.unwrap();
    assert_eq!(now.first_name.as_deref(), Some("Amazing"));
    assert_eq!(now.last_name.as_deref(), Some("Hopper-Murray"));
    assert_eq!(now.email.as_deref(), Some("new@example.com"));
    assert!(now.is_active);
    assert_eq!(version_and_rev(&w, A, "u-race").await, (Some(2), Some(1)));
}

/// A retirement written between syncUser's read and its write wins: syncUser reads again,
/// answers INVALID_STATE and writes nothing.
pub async fn sync_user_meets_a_retirement_written_meanwhile_and_changes_nothing(w: World) {
    w.apply(
        A,
        SnapshotWrite::Customer(snapshot("u-left", "left@example.com", true)),
        1,
    )
    .await;
    let retired = snapshot("u-left", "left@example.com", false);
    w.before_next_write(vec![upstream_put(A, &retired, 2)]);
    let e = user_error(
        w.oms
            .sync_user(&customer(A, "u-left"), SyncUserInput::default())
            .await,
    );
    assert_eq!(e.code, ErrorCode::InvalidState, "{e:?}");
    assert_eq!(stored(&w, A, "u-left").await, Some(retired));
    assert_eq!(version_and_rev(&w, A, "u-left").await, (Some(2), None));
}

fn checkout_with_details(wanted: &[(&str, i64)], save: bool) -> CheckoutInput {
    CheckoutInput {
        customer: Some(CustomerInput {
            first_name: Some("Checkout".into()),
            last_name: None,
            email: None,
        }),
        save_destination: save,
        ..checkout_input(wanted)
    }
}

/// A customer retired upstream checks out: the order is created with the details given, the
/// customer's snapshot and address book are left as they are (never revived).
pub async fn checkout_never_revives_a_retired_customer(w: World) {
    let t = tenant(A);
    w.apply(
        A,
        SnapshotWrite::Customer(snapshot("u-retired", "r@example.com", false)),
        4,
    )
    .await;
    let key = keys::customer(&t, &customer_id("u-retired"));
    let before = w.item(&key).await;
    let c = customer(A, "u-retired");
    let order = ok(w
        .oms
        .checkout_items(&c, checkout_with_details(&[("TSHIRT", 1)], true))
        .await)
    .order;
    assert_eq!(order.status, OrderStatus::Draft);
    assert_eq!(order.customer.first_name.as_deref(), Some("Checkout"));
    assert_eq!(w.item(&key).await, before);
    let book = ok(w
        .repo
        .list_customer_addresses(&t, &customer_id("u-retired"))
        .await);
    assert!(book.is_empty(), "{book:?}");
}

/// The customer's snapshot changed between checkout's read and its commit: the commit is refused
/// (nothing written), checkout reads again and creates ONE order, refreshing on top of the newer
/// snapshot (its e-mail kept, version kept). When the change was a retirement, the order is
/// still created and the customer stays retired.
pub async fn checkout_reads_again_when_the_customer_changed_before_its_commit(w: World) {
    for (sub, retire) in [("u-moved", false), ("u-closed", true)] {
        w.apply(
            A,
            SnapshotWrite::Customer(snapshot(sub, "old@example.com", true)),
            1,
        )
        .await;
        let newer = snapshot(sub, "new@example.com", !retire);
        w.before_next_transaction(vec![upstream_put(A, &newer, 2)]);
        let c = customer(A, sub);
        let order = ok(w
            .oms
            .checkout_items(&c, checkout_with_details(&[("MUG", 1)], false))
            .await)
        .order;
        let mine = w.list_ids(&c, oms_domain::auth::Role::Customer, None).await;
        assert_eq!(mine, vec![order.id.clone()], "{sub}: exactly one order");
        let now = stored(&w, A, sub).await.unwrap();
        assert_eq!(now.email.as_deref(), Some("new@example.com"), "{sub}");
        if retire {
            assert_eq!(now, newer, "{sub}: left retired");
            assert_eq!(version_and_rev(&w, A, sub).await, (Some(2), None));
        } else {
            assert_eq!(now.first_name.as_deref(), Some("Checkout"), "{sub}");
            assert_eq!(version_and_rev(&w, A, sub).await, (Some(2), Some(1)));
        }
        // The order's details come from the read that committed.
        assert_eq!(
            order.customer.email.as_deref(),
            Some("new@example.com"),
            "{sub}"
        );
    }
}

/// saveDestination of an address already in the book (same content, same id) writes nothing to
/// it: the entry keeps what it had (its default flag included).
pub async fn checkout_keeps_an_address_already_in_the_book(w: World) {
    let t = tenant(A);
    let c = customer(A, C1);
    ok(w.oms
        .checkout_items(
            &c,
            CheckoutInput {
                save_destination: true,
                ..checkout_input(&[("TSHIRT", 1)])
            },
        )
        .await);
    let book = ok(w.repo.list_customer_addresses(&t, &customer_id(C1)).await);
    assert_eq!(book.len(), 1);
    let mut entry = book[0].clone();
    entry.is_default = true;
    w.apply(A, SnapshotWrite::CustomerAddress(entry.clone()), 7)
        .await;
    let key = keys::customer_address(&t, &customer_id(C1), &entry.address_id);
    let before = w.item(&key).await;
    ok(w.oms
        .checkout_items(
            &c,
            CheckoutInput {
                save_destination: true,
                ..checkout_input(&[("MUG", 1)])
            },
        )
        .await);
    assert_eq!(w.item(&key).await, before);
    let view = ok(w
        .repo
        .load_catalog(
            &t,
            &oms_application::ports::CatalogRequest {
                customer_id: Some(customer_id(C1)),
                address_id: Some(entry.address_id.clone()),
                ..Default::default()
            },
        )
        .await);
    assert_eq!(view.address, Some(entry));
}
