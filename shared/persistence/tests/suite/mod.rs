//! The persistence conformance suite: the key design of docs/data-model.md, its access patterns,
//! tenant separation, conditional writes, concurrency, idempotency and round-trip budgets, driven
//! through the `Oms` use cases and the repository ports. Every case takes a fresh store with both
//! tenants seeded; `persistence_suite!(factory)` turns each case into a `#[tokio::test]` of the
//! including binary (`tests/sqlite.rs`, `tests/dynamo.rs`).

use oms_application::ports::{
    ApplyOutcome, CatalogRepository, CatalogRequest, Clock as _, CommitError, OrderCommit,
    OrderLoadRequest, OrderOwner, OrderQuery, OrderRepository, SnapshotWrite, StockChange,
    StockMove, SyncRepository, TenantRepository,
};
use oms_application::records::{IdempotencyKey, PaymentEventStatus, TenantConfig, TenantSecrets};
use oms_application::usecases::{DestinationChoice, DraftChange, Fulfilment, SyncUserInput};
use oms_domain::auth::Role;
use oms_domain::catalog::{
    CustomerAddress, GiftProduct, OfferKind, ShippingMethod, UserAuthorization,
};
use oms_domain::ids::{AddressId, OrderId, ProductId, UserId};
use oms_domain::order::{
    Order, OrderEvent, OrderEventKind, OrderStatus, PaymentMethod, PaymentStatus,
};
use oms_domain::ErrorCode;
use oms_persistence::keys;
use oms_store::{ItemStore, Update, Value, WriteOp};

use crate::common::*;

mod contention;
mod coupon_counters;
mod customer_refresh;
mod limits;
mod stock;
pub use contention::*;
pub use coupon_counters::*;
pub use customer_refresh::*;
pub use limits::*;
pub use stock::*;

/// Expands to one test per case, each on a fresh, seeded world from `$make(clock).await`
/// (the store judges TTL by the world's clock).
macro_rules! persistence_suite {
    ($make:path) => {
        persistence_suite!(@cases $make;
            // Access patterns of docs/data-model.md.
            an_order_is_loaded_by_tenant_and_id_in_one_round_trip,
            a_customers_orders_list_newest_first_and_move_between_status_lists,
            a_vendors_orders_list_newest_first_and_move_between_status_lists,
            a_vendors_list_never_shows_a_draft_and_shows_the_order_once_placed,
            list_pages_follow_the_cursor_without_gaps_or_duplicates,
            lists_of_big_orders_page_completely_across_1_mb_query_pages,
            products_vendor_offers_and_shipping_options_come_in_one_batch,
            a_sku_rename_moves_the_product_and_removes_the_old_key,
            each_offer_keeps_its_own_version_in_the_vendors_offers_item,
            a_vendor_holds_at_most_100_offers,
            offers_past_their_items_size_are_rejected_and_write_nothing,
            coupons_are_found_case_insensitively_and_count_uses_per_customer,
            customer_details_and_the_address_book_default_first_inactive_hidden,
            user_authorization_grants_and_revokes_roles_in_its_tenant_only,
            sync_user_creates_the_customer_and_never_overwrites_an_authorization,
            tenant_config_is_stored_per_tenant,
            a_configuration_stored_with_its_secrets_is_still_read,
            a_webhook_event_id_is_recorded_once_until_it_expires,
            outbox_events_are_written_in_the_same_transaction_as_the_order,
            a_payment_is_found_by_transaction_id_and_keeps_its_claim,
            // Tenant separation.
            checkout_in_one_tenant_never_sees_another_tenants_catalog,
            another_tenants_caller_gets_not_found_for_an_order_id,
            the_same_order_id_in_two_tenants_is_two_orders,
            lists_show_only_the_callers_tenant_and_reject_foreign_cursors,
            forged_truncated_and_foreign_key_cursors_are_invalid_input_and_read_nothing,
            // Conditional failures.
            an_older_snapshot_after_a_newer_one_is_stale_and_changes_nothing,
            a_stale_expected_version_is_a_version_conflict_and_writes_nothing,
            place_order_when_stock_dropped_meanwhile_is_out_of_stock_and_writes_nothing,
            place_order_with_a_deactivated_product_is_product_unavailable,
            a_gift_offer_started_after_the_last_cart_change_reserves_the_gift_at_placement,
            a_payment_claimed_by_another_order_is_payment_already_used,
            a_coupon_deactivated_between_read_and_commit_refuses_the_placement,
            // Coupon counters follow the limits (suite/coupon_counters.rs).
            an_unlimited_coupon_writes_no_counter_at_placement_or_release,
            a_coupon_counts_only_the_counters_of_its_limits,
            a_release_gives_back_the_counters_placement_counted_after_the_limits_changed,
            an_order_placed_before_counters_were_recorded_releases_both,
            // Contention (suite/contention.rs).
            a_commit_still_contended_after_retries_is_try_again_and_writes_nothing,
            a_read_still_throttled_after_retries_is_try_again_and_writes_nothing,
            // Conditional customer refreshes (suite/customer_refresh.rs).
            sync_user_never_revives_a_retired_customer,
            sync_user_keeps_a_newer_snapshot_written_between_its_read_and_write,
            sync_user_meets_a_retirement_written_meanwhile_and_changes_nothing,
            checkout_never_revives_a_retired_customer,
            checkout_reads_again_when_the_customer_changed_before_its_commit,
            checkout_keeps_an_address_already_in_the_book,
            // Concurrency.
            fifty_concurrent_placements_sell_exactly_the_stock,
            concurrent_placements_redeem_a_coupon_exactly_up_to_its_limit,
            a_once_per_customer_coupon_is_used_once_even_by_simultaneous_placements,
            // Idempotency.
            checkout_replays_with_the_same_key_and_input,
            a_reused_key_with_other_input_is_rejected_and_keys_are_scoped,
            a_failed_checkout_is_not_stored_so_the_corrected_retry_succeeds,
            place_order_with_a_key_replays,
            a_replayed_placement_answers_the_first_result_after_the_order_moved_on,
            two_placements_racing_with_one_key_place_once_and_both_answer_the_first_result,
            an_expired_idempotency_record_counts_as_absent,
            // Round trips.
            get_order_costs_one_round_trip,
            checkout_costs_two_round_trips,
            each_draft_change_costs_at_most_three_round_trips,
            place_order_costs_three_round_trips,
            confirm_cancel_and_fulfilment_cost_two_round_trips_each,
            list_orders_costs_at_most_three_round_trips,
            // Stock that sync cannot erase (suite/stock.rs).
            a_resynced_product_snapshot_never_frees_the_units_orders_hold,
            a_snapshot_racing_placements_never_frees_held_units,
            shipped_units_stay_out_until_a_snapshot_observed_after_the_shipment,
            the_latest_shipment_time_only_moves_forward,
            a_sku_rename_carries_held_units_and_a_release_follows_the_product,
            products_stored_before_stock_items_keep_their_orders_units_held,
            // The whole flow.
            an_order_goes_from_checkout_to_completed_with_exact_totals
        );
    };
    (@cases $make:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let clock = crate::common::test_clock();
                let world = crate::common::World::seeded($make(clock.clone()).await, clock).await;
                crate::suite::$case(world).await;
            }
        )*
    };
}

fn ids(orders: &[&Order]) -> Vec<OrderId> {
    orders.iter().map(|o| o.id.clone()).collect()
}

fn address_entry(c: &str, id: &str, city: &str, default: bool, active: bool) -> CustomerAddress {
    CustomerAddress {
        customer_id: customer_id(c),
        address_id: AddressId::new(id).unwrap(),
        address_type: oms_domain::catalog::AddressType::Shipping,
        address: oms_domain::address::Address::new("2 Side St", city, None, "049999", "SG")
            .unwrap(),
        is_default: default,
        is_active: active,
    }
}

fn authorization(user: &str, roles: Vec<Role>, active: bool) -> UserAuthorization {
    UserAuthorization {
        user_id: UserId::new(user).unwrap(),
        roles,
        vendor_id: Some(vendor_id()),
        is_active: active,
    }
}

// ---------------------------------------------------------------------------------------------
// Access patterns
// ---------------------------------------------------------------------------------------------

/// #1 load an order: `T#<t>#ORDER#<id>` / `ORDER`, one read.
pub async fn an_order_is_loaded_by_tenant_and_id_in_one_round_trip(w: World) {
    let c = customer(A, C1);
    let order = w.checkout(&c, &[("TSHIRT", 2)]).await;
    let id = order.id.as_str();

    let before = w.rt();
    let got = ok(w.oms.get_order(&c, id).await);
    assert_eq!(w.since(before), 1, "getOrder is one round trip");
    assert_eq!(got.as_ref(), Some(&order));
    assert_eq!(w.stored_order(A, &order.id).await, order);

    // The order's vendor sees it; another customer of the same tenant does not.
    let seen = ok(w.oms.get_order(&vendor(A, VENDOR), id).await);
    assert_eq!(seen.map(|o| o.id), Some(order.id.clone()));
    assert_eq!(ok(w.oms.get_order(&customer(A, C2), id).await), None);
    assert_eq!(ok(w.oms.get_order(&c, "ORD-UNKNOWN").await), None);

    // Stored under the documented key with the documented top-level attributes.
    let item = w.item(&keys::order(&tenant(A), &order.id)).await.unwrap();
    assert_eq!(item.get("pk"), Some(&s(&format!("T#{A}#ORDER#{id}"))));
    assert_eq!(item.get("sk"), Some(&s("ORDER")));
    assert_eq!(item.get("entity"), Some(&s("Order")));
    assert_eq!(item.get("status"), Some(&s("DRAFT")));
    assert_eq!(item.get("version"), Some(&Value::N(1)));
}

/// #2 GSI1 and #3 GSI3: newest first; a status change moves the order between status lists.
pub async fn a_customers_orders_list_newest_first_and_move_between_status_lists(w: World) {
    let c = customer(A, C1);
    let first = w.ready_draft(&c, &[("TSHIRT", 1)]).await;
    w.clock.advance(chrono::Duration::minutes(1));
    let second = w.ready_draft(&c, &[("CAP", 1)]).await;
    w.clock.advance(chrono::Duration::minutes(1));
    let third = w.ready_draft(&c, &[("TSHIRT", 2)]).await;
    // Another customer's order never shows up.
    w.checkout(&customer(A, C2), &[("TSHIRT", 1)]).await;

    let all = ids(&[&third, &second, &first]);
    assert_eq!(w.list_ids(&c, Role::Customer, None).await, all);
    let draft = Some(OrderStatus::Draft);
    let pending = Some(OrderStatus::Pending);
    let cancelled = Some(OrderStatus::Cancelled);
    assert_eq!(w.list_ids(&c, Role::Customer, draft).await, all);
    assert!(w.list_ids(&c, Role::Customer, pending).await.is_empty());

    // WHEN the middle order is placed THEN it leaves DRAFT and joins PENDING, keeping its place
    // in the full list (the sort key is the creation time).
    ok(w.oms.place_order(&c, second.id.as_str(), None, None).await);
    assert_eq!(w.list_ids(&c, Role::Customer, None).await, all);
    assert_eq!(
        w.list_ids(&c, Role::Customer, draft).await,
        ids(&[&third, &first])
    );
    assert_eq!(
        w.list_ids(&c, Role::Customer, pending).await,
        ids(&[&second])
    );

    // WHEN it is cancelled THEN it moves on to CANCELLED.
    ok(w.oms
        .cancel_order(&c, second.id.as_str(), "changed my mind")
        .await);
    assert!(w.list_ids(&c, Role::Customer, pending).await.is_empty());
    assert_eq!(
        w.list_ids(&c, Role::Customer, cancelled).await,
        ids(&[&second])
    );
    // The stored GSI3 key follows the status.
    let item = w.item(&keys::order(&tenant(A), &second.id)).await.unwrap();
    assert_eq!(
        item.get("gsi3pk"),
        Some(&s(&format!("T#{A}#CUST#{C1}#STATUS#CANCELLED")))
    );
}

/// #4 GSI2 and #5 GSI4 for the vendor: placed orders only (a DRAFT is not on them).
pub async fn a_vendors_orders_list_newest_first_and_move_between_status_lists(w: World) {
    let v = vendor(A, VENDOR);
    let c1 = customer(A, C1);
    let c2 = customer(A, C2);
    let first = w.placed(&c1, &[("TSHIRT", 1)]).await;
    w.clock.advance(chrono::Duration::minutes(1));
    let second = w.placed(&c2, &[("CAP", 1)]).await;
    w.clock.advance(chrono::Duration::minutes(1));
    let third = w.placed(&c1, &[("TSHIRT", 1)]).await;

    let all = ids(&[&third, &second, &first]);
    assert_eq!(w.list_ids(&v, Role::Vendor, None).await, all);
    let pending = Some(OrderStatus::Pending);
    let confirmed = Some(OrderStatus::Confirmed);
    let shipped = Some(OrderStatus::Shipped);
    assert_eq!(w.list_ids(&v, Role::Vendor, pending).await, all);
    ok(w.oms
        .cancel_order(&c1, third.id.as_str(), "changed my mind")
        .await);
    assert_eq!(
        w.list_ids(&v, Role::Vendor, pending).await,
        ids(&[&second, &first])
    );
    assert_eq!(
        w.list_ids(&v, Role::Vendor, Some(OrderStatus::Cancelled))
            .await,
        ids(&[&third])
    );

    ok(w.oms
        .confirm_order(&c1, first.id.as_str(), PaymentMethod::CashOnDelivery, None)
        .await);
    assert_eq!(w.list_ids(&v, Role::Vendor, pending).await, ids(&[&second]));
    assert_eq!(
        w.list_ids(&v, Role::Vendor, confirmed).await,
        ids(&[&first])
    );
    ok(w.oms
        .fulfil(&v, first.id.as_str(), Fulfilment::MarkAsShipped)
        .await);
    assert!(w.list_ids(&v, Role::Vendor, confirmed).await.is_empty());
    assert_eq!(w.list_ids(&v, Role::Vendor, shipped).await, ids(&[&first]));
    assert_eq!(w.list_ids(&v, Role::Vendor, None).await, all);

    // Another vendor of the same tenant sees none of them.
    let other = vendor(A, "v-2");
    assert!(w.list_ids(&other, Role::Vendor, None).await.is_empty());
}

