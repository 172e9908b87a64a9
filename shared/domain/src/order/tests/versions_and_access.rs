use super::fixtures::*;
use crate::catalog::ShippingMethod;
use crate::error::ErrorCode;

#[test]
fn a_matching_or_absent_expected_version_passes() -> TestResult {
    let order = World::plain().ready()?;
    order.check_version(None)?;
    order.check_version(Some(2))?;
    Ok(())
}

#[test]
fn a_stale_expected_version_is_a_conflict_naming_both_versions() -> TestResult {
    let order = World::plain().ready()?;
    let e = error_of(order.check_version(Some(1)));
    assert_eq!(e.code, ErrorCode::VersionConflict);
    assert!(
        e.message.contains("expected version 1, current 2"),
        "{}",
        e.message
    );
    assert_eq!(field(&e), vec!["expectedVersion"]);
    Ok(())
}

#[test]
fn every_change_adds_one_to_the_version_and_touches_updated_at() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    assert_eq!((order.version, order.updated_at), (1, t0()));
    order.change_destination(address("SG"), &w.ctx(at(5)), at(5))?;
    assert_eq!(
        (order.version, order.updated_at, order.created_at),
        (2, at(5), t0())
    );
    order.select_shipping_option(ShippingMethod::Standard, &w.ctx(at(6)), at(6))?;
    assert_eq!((order.version, order.updated_at), (3, at(6)));
    Ok(())
}

#[test]
fn an_order_is_visible_only_to_its_customer_and_its_vendor() -> TestResult {
    let order = World::plain().draft()?;
    assert!(order.is_visible_to_customer(&customer_id("c-1")));
    assert!(!order.is_visible_to_customer(&customer_id("c-2")));
    assert!(order.is_visible_to_vendor(&vendor_id("v-1")));
    assert!(!order.is_visible_to_vendor(&vendor_id("v-2")));
    Ok(())
}

#[test]
fn all_lines_are_the_customer_lines_then_the_gifts() -> TestResult {
    let w = World::with_offers();
    let (order, _) = w.checkout(&[("TSHIRT", 3)], Some(address("SG")))?;
    let lines: Vec<(&str, bool)> = order
        .all_lines()
        .map(|l| (l.sku.as_str(), l.is_free_gift))
        .collect();
    assert_eq!(lines, vec![("TSHIRT", false), ("GIFT", true)]);
    Ok(())
}
