//! The stock item of a product (docs/data-model.md "Stock"): the counters that say how many units
//! may be sold, apart from the product item so that a product snapshot never overwrites what
//! orders hold, and a placement never rewrites the product body.
//!
//! | attribute | written by | meaning |
//! |---|---|---|
//! | `on_hand` | product snapshot | the upstream's on-hand count of the latest applied snapshot |
//! | `held` | placeOrder (+q), cancelOrder / expiry (−q), markAsShipped (−q) | units of PENDING and CONFIRMED orders |
//! | `shipped` | markAsShipped (+q), product snapshot (reset to 0) | units shipped that no applied snapshot has counted yet |
//! | `last_shipped_at` | markAsShipped | unix ms of the latest shipment |
//! | `available` | all of the above | `on_hand − held − shipped`, kept in the item because a condition cannot do arithmetic |
//! | `is_active` | product snapshot | the product's flag, so placement checks "active and enough" on this one item |
//! | `rev` | every write | the product snapshot's read-modify-write is conditional on it |
//!
//! `available` may be negative (the upstream counted fewer units than orders hold); the units to
//! sell are then 0 ([`StockCounters::to_sell`]), and placement's condition `available >= q`
//! (q ≥ 1) never sells below 0.

use oms_application::ports::StoreFault;
use oms_store::{Cond, Item, Key, Update, Value, WriteOp};

use crate::codec::{base, number, IS_ACTIVE, REV};

pub const ENTITY: &str = "Stock";
pub const ON_HAND: &str = "on_hand";
pub const HELD: &str = "held";
pub const SHIPPED: &str = "shipped";
pub const AVAILABLE: &str = "available";
pub const LAST_SHIPPED_AT: &str = "last_shipped_at";

/// The counters of one stock item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockCounters {
    pub on_hand: i64,
    pub held: i64,
    pub shipped: i64,
    /// Unix milliseconds of the latest shipment recorded, if any.
    pub last_shipped_at: Option<i64>,
    pub is_active: bool,
    pub rev: i64,
}

impl StockCounters {
    /// `on_hand − held − shipped` (may be negative).
    pub fn available(&self) -> i64 {
        self.on_hand
            .saturating_sub(self.held)
            .saturating_sub(self.shipped)
    }

    /// Units that may be sold: `available`, never below 0.
    pub fn to_sell(&self) -> i64 {
        self.available().max(0)
    }

    /// Decodes a stock item (missing counters count as 0, a missing `is_active` as inactive).
    ///
    /// # Errors
    /// A fault when the item is not a stock item.
    pub fn from_item(item: &Item) -> Result<StockCounters, StoreFault> {
        if crate::codec::string(item, crate::codec::ENTITY) != Some(ENTITY) {
            return Err(StoreFault::new("not a stock item"));
        }
        Ok(StockCounters {
            on_hand: number(item, ON_HAND).unwrap_or(0),
            held: number(item, HELD).unwrap_or(0),
            shipped: number(item, SHIPPED).unwrap_or(0),
            last_shipped_at: number(item, LAST_SHIPPED_AT),
            is_active: matches!(item.get(IS_ACTIVE), Some(Value::Bool(true))),
            rev: number(item, REV).unwrap_or(0),
        })
    }

    /// The whole stock item under `key`, `available` included.
    pub fn item(&self, key: &Key) -> Item {
        let mut item = base(key, ENTITY);
        item.insert(ON_HAND.into(), Value::N(self.on_hand));
        item.insert(HELD.into(), Value::N(self.held));
        item.insert(SHIPPED.into(), Value::N(self.shipped));
        item.insert(AVAILABLE.into(), Value::N(self.available()));
        item.insert(IS_ACTIVE.into(), Value::Bool(self.is_active));
        item.insert(REV.into(), Value::N(self.rev));
        if let Some(at) = self.last_shipped_at {
            item.insert(LAST_SHIPPED_AT.into(), Value::N(at));
        }
        item
    }