/// A DRAFT (a cart) is on its customer's lists only: the vendor sees the order from placement
/// on, in the full list and under its status, and a vendor's DRAFT list is always empty. The
/// draft's item carries no vendor index keys; a draft stored before that rule (with them) is not
/// shown either.
pub async fn a_vendors_list_never_shows_a_draft_and_shows_the_order_once_placed(w: World) {
    let t = tenant(A);
    let v = vendor(A, VENDOR);
    let c = customer(A, C1);
    let draft = Some(OrderStatus::Draft);
    let pending = Some(OrderStatus::Pending);
    let cart = w.ready_draft(&c, &[("TSHIRT", 1)]).await;
    let cart = w
        .change(&c, &cart, DraftChange::AddLineItems(lines(&[("MUG", 1)])))
        .await;
    assert_eq!(cart.status, OrderStatus::Draft);
    assert!(w.list_ids(&v, Role::Vendor, None).await.is_empty());
    assert!(w.list_ids(&v, Role::Vendor, draft).await.is_empty());
    assert_eq!(w.list_ids(&c, Role::Customer, None).await, ids(&[&cart]));
    assert_eq!(w.list_ids(&c, Role::Customer, draft).await, ids(&[&cart]));
    let item = w.item(&keys::order(&t, &cart.id)).await.unwrap();
    for name in ["gsi2pk", "gsi2sk", "gsi4pk", "gsi4sk"] {
        assert_eq!(item.get(name), None, "a draft has no {name}");
    }

    // Placed: on the vendor's lists, off the customer's DRAFT list.
    ok(w.oms.place_order(&c, cart.id.as_str(), None, None).await);
    assert_eq!(w.list_ids(&v, Role::Vendor, None).await, ids(&[&cart]));
    assert_eq!(w.list_ids(&v, Role::Vendor, pending).await, ids(&[&cart]));
    assert!(w.list_ids(&v, Role::Vendor, draft).await.is_empty());
    assert!(w.list_ids(&c, Role::Customer, draft).await.is_empty());
    let item = w.item(&keys::order(&t, &cart.id)).await.unwrap();
    assert_eq!(
        item.get("gsi4pk"),
        Some(&s(&format!("T#{A}#VENDOR#{VENDOR}#STATUS#PENDING")))
    );

    // A draft written before the rule, vendor index keys included: still not the vendor's.
    w.clock.advance(chrono::Duration::minutes(1));
    let old = w.checkout(&c, &[("CAP", 1)]).await;
    let mut item = w.item(&keys::order(&t, &old.id)).await.unwrap();
    let sort = item.get("gsi1sk").cloned().unwrap();
    item.insert("gsi2pk".into(), s(&keys::vendor_orders(&t, &vendor_id())));
    item.insert("gsi2sk".into(), sort.clone());
    item.insert(
        "gsi4pk".into(),
        s(&keys::vendor_orders_by_status(
            &t,
            &vendor_id(),
            OrderStatus::Draft,
        )),
    );
    item.insert("gsi4sk".into(), sort);
    w.store.put(item, None).await.unwrap();
    assert_eq!(w.list_ids(&v, Role::Vendor, None).await, ids(&[&cart]));
    assert!(w.list_ids(&v, Role::Vendor, draft).await.is_empty());
    assert_eq!(
        w.list_ids(&c, Role::Customer, None).await,
        ids(&[&old, &cart])
    );
}

/// Pages of a list, chained by `endCursor`, return every order exactly once.
pub async fn list_pages_follow_the_cursor_without_gaps_or_duplicates(w: World) {
    let c = customer(A, C1);
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(w.checkout(&c, &[("TSHIRT", 1)]).await.id);
        w.clock.advance(chrono::Duration::seconds(1));
    }
    created.reverse();
    let mut seen = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let page = ok(w
            .oms
            .list_orders(&c, Role::Customer, None, 2, after.clone())
            .await);
        pages += 1;
        assert!(page.edges.len() <= 2);
        seen.extend(page.edges.iter().map(|(_, o)| o.id.clone()));
        assert_eq!(
            page.end_cursor.as_ref(),
            page.edges.last().map(|(cursor, _)| cursor)
        );
        if !page.has_next_page {
            break;
        }
        after = page.end_cursor;
        assert!(pages < 10, "paging does not terminate");
    }
    assert_eq!(seen, created);
    assert_eq!(pages, 3);

    // The repository port takes any page size: the largest one neither panics nor pages.
    let query = OrderQuery {
        owner: OrderOwner::Customer(customer_id(C1)),
        status: None,
        first: u32::MAX,
        after: None,
    };
    let all = ok(w.repo.list_orders(&tenant(A), &query).await);
    assert!(!all.has_next_page);
    let listed: Vec<OrderId> = all.orders.into_iter().map(|(_, o)| o.id).collect();
    assert_eq!(listed, created);
}

/// An order of `lines` lines whose product names are `name_len` long: ~1 KB a line at 700,
/// ~2 KB at 1,700 (a line's documented ceiling), so 30 lines ≈ 30 KB and 50 lines ≈ 95 KB.
fn big_order(template: &Order, i: usize, lines: usize, name_len: usize) -> Order {
    let mut order = template.clone();
    order.id = OrderId::new(&format!("ORD-BIG-{i:03}")).unwrap();
    order.created_at = t0() + chrono::Duration::minutes(i as i64 + 1);
    order.updated_at = order.created_at;
    let line = template.line_items[0].clone();
    order.line_items = (0..lines)
        .map(|j| {
            let mut l = line.clone();
            l.sku = sku(&format!("BIG-{j:02}"));
            l.product_name = format!("{j:02} {}", "n".repeat(name_len));
            l
        })
        .collect();
    order
}

/// Pages through a list with `first`; checks each page (at most `first` orders, at most
/// `1 + MAX_QUERIES_PER_PAGE` round trips for the authorization and the index, plus one
/// BatchGetItem per 100 orders) and returns the ids in list order plus each page's
/// (orders, round trips, hasNextPage).
async fn page_through(
    w: &World,
    caller: &oms_application::caller::Caller,
    side: Role,
    status: Option<OrderStatus>,
    first: i64,
) -> (Vec<OrderId>, Vec<(usize, u64, bool)>) {
    let budget = 1 + oms_persistence::MAX_QUERIES_PER_PAGE as u64 + (first as u64).div_ceil(100);
    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let before = w.rt();
        let page = ok(w
            .oms
            .list_orders(caller, side, status, first, after.clone())
            .await);
        let trips = w.since(before);
        assert!(page.edges.len() <= first as usize, "first is respected");
        assert!(trips <= budget, "{trips} round trips for one page");
        pages.push((page.edges.len(), trips, page.has_next_page));
        seen.extend(page.edges.iter().map(|(_, o)| o.id.clone()));
        if !page.has_next_page {
            break;
        }
        assert_eq!(
            page.end_cursor.as_ref(),
            page.edges.last().map(|(cursor, _)| cursor)
        );
        after = page.end_cursor;
        assert!(pages.len() < 200, "paging does not terminate");
    }
    (seen, pages)
}

/// 250 large orders (30–95 KB): every list pages through all of them, each exactly once and in
/// order, `first` respected. The indexes hold keys only, so a page is one Query of keys (moto
/// still ends a GSI page at 1 MB of whole items: there the list reads on, up to
/// `MAX_QUERIES_PER_PAGE` queries) and one BatchGetItem of the bodies; a page ends before the
/// order that would take it past `MAX_PAGE_BYTES` (4 MB), with `hasNextPage: true`.
pub async fn lists_of_big_orders_page_completely_across_1_mb_query_pages(w: World) {
    let c = customer(A, C1);
    let v = vendor(A, VENDOR);
    // A draft: on the customer's list only.
    let template = w.checkout(&c, &[("TSHIRT", 1)]).await;
    // Another customer's order of the same vendor: in the vendor's lists only.
    w.clock.advance(chrono::Duration::seconds(30));
    let other = w.placed(&customer(A, C2), &[("MUG", 1)]).await;
    let mut created = Vec::new();
    let mut sizes = std::collections::HashMap::new();
    for i in 0..250 {
        // Every 5th order ~95 KB, the others ~30 KB: ~44 KB on average, so 101 orders (one page
        // of 100 and the look-ahead) take more than 4 MB, 51 of them about 2.2 MB. Placed, so
        // that the vendor's lists hold them too.
        let mut order = if i % 5 == 2 {
            big_order(&template, i, 50, 1_700)
        } else {
            big_order(&template, i, 30, 700)
        };
        order.status = OrderStatus::Pending;
        ok(w.repo
            .commit(&tenant(A), OrderCommit::new(order.clone(), None, vec![]))
            .await);
        let item = w.item(&keys::order(&tenant(A), &order.id)).await.unwrap();
        sizes.insert(order.id.clone(), oms_store::limits::item_size(&item));
        created.push(order.id);
    }
    assert!(
        (85_000..100_000).contains(&sizes[&created[2]]),
        "big order: {} bytes",
        sizes[&created[2]]
    );
    assert!(
        (25_000..35_000).contains(&sizes[&created[0]]),
        "order: {} bytes",
        sizes[&created[0]]
    );

    created.reverse(); // newest first
    let mut customers = created.clone();
    customers.push(template.id.clone());
    let mut vendors = created.clone();
    vendors.push(other.id.clone());

    // first: 100 (GSI1). 100 of these orders are more than 4 MB: every page but the last ends
    // short of 100 within the byte budget, with a next page.
    let (seen, pages) = page_through(&w, &c, Role::Customer, None, 100).await;
    assert_eq!(seen, customers, "customer list, first 100");
    let (last, rest) = pages.split_last().unwrap();
    assert!(!last.2);
    assert!(rest.len() >= 2, "{pages:?}");
    let mut from = 0;
    for (orders, _, next) in rest {
        assert!(*next && (40..100).contains(orders), "{pages:?}");
        let bytes: usize = seen[from..from + orders].iter().map(|id| sizes[id]).sum();
        assert!(bytes <= oms_persistence::MAX_PAGE_BYTES, "{bytes} bytes");
        from += orders;
    }

    // first: 50 (GSI2): 51 keys, 50 bodies (about 2.2 MB): every page but the last is full.
    let (seen, pages) = page_through(&w, &v, Role::Vendor, None, 50).await;
    assert_eq!(seen, vendors, "vendor list, first 50");
    let (_, rest) = pages.split_last().unwrap();
    assert_eq!(rest.len(), 5, "{pages:?}");
    assert!(rest
        .iter()
        .all(|(orders, trips, _)| *orders == 50 && *trips >= 3));

    // The status lists (GSI3, GSI4) too, with a page that a single query fills: the
    // authorization, one Query and one BatchGetItem.
    let pending = Some(OrderStatus::Pending);
    let (seen, _) = page_through(&w, &c, Role::Customer, pending, 100).await;
    assert_eq!(seen, created, "customer PENDING list");
    let (seen, pages) = page_through(&w, &v, Role::Vendor, pending, 9).await;
    assert_eq!(seen, vendors, "vendor PENDING list, first 9");
    assert!(
        pages.iter().all(|(_, trips, _)| *trips == 3),
        "10 orders fit one query page: {pages:?}"
    );
}

/// #6, #8, #9, #10 in one BatchGetItem: products by vendor + SKU, vendor details, offers,
/// shipping options.
pub async fn products_vendor_offers_and_shipping_options_come_in_one_batch(w: World) {
    let t = tenant(A);
    let request = CatalogRequest {
        vendor_id: Some(vendor_id()),
        skus: vec![sku("TSHIRT"), sku("MUG"), sku("NOT-SOLD")],
        ..CatalogRequest::default()
    };
    let before = w.rt();
    let view = ok(w.repo.load_catalog(&t, &request).await);
    assert_eq!(w.since(before), 1, "one BatchGetItem");
    let mut products: Vec<(String, i64, i64)> = view
        .products
        .iter()
        .map(|p| (p.sku.to_string(), p.price.minor(), p.stock))
        .collect();
    products.sort();
    assert_eq!(
        products,
        [
            ("MUG".to_string(), 750, 5),
            ("TSHIRT".to_string(), 1000, 100)
        ]
    );
    assert_eq!(
        view.vendor.as_ref().map(|v| v.name.as_str()),
        Some("Vendor One")
    );
    let offers: Vec<&str> = view.offers.iter().map(|o| o.offer_id.as_str()).collect();
    assert_eq!(offers, ["o-save10"]);
    let shipping: Vec<(ShippingMethod, i64)> = view
        .shipping_options
        .iter()
        .map(|o| (o.method, o.base_cost.minor()))
        .collect();
    assert_eq!(
        shipping,
        [
            (ShippingMethod::Standard, 500),
            (ShippingMethod::Express, 2000)
        ]
    );

    // Through the use case: the quotes of a DRAFT with a destination.
    let c = customer(A, C1);
    let order = w.checkout(&c, &[("TSHIRT", 1)]).await;
    let quotes = ok(w.oms.list_shipping_options(&c, order.id.as_str()).await);
    let quotes: Vec<(ShippingMethod, String)> = quotes
        .iter()
        .map(|q| (q.method, q.cost.amount_string()))
        .collect();
    assert_eq!(
        quotes,
        [
            (ShippingMethod::Standard, "5.00".to_string()),
            (ShippingMethod::Express, "20.00".to_string())
        ]
    );
}

