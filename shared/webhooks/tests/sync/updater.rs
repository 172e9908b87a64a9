//! `apply`: version ordering, identity, payments and refunds, failures.

use std::sync::Arc;

use chrono::DateTime;
use serde_json::{json, Value};

use oms_application::caller::Caller;
use oms_application::error::AppError;
use oms_application::ports::{NoPaymentGateway, OrderLoadRequest, SystemClock};
use oms_application::records::PaymentEventStatus;
use oms_application::usecases::{
    AddressInput, CheckoutInput, DestinationChoice, DraftChange, ItemInput,
};
use oms_application::Oms;
use oms_domain::auth::Role;
use oms_domain::catalog::{AddressType, ShippingMethod};
use oms_domain::ids::{CustomerId, OrderId, UserId, VendorId};
use oms_domain::order::{Order, OrderStatus, PaymentMethod};
use oms_domain::ErrorCode;
use oms_webhooks::message::{MessageSource, MESSAGE_FORMAT};
use oms_webhooks::{apply, receive, Applied, SyncMessage, UpdateError};

use crate::common::*;

/// Receives a signed event for `t` (must be 202) and returns its queue body.
async fn accept(
    h: &Harness,
    t: &str,
    kind: &str,
    id: &str,
    event_type: &str,
    version: u64,
    data: Value,
) -> String {
    let body = envelope(id, event_type, t, version, data);
    let headers = oms_headers(&[SECRET_NEW], now().timestamp(), &body);
    let r = receive(&h.deps, t, kind, &headers, &body, now()).await;
    assert_eq!(r.status, 202, "{id}: {}", r.body);
    h.queue.take().pop().map(|m| m.body).unwrap()
}

#[tokio::test]
async fn newer_versions_apply_and_older_ones_are_dropped_and_counted() {
    let h = Harness::new().await;
    let mut bodies = vec![];
    for (id, version, stock) in [("e5", 5, 5), ("e7", 7, 7), ("e6", 6, 6)] {
        let data = product_data("p-1", "SKU-1", stock, "10.00");
        bodies.push(
            accept(
                &h,
                "t1",
                "vendor-products",
                id,
                "vendor_product.upserted",
                version,
                data,
            )
            .await,
        );
    }
    let mut outcomes = vec![];
    for b in &bodies {
        outcomes.push(apply(&h.updater, b).await.unwrap());
    }
    assert_eq!(
        outcomes,
        [Applied::Applied, Applied::Applied, Applied::Stale]
    );
    assert_eq!(
        h.catalog("t1", "v-1", &["SKU-1"], &[]).await.products[0].stock,
        7
    );
    assert_eq!((h.updater.stats.applied(), h.updater.stats.stale()), (2, 1));

    // The same message again (an at-least-once redelivery) changes nothing.
    let writes = h.writes();
    assert_eq!(apply(&h.updater, &bodies[1]).await.unwrap(), Applied::Stale);
    assert_eq!(h.updater.stats.stale(), 2);
    assert_eq!(
        h.catalog("t1", "v-1", &["SKU-1"], &[]).await.products[0].stock,
        7
    );
    assert!(
        h.writes() - writes <= 1,
        "at most the refused conditional write"
    );
}

