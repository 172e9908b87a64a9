//! Limits of stored data that only the store can see (docs/data-model.md "Limits"): a vendor's
//! offers share one item, so a snapshot taking them past its size is rejected, typed, with
//! nothing written.

use oms_application::ports::{
    ApplyOutcome, CatalogRepository, CatalogRequest, SnapshotWrite, SyncRepository,
};
use oms_domain::ids::Sku;
use oms_domain::limits::{SnapshotLimit, MAX_ELIGIBLE_PRODUCTS_PER_OFFER, MAX_VENDOR_OFFERS_BYTES};
use oms_persistence::keys;
use oms_store::ItemStore as _;

use crate::common::*;

/// Offers each listing 100 eligible products of long SKUs (about 11 KB each): the vendor's
/// offers reach MAX_VENDOR_OFFERS_BYTES before 100 offers, and the offer past it is rejected
/// (`ApplyOutcome::Rejected(VendorOffersSize)`) without a write; an update that does not grow
/// them still applies.
pub async fn offers_past_their_items_size_are_rejected_and_write_nothing(w: World) {
    let t = tenant(A);
    let big = |i: usize| {
        let mut o = offer(&format!("o-big{i:03}"), "Big", "5");
        o.conditions.eligible_products = (0..MAX_ELIGIBLE_PRODUCTS_PER_OFFER)
            .map(|j| Sku::new(&format!("SKU-{j:03}-{}", "x".repeat(96))).unwrap())
            .collect();
        o
    };
    let one = oms_domain::limits::offer_stored_size(&big(0));
    let fit = (MAX_VENDOR_OFFERS_BYTES - 2048) / one;
    assert!(fit < 100, "{one} bytes an offer: {fit} fit");
    // Built on a scratch embedded store (slow on the emulator one by one), then stored as is.
    let scratch = oms_persistence::Repository::new(std::sync::Arc::new(
        oms_store::SqliteStore::in_memory(w.clock.clone()).unwrap(),
    ));
    let mut applied = 0;
    let mut i = 0;
    loop {
        match ok(scratch
            .apply_snapshot(&t, SnapshotWrite::Offer(big(i)), 1)
            .await)
        {
            ApplyOutcome::Applied => applied += 1,
            ApplyOutcome::Rejected(limit) => {
                assert_eq!(limit, SnapshotLimit::VendorOffersSize);
                break;
            }
            other => panic!("{other:?}"),
        }
        i += 1;
        assert!(i < 100, "the size limit was never reached");
    }
    assert!(applied >= fit, "{applied} applied, {fit} expected to fit");
    let key = keys::vendor_offers(&t, &vendor_id());
    let item = ok(scratch.store().get(&key, true).await).unwrap();
    ok(w.store.put(item.clone(), None).await);

    let refused = ok(w
        .repo
        .apply_snapshot(&t, SnapshotWrite::Offer(big(i)), 1)
        .await);
    assert_eq!(
        refused,
        ApplyOutcome::Rejected(SnapshotLimit::VendorOffersSize)
    );
    assert_eq!(ok(w.store.get(&key, true).await), Some(item));
    let stored = oms_store::limits::item_size(&ok(w.store.get(&key, true).await).unwrap());
    assert!(stored < oms_store::limits::MAX_ITEM_BYTES, "{stored}");

    // An update of an offer already there, no bigger, still applies.
    let mut updated = big(0);
    updated.name = "Bigger".into();
    w.apply(A, SnapshotWrite::Offer(updated), 2).await;
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
    assert!(view.offers.iter().any(|o| o.name == "Bigger"));
}