/// #7 product by product id: the ref follows a SKU rename, and the old key is gone.
pub async fn a_sku_rename_moves_the_product_and_removes_the_old_key(w: World) {
    let t = tenant(A);
    let mut renamed = product("MUG", 750, 5);
    renamed.sku = sku("MUG-XL");
    renamed.name = "Bigger mug".into();
    w.apply(A, SnapshotWrite::Product(renamed), 2).await;

    assert_eq!(
        w.item(&keys::product(&t, &vendor_id(), &sku("MUG"))).await,
        None
    );
    let moved = w
        .item(&keys::product(&t, &vendor_id(), &sku("MUG-XL")))
        .await
        .unwrap();
    assert_eq!(moved.get("version"), Some(&Value::N(2)));
    let reference = w
        .item(&keys::product_ref(
            &t,
            &oms_domain::ids::ProductId::new("p-MUG").unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(reference.get("sku"), Some(&s("MUG-XL")));
    assert_eq!(reference.get("vendor_id"), Some(&s(VENDOR)));
    assert_eq!(reference.get("version"), Some(&Value::N(2)));

    let request = CatalogRequest {
        vendor_id: Some(vendor_id()),
        skus: vec![sku("MUG"), sku("MUG-XL")],
        ..CatalogRequest::default()
    };
    let view = ok(w.repo.load_catalog(&t, &request).await);
    let found: Vec<(&str, &str)> = view
        .products
        .iter()
        .map(|p| (p.sku.as_str(), p.name.as_str()))
        .collect();
    assert_eq!(found, [("MUG-XL", "Bigger mug")]);

    // The old snapshot arriving late is stale: it does not resurrect the old key.
    let late = ok(w
        .repo
        .apply_snapshot(&t, SnapshotWrite::Product(product("MUG", 750, 5)), 1)
        .await);
    assert_eq!(late, ApplyOutcome::Stale);
    assert_eq!(
        w.item(&keys::product(&t, &vendor_id(), &sku("MUG"))).await,
        None
    );

    // Checkout follows: the old SKU is unavailable, the new one sells.
    let c = customer(A, C1);
    let gone = w
        .oms
        .checkout_items(&c, checkout_input(&[("MUG", 1)]))
        .await;
    assert_user_error(
        gone,
        ErrorCode::ProductUnavailable,
        Some(&["items", "0", "sku"]),
    );
    let order = w.checkout(&c, &[("MUG-XL", 1)]).await;
    assert_eq!(order.line_items[0].product_name, "Bigger mug");
}

/// #9 offers by vendor: one item, each offer with its own version; an older offer event is
/// Stale and changes nothing, a newer one replaces only its offer.
pub async fn each_offer_keeps_its_own_version_in_the_vendors_offers_item(w: World) {
    let t = tenant(A);
    w.apply(A, SnapshotWrite::Offer(offer("o-2", "Two", "5")), 1)
        .await;
    w.apply(A, SnapshotWrite::Offer(offer("o-3", "Three v5", "15")), 5)
        .await;

    let stale = ok(w
        .repo
        .apply_snapshot(&t, SnapshotWrite::Offer(offer("o-3", "Three v4", "1")), 4)
        .await);
    assert_eq!(stale, ApplyOutcome::Stale);
    let same = ok(w
        .repo
        .apply_snapshot(
            &t,
            SnapshotWrite::Offer(offer("o-3", "Three again", "1")),
            5,
        )
        .await);
    assert_eq!(same, ApplyOutcome::Stale, "the same version is not newer");
    // o-2 at version 1 is not blocked by o-3's version 5.
    w.apply(A, SnapshotWrite::Offer(offer("o-2", "Two v2", "6")), 2)
        .await;

    let item = w
        .item(&keys::vendor_offers(&t, &vendor_id()))
        .await
        .unwrap();
    assert_eq!(item.get("entity"), Some(&s("VendorOffers")));
    let Some(Value::M(offers)) = item.get("offers") else {
        panic!("no offers map: {item:?}")
    };
    let versions: Vec<(&str, Option<i64>)> = offers
        .iter()
        .map(|(id, entry)| {
            let Value::M(fields) = entry else {
                panic!("offer {id} is not a map")
            };
            (id.as_str(), fields.get("version").and_then(Value::as_n))
        })
        .collect();
    assert_eq!(
        versions,
        [("o-2", Some(2)), ("o-3", Some(5)), ("o-save10", Some(1))]
    );

    let view = ok(w
        .repo
        .load_catalog(
            &t,
            &CatalogRequest {
                vendor_id: Some(vendor_id()),
                ..Default::default()
            },
        )
        .await);
    let mut names: Vec<(String, String)> = view
        .offers
        .iter()
        .map(|o| (o.offer_id.to_string(), o.name.clone()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ("o-2".to_string(), "Two v2".to_string()),
            ("o-3".to_string(), "Three v5".to_string()),
            ("o-save10".to_string(), "Coupon discount".to_string())
        ]
    );
    // Tenant B's offers item is another item.
    let b = ok(w
        .repo
        .load_catalog(
            &tenant(B),
            &CatalogRequest {
                vendor_id: Some(vendor_id()),
                ..Default::default()
            },
        )
        .await);
    assert_eq!(b.offers.len(), 1);
}

/// docs/data-model.md: "A vendor's offers are few (at most 100, checked at sync time)".
pub async fn a_vendor_holds_at_most_100_offers(w: World) {
    let t = tenant(A);
    // The item holding 100 offers is built through the same sync path on a scratch embedded
    // store (100 sequential read-modify-writes of a growing item are slow on the emulator), then
    // stored as is; the limit is then exercised on the backend under test.
    let scratch = oms_persistence::Repository::new(std::sync::Arc::new(
        oms_store::SqliteStore::in_memory(w.clock.clone()).unwrap(),
    ));
    let mut full = vec![offer("o-save10", "Coupon discount", "10")];
    full.extend((1..100).map(|i| offer(&format!("o-x{i:03}"), "Filler", "1")));
    for o in full {
        let applied = ok(scratch.apply_snapshot(&t, SnapshotWrite::Offer(o), 1).await);
        assert_eq!(applied, ApplyOutcome::Applied);
    }
    let key = keys::vendor_offers(&t, &vendor_id());
    let item = ok(scratch.store().get(&key, true).await).unwrap();
    ok(w.store.put(item.clone(), None).await);

    let refused = w
        .repo
        .apply_snapshot(
            &t,
            SnapshotWrite::Offer(offer("o-one-too-many", "No room", "1")),
            1,
        )
        .await;
    // Rejected for the domain's limit (a typed outcome, not a store fault), and nothing was
    // written.
    assert_eq!(
        ok(refused),
        ApplyOutcome::Rejected(oms_domain::limits::SnapshotLimit::OffersPerVendor),
        "the 101st offer must be rejected for the offers-per-vendor limit"
    );
    assert_eq!(
        ok(w.store.get(&key, true).await).as_ref(),
        Some(&item),
        "the refused offer changed the stored item"
    );
    // An update of an offer already there still applies.
    w.apply(A, SnapshotWrite::Offer(offer("o-x001", "Updated", "2")), 2)
        .await;
    let view = ok(w
        .repo
        .load_catalog(
            &t,
            &CatalogRequest {
                vendor_id: Some(vendor_id()),
                ..Default::default()
            },
        )
        .await);
    assert_eq!(view.offers.len(), 100);
    assert!(view.offers.iter().any(|o| o.name == "Updated"));
    assert!(!view.offers.iter().any(|o| o.name == "No room"));
}

/// #11 coupon by code (case-insensitive via CouponCode) and #12 coupon uses per customer.
pub async fn coupons_are_found_case_insensitively_and_count_uses_per_customer(w: World) {
    let t = tenant(A);
    let read = |c: &'static str, customer: &'static str| CatalogRequest {
        vendor_id: Some(vendor_id()),
        coupon_codes: vec![code(c)],
        customer_id: Some(customer_id(customer)),
        ..CatalogRequest::default()
    };
    let view = ok(w.repo.load_catalog(&t, &read("sAvE10", C1)).await);
    assert_eq!(view.coupons.len(), 1);
    assert_eq!(view.coupons[0].code.as_str(), "SAVE10");
    assert_eq!(
        (
            view.usage(&code("save10")).total_used,
            view.usage(&code("save10")).customer_used
        ),
        (0, 0)
    );
    let item = w
        .item(&keys::coupon(&t, &vendor_id(), &code("save10")))
        .await
        .unwrap();
    assert_eq!(item.get("sk"), Some(&s("COUPON#SAVE10")));

    // GIVEN c-1 places an order with a coupon of both limits, typed in lower case.
    w.apply(
        A,
        SnapshotWrite::Coupon(coupon("Save10", Some(50), Some(5))),
        2,
    )
    .await;
    let c = customer(A, C1);
    let draft = w.ready_draft(&c, &[("TSHIRT", 1)]).await;
    let with_coupon = w
        .change(&c, &draft, DraftChange::AddCoupon("save10".into()))
        .await;
    assert_eq!(with_coupon.coupons[0].code.as_str(), "SAVE10");
    ok(w.oms.place_order(&c, draft.id.as_str(), None, None).await);

    // THEN the global counter and c-1's counter count one use, c-2's none.
    assert_eq!(w.coupon_used(A, "SAVE10").await, 1);
    assert_eq!(w.customer_coupon_used(A, "SAVE10", C1).await, 1);
    assert_eq!(w.customer_coupon_used(A, "SAVE10", C2).await, 0);
    let use_item = w
        .item(&keys::coupon_use(
            &t,
            &vendor_id(),
            &code("SAVE10"),
            &customer_id(C1),
        ))
        .await
        .unwrap();
    assert_eq!(use_item.get("sk"), Some(&s("COUPONUSE#SAVE10#c-1")));
    assert_eq!(use_item.get("entity"), Some(&s("CouponUse")));
    let usage = ok(w.repo.load_catalog(&t, &read("Save10", C1)).await).usage(&code("SAVE10"));
    assert_eq!((usage.total_used, usage.customer_used), (1, 1));
    let usage = ok(w.repo.load_catalog(&t, &read("SAVE10", C2)).await).usage(&code("SAVE10"));
    assert_eq!((usage.total_used, usage.customer_used), (1, 0));

    // A per-customer limit of 1: c-1's second order cannot add ONCE after using it.
    let once = w.ready_draft(&c, &[("TSHIRT", 1)]).await;
    w.change(&c, &once, DraftChange::AddCoupon("once".into()))
        .await;
    ok(w.oms.place_order(&c, once.id.as_str(), None, None).await);
    let again = w.ready_draft(&c, &[("TSHIRT", 1)]).await;
    let refused = w
        .oms
        .change_draft(
            &c,
            again.id.as_str(),
            None,
            DraftChange::AddCoupon("ONCE".into()),
        )
        .await;
    assert_user_error(refused, ErrorCode::CouponUsageLimitReached, Some(&["code"]));
    // c-2 may still use it.
    let other = w.ready_draft(&customer(A, C2), &[("TSHIRT", 1)]).await;
    w.change(
        &customer(A, C2),
        &other,
        DraftChange::AddCoupon("once".into()),
    )
    .await;
}

/// #13 customer details and #14 the address book (default first, inactive hidden).
pub async fn customer_details_and_the_address_book_default_first_inactive_hidden(w: World) {
    let t = tenant(A);
    let snapshot = oms_domain::catalog::Customer {
        customer_id: customer_id(C1),
        first_name: Some("Grace".into()),
        last_name: Some("Hopper".into()),
        email: Some("grace@example.com".into()),
        is_active: true,
    };
    w.apply(A, SnapshotWrite::Customer(snapshot.clone()), 3)
        .await;
    assert_eq!(
        ok(w.repo.get_customer(&t, &customer_id(C1)).await),
        Some(snapshot)
    );
    assert_eq!(
        ok(w.repo.get_customer(&tenant(B), &customer_id(C1)).await),
        None
    );

    // Checkout without customer input takes the names from the snapshot.
    let c = customer(A, C1);
    let order = w.checkout(&c, &[("TSHIRT", 1)]).await;
    assert_eq!(order.customer.first_name.as_deref(), Some("Grace"));
    assert_eq!(order.customer.email.as_deref(), Some("grace@example.com"));

    for (id, city, default, active) in [
        ("addr-b-work", "Work City", false, true),
        ("addr-c-home", "Home City", true, true),
        ("addr-a-old", "Old City", false, false),
    ] {
        w.apply(
            A,
            SnapshotWrite::CustomerAddress(address_entry(C1, id, city, default, active)),
            1,
        )
        .await;
    }
    // Another customer's and another tenant's entries never show.
    w.apply(
        A,
        SnapshotWrite::CustomerAddress(address_entry(C2, "addr-x", "X", true, true)),
        1,
    )
    .await;
    w.apply(
        B,
        SnapshotWrite::CustomerAddress(address_entry(C1, "addr-y", "Y", true, true)),
        1,
    )
    .await;

    let listed: Vec<String> = ok(w.oms.list_customer_addresses(&c).await)
        .iter()
        .map(|a| a.address_id.to_string())
        .collect();
    assert_eq!(listed, ["addr-c-home", "addr-b-work"]);
    let item = w
        .item(&keys::customer_address(
            &t,
            &customer_id(C1),
            &AddressId::new("addr-b-work").unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(item.get("sk"), Some(&s("ADDR#addr-b-work")));

    // changeDestination from the book: active entries work, inactive ones are NOT_FOUND.
    let book = |id: &str| DraftChange::ChangeDestination(DestinationChoice::AddressBook(id.into()));
    let moved = w.change(&c, &order, book("addr-b-work")).await;
    assert_eq!(
        moved.destination.as_ref().map(|d| d.city.as_str()),
        Some("Work City")
    );
    let inactive = w
        .oms
        .change_draft(&c, order.id.as_str(), None, book("addr-a-old"))
        .await;
    assert_user_error(inactive, ErrorCode::NotFound, Some(&["addressId"]));
    let foreign = w
        .oms
        .change_draft(&c, order.id.as_str(), None, book("addr-x"))
        .await;
    assert_user_error(foreign, ErrorCode::NotFound, Some(&["addressId"]));

    // A checkout that saves its destination adds an entry in the same transaction.
    let mut input = checkout_input(&[("TSHIRT", 1)]);
    input.save_destination = true;
    ok(w.oms.checkout_items(&c, input).await);
    assert_eq!(ok(w.oms.list_customer_addresses(&c).await).len(), 3);
}

/// #15 user authorization: a snapshot grants roles in its tenant only; an inactive one revokes.
pub async fn user_authorization_grants_and_revokes_roles_in_its_tenant_only(w: World) {
    let t = tenant(A);
    w.apply(
        A,
        SnapshotWrite::UserAuthorization(authorization("u-9", vec![Role::Vendor], true)),
        1,
    )
    .await;
    let stored = ok(w
        .repo
        .get_user_authorization(&t, &UserId::new("u-9").unwrap())
        .await);
    assert_eq!(stored.map(|a| a.roles), Some(vec![Role::Vendor]));
    let item = w
        .item(&keys::user_authorization(&t, &UserId::new("u-9").unwrap()))
        .await;
    assert_eq!(
        item.and_then(|i| i.get("pk").cloned()),
        Some(s(&format!("T#{A}#USER#u-9")))
    );

    // u-9's token says CUSTOMER only; the tenant's snapshot makes them vendor v-1.
    let u9 = customer(A, "u-9");
    let principal = ok(w.oms.me(&u9).await);
    assert!(principal.has(Role::Vendor) && principal.has(Role::Customer));
    assert_eq!(principal.vendor_id, Some(vendor_id()));
    let placed = w.placed(&customer(A, C1), &[("TSHIRT", 1)]).await;
    assert_eq!(w.list_ids(&u9, Role::Vendor, None).await, ids(&[&placed]));

    // The same user in tenant B has no such grant.
    let in_b = ok(w.oms.me(&customer(B, "u-9")).await);
    assert!(!in_b.has(Role::Vendor));
    let refused = w
        .oms
        .list_orders(&customer(B, "u-9"), Role::Vendor, None, 10, None)
        .await;
    assert!(
        matches!(refused, Err(oms_application::error::AppError::Forbidden)),
        "{refused:?}"
    );

    // A newer inactive snapshot revokes every role, token roles included.
    w.apply(
        A,
        SnapshotWrite::UserAuthorization(authorization("u-9", vec![Role::Vendor], false)),
        2,
    )
    .await;
    assert!(ok(w.oms.me(&u9).await).roles.is_empty());
    let forbidden = w.oms.get_order(&u9, placed.id.as_str()).await;
    assert!(
        matches!(forbidden, Err(oms_application::error::AppError::Forbidden)),
        "{forbidden:?}"
    );
}

/// syncUser: customer snapshot refreshed, UserAuthorization created once, never overwritten.
pub async fn sync_user_creates_the_customer_and_never_overwrites_an_authorization(w: World) {
    let t = tenant(A);
    let c = customer(A, "u-new");
    let input = SyncUserInput {
        first_name: Some("Linus".into()),
        ..SyncUserInput::default()
    };
    let principal = ok(w.oms.sync_user(&c, input).await);
    assert!(principal.has(Role::Customer));
    let stored = ok(w.repo.get_customer(&t, &customer_id("u-new")).await).unwrap();
    assert_eq!(stored.first_name.as_deref(), Some("Linus"));
    assert_eq!(stored.last_name.as_deref(), Some("Lovelace"));
    let authz = ok(w
        .repo
        .get_user_authorization(&t, &UserId::new("u-new").unwrap())
        .await);
    assert_eq!(authz.map(|a| a.roles), Some(vec![Role::Customer]));

    // An upstream record (vendor role) is kept when the user syncs again with a customer token.
    w.apply(
        A,
        SnapshotWrite::UserAuthorization(authorization("u-up", vec![Role::Vendor], true)),
        1,
    )
    .await;
    let again = ok(w
        .oms
        .sync_user(&customer(A, "u-up"), SyncUserInput::default())
        .await);
    assert!(again.has(Role::Vendor));
    let authz = ok(w
        .repo
        .get_user_authorization(&t, &UserId::new("u-up").unwrap())
        .await);
    assert_eq!(authz.map(|a| a.roles), Some(vec![Role::Vendor]));
    // Nothing leaked into tenant B.
    assert_eq!(
        ok(w.repo.get_customer(&tenant(B), &customer_id("u-new")).await),
        None
    );
}

async fn webhook_secrets_of(w: &World, t: &str) -> Option<Vec<String>> {
    ok(w.repo.get_tenant_secrets(&tenant(t)).await).map(|s| s.webhook_secrets)
}

/// #16 tenant config, and apart from it the tenant's secrets.
pub async fn tenant_config_is_stored_per_tenant(w: World) {
    let a = ok(w.repo.get_tenant_config(&tenant(A)).await).unwrap();
    let b = ok(w.repo.get_tenant_config(&tenant(B)).await).unwrap();
    assert_eq!(
        webhook_secrets_of(&w, A).await,
        Some(vec!["secret-of-tenant-a".to_string()])
    );
    assert_eq!(
        webhook_secrets_of(&w, B).await,
        Some(vec!["secret-of-tenant-b".to_string()])
    );
    assert_eq!(a.tax_table, None);
    assert_eq!(b.tax_table.map(|t| t.rules.len()), Some(0));
    assert_eq!(
        ok(w.repo.get_tenant_config(&tenant("tenant-c")).await),
        None
    );
    assert_eq!(
        ok(w.repo.get_tenant_secrets(&tenant("tenant-c")).await),
        None
    );

    let mut rotated = TenantConfig::new(tenant(A));
    rotated.legacy_wss = true;
    ok(w.repo.put_tenant_config(&rotated).await);
    let mut rotated_secrets = TenantSecrets::new(tenant(A));
    rotated_secrets.webhook_secrets = vec!["new".into(), "secret-of-tenant-a".into()];
    rotated_secrets.stripe = Some("ssm:/oms/tenant-a/stripe".into());
    ok(w.repo.put_tenant_secrets(&rotated_secrets).await);
    assert_eq!(
        ok(w.repo.get_tenant_config(&tenant(A)).await),
        Some(rotated)
    );
    assert_eq!(
        ok(w.repo.get_tenant_secrets(&tenant(A)).await),
        Some(rotated_secrets)
    );
    let item = w.item(&keys::tenant_config(&tenant(A))).await.unwrap();
    assert_eq!(item.get("pk"), Some(&s(&format!("T#{A}#TENANT"))));
    assert_eq!(item.get("entity"), Some(&s("TenantConfig")));
    let body = item
        .get("body")
        .and_then(|b| b.as_s())
        .unwrap_or_default()
        .to_string();
    assert!(
        !body.contains("secret-of-tenant-a") && !body.contains("ssm:"),
        "the configuration item holds no secret: {body}"
    );
    let item = w.item(&keys::tenant_secrets(&tenant(A))).await.unwrap();
    assert_eq!(item.get("sk"), Some(&s("SECRETS")));
    assert_eq!(item.get("entity"), Some(&s("TenantSecrets")));
    assert_eq!(
        webhook_secrets_of(&w, B).await,
        Some(vec!["secret-of-tenant-b".to_string()])
    );
}

/// #16: a configuration stored before secrets had their own item (secrets inline, PayPal's
/// credentials next to its base URL) reads as the configuration without them, and its secrets
/// from the same item, until the tenant is put again.
pub async fn a_configuration_stored_with_its_secrets_is_still_read(w: World) {
    let t = tenant("tenant-old");
    let legacy = r#"{"tenant":"tenant-old","webhook_secrets":["old-secret-1"],
        "signature_scheme":"oms","legacy_wss":true,"tax_table":null,
        "stripe":{"base_url":"https://api.stripe.com","credentials":"sk_old"},
        "paypal":{"base_url":"https://api-m.paypal.com","credentials":"pp-id:pp-secret"},
        "events_url":"https://hooks.example.com/e","events_secret":"old-events-secret"}"#;
    let key = keys::tenant_config(&t);
    let mut item = key.to_item();
    item.insert("entity".into(), s("TenantConfig"));
    item.insert("body".into(), s(legacy));
    ok(w.store.put(item, None).await);

    let config = ok(w.repo.get_tenant_config(&t).await).unwrap();
    assert!(config.legacy_wss);
    assert_eq!(
        config.stripe.as_ref().map(|p| p.base_url.as_str()),
        Some("https://api.stripe.com")
    );
    assert_eq!(
        config.events_url.as_deref(),
        Some("https://hooks.example.com/e")
    );
    let secrets = ok(w.repo.get_tenant_secrets(&t).await).unwrap();
    assert_eq!(secrets.webhook_secrets, ["old-secret-1"]);
    assert_eq!(secrets.events_secret.as_deref(), Some("old-events-secret"));
    assert_eq!(secrets.stripe.as_deref(), Some("sk_old"));
    assert_eq!(secrets.paypal.as_deref(), Some("pp-id:pp-secret"));

    // Put again (what `oms tenant put` does): the secrets move to their item, the configuration
    // item loses them.
    ok(w.repo.put_tenant_secrets(&secrets).await);
    ok(w.repo.put_tenant_config(&config).await);
    assert_eq!(ok(w.repo.get_tenant_secrets(&t).await), Some(secrets));
    let body = w
        .item(&key)
        .await
        .and_then(|i| i.get("body").and_then(|b| b.as_s()).map(str::to_string))
        .unwrap_or_default();
    for secret in ["old-secret-1", "sk_old", "pp-secret", "old-events-secret"] {
        assert!(!body.contains(secret), "{secret} still in {body}");
    }
}

/// #18 webhook event dedupe, with TTL.
pub async fn a_webhook_event_id_is_recorded_once_until_it_expires(w: World) {
    let t = tenant(A);
    let later = w.clock.now() + chrono::Duration::days(7);
    assert!(ok(w.repo.record_event_id(&t, "evt-1", later).await));
    assert!(
        !ok(w.repo.record_event_id(&t, "evt-1", later).await),
        "second record"
    );
    // The same event id in another tenant is another record.
    assert!(ok(w.repo.record_event_id(&tenant(B), "evt-1", later).await));
    // Ids are escaped, not trusted: `#` cannot alias another key.
    assert!(ok(w.repo.record_event_id(&t, "evt#1", later).await));
    assert!(!ok(w.repo.record_event_id(&t, "evt#1", later).await));
    let item = w.item(&keys::webhook_event(&t, "evt#1")).await.unwrap();
    assert_eq!(item.get("pk"), Some(&s(&format!("T#{A}#EVENT#evt%231"))));
    assert_eq!(item.get("expires_at"), Some(&Value::N(later.timestamp())));

    // An expired record counts as absent: the id records again.
    let past = w.clock.now() - chrono::Duration::seconds(5);
    assert!(ok(w.repo.record_event_id(&t, "evt-old", past).await));
    assert!(
        ok(w.repo.record_event_id(&t, "evt-old", past).await),
        "expired = absent"
    );
    assert!(
        ok(w.repo.record_event_id(&t, "evt-old", later).await),
        "still expired"
    );
    assert!(
        !ok(w.repo.record_event_id(&t, "evt-old", later).await),
        "now live"
    );
}

/// #19 the outbox: written in the same transaction as the order change.
pub async fn outbox_events_are_written_in_the_same_transaction_as_the_order(w: World) {
    let c = customer(A, C1);
    let order = w.checkout(&c, &[("TSHIRT", 2)]).await;
    let envelopes = w.outbox(A, &order.id, 1).await;
    assert_eq!(envelopes.len(), 1);
    let e = &envelopes[0];
    // Exactly the body the tenant's webhook URL will receive (docs/runtime.md, "Outbound order
    // events"): the public type, a stable id, the order's summary and the change itself.
    assert_eq!(e["type"], "order.created");
    assert_eq!(e["id"], format!("{}-1-0", order.id));
    assert_eq!(e["tenant_id"], A);
    assert_eq!(e["version"], 1);
    assert_eq!(e["data"]["order_id"], order.id.as_str());
    assert_eq!(e["data"]["status"], "DRAFT");
    assert_eq!(e["data"]["customer_id"], C1);
    assert_eq!(e["data"]["vendor_id"], VENDOR);
    assert_eq!(e["data"]["currency"], "SGD");
    assert_eq!(e["data"]["total"], "21.80");
    assert_eq!(e["data"]["change"]["type"], "order.checked_out");
    assert_eq!(
        e["data"]["change"]["total"],
        serde_json::json!({"minor": 2180, "currency": "SGD"})
    );
    let item = w
        .item(&keys::outbox(&tenant(A), &order.id, 1, 0))
        .await
        .unwrap();
    // In the order's own partition (the stream keeps one partition's records in order).
    assert_eq!(
        item.get("pk"),
        Some(&s(&format!("T#{A}#ORDER#{}", order.id)))
    );
    assert_eq!(item.get("sk"), Some(&s("OUTBOX#000000000001#000")));
    assert_eq!(item.get("event_id"), Some(&s(&format!("{}-1-0", order.id))));
    let expires = (t0() + chrono::Duration::days(7)).timestamp();
    assert_eq!(item.get("expires_at"), Some(&Value::N(expires)));

    let ready = w
        .change(
            &c,
            &order,
            DraftChange::SelectShippingOption(ShippingMethod::Standard),
        )
        .await;
    assert_eq!(
        w.outbox_types(A, &order.id, ready.version).await,
        ["order.shipping_option_selected"]
    );
    let placed = ok(w.oms.place_order(&c, order.id.as_str(), None, None).await).order;
    assert_eq!(
        w.outbox_types(A, &order.id, placed.version).await,
        ["order.placed"]
    );
    let cancelled = ok(w.oms.cancel_order(&c, order.id.as_str(), "too slow").await).order;
    let envelopes = w.outbox(A, &order.id, cancelled.version).await;
    assert_eq!(envelopes.len(), 1);
    assert_eq!(envelopes[0]["type"], "order.cancelled");
    assert_eq!(envelopes[0]["data"]["status"], "CANCELLED");
    let released = &envelopes[0]["data"]["change"]["released"];
    assert_eq!(
        released,
        &serde_json::json!([{"sku": "TSHIRT", "quantity": 2}])
    );
    // Nothing of it in tenant B's key space.
    assert!(w.outbox(B, &order.id, 1).await.is_empty());
}

/// #20 payment by transaction id; `claimed_by` survives later payment events.
pub async fn a_payment_is_found_by_transaction_id_and_keeps_its_claim(w: World) {
    let t = tenant(A);
    let c = customer(A, C1);
    let order = w.placed(&c, &[("TSHIRT", 1)]).await;
    let record = paypal_payment("PAY#1", &order, order.pricing.total);
    assert_eq!(
        ok(w.repo.record_payment(&t, record.clone(), 1).await),
        ApplyOutcome::Applied
    );
    let load = |txn: &'static str| {
        let repo = w.repo.clone();
        let id = order.id.clone();
        async move {
            let request = OrderLoadRequest {
                order_id: &id,
                idempotency: None,
                transaction_id: Some(txn),
                user: None,
            };
            ok(repo.load_order(&tenant(A), &request).await)
        }
    };
    let loaded = load("PAY#1").await;
    assert_eq!(loaded.payment.as_ref(), Some(&record));
    assert!(loaded.order.is_some());
    assert!(load("PAY-OTHER").await.payment.is_none());
    let item = w.item(&keys::payment(&t, "PAY#1")).await.unwrap();
    assert_eq!(item.get("pk"), Some(&s(&format!("T#{A}#PAYMENT#PAY%231"))));

    ok(w.oms
        .confirm_order(&c, order.id.as_str(), PaymentMethod::Paypal, Some("PAY#1"))
        .await);
    let item = w.item(&keys::payment(&t, "PAY#1")).await.unwrap();
    assert_eq!(item.get("claimed_by"), Some(&s(order.id.as_str())));

    // A later event (refund) replaces the record but keeps the claim.
    let mut refunded = record.clone();
    refunded.status = PaymentEventStatus::Refunded;
    refunded.refunded_amount = Some(order.pricing.total);
    assert_eq!(
        ok(w.repo.record_payment(&t, refunded, 2).await),
        ApplyOutcome::Applied
    );
    let loaded = load("PAY#1").await.payment.unwrap();
    assert_eq!(loaded.status, PaymentEventStatus::Refunded);
    assert_eq!(loaded.claimed_by.as_ref(), Some(&order.id));
    // An older event is stale.
    assert_eq!(
        ok(w.repo.record_payment(&t, record, 1).await),
        ApplyOutcome::Stale
    );
    assert_eq!(
        load("PAY#1").await.payment.map(|p| p.status),
        Some(PaymentEventStatus::Refunded)
    );
}

// ---------------------------------------------------------------------------------------------
// Tenant separation
// ---------------------------------------------------------------------------------------------

/// Checkout in A prices from A's snapshots only (same vendor, SKU and customer ids as B).
pub async fn checkout_in_one_tenant_never_sees_another_tenants_catalog(w: World) {
    let in_a = w.checkout(&customer(A, C1), &[("TSHIRT", 1)]).await;
    let in_b = w.checkout(&customer(B, C1), &[("TSHIRT", 1)]).await;
    assert_eq!(in_a.line_items[0].unit_price.amount_string(), "10.00");
    assert_eq!(in_b.line_items[0].unit_price.amount_string(), "99.00");
    // A taxes (GST 9 %), B has no tax rules.
    assert_eq!(in_a.pricing.total.amount_string(), "10.90");
    assert_eq!(in_b.pricing.total.amount_string(), "99.00");

    // Stock: B has 7 T-shirts, A has 100.
    let too_many = w
        .oms
        .checkout_items(&customer(B, C1), checkout_input(&[("TSHIRT", 8)]))
        .await;
    assert_user_error(
        too_many,
        ErrorCode::OutOfStock,
        Some(&["items", "0", "quantity"]),
    );
    w.checkout(&customer(A, C1), &[("TSHIRT", 8)]).await;
    // A SKU only B sells is unavailable in A.
    let b_only = w
        .oms
        .checkout_items(&customer(A, C1), checkout_input(&[("B-ONLY", 1)]))
        .await;
    assert_user_error(
        b_only,
        ErrorCode::ProductUnavailable,
        Some(&["items", "0", "sku"]),
    );

    // Shipping and coupons are per tenant too.
    let quotes_b = ok(w
        .oms
        .list_shipping_options(&customer(B, C1), in_b.id.as_str())
        .await);
    assert_eq!(quotes_b[0].cost.amount_string(), "8.00");
    let foreign = w
        .oms
        .change_draft(
            &customer(A, C1),
            in_a.id.as_str(),
            None,
            DraftChange::AddCoupon("BCODE".into()),
        )
        .await;
    assert_user_error(foreign, ErrorCode::CouponInvalid, Some(&["code"]));
    let b_coupon = w
        .change(
            &customer(B, C1),
            &in_b,
            DraftChange::AddCoupon("limited3".into()),
        )
        .await;
    assert_eq!(
        b_coupon.pricing.discount_total.amount_string(),
        "49.50",
        "B's offer is 50 %"
    );

    // Placing in B decrements B's stock only.
    let b_ready = w
        .change(
            &customer(B, C1),
            &b_coupon,
            DraftChange::SelectShippingOption(ShippingMethod::Standard),
        )
        .await;
    ok(w.oms
        .place_order(&customer(B, C1), b_ready.id.as_str(), None, None)
        .await);
    assert_eq!(w.stock(B, "TSHIRT").await, 6);
    assert_eq!(w.stock(A, "TSHIRT").await, 100);
    assert_eq!(w.coupon_used(B, "LIMITED3").await, 1);
    assert_eq!(w.coupon_used(A, "LIMITED3").await, 0);
}

/// B's caller (same customer and vendor ids) gets NOT_FOUND for A's order id, on every operation.
pub async fn another_tenants_caller_gets_not_found_for_an_order_id(w: World) {
    let a_customer = customer(A, C1);
    let order = w.placed(&a_customer, &[("TSHIRT", 1)]).await;
    let id = order.id.as_str();
    let not_found = Some(&["orderId"][..]);

    for caller in [customer(B, C1), customer(A, C2)] {
        assert_eq!(ok(w.oms.get_order(&caller, id).await), None);
        let add = DraftChange::AddLineItems(lines(&[("CAP", 1)]));
        assert_user_error(
            w.oms.change_draft(&caller, id, None, add).await,
            ErrorCode::NotFound,
            not_found,
        );
        assert_user_error(
            w.oms.place_order(&caller, id, None, None).await,
            ErrorCode::NotFound,
            not_found,
        );
        let confirm = w
            .oms
            .confirm_order(&caller, id, PaymentMethod::CashOnDelivery, None)
            .await;
        assert_user_error(confirm, ErrorCode::NotFound, not_found);
        assert_user_error(
            w.oms.cancel_order(&caller, id, "mine now").await,
            ErrorCode::NotFound,
            not_found,
        );
        assert_user_error(
            w.oms.list_shipping_options(&caller, id).await,
            ErrorCode::NotFound,
            not_found,
        );
    }
    let b_vendor = vendor(B, VENDOR);
    assert_eq!(ok(w.oms.get_order(&b_vendor, id).await), None);
    for step in [
        Fulfilment::MarkAsShipped,
        Fulfilment::AddTrackingReference("https://track.example.com/x".into()),
        Fulfilment::MarkAsCompleted,
    ] {
        assert_user_error(
            w.oms.fulfil(&b_vendor, id, step).await,
            ErrorCode::NotFound,
            not_found,
        );
    }
    // A's order is untouched.
    assert_eq!(w.stored_order(A, &order.id).await, order);
    assert_eq!(w.stock(A, "TSHIRT").await, 99);
    assert_eq!(w.stock(B, "TSHIRT").await, 7);
}

/// The same order id in both tenants: two items, two orders.
pub async fn the_same_order_id_in_two_tenants_is_two_orders(w: World) {
    let in_a = w.checkout(&customer(A, C1), &[("TSHIRT", 1)]).await;
    let mut in_b = in_a.clone();
    in_b.tenant = tenant(B);
    in_b.customer.first_name = Some("Other tenant".into());
    ok(w.repo
        .commit(&tenant(B), OrderCommit::new(in_b.clone(), None, vec![]))
        .await);

    assert_eq!(w.stored_order(A, &in_a.id).await, in_a);
    assert_eq!(w.stored_order(B, &in_a.id).await, in_b);
    assert_eq!(
        ok(w.oms.get_order(&customer(B, C1), in_a.id.as_str()).await)
            .and_then(|o| o.customer.first_name),
        Some("Other tenant".into())
    );
    // A change in B leaves A's order alone.
    let b_changed = w
        .change(
            &customer(B, C1),
            &in_b,
            DraftChange::ChangeQuantity {
                sku: "TSHIRT".into(),
                quantity: 3,
            },
        )
        .await;
    assert_eq!(b_changed.version, 2);
    assert_eq!(w.stored_order(A, &in_a.id).await.version, 1);
    assert_eq!(
        w.list_ids(&customer(A, C1), Role::Customer, None).await,
        ids(&[&in_a])
    );
    assert_eq!(
        w.list_ids(&customer(B, C1), Role::Customer, None).await,
        ids(&[&in_b])
    );
    // A repository refuses to write an order into another tenant's key space.
    let refused = w
        .repo
        .commit(&tenant(B), OrderCommit::new(in_a.clone(), Some(1), vec![]))
        .await;
    assert!(matches!(refused, Err(CommitError::Fault(_))), "{refused:?}");
}

/// Lists show the caller's tenant only; a cursor of another tenant, customer, vendor or status
/// is INVALID_INPUT.
pub async fn lists_show_only_the_callers_tenant_and_reject_foreign_cursors(w: World) {
    let a1 = customer(A, C1);
    let b1 = customer(B, C1);
    // Placed orders (vendors see those) and a draft (customers only).
    let first = w.placed(&a1, &[("TSHIRT", 1)]).await;
    w.clock.advance(chrono::Duration::minutes(1));
    let second = w.checkout(&a1, &[("CAP", 1)]).await;
    let in_b = w.placed(&b1, &[("MUG", 1)]).await;

    assert_eq!(
        w.list_ids(&a1, Role::Customer, None).await,
        ids(&[&second, &first])
    );
    assert_eq!(w.list_ids(&b1, Role::Customer, None).await, ids(&[&in_b]));
    assert_eq!(
        w.list_ids(&vendor(A, VENDOR), Role::Vendor, None).await,
        ids(&[&first])
    );
    assert_eq!(
        w.list_ids(&vendor(B, VENDOR), Role::Vendor, None).await,
        ids(&[&in_b])
    );

    let page = ok(w.oms.list_orders(&a1, Role::Customer, None, 1, None).await);
    assert!(page.has_next_page);
    let cursor = page.end_cursor.unwrap();
    // The cursor works for its own query.
    let next = ok(w
        .oms
        .list_orders(&a1, Role::Customer, None, 1, Some(cursor.clone()))
        .await);
    assert_eq!(next.edges[0].1.id, first.id);

    let invalid = Some(&["after"][..]);
    let cases = [
        (
            "tenant B, same customer id",
            b1.clone(),
            Role::Customer,
            None,
        ),
        (
            "tenant A, another customer",
            customer(A, C2),
            Role::Customer,
            None,
        ),
        (
            "same customer, status filter",
            a1.clone(),
            Role::Customer,
            Some(OrderStatus::Draft),
        ),
        ("tenant A vendor", vendor(A, VENDOR), Role::Vendor, None),
        ("tenant B vendor", vendor(B, VENDOR), Role::Vendor, None),
    ];
    for (why, caller, side, status) in cases {
        let r = w
            .oms
            .list_orders(&caller, side, status, 10, Some(cursor.clone()))
            .await;
        let e = user_error(r);
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::InvalidInput, Some(&["after".to_string()][..])),
            "{why}"
        );
    }
    let garbage = w
        .oms
        .list_orders(&a1, Role::Customer, None, 10, Some("bm9wZQ".into()))
        .await;
    assert_user_error(garbage, ErrorCode::InvalidInput, invalid);
    // A status cursor is rejected for another status of the same customer.
    let drafts = ok(w
        .oms
        .list_orders(&a1, Role::Customer, Some(OrderStatus::Draft), 1, None)
        .await);
    let draft_cursor = drafts.end_cursor.unwrap();
    let r = w
        .oms
        .list_orders(
            &a1,
            Role::Customer,
            Some(OrderStatus::Pending),
            10,
            Some(draft_cursor),
        )
        .await;
    assert_user_error(r, ErrorCode::InvalidInput, invalid);
}