    /// What a product snapshot saying `on_hand` units, observed upstream at `observed_at` (unix
    /// ms; `None` when unknown), makes of `current` (`None`: no stock item yet):
    /// - `on_hand` becomes the snapshot's, `is_active` the product's;
    /// - `held` is kept: a snapshot never frees what orders hold;
    /// - `shipped` resets to 0 when the snapshot was observed at or after the latest shipment
    ///   (the upstream decrements its on-hand when goods leave, so it counts them already);
    ///   an older snapshot, or one of unknown time, keeps it;
    /// - `rev` moves on.
    pub fn after_snapshot(
        current: Option<&StockCounters>,
        on_hand: i64,
        observed_at: Option<i64>,
        is_active: bool,
    ) -> StockCounters {
        let (held, shipped, last_shipped_at, rev) = match current {
            Some(c) => (c.held, c.shipped, c.last_shipped_at, c.rev),
            None => (0, 0, None, 0),
        };
        let counted = match (observed_at, last_shipped_at) {
            (Some(seen), Some(last)) => seen >= last,
            // Nothing shipped since the counters started: nothing to count.
            (_, None) => true,
            (None, Some(_)) => false,
        };
        StockCounters {
            on_hand,
            held,
            shipped: if counted { 0 } else { shipped },
            last_shipped_at,
            is_active,
            rev: rev.saturating_add(1),
        }
    }

    /// `other`'s holds and shipments added to these counters (a SKU rename carries them to the
    /// product's new key: a rename frees nothing).
    pub fn carrying(mut self, other: &StockCounters) -> StockCounters {
        self.held = self.held.saturating_add(other.held);
        self.shipped = self.shipped.saturating_add(other.shipped);
        self.last_shipped_at = match (self.last_shipped_at, other.last_shipped_at) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self
    }
}

/// placeOrder: hold `quantity` units, only if the product is active and `available >= quantity`.
pub fn hold(key: Key, quantity: i64) -> WriteOp {
    WriteOp::Update {
        key,
        updates: vec![
            Update::Add(AVAILABLE.into(), -quantity),
            Update::Add(HELD.into(), quantity),
            Update::Add(REV.into(), 1),
        ],
        cond: Some(Cond::And(vec![
            Cond::Exists,
            Cond::Eq(IS_ACTIVE.into(), Value::Bool(true)),
            Cond::Ge(AVAILABLE.into(), quantity),
        ])),
    }
}

/// cancelOrder and expiry: give held units back. Conditional on the item existing only (a
/// release is never refused for lack of units); a missing item is the repository's rare path.
pub fn release(key: Key, quantity: i64) -> WriteOp {
    WriteOp::Update {
        key,
        updates: vec![
            Update::Add(AVAILABLE.into(), quantity),
            Update::Add(HELD.into(), -quantity),
            Update::Add(REV.into(), 1),
        ],
        cond: Some(Cond::Exists),
    }
}

/// markAsShipped at `at` (unix ms): the held units become shipped (still not available).
/// `last_shipped_at` only ever moves forward: with `record_time`, the op requires no later
/// shipment to be recorded; without, it leaves the later time in place.
pub fn ship(key: Key, quantity: i64, at: i64, record_time: bool) -> WriteOp {
    let mut updates = vec![
        Update::Add(HELD.into(), -quantity),
        Update::Add(SHIPPED.into(), quantity),
        Update::Add(REV.into(), 1),
    ];
    let cond = if record_time {
        updates.push(Update::Set(LAST_SHIPPED_AT.into(), Value::N(at)));
        Cond::And(vec![
            Cond::Exists,
            Cond::Or(vec![
                Cond::AttrNotExists(LAST_SHIPPED_AT.into()),
                Cond::Le(LAST_SHIPPED_AT.into(), at),
            ]),
        ])
    } else {
        Cond::Exists
    };
    WriteOp::Update {
        key,
        updates,
        cond: Some(cond),
    }
}