#[tokio::test]
async fn every_snapshot_kind_is_applied_through_the_updater() {
    let h = Harness::new().await;
    let t = "t1";
    let events = [
        (
            "vendor-details",
            "vendor_details.upserted",
            json!({"vendor_id": "v-1", "name": "Vendor One", "country": "Singapore"}),
        ),
        (
            "vendor-coupons",
            "vendor_coupon.upserted",
            json!({"vendor_id": "v-1", "coupon_code": "welcome10", "offer_id": "o-1", "is_active": true}),
        ),
        (
            "vendor-offers",
            "vendor_offer.upserted",
            json!({"vendor_id": "v-1", "offer_id": "o-1", "name": "10% off", "offer_type": "coupon_discount", "discount_value": 10, "is_active": true}),
        ),
        (
            "vendor-shipping-options",
            "vendor_shipping_option.upserted",
            json!({"vendor_id": "v-1", "name": "Standard", "delivery_time": "2-3 Days", "base_cost": "5", "conditions": {"max_weight": 30}, "is_active": true}),
        ),
        (
            "customer-details",
            "customer_details.upserted",
            json!({"customer_id": "c-1", "first_name": "Ada", "email": "ada@example.com"}),
        ),
        (
            "customer-addresses",
            "customer_address.upserted",
            json!({"customer_id": "c-1", "address_id": "home", "street": "1 Raffles Place", "city": "Singapore", "postal": "048616", "country": "SG"}),
        ),
        (
            "user-authorizations",
            "user_authorization.upserted",
            json!({"user_id": "c-1", "roles": ["vendor"], "vendor_id": "v-1"}),
        ),
        (
            "vendor-products",
            "vendor_product.upserted",
            product_data("p-1", "SKU-1", 3, "10.00"),
        ),
    ];
    for (i, (kind, event_type, data)) in events.into_iter().enumerate() {
        let body = accept(&h, t, kind, &format!("evt_{i}"), event_type, 1, data).await;
        assert_eq!(
            apply(&h.updater, &body).await.unwrap(),
            Applied::Applied,
            "{kind}"
        );
    }
    let view = h.catalog(t, "v-1", &["SKU-1"], &["WELCOME10"]).await;
    assert_eq!(
        view.vendor.map(|v| v.country.to_string()),
        Some("SG".to_string())
    );
    assert_eq!(view.coupons.len(), 1);
    assert_eq!(view.offers.len(), 1);
    assert_eq!(view.shipping_options.len(), 1);
    assert_eq!(view.products.len(), 1);
    let c1 = CustomerId::new("c-1").unwrap();
    assert_eq!(
        h.store
            .get_customer(&tenant(t), &c1)
            .await
            .unwrap()
            .and_then(|c| c.first_name),
        Some("Ada".into())
    );
    assert_eq!(
        h.store
            .list_customer_addresses(&tenant(t), &c1)
            .await
            .unwrap()
            .len(),
        1
    );
    let auth = h
        .store
        .get_user_authorization(&tenant(t), &UserId::new("c-1").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(auth.vendor_id, Some(VendorId::new("v-1").unwrap()));
}

#[tokio::test]
async fn an_identity_event_refreshes_the_user_in_its_tenant_only() {
    // GIVEN customer u-1 in tenants t1 and t2
    let h = Harness::new().await;
    for t in ["t1", "t2"] {
        let body = accept(&h, t, "customer-details", "evt_c", "customer_details.upserted", 1,
            json!({"customer_id": "u-1", "first_name": "Old", "last_name": "Name", "email": "old@example.com"})).await;
        apply(&h.updater, &body).await.unwrap();
    }
    // WHEN u-1 logs in to t1
    let body = accept(&h, "t1", "identity", "evt_login", "user.logged_in", 10,
        json!({"sub": "u-1", "email": "ada@example.com", "name": "Ada Lovelace", "tenant_id": "t1", "roles": ["customer", "offline_access"]})).await;
    assert_eq!(apply(&h.updater, &body).await.unwrap(), Applied::Applied);

    // THEN t1's customer and authorization reflect the login
    let u1 = CustomerId::new("u-1").unwrap();
    let user = UserId::new("u-1").unwrap();
    let c = h
        .store
        .get_customer(&tenant("t1"), &u1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            c.first_name.as_deref(),
            c.last_name.as_deref(),
            c.email.as_deref()
        ),
        (Some("Ada"), Some("Lovelace"), Some("ada@example.com"))
    );
    let auth = h
        .store
        .get_user_authorization(&tenant("t1"), &user)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(auth.roles, [Role::Customer]);
    assert!(auth.is_active);
    // AND t2 is untouched (the original wiped the user in every tenant)
    let c2 = h
        .store
        .get_customer(&tenant("t2"), &u1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (c2.first_name.as_deref(), c2.email.as_deref()),
        (Some("Old"), Some("old@example.com"))
    );
    assert!(h
        .store
        .get_user_authorization(&tenant("t2"), &user)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn an_identity_event_updates_roles_in_version_order_and_keeps_the_rest() {
    let h = Harness::new().await;
    let user = UserId::new("u-2").unwrap();
    // An authorization from the user-authorizations feed, with a vendor id.
    let body = accept(
        &h,
        "t1",
        "user-authorizations",
        "evt_a",
        "user_authorization.upserted",
        100,
        json!({"user_id": "u-2", "roles": ["customer"], "vendor_id": "v-9"}),
    )
    .await;
    apply(&h.updater, &body).await.unwrap();
    let customer = accept(
        &h,
        "t1",
        "customer-details",
        "evt_c2",
        "customer_details.upserted",
        1,
        json!({"customer_id": "u-2", "first_name": "Grace", "last_name": "Hopper"}),
    )
    .await;
    apply(&h.updater, &customer).await.unwrap();

    // A newer login with the vendor role replaces the roles, keeping the vendor id.
    let newer = accept(
        &h,
        "t1",
        "identity",
        "evt_l200",
        "user.logged_in",
        200,
        json!({"sub": "u-2", "roles": "customer,vendor"}),
    )
    .await;
    assert_eq!(apply(&h.updater, &newer).await.unwrap(), Applied::Applied);
    let auth = h
        .store
        .get_user_authorization(&tenant("t1"), &user)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(auth.roles, [Role::Customer, Role::Vendor]);
    assert_eq!(auth.vendor_id, Some(VendorId::new("v-9").unwrap()));
    // A login without a name keeps the stored names.
    let c = h
        .store
        .get_customer(&tenant("t1"), &CustomerId::new("u-2").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (c.first_name.as_deref(), c.last_name.as_deref()),
        (Some("Grace"), Some("Hopper"))
    );

    // An older login is stale for the roles.
    let older = accept(
        &h,
        "t1",
        "identity",
        "evt_l150",
        "user.logged_in",
        150,
        json!({"sub": "u-2", "roles": ["customer"]}),
    )
    .await;
    let stale_before = h.updater.stats.stale();
    assert_eq!(apply(&h.updater, &older).await.unwrap(), Applied::Stale);
    assert_eq!(h.updater.stats.stale(), stale_before + 1);
    let auth = h
        .store
        .get_user_authorization(&tenant("t1"), &user)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(auth.roles, [Role::Customer, Role::Vendor]);
}

fn customer(t: &str, sub: &str) -> Caller {
    Caller {
        tenant: tenant(t),
        sub: CustomerId::new(sub).unwrap(),
        roles: vec![Role::Customer],
        vendor_id: None,
        email: None,
        given_name: None,
        family_name: None,
        name: None,
        request_id: "test".into(),
    }
}

async fn order(h: &Harness, id: &OrderId) -> Order {
    h.store.get_order(&tenant("t1"), id).await.unwrap().unwrap()
}

/// Seeds a catalog through the webhooks and walks an order to PENDING; returns it.
async fn pending_order(h: &Harness, oms: &Oms, caller: &Caller) -> Order {
    let seed = [
        (
            "vendor-details",
            "vendor_details.upserted",
            json!({"vendor_id": "v-1", "name": "Vendor One", "country": "SG"}),
        ),
        (
            "vendor-shipping-options",
            "vendor_shipping_option.upserted",
            json!({"vendor_id": "v-1", "name": "Standard", "delivery_time": "2-3 Days", "base_cost": "5.00", "conditions": {"max_weight": 30}, "is_active": true}),
        ),
        (
            "vendor-products",
            "vendor_product.upserted",
            product_data("p-1", "SKU-1", 5, "10.00"),
        ),
    ];
    for (i, (kind, event_type, data)) in seed.into_iter().enumerate() {
        let body = accept(h, "t1", kind, &format!("seed_{i}"), event_type, 1, data).await;
        assert_eq!(
            apply(&h.updater, &body).await.unwrap(),
            Applied::Applied,
            "{kind}"
        );
    }
    let input = CheckoutInput {
        vendor_id: "v-1".into(),
        items: vec![ItemInput {
            sku: "SKU-1".into(),
            quantity: 2,
        }],
        customer: None,
        destination: Some(AddressInput {
            street: "1 Raffles Place".into(),
            city: "Singapore".into(),
            state: None,
            postal: "048616".into(),
            country: "SG".into(),
        }),
        save_destination: false,
        idempotency_key: None,
    };
    let draft = oms.checkout_items(caller, input).await.unwrap().order;
    let id = draft.id.to_string();
    oms.change_draft(
        caller,
        &id,
        None,
        DraftChange::SelectShippingOption(ShippingMethod::Standard),
    )
    .await
    .unwrap();
    let placed = oms
        .place_order(caller, &id, None, None)
        .await
        .unwrap()
        .order;
    assert_eq!(placed.status, OrderStatus::Pending);
    placed
}

fn payment(order: &Order, txn: &str, amount: &str) -> Value {
    json!({"order_id": order.id.to_string(), "transaction_id": txn, "method": "Stripe", "amount": amount, "currency": "SGD"})
}

#[tokio::test]
async fn a_payment_confirms_and_a_refund_is_recorded_on_the_order_once() {
    let h = Harness::new().await;
    let oms = Oms::new(
        h.store.clone(),
        Arc::new(SystemClock),
        Arc::new(NoPaymentGateway),
    );
    let caller = customer("t1", "c-1");
    let placed = pending_order(&h, &oms, &caller).await;
    let total = placed.pricing.total;

    // payment.succeeded, then confirmOrder trusts it
    let paid = accept(
        &h,
        "t1",
        "payments",
        "evt_paid",
        "payment.succeeded",
        1,
        payment(&placed, "txn_1", &total.amount_string()),
    )
    .await;
    assert_eq!(apply(&h.updater, &paid).await.unwrap(), Applied::Applied);
    let confirmed = oms
        .confirm_order(
            &caller,
            placed.id.as_str(),
            PaymentMethod::Stripe,
            Some("txn_1"),
        )
        .await
        .unwrap()
        .order;
    assert_eq!(confirmed.status, OrderStatus::Confirmed);

    // payment.refunded with a refunded total of 5.00
    let refund = accept(
        &h,
        "t1",
        "payments",
        "evt_ref1",
        "payment.refunded",
        2,
        payment(&placed, "txn_1", "5.00"),
    )
    .await;
    assert_eq!(apply(&h.updater, &refund).await.unwrap(), Applied::Applied);
    let after = order(&h, &placed.id).await;
    assert_eq!(
        after
            .payment
            .as_ref()
            .map(|p| p.refunded_amount.amount_string()),
        Some("5.00".into())
    );
    assert_eq!(h.updater.stats.refunds_recorded(), 1);

    // The same message applied again changes nothing.
    assert_eq!(apply(&h.updater, &refund).await.unwrap(), Applied::Stale);
    let again = order(&h, &placed.id).await;
    assert_eq!(again.version, after.version);
    assert_eq!(again.payment, after.payment);
    assert_eq!(h.updater.stats.refunds_recorded(), 1);

    // A later refund raises the total to 8.00: 3.00 more is recorded.
    let second = accept(
        &h,
        "t1",
        "payments",
        "evt_ref2",
        "payment.refunded",
        3,
        payment(&placed, "txn_1", "8.00"),
    )
    .await;
    assert_eq!(apply(&h.updater, &second).await.unwrap(), Applied::Applied);
    assert_eq!(
        order(&h, &placed.id)
            .await
            .payment
            .map(|p| p.refunded_amount.amount_string()),
        Some("8.00".into())
    );
    // An older refund arriving late is stale and records nothing.
    let late = accept(
        &h,
        "t1",
        "payments",
        "evt_ref_late",
        "payment.refunded",
        2,
        payment(&placed, "txn_1", "5.00"),
    )
    .await;
    assert_eq!(apply(&h.updater, &late).await.unwrap(), Applied::Stale);
    assert_eq!(
        order(&h, &placed.id)
            .await
            .payment
            .map(|p| p.refunded_amount.amount_string()),
        Some("8.00".into())
    );
    assert_eq!(h.updater.stats.refunds_recorded(), 2);

    // The payment record keeps the paid amount and the refunded total.
    let load = h
        .store
        .load_order(
            &tenant("t1"),
            &OrderLoadRequest {
                order_id: &placed.id,
                idempotency: None,
                transaction_id: Some("txn_1"),
                user: None,
            },
        )
        .await
        .unwrap();
    let record = load.payment.unwrap();
    assert_eq!(record.status, PaymentEventStatus::Refunded);
    assert_eq!(record.amount, total);
    assert_eq!(
        record.refunded_amount.map(|m| m.amount_string()),
        Some("8.00".into())
    );
    assert_eq!(record.claimed_by, Some(placed.id.clone()));
}

#[tokio::test]
async fn a_refund_whose_order_commit_failed_is_recorded_by_the_retry() {
    let h = Harness::new().await;
    let oms = Oms::new(
        h.store.clone(),
        Arc::new(SystemClock),
        Arc::new(NoPaymentGateway),
    );
    let caller = customer("t1", "c-2");
    let placed = pending_order(&h, &oms, &caller).await;
    let paid = accept(
        &h,
        "t1",
        "payments",
        "evt_p",
        "payment.succeeded",
        1,
        payment(&placed, "txn_2", &placed.pricing.total.amount_string()),
    )
    .await;
    apply(&h.updater, &paid).await.unwrap();
    oms.confirm_order(
        &caller,
        placed.id.as_str(),
        PaymentMethod::Stripe,
        Some("txn_2"),
    )
    .await
    .unwrap();

    // The payment record is written, the order commit (a transaction) fails.
    let refund = accept(
        &h,
        "t1",
        "payments",
        "evt_r",
        "payment.refunded",
        2,
        payment(&placed, "txn_2", "4.00"),
    )
    .await;
    h.items.fail_transactions(true);
    let failed = apply(&h.updater, &refund).await.unwrap_err();
    assert!(failed.is_transient(), "{failed}");
    assert_eq!(h.updater.stats.transient_failures(), 1);
    h.items.fail_transactions(false);

    // The retry finds the payment already recorded (stale) and still completes the order side.
    assert_eq!(apply(&h.updater, &refund).await.unwrap(), Applied::Stale);
    assert_eq!(
        order(&h, &placed.id)
            .await
            .payment
            .map(|p| p.refunded_amount.amount_string()),
        Some("4.00".into())
    );
    assert_eq!(apply(&h.updater, &refund).await.unwrap(), Applied::Stale);
    assert_eq!(h.updater.stats.refunds_recorded(), 1);
}

#[tokio::test]
async fn a_refund_of_another_transaction_or_a_pending_order_leaves_the_order_alone() {
    let h = Harness::new().await;
    let oms = Oms::new(
        h.store.clone(),
        Arc::new(SystemClock),
        Arc::new(NoPaymentGateway),
    );
    let caller = customer("t1", "c-3");
    let placed = pending_order(&h, &oms, &caller).await;
    // PENDING: no payment on the order yet.
    let early = accept(
        &h,
        "t1",
        "payments",
        "evt_e",
        "payment.refunded",
        2,
        payment(&placed, "txn_3", "1.00"),
    )
    .await;
    assert_eq!(apply(&h.updater, &early).await.unwrap(), Applied::Applied);
    assert_eq!(order(&h, &placed.id).await.version, placed.version);
    // A refund for an order that does not exist only records the payment.
    let ghost = json!({"order_id": "ORD-GHOST", "transaction_id": "txn_g", "method": "Stripe", "amount": "1.00", "currency": "SGD"});
    let body = accept(&h, "t1", "payments", "evt_g", "payment.refunded", 1, ghost).await;
    assert_eq!(apply(&h.updater, &body).await.unwrap(), Applied::Applied);
    assert_eq!(h.updater.stats.refunds_recorded(), 0);
}

fn message(tenant: &str, data: Value) -> String {
    SyncMessage {
        format: MESSAGE_FORMAT,
        source: MessageSource::Webhook,
        tenant: tenant.into(),
        kind: "vendor-details".into(),
        event_type: "vendor_details.upserted".into(),
        event_id: "evt_q".into(),
        version: 1,
        occurred_at: DateTime::from_timestamp(1_764_064_800, 0).unwrap(),
        data: data.as_object().cloned().unwrap(),
    }
    .encode()
    .unwrap()
}

#[tokio::test]
async fn invalid_messages_are_permanent_and_store_faults_are_transient() {
    let h = Harness::new().await;
    let writes = h.writes();
    let vendor = json!({"vendor_id": "v-1", "name": "V", "country": "SG"});
    let cases: Vec<(&str, String)> = vec![
        ("not json", "garbage".into()),
        ("not a message", "{\"hello\": 1}".into()),
        (
            "invalid data on the queue",
            message("t1", json!({"vendor_id": "v-1", "country": "SG"})),
        ),
        (
            "another tenant's data",
            message(
                "t1",
                json!({"vendor_id": "v-1", "name": "V", "country": "SG", "tenant_id": "t2"}),
            ),
        ),
        ("unknown tenant", message("t-ghost", vendor.clone())),
    ];
    for (name, body) in &cases {
        let e = apply(&h.updater, body).await.unwrap_err();
        assert!(e.is_permanent(), "{name}: {e}");
    }
    assert!(matches!(
        apply(&h.updater, &message("t-ghost", vendor.clone())).await,
        Err(UpdateError::UnknownTenant(_))
    ));
    assert_eq!(h.writes(), writes, "a rejected message writes nothing");
    assert_eq!(h.updater.stats.permanent_failures(), cases.len() as u64 + 1);

    h.items.fail_writes(true);
    let e = apply(&h.updater, &message("t1", vendor)).await.unwrap_err();
    assert!(
        e.is_transient() && matches!(e, UpdateError::Store(_)),
        "{e}"
    );
    assert_eq!(h.updater.stats.transient_failures(), 1);
}

/// A `vendor_product.upserted` message of `p-1` / `SKU-1` (tenant t1) saying `on_hand` units,
/// observed at `occurred_at`.
fn product_message(version: u64, occurred_at: DateTime<chrono::Utc>, on_hand: i64) -> String {
    SyncMessage {
        format: MESSAGE_FORMAT,
        source: MessageSource::Webhook,
        tenant: "t1".into(),
        kind: "vendor-products".into(),
        event_type: "vendor_product.upserted".into(),
        event_id: format!("evt_p{version}"),
        version,
        occurred_at,
        data: product_data("p-1", "SKU-1", on_hand, "10.00")
            .as_object()
            .cloned()
            .unwrap(),
    }
    .encode()
    .unwrap()
}

/// Records a shipment of `units` of SKU-1 at `at` on its stock item, as markAsShipped does.
pub(crate) async fn shipped(h: &Harness, units: i64, at: DateTime<chrono::Utc>) {
    use oms_store::{ItemStore, Update, Value, WriteOp};
    let key = oms_persistence::keys::stock(
        &tenant("t1"),
        &VendorId::new("v-1").unwrap(),
        &oms_domain::ids::Sku::new("SKU-1").unwrap(),
    );
    let op = WriteOp::Update {
        key,
        updates: vec![
            Update::Add("available".into(), -units),
            Update::Add("shipped".into(), units),
            Update::Add("rev".into(), 1),
            Update::Set("last_shipped_at".into(), Value::N(at.timestamp_millis())),
        ],
        cond: None,
    };
    h.items.write(op).await.unwrap();
}

/// A product event's `occurred_at` is when its on-hand count was taken: it counts the shipments
/// recorded up to then, and an event observed before a shipment leaves the shipped units out.
#[tokio::test]
async fn a_product_event_counts_the_shipments_made_before_it_occurred() {
    let h = Harness::new().await;
    let stock = || async { h.catalog("t1", "v-1", &["SKU-1"], &[]).await.products[0].stock };
    let t = now();
    assert_eq!(
        apply(&h.updater, &product_message(1, t, 5)).await.unwrap(),
        Applied::Applied
    );
    assert_eq!(stock().await, 5);
    let shipment = t + chrono::Duration::minutes(10);
    shipped(&h, 2, shipment).await;
    assert_eq!(stock().await, 3);
    // Observed before the shipment: the 2 are still in its 5, so they stay out.
    let before = product_message(2, shipment - chrono::Duration::minutes(1), 5);
    assert_eq!(apply(&h.updater, &before).await.unwrap(), Applied::Applied);
    assert_eq!(stock().await, 3);
    // Observed at the shipment: its on-hand (3) no longer contains them.
    let after = product_message(3, shipment, 3);
    assert_eq!(apply(&h.updater, &after).await.unwrap(), Applied::Applied);
    assert_eq!(stock().await, 3);
    let later = product_message(4, shipment + chrono::Duration::minutes(1), 4);
    assert_eq!(apply(&h.updater, &later).await.unwrap(), Applied::Applied);
    assert_eq!(stock().await, 4);
}

/// docs/sync.md "customer-addresses": a billing address arrives through the signed webhook and
/// the updater like any address and is stored with its type; it is not listed among the
/// customer's shipping addresses and is refused as a destination.
#[tokio::test]
async fn a_billing_address_from_a_webhook_is_stored_but_never_a_destination() {
    let h = Harness::new().await;
    let oms = Oms::new(
        h.store.clone(),
        Arc::new(SystemClock),
        Arc::new(NoPaymentGateway),
    );
    let caller = customer("t1", "c-4");
    for (i, (id, address_type)) in [("home", "shipping"), ("invoices", "Billing")]
        .into_iter()
        .enumerate()
    {
        let body = accept(
            &h,
            "t1",
            "customer-addresses",
            &format!("addr_{i}"),
            "customer_address.upserted",
            1,
            json!({"customer_id": "c-4", "address_id": id, "address_type": address_type,
                   "street": format!("{} Raffles Place", i + 1), "city": "Singapore", "postal": "048616", "country": "SG"}),
        )
        .await;
        assert_eq!(apply(&h.updater, &body).await.unwrap(), Applied::Applied);
    }
    let stored: Vec<(String, AddressType)> = h
        .store
        .list_customer_addresses(&tenant("t1"), &CustomerId::new("c-4").unwrap())
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.address_id.to_string(), a.address_type))
        .collect();
    assert_eq!(
        stored,
        [
            ("home".to_string(), AddressType::Shipping),
            ("invoices".to_string(), AddressType::Billing)
        ]
    );
    let listed: Vec<String> = oms
        .list_customer_addresses(&caller)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.address_id.to_string())
        .collect();
    assert_eq!(listed, ["home"], "only shipping addresses are offered");

    pending_order(&h, &oms, &caller).await;
    let draft = oms
        .checkout_items(
            &caller,
            CheckoutInput {
                vendor_id: "v-1".into(),
                items: vec![ItemInput {
                    sku: "SKU-1".into(),
                    quantity: 1,
                }],
                customer: None,
                destination: None,
                save_destination: false,
                idempotency_key: None,
            },
        )
        .await
        .unwrap()
        .order;
    let id = draft.id.to_string();
    let refused = oms
        .change_draft(
            &caller,
            &id,
            None,
            DraftChange::ChangeDestination(DestinationChoice::AddressBook("invoices".into())),
        )
        .await
        .err();
    match refused {
        Some(AppError::User(e)) => {
            assert_eq!(e.code, ErrorCode::InvalidInput);
            assert_eq!(e.field, Some(vec!["addressId".to_string()]));
            assert!(e.message.contains("billing address"), "{}", e.message);
        }
        other => panic!("a billing destination was not refused: {other:?}"),
    }
    assert_eq!(order(&h, &draft.id).await.destination, None, "unchanged");
    let moved = oms
        .change_draft(
            &caller,
            &id,
            None,
            DraftChange::ChangeDestination(DestinationChoice::AddressBook("home".into())),
        )
        .await
        .unwrap()
        .order;
    assert_eq!(
        moved.destination.map(|a| a.street),
        Some("1 Raffles Place".to_string())
    );
}