/// A cursor that was altered, truncated, signed under another deployment's key or written in
/// the old unsigned format is INVALID_INPUT on `["after"]`: nothing is queried (the one round
/// trip is the caller's authorization read) and nothing is shown.
pub async fn forged_truncated_and_foreign_key_cursors_are_invalid_input_and_read_nothing(w: World) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let c = customer(A, C1);
    for _ in 0..3 {
        w.checkout(&c, &[("TSHIRT", 1)]).await;
        w.clock.advance(chrono::Duration::seconds(1));
    }
    let page = ok(w.oms.list_orders(&c, Role::Customer, None, 1, None).await);
    let cursor = page.end_cursor.unwrap();
    assert!(
        !cursor.contains(A) && !cursor.contains(C1),
        "opaque: {cursor}"
    );
    let raw = b64.decode(&cursor).unwrap();

    // Another deployment (same table, its own secret) lists the same orders with cursors of its
    // own: neither deployment accepts the other's.
    let elsewhere = oms_persistence::Repository::new(
        w.store.clone() as std::sync::Arc<dyn oms_store::ItemStore>
    )
    .with_cursor_key(oms_persistence::cursor::CursorKey::from_secret(
        b"another deployment",
    ));
    let query = OrderQuery {
        owner: OrderOwner::Customer(customer_id(C1)),
        status: None,
        first: 1,
        after: None,
    };
    let foreign = ok(elsewhere.list_orders(&tenant(A), &query).await)
        .end_cursor
        .unwrap();
    assert_ne!(foreign, cursor);
    let mine_there = elsewhere
        .list_orders(
            &tenant(A),
            &OrderQuery {
                after: Some(cursor.clone()),
                ..query.clone()
            },
        )
        .await;
    assert!(
        matches!(
            mine_there,
            Err(oms_application::ports::ListError::InvalidCursor)
        ),
        "{mine_there:?}"
    );

    let mut flipped = raw.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x20;
    let mut retagged = raw.clone();
    let last = retagged.len() - 1;
    retagged[last] ^= 0x01;
    let v1 = b64.encode(format!(
        r#"{{"v":1,"q":"{A}|C:{C1}|","k":[["pk","T#{A}#ORDER#X"],["sk","ORDER"],["gsi1pk","T#{A}#CUST#{C1}"],["gsi1sk","9999"]]}}"#
    ));
    let cases = [
        ("another deployment's key", foreign),
        ("a byte of the position altered", b64.encode(&flipped)),
        ("a byte of the tag altered", b64.encode(&retagged)),
        ("truncated", cursor[..cursor.len() - 6].to_string()),
        ("tag cut off", b64.encode(&raw[..raw.len() - 32])),
        ("extended", format!("{cursor}AAAA")),
        ("the unsigned version-1 format", v1),
        ("not base64", "~~~~".to_string()),
        ("empty", String::new()),
        ("huge", "A".repeat(100_000)),
    ];
    for (why, bad) in cases {
        let before = w.rt();
        let r = w
            .oms
            .list_orders(&c, Role::Customer, None, 10, Some(bad))
            .await;
        assert_eq!(w.since(before), 1, "{why}: only the authorization read");
        assert_user_error(r, ErrorCode::InvalidInput, Some(&["after"][..]));
    }
    // The genuine cursor still works.
    let next = ok(w
        .oms
        .list_orders(&c, Role::Customer, None, 10, Some(cursor))
        .await);
    assert_eq!(next.edges.len(), 2);
    assert!(!next.has_next_page);
}