/// A product snapshot's write of the stock item: `next` replaces `current` only if no other
/// write came in between (`rev` unchanged), or creates it only if still absent.
pub fn snapshot_put(key: &Key, current: Option<&StockCounters>, next: &StockCounters) -> WriteOp {
    let cond = match current {
        Some(c) => Cond::And(vec![Cond::Exists, Cond::Eq(REV.into(), Value::N(c.rev))]),
        None => Cond::NotExists,
    };
    WriteOp::Put {
        item: next.item(key),
        cond: Some(cond),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(on_hand: i64, held: i64, shipped: i64, last: Option<i64>) -> StockCounters {
        StockCounters {
            on_hand,
            held,
            shipped,
            last_shipped_at: last,
            is_active: true,
            rev: 7,
        }
    }

    #[test]
    fn the_stock_item_has_exactly_the_documented_attributes() {
        let key = crate::keys::stock(
            &oms_domain::ids::TenantId::new("acme").unwrap(),
            &oms_domain::ids::VendorId::new("v-1").unwrap(),
            &oms_domain::ids::Sku::new("MUG").unwrap(),
        );
        let item = counters(5, 3, 1, Some(1_700_000_000_000)).item(&key);
        let expected: Item = [
            ("pk", Value::S("T#acme#VENDOR#v-1#SKU#MUG".into())),
            ("sk", Value::S("STOCK".into())),
            ("entity", Value::S("Stock".into())),
            ("on_hand", Value::N(5)),
            ("held", Value::N(3)),
            ("shipped", Value::N(1)),
            ("available", Value::N(1)),
            ("is_active", Value::Bool(true)),
            ("rev", Value::N(7)),
            ("last_shipped_at", Value::N(1_700_000_000_000)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(item, expected);
        assert_eq!(
            StockCounters::from_item(&item).unwrap(),
            counters(5, 3, 1, Some(1_700_000_000_000))
        );
    }

    #[test]
    fn a_snapshot_sets_on_hand_and_never_frees_held_units() {
        let held = counters(5, 3, 0, None);
        for on_hand in [0, 2, 5, 9] {
            let next = StockCounters::after_snapshot(Some(&held), on_hand, Some(1), true);
            assert_eq!((next.on_hand, next.held), (on_hand, 3));
            assert_eq!(next.available(), on_hand - 3);
            assert_eq!(next.to_sell(), (on_hand - 3).max(0));
            assert_eq!(next.rev, 8);
        }
        let fresh = StockCounters::after_snapshot(None, 5, None, false);
        assert_eq!((fresh.held, fresh.shipped, fresh.available()), (0, 0, 5));
        assert!(!fresh.is_active);
    }

    #[test]
    fn shipped_units_stay_out_until_a_snapshot_observed_at_or_after_the_last_shipment() {
        let shipped = counters(5, 1, 2, Some(1_000));
        let older = StockCounters::after_snapshot(Some(&shipped), 5, Some(999), true);
        assert_eq!((older.shipped, older.available()), (2, 2));
        let unknown = StockCounters::after_snapshot(Some(&shipped), 5, None, true);
        assert_eq!(unknown.shipped, 2);
        let same = StockCounters::after_snapshot(Some(&shipped), 3, Some(1_000), true);
        assert_eq!((same.shipped, same.available()), (0, 2));
        let newer = StockCounters::after_snapshot(Some(&shipped), 3, Some(5_000), true);
        assert_eq!((newer.shipped, newer.held, newer.available()), (0, 1, 2));
        assert_eq!(newer.last_shipped_at, Some(1_000));
    }

    #[test]
    fn a_rename_carries_holds_and_shipments() {
        let new = counters(9, 1, 0, None).carrying(&counters(4, 3, 2, Some(50)));
        assert_eq!((new.on_hand, new.held, new.shipped), (9, 4, 2));
        assert_eq!(new.last_shipped_at, Some(50));
        let both = counters(0, 0, 1, Some(80)).carrying(&counters(0, 0, 1, Some(50)));
        assert_eq!(both.last_shipped_at, Some(80));
    }

    #[test]
    fn placement_checks_active_and_enough_on_the_stock_item_alone() {
        let key = Key::new("p", "STOCK");
        let WriteOp::Update { updates, cond, .. } = hold(key.clone(), 3) else {
            panic!("an update");
        };
        assert_eq!(
            updates,
            [
                Update::Add("available".into(), -3),
                Update::Add("held".into(), 3),
                Update::Add("rev".into(), 1)
            ]
        );
        assert_eq!(
            cond,
            Some(Cond::And(vec![
                Cond::Exists,
                Cond::Eq("is_active".into(), Value::Bool(true)),
                Cond::Ge("available".into(), 3),
            ]))
        );
        let WriteOp::Update { updates, .. } = ship(key, 2, 10, false) else {
            panic!("an update");
        };
        assert!(
            !updates
                .iter()
                .any(|u| matches!(u, Update::Set(a, _) if a == LAST_SHIPPED_AT)),
            "a later shipment's time stays"
        );
    }
}