// ---------------------------------------------------------------------------------------------
// Conditional failures
// ---------------------------------------------------------------------------------------------

/// `attribute_not_exists(pk) OR version < :v` for every snapshot kind: an older snapshot after a
/// newer one (or the same version again) is Stale and leaves the data as it was.
pub async fn an_older_snapshot_after_a_newer_one_is_stale_and_changes_nothing(w: World) {
    let t = tenant(A);
    let stale = |write: SnapshotWrite, version: u64| {
        let repo = w.repo.clone();
        async move {
            let outcome = ok(repo
                .apply_snapshot(&tenant(A), write.clone(), version)
                .await);
            assert_eq!(outcome, ApplyOutcome::Stale, "{write:?} v{version}");
        }
    };
    let newer_product = product("MUG", 800, 9);
    let mut older_product = product("MUG", 100, 999);
    older_product.name = "old".into();
    w.apply(A, SnapshotWrite::Product(newer_product.clone()), 5)
        .await;
    stale(SnapshotWrite::Product(older_product), 3).await;
    stale(SnapshotWrite::Product(product("MUG", 1, 1)), 5).await;

    w.apply(A, SnapshotWrite::Vendor(the_vendor("Vendor v5")), 5)
        .await;
    stale(SnapshotWrite::Vendor(the_vendor("Vendor v3")), 3).await;

    let newer_coupon = coupon("Save10", Some(9), None);
    w.apply(A, SnapshotWrite::Coupon(newer_coupon.clone()), 5)
        .await;
    stale(SnapshotWrite::Coupon(coupon("Save10", Some(1), None)), 3).await;

    w.apply(
        A,
        SnapshotWrite::Offer(offer("o-save10", "Offer v5", "20")),
        5,
    )
    .await;
    stale(SnapshotWrite::Offer(offer("o-save10", "Offer v3", "90")), 3).await;

    w.apply(
        A,
        SnapshotWrite::ShippingOption(shipping(ShippingMethod::Standard, 600)),
        5,
    )
    .await;
    stale(
        SnapshotWrite::ShippingOption(shipping(ShippingMethod::Standard, 100)),
        3,
    )
    .await;

    let person = |name: &str| oms_domain::catalog::Customer {
        customer_id: customer_id(C1),
        first_name: Some(name.into()),
        last_name: None,
        email: None,
        is_active: true,
    };
    w.apply(A, SnapshotWrite::Customer(person("Five")), 5).await;
    stale(SnapshotWrite::Customer(person("Three")), 3).await;

    w.apply(
        A,
        SnapshotWrite::CustomerAddress(address_entry(C1, "addr-1", "Five", true, true)),
        5,
    )
    .await;
    stale(
        SnapshotWrite::CustomerAddress(address_entry(C1, "addr-1", "Three", true, true)),
        3,
    )
    .await;

    w.apply(
        A,
        SnapshotWrite::UserAuthorization(authorization("u-1", vec![Role::Vendor], true)),
        5,
    )
    .await;
    stale(
        SnapshotWrite::UserAuthorization(authorization("u-1", vec![], false)),
        3,
    )
    .await;

    // THEN every stored snapshot is the version-5 one.
    let request = CatalogRequest {
        vendor_id: Some(vendor_id()),
        skus: vec![sku("MUG")],
        coupon_codes: vec![code("SAVE10")],
        ..CatalogRequest::default()
    };
    let view = ok(w.repo.load_catalog(&t, &request).await);
    assert_eq!(view.products, vec![newer_product]);
    assert_eq!(view.vendor.map(|v| v.name), Some("Vendor v5".into()));
    assert_eq!(view.coupons, vec![newer_coupon]);
    assert_eq!(
        view.offers
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>(),
        ["Offer v5"]
    );
    let standard = view
        .shipping_options
        .iter()
        .find(|o| o.method == ShippingMethod::Standard);
    assert_eq!(standard.map(|o| o.base_cost.minor()), Some(600));
    let person = ok(w.repo.get_customer(&t, &customer_id(C1)).await);
    assert_eq!(person.and_then(|p| p.first_name), Some("Five".into()));
    let book = ok(w.oms.list_customer_addresses(&customer(A, C1)).await);
    assert_eq!(
        book.iter()
            .map(|a| a.address.city.as_str())
            .collect::<Vec<_>>(),
        ["Five"]
    );
    let authz = ok(w
        .repo
        .get_user_authorization(&t, &UserId::new("u-1").unwrap())
        .await);
    assert_eq!(
        authz.map(|a| (a.roles, a.is_active)),
        Some((vec![Role::Vendor], true))
    );
    for (key, version) in [
        (keys::product(&t, &vendor_id(), &sku("MUG")), 5),
        (keys::vendor(&t, &vendor_id()), 5),
        (keys::coupon(&t, &vendor_id(), &code("SAVE10")), 5),
        (
            keys::shipping_option(&t, &vendor_id(), ShippingMethod::Standard),
            5,
        ),
        (keys::customer(&t, &customer_id(C1)), 5),
    ] {
        let item = w.item(&key).await.unwrap();
        assert_eq!(item.get("version"), Some(&Value::N(version)), "{key:?}");
    }
    // Tenant B saw none of it.
    assert_eq!(w.stock(B, "MUG").await, 500);

    // A coupon snapshot keeps the redemption counter.
    let c = customer(A, C1);
    let draft = w.ready_draft(&c, &[("TSHIRT", 1)]).await;
    w.change(&c, &draft, DraftChange::AddCoupon("LIMITED3".into()))
        .await;
    ok(w.oms.place_order(&c, draft.id.as_str(), None, None).await);
    assert_eq!(w.coupon_used(A, "LIMITED3").await, 1);
    w.apply(
        A,
        SnapshotWrite::Coupon(coupon("Limited3", Some(10), None)),
        6,
    )
    .await;
    assert_eq!(w.coupon_used(A, "LIMITED3").await, 1);
}

/// `version = :expected` on every order write: a stale expectation is VERSION_CONFLICT and the
/// whole transaction (order, stock, coupons, idempotency record, outbox) is dropped.
pub async fn a_stale_expected_version_is_a_version_conflict_and_writes_nothing(w: World) {
    let t = tenant(A);
    let c = customer(A, C1);
    let draft = w.ready_draft(&c, &[("MUG", 2)]).await;
    w.change(&c, &draft, DraftChange::AddCoupon("SAVE10".into()))
        .await;
    let draft = w.stored_order(A, &draft.id).await;
    let id = draft.id.as_str();

    // The client's expectedVersion is checked first.
    let r = w.oms.place_order(&c, id, Some(1), None).await;
    assert_user_error(r, ErrorCode::VersionConflict, Some(&["expectedVersion"]));
    let r = w
        .oms
        .change_draft(&c, id, Some(1), DraftChange::RemoveCoupon("SAVE10".into()))
        .await;
    assert_user_error(r, ErrorCode::VersionConflict, Some(&["expectedVersion"]));

    // WHEN another writer changes the order between placeOrder's read and its commit
    w.before_next_transaction(vec![WriteOp::Update {
        key: keys::order(&t, &draft.id),
        updates: vec![Update::Add("version".into(), 1)],
        cond: None,
    }]);
    let r = w
        .oms
        .place_order(&c, id, Some(draft.version as i64), Some("idem-vc"))
        .await;
    assert_user_error(r, ErrorCode::VersionConflict, None);
    // THEN nothing of the placement was written.
    let item = w.item(&keys::order(&t, &draft.id)).await.unwrap();
    assert_eq!(item.get("status"), Some(&s("DRAFT")));
    assert_eq!(
        item.get("version"),
        Some(&Value::N(draft.version as i64 + 1)),
        "only the other writer"
    );
    assert_eq!(w.stock(A, "MUG").await, 5);
    assert_eq!(w.coupon_used(A, "SAVE10").await, 0);
    assert_eq!(w.customer_coupon_used(A, "SAVE10", C1).await, 0);
    assert!(w.outbox(A, &draft.id, draft.version + 1).await.is_empty());
    let idem = IdempotencyKey::new(C1, "placeOrder", "idem-vc");
    assert_eq!(w.item(&keys::idempotency(&t, &idem)).await, None);

    // The repository port directly: a commit expecting version 1 of a version-3+ order.
    let current = w.item(&keys::order(&t, &draft.id)).await.unwrap();
    let mut changed = draft.clone();
    changed.version = 99;
    let event = OrderEvent {
        kind: OrderEventKind::OrderShipped,
        order_id: draft.id.clone(),
        tenant: t.clone(),
        version: 99,
        status: OrderStatus::Draft,
        occurred_at: t0(),
    };
    let mut commit = OrderCommit::new(changed.clone(), Some(1), vec![event]);
    commit.stock = vec![StockChange {
        vendor_id: vendor_id(),
        product_id: ProductId::new("p-MUG").unwrap(),
        sku: sku("MUG"),
        quantity: 1,
        movement: StockMove::Hold,
    }];
    let r = w.repo.commit(&t, commit).await;
    assert!(matches!(r, Err(CommitError::VersionConflict)), "{r:?}");
    // Creating an order that exists is a conflict too.
    let r = w
        .repo
        .commit(&t, OrderCommit::new(changed, None, vec![]))
        .await;
    assert!(matches!(r, Err(CommitError::VersionConflict)), "{r:?}");
    assert_eq!(w.item(&keys::order(&t, &draft.id)).await, Some(current));
    assert_eq!(w.stock(A, "MUG").await, 5);
    assert!(w.outbox(A, &draft.id, 99).await.is_empty());
}

/// `available >= :qty` in the placement transaction: OUT_OF_STOCK naming the SKU, nothing
/// written.
pub async fn place_order_when_stock_dropped_meanwhile_is_out_of_stock_and_writes_nothing(w: World) {
    let t = tenant(A);
    let c = customer(A, C1);
    let lines_field = Some(&["lineItems", "MUG"][..]);

    // GIVEN the catalog lowered the stock before placeOrder read it.
    let early = w.ready_draft(&c, &[("MUG", 2)]).await;
    w.apply(A, SnapshotWrite::Product(product("MUG", 750, 1)), 2)
        .await;
    let r = w.oms.place_order(&c, early.id.as_str(), None, None).await;
    assert_user_error(r, ErrorCode::OutOfStock, lines_field);
    w.apply(A, SnapshotWrite::Product(product("MUG", 750, 5)), 3)
        .await;

    // GIVEN another order took the stock between placeOrder's read and its commit.
    let draft = w.ready_draft(&c, &[("TSHIRT", 1), ("MUG", 2)]).await;
    w.change(&c, &draft, DraftChange::AddCoupon("SAVE10".into()))
        .await;
    let draft = w.stored_order(A, &draft.id).await;
    w.before_next_transaction(vec![WriteOp::Update {
        key: keys::stock(&t, &vendor_id(), &sku("MUG")),
        updates: vec![
            Update::Add("available".into(), -4),
            Update::Add("held".into(), 4),
            Update::Add("rev".into(), 1),
        ],
        cond: None,
    }]);
    let r = w
        .oms
        .place_order(&c, draft.id.as_str(), None, Some("idem-oos"))
        .await;
    let e = user_error(r);
    assert_eq!(
        (e.code, e.field.clone()),
        (
            ErrorCode::OutOfStock,
            Some(vec!["lineItems".into(), "MUG".into()])
        )
    );
    assert!(e.message.contains("MUG"), "{}", e.message);
    // THEN nothing was written: order, the other line's stock, coupon counters, idempotency
    // record, outbox.
    assert_eq!(w.stored_order(A, &draft.id).await, draft);
    assert_eq!(w.stock(A, "MUG").await, 1);
    assert_eq!(w.stock(A, "TSHIRT").await, 100);
    assert_eq!(w.coupon_used(A, "SAVE10").await, 0);
    assert_eq!(w.customer_coupon_used(A, "SAVE10", C1).await, 0);
    assert!(w.outbox(A, &draft.id, draft.version + 1).await.is_empty());
    let idem = IdempotencyKey::new(C1, "placeOrder", "idem-oos");
    assert_eq!(w.item(&keys::idempotency(&t, &idem)).await, None);

    // After a restock (the other order's 4 units stay held) the same key places the order.
    w.apply(A, SnapshotWrite::Product(product("MUG", 750, 7)), 4)
        .await;
    assert_eq!(w.stock(A, "MUG").await, 3);
    let placed = ok(w
        .oms
        .place_order(&c, draft.id.as_str(), None, Some("idem-oos"))
        .await);
    assert!(!placed.replayed);
    assert_eq!(w.stock(A, "MUG").await, 1);
}

/// The hold's condition also requires an active product (the stock item carries the product's
/// `is_active`, written with it by every snapshot): PRODUCT_UNAVAILABLE.
pub async fn place_order_with_a_deactivated_product_is_product_unavailable(w: World) {
    let t = tenant(A);
    let c = customer(A, C1);
    let field = Some(&["lineItems", "CAP"][..]);

    // Deactivated before placeOrder read it (a newer snapshot).
    let early = w.ready_draft(&c, &[("CAP", 1)]).await;
    let mut retired = product("CAP", 1200, 50);
    retired.is_active = false;
    w.apply(A, SnapshotWrite::Product(retired), 2).await;
    let r = w.oms.place_order(&c, early.id.as_str(), None, None).await;
    assert_user_error(r, ErrorCode::ProductUnavailable, field);
    w.apply(A, SnapshotWrite::Product(product("CAP", 1200, 50)), 3)
        .await;

    // Deactivated between the read and the commit (a snapshot writes both items).
    let draft = w.ready_draft(&c, &[("TSHIRT", 1), ("CAP", 1)]).await;
    let deactivate = |key| WriteOp::Update {
        key,
        updates: vec![Update::Set("is_active".into(), Value::Bool(false))],
        cond: None,
    };
    w.before_next_transaction(vec![
        deactivate(keys::product(&t, &vendor_id(), &sku("CAP"))),
        deactivate(keys::stock(&t, &vendor_id(), &sku("CAP"))),
    ]);
    let r = w.oms.place_order(&c, draft.id.as_str(), None, None).await;
    assert_user_error(r, ErrorCode::ProductUnavailable, field);
    assert_eq!(w.stored_order(A, &draft.id).await, draft);
    assert_eq!(w.stock(A, "CAP").await, 50);
    assert_eq!(w.stock(A, "TSHIRT").await, 100);
    assert!(w.outbox(A, &draft.id, draft.version + 1).await.is_empty());
}

/// A free-gift offer that starts after the cart's last change adds a gift at placeOrder: its
/// product was not read with the order's SKUs, so placement reads it and reserves its stock
/// (instead of refusing the order as PRODUCT_UNAVAILABLE).
pub async fn a_gift_offer_started_after_the_last_cart_change_reserves_the_gift_at_placement(
    w: World,
) {
    let c = customer(A, C1);
    let draft = w.ready_draft(&c, &[("TSHIRT", 1)]).await;
    assert!(draft.pricing.gift_lines.is_empty());
    let mut gift = offer("o-gift", "Free cap", "0");
    gift.kind = OfferKind::FreeGift;
    gift.required_coupon = false;
    gift.conditions.gift_products = vec![GiftProduct {
        sku: sku("CAP"),
        quantity: 1,
        name: Some("Cap".into()),
    }];
    w.apply(A, SnapshotWrite::Offer(gift), 2).await;

    let placed = ok(w.oms.place_order(&c, draft.id.as_str(), None, None).await).order;
    assert_eq!(placed.status, OrderStatus::Pending);
    let gifts: Vec<(String, u32)> = placed
        .pricing
        .gift_lines
        .iter()
        .map(|l| (l.sku.to_string(), l.quantity))
        .collect();
    assert_eq!(gifts, [("CAP".to_string(), 1)]);
    assert_eq!(w.stock(A, "CAP").await, 49, "the gift's stock is reserved");
    assert_eq!(w.stock(A, "TSHIRT").await, 99);
}

/// One transaction id confirms one order: PAYMENT_ALREADY_USED, from the recorded claim or from
/// the claim condition when another order claimed it meanwhile.
pub async fn a_payment_claimed_by_another_order_is_payment_already_used(w: World) {
    let t = tenant(A);
    let c = customer(A, C1);
    let first = w.placed(&c, &[("TSHIRT", 1)]).await;
    let second = w.placed(&c, &[("TSHIRT", 1)]).await;
    ok(w.repo
        .record_payment(&t, paypal_payment("PAY-1", &first, first.pricing.total), 1)
        .await);
    let confirmed = ok(w
        .oms
        .confirm_order(&c, first.id.as_str(), PaymentMethod::Paypal, Some("PAY-1"))
        .await);
    assert_eq!(confirmed.order.status, OrderStatus::Confirmed);
    // Confirming the same order with the same payment again answers with it (idempotent).
    let again = ok(w
        .oms
        .confirm_order(&c, first.id.as_str(), PaymentMethod::Paypal, Some("PAY-1"))
        .await);
    assert!(again.replayed);
    assert_eq!(again.order.version, confirmed.order.version);

    let field = Some(&["transactionId"][..]);
    let reuse = w
        .oms
        .confirm_order(&c, second.id.as_str(), PaymentMethod::Paypal, Some("PAY-1"))
        .await;
    assert_user_error(reuse, ErrorCode::PaymentAlreadyUsed, field);

    // Claimed by another order between confirmOrder's read and its commit.
    ok(w.repo
        .record_payment(
            &t,
            paypal_payment("PAY-2", &second, second.pricing.total),
            1,
        )
        .await);
    w.before_next_transaction(vec![WriteOp::Update {
        key: keys::payment(&t, "PAY-2"),
        updates: vec![Update::Set("claimed_by".into(), s("ORD-SOMEONE-ELSE"))],
        cond: None,
    }]);
    let raced = w
        .oms
        .confirm_order(&c, second.id.as_str(), PaymentMethod::Paypal, Some("PAY-2"))
        .await;
    assert_user_error(raced, ErrorCode::PaymentAlreadyUsed, field);
    assert_eq!(w.stored_order(A, &second.id).await, second);
    assert!(w.outbox(A, &second.id, second.version + 1).await.is_empty());
    let claim = w.item(&keys::payment(&t, "PAY-2")).await.unwrap();
    assert_eq!(claim.get("claimed_by"), Some(&s("ORD-SOMEONE-ELSE")));
}

// ---------------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------------

/// One ready DRAFT per buyer (STANDARD shipping, optionally a coupon). The first buyer's goes
/// through the use cases; the others are copies of it (own order id, own customer) created
/// through `OrderRepository::commit`, which keeps the setup cheap on the emulator. The placements
/// under test then run through the use cases.
async fn drafts_of(
    w: &World,
    buyers: &[String],
    wanted: &[(&str, i64)],
    coupon: Option<&str>,
) -> Vec<(String, Order)> {
    let first = customer(A, &buyers[0]);
    let mut template = w.ready_draft(&first, wanted).await;
    if let Some(code) = coupon {
        template = w
            .change(&first, &template, DraftChange::AddCoupon(code.to_string()))
            .await;
    }
    let mut drafts = vec![(buyers[0].clone(), template.clone())];
    for buyer in &buyers[1..] {
        let mut copy = template.clone();
        copy.id = OrderId::new(&format!("{}-{buyer}", template.id)).unwrap();
        copy.customer.customer_id = customer_id(buyer);
        ok(w.repo
            .commit(&tenant(A), OrderCommit::new(copy.clone(), None, vec![]))
            .await);
        drafts.push((buyer.clone(), copy));
    }
    drafts
}

/// Places every draft concurrently; returns (buyer, order, result).
async fn place_all(
    w: &World,
    drafts: &[(String, Order)],
) -> Vec<(String, Order, Result<Order, oms_domain::DomainError>)> {
    let tasks: Vec<_> = drafts
        .iter()
        .map(|(buyer, order)| {
            let oms = w.oms.clone();
            let (buyer, order) = (buyer.clone(), order.clone());
            tokio::spawn(async move {
                let r = oms
                    .place_order(&customer(A, &buyer), order.id.as_str(), None, None)
                    .await;
                let r = match r {
                    Ok(outcome) => Ok(outcome.order),
                    Err(oms_application::error::AppError::User(e)) => Err(e),
                    Err(other) => {
                        panic!("placeOrder of {buyer} failed with a non-user error: {other:?}")
                    }
                };
                (buyer, order, r)
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

/// The per-customer limit is a condition of the placement transaction itself, not a check of
/// the value read before: one customer's two drafts carry a once-per-customer coupon and are
/// placed at once (both read "unused"). One placement wins; the other is refused
/// COUPON_USAGE_LIMIT_REACHED and writes nothing (no order change, no stock, no counter).
pub async fn a_once_per_customer_coupon_is_used_once_even_by_simultaneous_placements(w: World) {
    let c = customer(A, C1);
    let mut drafts = Vec::new();
    for _ in 0..2 {
        let draft = w.ready_draft(&c, &[("TSHIRT", 1)]).await;
        drafts.push(
            w.change(&c, &draft, DraftChange::AddCoupon("once".into()))
                .await,
        );
    }
    let stock = w.stock(A, "TSHIRT").await;
    w.store.hold_transactions_until(2);
    let tasks: Vec<_> = drafts
        .iter()
        .map(|d| {
            let (oms, c, id) = (w.oms.clone(), c.clone(), d.id.clone());
            tokio::spawn(async move { oms.place_order(&c, id.as_str(), None, None).await })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    let (lost, draft) = results
        .into_iter()
        .zip(&drafts)
        .find(|(r, _)| r.is_err())
        .unwrap();
    assert_user_error(
        lost,
        ErrorCode::CouponUsageLimitReached,
        Some(&["coupons", "ONCE"]),
    );
    assert_eq!(
        w.stored_order(A, &draft.id).await,
        *draft,
        "loser unchanged"
    );
    assert_eq!(w.stock(A, "TSHIRT").await, stock - 1, "one unit taken");
    assert_eq!(w.customer_coupon_used(A, "ONCE", C1).await, 1);
    // ONCE has no usage limit: its uses are counted on the customer's counter only.
    assert_eq!(w.coupon_used(A, "ONCE").await, 0);
}

/// 50 customers, one DRAFT of 1 unit each, stock 5: exactly 5 placements win; cancelling gives
/// the unit back.
pub async fn fifty_concurrent_placements_sell_exactly_the_stock(w: World) {
    let buyers: Vec<String> = (0..50).map(|i| format!("buyer-{i:02}")).collect();
    let drafts = drafts_of(&w, &buyers, &[("MUG", 1)], None).await;
    assert_eq!(w.stock(A, "MUG").await, 5);
    let results = place_all(&w, &drafts).await;
    let winners: Vec<&(String, Order, Result<Order, _>)> =
        results.iter().filter(|(_, _, r)| r.is_ok()).collect();
    let stock = w.stock(A, "MUG").await;
    assert_eq!(
        (winners.len(), stock),
        (5, 0),
        "exactly the stock is sold (winners, stock left)"
    );
    for (buyer, _, r) in &results {
        if let Err(e) = r {
            assert_eq!(e.code, ErrorCode::OutOfStock, "{buyer}: {e:?}");
            assert_eq!(
                e.field,
                Some(vec!["lineItems".to_string(), "MUG".to_string()]),
                "{buyer}"
            );
        }
    }
    assert_eq!(w.stock(A, "MUG").await, 0, "never negative, never oversold");
    let pending = w
        .list_ids(&vendor(A, VENDOR), Role::Vendor, Some(OrderStatus::Pending))
        .await;
    assert_eq!(pending.len(), 5);
    for (_, order, r) in &results {
        let stored = w.stored_order(A, &order.id).await;
        let expected = if r.is_ok() {
            OrderStatus::Pending
        } else {
            OrderStatus::Draft
        };
        assert_eq!(stored.status, expected);
    }

    // Cancel gives the unit back; a loser can then buy it.
    let (winner, order, _) = winners[0];
    ok(w.oms
        .cancel_order(&customer(A, winner), order.id.as_str(), "no longer needed")
        .await);
    assert_eq!(w.stock(A, "MUG").await, 1);
    let (loser, lost, _) = results.iter().find(|(_, _, r)| r.is_err()).unwrap();
    ok(w.oms
        .place_order(&customer(A, loser), lost.id.as_str(), None, None)
        .await);
    assert_eq!(w.stock(A, "MUG").await, 0);
}

/// usage_limit 3, 10 concurrent placements carrying the coupon: exactly 3 win; cancel gives
/// the use (global and per customer) back.
pub async fn concurrent_placements_redeem_a_coupon_exactly_up_to_its_limit(w: World) {
    let buyers: Vec<String> = (0..10).map(|i| format!("coupon-buyer-{i}")).collect();
    let drafts = drafts_of(&w, &buyers, &[("TSHIRT", 1)], Some("limited3")).await;
    let results = place_all(&w, &drafts).await;
    let winners: Vec<&(String, Order, Result<Order, _>)> =
        results.iter().filter(|(_, _, r)| r.is_ok()).collect();
    let used = w.coupon_used(A, "LIMITED3").await;
    assert_eq!(
        (winners.len(), used),
        (3, 3),
        "exactly the usage limit (winners, counter)"
    );
    for (buyer, _, r) in &results {
        if let Err(e) = r {
            assert_eq!(e.code, ErrorCode::CouponUsageLimitReached, "{buyer}: {e:?}");
            assert_eq!(
                e.field,
                Some(vec!["coupons".to_string(), "LIMITED3".to_string()]),
                "{buyer}"
            );
        }
    }
    assert_eq!(w.coupon_used(A, "LIMITED3").await, 3);
    assert_eq!(
        w.stock(A, "TSHIRT").await,
        97,
        "only the winners took stock"
    );
    // LIMITED3 has no per-customer limit: no customer counter is written.
    for (buyer, _, _) in &results {
        assert_eq!(
            w.customer_coupon_used(A, "LIMITED3", buyer).await,
            0,
            "{buyer}"
        );
    }

    // Cancel gives the use back, with the stock.
    let (winner, order, _) = winners[0];
    let cancelled = ok(w
        .oms
        .cancel_order(&customer(A, winner), order.id.as_str(), "oops")
        .await);
    assert_eq!(cancelled.order.status, OrderStatus::Cancelled);
    assert_eq!(w.coupon_used(A, "LIMITED3").await, 2);
    assert_eq!(w.customer_coupon_used(A, "LIMITED3", winner).await, 0);
    assert_eq!(w.stock(A, "TSHIRT").await, 98);
    let (loser, lost, _) = results.iter().find(|(_, _, r)| r.is_err()).unwrap();
    ok(w.oms
        .place_order(&customer(A, loser), lost.id.as_str(), None, None)
        .await);
    assert_eq!(w.coupon_used(A, "LIMITED3").await, 3);
    assert_eq!(w.stock(A, "TSHIRT").await, 97);
}

// ---------------------------------------------------------------------------------------------
// Idempotency
// ---------------------------------------------------------------------------------------------

pub async fn checkout_replays_with_the_same_key_and_input(w: World) {
    let t = tenant(A);
    let c = customer(A, C1);
    let mut input = checkout_input(&[("TSHIRT", 2)]);
    input.idempotency_key = Some("key-1".into());
    let first = ok(w.oms.checkout_items(&c, input.clone()).await);
    assert!(!first.replayed);
    let before = w.rt();
    let second = ok(w.oms.checkout_items(&c, input).await);
    assert_eq!(
        w.since(before),
        1,
        "a replay reads the record, which holds the first answer"
    );
    assert!(second.replayed);
    assert_eq!(second.order, first.order);
    assert_eq!(
        w.list_ids(&c, Role::Customer, None).await,
        ids(&[&first.order])
    );
    assert_eq!(w.stock(A, "TSHIRT").await, 100);

    let record = w
        .item(&keys::idempotency(
            &t,
            &IdempotencyKey::new(C1, "checkoutItems", "key-1"),
        ))
        .await;
    let record = record.unwrap();
    assert_eq!(record.get("entity"), Some(&s("Idempotency")));
    let expires = (t0() + chrono::Duration::hours(24)).timestamp();
    assert_eq!(record.get("expires_at"), Some(&Value::N(expires)));
}

pub async fn a_reused_key_with_other_input_is_rejected_and_keys_are_scoped(w: World) {
    let c = customer(A, C1);
    let mut input = checkout_input(&[("TSHIRT", 2)]);
    input.idempotency_key = Some("key-2".into());
    let first = ok(w.oms.checkout_items(&c, input.clone()).await).order;

    let mut other = checkout_input(&[("TSHIRT", 3)]);
    other.idempotency_key = Some("key-2".into());
    let r = w.oms.checkout_items(&c, other.clone()).await;
    assert_user_error(
        r,
        ErrorCode::IdempotencyKeyReused,
        Some(&["idempotencyKey"]),
    );
    assert_eq!(w.list_ids(&c, Role::Customer, None).await, ids(&[&first]));

    // Scoped by caller and by tenant: the same key is a new key elsewhere.
    let c2 = ok(w.oms.checkout_items(&customer(A, C2), input.clone()).await);
    assert!(!c2.replayed);
    assert_ne!(c2.order.id, first.id);
    let b = ok(w.oms.checkout_items(&customer(B, C1), input).await);
    assert!(!b.replayed);
    assert_eq!(
        w.list_ids(&customer(B, C1), Role::Customer, None).await,
        ids(&[&b.order])
    );
}

pub async fn a_failed_checkout_is_not_stored_so_the_corrected_retry_succeeds(w: World) {
    let t = tenant(A);
    let c = customer(A, C1);
    let mut input = checkout_input(&[("MUG", 6)]);
    input.idempotency_key = Some("key-3".into());
    let r = w.oms.checkout_items(&c, input.clone()).await;
    assert_user_error(r, ErrorCode::OutOfStock, Some(&["items", "0", "quantity"]));
    let key = IdempotencyKey::new(C1, "checkoutItems", "key-3");
    assert_eq!(
        w.item(&keys::idempotency(&t, &key)).await,
        None,
        "failures are not stored"
    );
    assert!(w.list_ids(&c, Role::Customer, None).await.is_empty());

    // Restock; the same key and input now succeed (and then replay).
    w.apply(A, SnapshotWrite::Product(product("MUG", 750, 10)), 2)
        .await;
    let done = ok(w.oms.checkout_items(&c, input.clone()).await);
    assert!(!done.replayed);
    assert_eq!(done.order.line_items[0].quantity, 6);
    let replay = ok(w.oms.checkout_items(&c, input).await);
    assert!(replay.replayed);
    assert_eq!(replay.order.id, done.order.id);
}

pub async fn place_order_with_a_key_replays(w: World) {
    let c = customer(A, C1);
    let draft = w.ready_draft(&c, &[("MUG", 2)]).await;
    let id = draft.id.as_str();
    let version = Some(draft.version as i64);
    let placed = ok(w.oms.place_order(&c, id, version, Some("place-1")).await);
    assert!(!placed.replayed);
    let replay = ok(w.oms.place_order(&c, id, version, Some("place-1")).await);
    assert!(replay.replayed);
    assert_eq!(replay.order, placed.order);
    assert_eq!(w.stock(A, "MUG").await, 3, "stock taken once");
    // Same key, other input (expected version): rejected. No key: the order is no DRAFT.
    let r = w.oms.place_order(&c, id, Some(99), Some("place-1")).await;
    assert_user_error(
        r,
        ErrorCode::IdempotencyKeyReused,
        Some(&["idempotencyKey"]),
    );
    let r = w.oms.place_order(&c, id, None, None).await;
    assert_eq!(user_error(r).code, ErrorCode::InvalidState);
    assert_eq!(w.stock(A, "MUG").await, 3);
}

/// The replay is the response the client lost, not the order as it is now.
pub async fn a_replayed_placement_answers_the_first_result_after_the_order_moved_on(w: World) {
    let c = customer(A, C1);
    let draft = w.ready_draft(&c, &[("MUG", 1)]).await;
    let id = draft.id.as_str();
    let placed = ok(w.oms.place_order(&c, id, None, Some("place-x")).await);
    assert_eq!(placed.order.status, OrderStatus::Pending);
    ok(w.oms.cancel_order(&c, id, "changed my mind").await);
    let replay = ok(w.oms.place_order(&c, id, None, Some("place-x")).await);
    assert!(replay.replayed);
    assert_eq!(replay.order, placed.order, "exactly the first answer");
    assert_eq!(
        w.stored_order(A, &placed.order.id).await.status,
        OrderStatus::Cancelled,
        "the replay changed nothing"
    );
}

/// Two requests with one key read the DRAFT before either commits: one places the order, the
/// other's commit fails on the idempotency record AND the order version, and answers the
/// winner's result (not VERSION_CONFLICT).
pub async fn two_placements_racing_with_one_key_place_once_and_both_answer_the_first_result(
    w: World,
) {
    let c = customer(A, C1);
    let draft = w.ready_draft(&c, &[("MUG", 2)]).await;
    w.store.hold_transactions_until(2);
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let (oms, c, id) = (w.oms.clone(), c.clone(), draft.id.clone());
            tokio::spawn(async move { oms.place_order(&c, id.as_str(), None, Some("dbl")).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(ok(task.await.unwrap()));
    }
    assert_eq!(
        outcomes.iter().filter(|o| o.replayed).count(),
        1,
        "one placed, one replayed"
    );
    assert_eq!(outcomes[0].order, outcomes[1].order);
    assert_eq!(outcomes[0].order.status, OrderStatus::Pending);
    assert_eq!(w.stock(A, "MUG").await, 3, "stock taken once");
}

/// Records keep 24 h; an expired record counts as absent (a new order is created).
pub async fn an_expired_idempotency_record_counts_as_absent(w: World) {
    let c = customer(A, C1);
    let mut input = checkout_input(&[("TSHIRT", 1)]);
    input.idempotency_key = Some("key-old".into());
    let first = ok(w.oms.checkout_items(&c, input.clone()).await);
    // Within the 24 h the key replays ...
    w.clock.advance(chrono::Duration::hours(23));
    let replay = ok(w.oms.checkout_items(&c, input.clone()).await);
    assert!(replay.replayed);
    assert_eq!(replay.order.id, first.order.id);
    // ... and a day later (on the same clock the store judges TTL by) it is absent.
    w.clock.advance(chrono::Duration::hours(2));
    let second = ok(w.oms.checkout_items(&c, input).await);
    assert!(!second.replayed);
    assert_ne!(second.order.id, first.order.id);
}

// ---------------------------------------------------------------------------------------------
// Round trips (docs/data-model.md, "Round trips per operation")
// ---------------------------------------------------------------------------------------------

pub async fn get_order_costs_one_round_trip(w: World) {
    let c = customer(A, C1);
    let order = w.placed(&c, &[("TSHIRT", 1), ("CAP", 2)]).await;
    for caller in [c, vendor(A, VENDOR), customer(B, C1)] {
        let before = w.rt();
        ok(w.oms.get_order(&caller, order.id.as_str()).await);
        assert_eq!(w.since(before), 1, "getOrder by {}", caller.sub);
    }
}

pub async fn checkout_costs_two_round_trips(w: World) {
    let c = customer(A, C1);
    let mut input = checkout_input(&[("TSHIRT", 1), ("MUG", 1), ("CAP", 1)]);
    input.idempotency_key = Some("rt-1".into());
    input.save_destination = true;
    input.customer = Some(oms_application::usecases::CustomerInput {
        first_name: Some("Ada".into()),
        last_name: None,
        email: Some("ada@example.com".into()),
    });
    let before = w.rt();
    ok(w.oms.checkout_items(&c, input).await);
    assert_eq!(
        w.since(before),
        2,
        "checkoutItems: 1 BatchGetItem + 1 TransactWriteItems"
    );
}

pub async fn each_draft_change_costs_at_most_three_round_trips(w: World) {
    let c = customer(A, C1);
    w.apply(
        A,
        SnapshotWrite::CustomerAddress(address_entry(C1, "addr-1", "Home", true, true)),
        1,
    )
    .await;
    let order = w.checkout(&c, &[("TSHIRT", 1)]).await;
    let id = order.id.as_str();
    let changes = [
        (
            "addLineItems",
            DraftChange::AddLineItems(lines(&[("MUG", 1), ("CAP", 1)])),
        ),
        (
            "changeOrderQuantity",
            DraftChange::ChangeQuantity {
                sku: "MUG".into(),
                quantity: 2,
            },
        ),
        (
            "removeLineItems",
            DraftChange::RemoveLineItems(vec!["CAP".into()]),
        ),
        (
            "changeDestination (new, saved)",
            DraftChange::ChangeDestination(DestinationChoice::New {
                address: sg_address_input(),
                save: true,
            }),
        ),
        (
            "changeDestination (address book)",
            DraftChange::ChangeDestination(DestinationChoice::AddressBook("addr-1".into())),
        ),
        ("addCoupon", DraftChange::AddCoupon("save10".into())),
        (
            "selectShippingOption",
            DraftChange::SelectShippingOption(ShippingMethod::Standard),
        ),
        ("removeCoupon", DraftChange::RemoveCoupon("SAVE10".into())),
    ];
    let mut version = order.version;
    for (name, change) in changes {
        let before = w.rt();
        let changed = ok(w
            .oms
            .change_draft(&c, id, Some(version as i64), change)
            .await)
        .order;
        let used = w.since(before);
        assert!(used <= 3, "{name}: {used} round trips (budget 3)");
        assert!(
            used >= 2,
            "{name}: {used} round trips cannot read and write"
        );
        assert_eq!(changed.version, version + 1, "{name}");
        version = changed.version;
    }
}

pub async fn place_order_costs_three_round_trips(w: World) {
    let c = customer(A, C1);
    let draft = w
        .ready_draft(&c, &[("TSHIRT", 2), ("MUG", 1), ("CAP", 3)])
        .await;
    let draft = w
        .change(&c, &draft, DraftChange::AddCoupon("Limited3".into()))
        .await;
    let draft = w
        .change(&c, &draft, DraftChange::AddCoupon("save10".into()))
        .await;
    let before = w.rt();
    let placed = ok(w
        .oms
        .place_order(
            &c,
            draft.id.as_str(),
            Some(draft.version as i64),
            Some("rt-place"),
        )
        .await);
    assert_eq!(
        w.since(before),
        3,
        "placeOrder: 2 BatchGetItem + 1 TransactWriteItems"
    );
    assert_eq!(placed.order.status, OrderStatus::Pending);
}

pub async fn confirm_cancel_and_fulfilment_cost_two_round_trips_each(w: World) {
    let t = tenant(A);
    let c = customer(A, C1);
    let v = vendor(A, VENDOR);
    let order = w.placed(&c, &[("TSHIRT", 1), ("CAP", 1)]).await;
    ok(w.repo
        .record_payment(&t, paypal_payment("PAY-RT", &order, order.pricing.total), 1)
        .await);
    let id = order.id.as_str();

    let before = w.rt();
    ok(w.oms
        .confirm_order(&c, id, PaymentMethod::Paypal, Some("PAY-RT"))
        .await);
    assert_eq!(w.since(before), 2, "confirmOrder");
    let steps = [
        ("markAsShipped", Fulfilment::MarkAsShipped),
        (
            "addShippingTrackingReference",
            Fulfilment::AddTrackingReference("https://t.example.com/1".into()),
        ),
        ("markAsCompleted", Fulfilment::MarkAsCompleted),
    ];
    for (name, step) in steps {
        let before = w.rt();
        ok(w.oms.fulfil(&v, id, step).await);
        assert_eq!(w.since(before), 2, "{name}");
    }

    // cancelOrder of a placed order holding stock of two SKUs and a coupon use.
    let other = w.ready_draft(&c, &[("TSHIRT", 1), ("MUG", 1)]).await;
    w.change(&c, &other, DraftChange::AddCoupon("save10".into()))
        .await;
    ok(w.oms.place_order(&c, other.id.as_str(), None, None).await);
    let before = w.rt();
    ok(w.oms
        .cancel_order(&c, other.id.as_str(), "changed my mind")
        .await);
    assert_eq!(w.since(before), 2, "cancelOrder");
    assert_eq!(w.coupon_used(A, "SAVE10").await, 0);
}

/// The caller's authorization, one Query of the index (keys only) and one BatchGetItem of the
/// orders' bodies.
pub async fn list_orders_costs_at_most_three_round_trips(w: World) {
    let c = customer(A, C1);
    let v = vendor(A, VENDOR);
    for _ in 0..3 {
        w.checkout(&c, &[("TSHIRT", 1)]).await;
    }
    w.placed(&c, &[("TSHIRT", 1)]).await;
    w.placed(&c, &[("MUG", 1)]).await;
    let first_page = ok(w.oms.list_orders(&c, Role::Customer, None, 2, None).await);
    let cursor = first_page.end_cursor.clone();
    let cases = [
        ("customer", c.clone(), Role::Customer, None, None),
        (
            "customer by status",
            c.clone(),
            Role::Customer,
            Some(OrderStatus::Draft),
            None,
        ),
        (
            "customer next page",
            c.clone(),
            Role::Customer,
            None,
            cursor,
        ),
        ("vendor", v.clone(), Role::Vendor, None, None),
        (
            "vendor by status",
            v,
            Role::Vendor,
            Some(OrderStatus::Pending),
            None,
        ),
    ];
    for (name, caller, side, status, after) in cases {
        let before = w.rt();
        let page = ok(w.oms.list_orders(&caller, side, status, 2, after).await);
        let used = w.since(before);
        assert!(used <= 3, "listOrders ({name}): {used} round trips");
        assert_eq!(page.edges.len(), 2, "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// The whole flow
// ---------------------------------------------------------------------------------------------

fn totals(order: &Order) -> [String; 5] {
    let p = &order.pricing;
    [
        p.subtotal.amount_string(),
        p.discount_total.amount_string(),
        p.shipping_cost.amount_string(),
        p.tax_total.amount_string(),
        p.total.amount_string(),
    ]
}

/// checkout → add line → coupon → destination → shipping → place → confirm (payment recorded by
/// event) → ship → tracking → complete, with exact totals at every step (GST 9 %, half-up).
pub async fn an_order_goes_from_checkout_to_completed_with_exact_totals(w: World) {
    let t = tenant(A);
    let c = customer(A, C1);
    let v = vendor(A, VENDOR);
    let tick = || w.clock.advance(chrono::Duration::minutes(1));

    let order = w.checkout(&c, &[("TSHIRT", 2)]).await;
    // 20.00 + 9 % GST 1.80.
    assert_eq!(totals(&order), ["20.00", "0.00", "0.00", "1.80", "21.80"]);
    tick();
    let order = w
        .change(&c, &order, DraftChange::AddLineItems(lines(&[("MUG", 1)])))
        .await;
    // 27.50, GST 2.475 → 2.48.
    assert_eq!(totals(&order), ["27.50", "0.00", "0.00", "2.48", "29.98"]);
    tick();
    let order = w
        .change(&c, &order, DraftChange::AddCoupon("save10".into()))
        .await;
    // 10 % off 27.50 = 2.75; GST on 24.75 = 2.2275 → 2.23.
    assert_eq!(totals(&order), ["27.50", "2.75", "0.00", "2.23", "26.98"]);
    tick();
    let mut elsewhere = sg_address_input();
    elsewhere.street = "9 Other Rd".into();
    let destination = DraftChange::ChangeDestination(DestinationChoice::New {
        address: elsewhere,
        save: false,
    });
    let order = w.change(&c, &order, destination).await;
    assert_eq!(
        order.destination.as_ref().map(|d| d.street.as_str()),
        Some("9 Other Rd")
    );
    tick();
    let order = w
        .change(
            &c,
            &order,
            DraftChange::SelectShippingOption(ShippingMethod::Standard),
        )
        .await;
    // + 5.00 shipping; GST on 29.75 = 2.6775 → 2.68.
    assert_eq!(totals(&order), ["27.50", "2.75", "5.00", "2.68", "32.43"]);
    tick();
    let placed = ok(w
        .oms
        .place_order(&c, order.id.as_str(), Some(order.version as i64), None)
        .await)
    .order;
    assert_eq!((placed.status, placed.version), (OrderStatus::Pending, 6));
    assert_eq!(totals(&placed), ["27.50", "2.75", "5.00", "2.68", "32.43"]);
    assert_eq!(
        (w.stock(A, "TSHIRT").await, w.stock(A, "MUG").await),
        (98, 4)
    );
    // SAVE10 has no limit: its use is counted on no counter.
    assert_eq!(w.coupon_used(A, "SAVE10").await, 0);

    tick();
    let paid = placed.pricing.total;
    assert_eq!(paid.amount_string(), "32.43");
    let payment = paypal_payment("PAY-FLOW", &placed, paid);
    assert_eq!(
        ok(w.repo.record_payment(&t, payment, 1).await),
        ApplyOutcome::Applied
    );
    let confirmed = ok(w
        .oms
        .confirm_order(
            &c,
            placed.id.as_str(),
            PaymentMethod::Paypal,
            Some("PAY-FLOW"),
        )
        .await)
    .order;
    assert_eq!(confirmed.status, OrderStatus::Confirmed);
    let details = confirmed.payment.clone().unwrap();
    assert_eq!(details.paid_amount.amount_string(), "32.43");
    assert_eq!(details.status, PaymentStatus::Paid);
    assert_eq!(details.transaction_id.as_deref(), Some("PAY-FLOW"));

    tick();
    let shipped = ok(w
        .oms
        .fulfil(&v, placed.id.as_str(), Fulfilment::MarkAsShipped)
        .await)
    .order;
    assert_eq!(shipped.status, OrderStatus::Shipped);
    tick();
    let url = "https://track.example.com/PAY-FLOW";
    let tracked = ok(w
        .oms
        .fulfil(
            &v,
            placed.id.as_str(),
            Fulfilment::AddTrackingReference(url.into()),
        )
        .await)
    .order;
    assert_eq!(tracked.tracking_reference.as_deref(), Some(url));
    tick();
    let done = ok(w
        .oms
        .fulfil(&v, placed.id.as_str(), Fulfilment::MarkAsCompleted)
        .await)
    .order;
    assert_eq!((done.status, done.version), (OrderStatus::Completed, 10));
    assert_eq!(totals(&done), ["27.50", "2.75", "5.00", "2.68", "32.43"]);

    // What is stored is what the use cases returned, at every index.
    let stored = w.stored_order(A, &done.id).await;
    assert_eq!(stored, done);
    assert_eq!(stored.created_at, t0());
    assert_eq!(stored.updated_at, t0() + chrono::Duration::minutes(9));
    assert_eq!(
        w.list_ids(&c, Role::Customer, Some(OrderStatus::Completed))
            .await,
        ids(&[&done])
    );
    assert_eq!(
        w.list_ids(&v, Role::Vendor, Some(OrderStatus::Completed))
            .await,
        ids(&[&done])
    );
    let mut trail = Vec::new();
    for version in 1..=done.version {
        trail.extend(w.outbox_types(A, &done.id, version).await);
    }
    assert_eq!(
        trail,
        [
            "order.created",
            "order.line_items_added",
            "order.coupon_applied",
            "order.destination_changed",
            "order.shipping_option_selected",
            "order.placed",
            "order.confirmed",
            "order.shipped",
            "order.tracking_reference_added",
            "order.completed",
        ]
    );
    let claim = w.item(&keys::payment(&t, "PAY-FLOW")).await.unwrap();
    assert_eq!(claim.get("claimed_by"), Some(&s(done.id.as_str())));
    // Nothing is left in the other tenant.
    assert!(ok(w.oms.get_order(&customer(B, C1), done.id.as_str()).await).is_none());
}
