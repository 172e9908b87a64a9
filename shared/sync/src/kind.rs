//! The ten inbound kinds (docs/sync.md §3), their routes, event types, legacy names and keys.

use crate::error::SyncError;

/// `{kind}` of `POST /webhooks/{tenant}/{kind}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    VendorProducts,
    VendorDetails,
    VendorCoupons,
    VendorOffers,
    VendorShippingOptions,
    CustomerDetails,
    CustomerAddresses,
    UserAuthorizations,
    Identity,
    Payments,
}

/// The envelope's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    VendorProductUpserted,
    VendorDetailsUpserted,
    VendorCouponUpserted,
    VendorOfferUpserted,
    VendorShippingOptionUpserted,
    CustomerDetailsUpserted,
    CustomerAddressUpserted,
    UserAuthorizationUpserted,
    UserLoggedIn,
    PaymentSucceeded,
    PaymentRefunded,
}

impl EventType {
    pub const ALL: [EventType; 11] = [
        EventType::VendorProductUpserted,
        EventType::VendorDetailsUpserted,
        EventType::VendorCouponUpserted,
        EventType::VendorOfferUpserted,
        EventType::VendorShippingOptionUpserted,
        EventType::CustomerDetailsUpserted,
        EventType::CustomerAddressUpserted,
        EventType::UserAuthorizationUpserted,
        EventType::UserLoggedIn,
        EventType::PaymentSucceeded,
        EventType::PaymentRefunded,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            EventType::VendorProductUpserted => "vendor_product.upserted",
            EventType::VendorDetailsUpserted => "vendor_details.upserted",
            EventType::VendorCouponUpserted => "vendor_coupon.upserted",
            EventType::VendorOfferUpserted => "vendor_offer.upserted",
            EventType::VendorShippingOptionUpserted => "vendor_shipping_option.upserted",
            EventType::CustomerDetailsUpserted => "customer_details.upserted",
            EventType::CustomerAddressUpserted => "customer_address.upserted",
            EventType::UserAuthorizationUpserted => "user_authorization.upserted",
            EventType::UserLoggedIn => "user.logged_in",
            EventType::PaymentSucceeded => "payment.succeeded",
            EventType::PaymentRefunded => "payment.refunded",
        }
    }

    /// Exact match on the wire name.
    pub fn parse(raw: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == raw)
    }

    pub fn kind(&self) -> Kind {
        match self {
            EventType::VendorProductUpserted => Kind::VendorProducts,
            EventType::VendorDetailsUpserted => Kind::VendorDetails,
            EventType::VendorCouponUpserted => Kind::VendorCoupons,
            EventType::VendorOfferUpserted => Kind::VendorOffers,
            EventType::VendorShippingOptionUpserted => Kind::VendorShippingOptions,
            EventType::CustomerDetailsUpserted => Kind::CustomerDetails,
            EventType::CustomerAddressUpserted => Kind::CustomerAddresses,
            EventType::UserAuthorizationUpserted => Kind::UserAuthorizations,
            EventType::UserLoggedIn => Kind::Identity,
            EventType::PaymentSucceeded | EventType::PaymentRefunded => Kind::Payments,
        }
    }
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::VendorProducts,
        Kind::VendorDetails,
        Kind::VendorCoupons,
        Kind::VendorOffers,
        Kind::VendorShippingOptions,
        Kind::CustomerDetails,
        Kind::CustomerAddresses,
        Kind::UserAuthorizations,
        Kind::Identity,
        Kind::Payments,
    ];

    /// The kinds with a CSV template: the first seven (docs/runtime.md "Kinds").
    pub const CSV: [Kind; 7] = [
        Kind::VendorProducts,
        Kind::VendorDetails,
        Kind::VendorCoupons,
        Kind::VendorOffers,
        Kind::VendorShippingOptions,
        Kind::CustomerDetails,
        Kind::CustomerAddresses,
    ];

    /// Route segment, e.g. `vendor-products`.
    pub fn route(&self) -> &'static str {
        match self {
            Kind::VendorProducts => "vendor-products",
            Kind::VendorDetails => "vendor-details",
            Kind::VendorCoupons => "vendor-coupons",
            Kind::VendorOffers => "vendor-offers",
            Kind::VendorShippingOptions => "vendor-shipping-options",
            Kind::CustomerDetails => "customer-details",
            Kind::CustomerAddresses => "customer-addresses",
            Kind::UserAuthorizations => "user-authorizations",
            Kind::Identity => "identity",
            Kind::Payments => "payments",
        }
    }

    /// Exact, lower-case route segment.
    pub fn from_route(route: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.route() == route)
    }

    /// # Errors
    /// `NOT_FOUND` (404) for an unknown kind.
    pub fn parse_route(route: &str) -> Result<Kind, SyncError> {
        Kind::from_route(route)
            .ok_or_else(|| SyncError::not_found(format!("Unknown webhook kind '{route}'.")))
    }

    /// Accepted envelope `type`s for this route.
    pub fn event_types(&self) -> &'static [EventType] {
        match self {
            Kind::VendorProducts => &[EventType::VendorProductUpserted],
            Kind::VendorDetails => &[EventType::VendorDetailsUpserted],
            Kind::VendorCoupons => &[EventType::VendorCouponUpserted],
            Kind::VendorOffers => &[EventType::VendorOfferUpserted],
            Kind::VendorShippingOptions => &[EventType::VendorShippingOptionUpserted],
            Kind::CustomerDetails => &[EventType::CustomerDetailsUpserted],
            Kind::CustomerAddresses => &[EventType::CustomerAddressUpserted],
            Kind::UserAuthorizations => &[EventType::UserAuthorizationUpserted],
            Kind::Identity => &[EventType::UserLoggedIn],
            Kind::Payments => &[EventType::PaymentSucceeded, EventType::PaymentRefunded],
        }
    }

    /// The upsert event type of a snapshot kind (`None` for identity and payments).
    pub fn snapshot_event_type(&self) -> Option<EventType> {
        match self {
            Kind::Identity | Kind::Payments => None,
            _ => self.event_types().first().copied(),
        }
    }

    /// Whether the kind carries a snapshot (everything except identity and payments).
    pub fn is_snapshot(&self) -> bool {
        self.snapshot_event_type().is_some()
    }

    pub fn has_csv_template(&self) -> bool {
        Kind::CSV.contains(self)
    }

    /// The `data` fields forming the entity key, in key order.
    pub fn entity_key_fields(&self) -> &'static [&'static str] {
        match self {
            Kind::VendorProducts => &["product_id"],
            Kind::VendorDetails => &["vendor_id"],
            Kind::VendorCoupons => &["vendor_id", "coupon_code"],
            Kind::VendorOffers => &["vendor_id", "offer_id"],
            Kind::VendorShippingOptions => &["vendor_id", "name"],
            Kind::CustomerDetails => &["customer_id"],
            Kind::CustomerAddresses => &["customer_id", "address_id"],
            Kind::UserAuthorizations => &["user_id"],
            Kind::Identity => &["sub"],
            Kind::Payments => &["transaction_id"],
        }
    }

    /// The original OMS's route kind (`POST /webhook/wss/{tenant}/{legacy_kind}`).
    pub fn legacy_name(&self) -> Option<&'static str> {
        match self {
            Kind::VendorProducts => Some("product_update"),
            Kind::VendorDetails => Some("vendor_details_update"),
            Kind::VendorCoupons => Some("vendor_coupon_update"),
            Kind::VendorOffers => Some("vendor_offer_update"),
            Kind::VendorShippingOptions => Some("vendor_shippingoption_update"),
            _ => None,
        }
    }

    pub fn from_legacy(name: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.legacy_name() == Some(name))
    }

    /// # Errors
    /// `NOT_FOUND` (404) for an unknown legacy kind.
    pub fn parse_legacy(name: &str) -> Result<Kind, SyncError> {
        Kind::from_legacy(name)
            .ok_or_else(|| SyncError::not_found(format!("Unknown webhook kind '{name}'.")))
    }

    /// The original's `event_type` for this legacy kind (informational: the route decides).
    pub fn legacy_event_type(&self) -> Option<&'static str> {
        match self {
            Kind::VendorProducts => Some("order_management.internal_events.ProductUpdatedEvent"),
            Kind::VendorDetails => {
                Some("order_management.internal_events.VendorDetailsUpdatedEvent")
            }
            Kind::VendorCoupons => {
                Some("order_management.internal_events.VendorCouponUpdatedEvent")
            }
            Kind::VendorOffers => Some("order_management.internal_events.VendorOfferUpdatedEvent"),
            Kind::VendorShippingOptions => {
                Some("order_management.internal_events.VendorShippingOptionUpdatedEvent")
            }
            _ => None,
        }
    }

    /// The original's 200 message: `{"success": true, "message": <this>}`.
    pub fn legacy_success_message(&self) -> Option<&'static str> {
        match self {
            Kind::VendorProducts => Some("Product update has been published."),
            Kind::VendorDetails => Some("Vendor Details update has been published."),
            Kind::VendorCoupons => Some("Vendor Coupon update has been published."),
            Kind::VendorOffers => Some("Vendor Offer update has been published."),
            Kind::VendorShippingOptions => {
                Some("Vendor Shipping Option update has been published.")
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.route())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::SyncErrorCode;

    #[test]
    fn routes_round_trip_and_unknown_kinds_are_not_found() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_route(kind.route()), Some(kind));
        }
        let routes: Vec<&str> = Kind::ALL.iter().map(|k| k.route()).collect();
        assert_eq!(
            routes,
            [
                "vendor-products",
                "vendor-details",
                "vendor-coupons",
                "vendor-offers",
                "vendor-shipping-options",
                "customer-details",
                "customer-addresses",
                "user-authorizations",
                "identity",
                "payments"
            ]
        );
        assert_eq!(
            Kind::parse_route("vendor-widgets").map_err(|e| e.code),
            Err(SyncErrorCode::NotFound)
        );
        assert_eq!(
            Kind::parse_route("Vendor-Products").map_err(|e| e.code),
            Err(SyncErrorCode::NotFound)
        );
    }

    #[test]
    fn every_event_type_belongs_to_exactly_its_kind() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            assert!(t.kind().event_types().contains(&t));
            let owners = Kind::ALL
                .iter()
                .filter(|k| k.event_types().contains(&t))
                .count();
            assert_eq!(owners, 1);
        }
        assert_eq!(EventType::parse("vendor_product.deleted"), None);
        assert_eq!(Kind::Payments.event_types().len(), 2);
    }

    #[test]
    fn legacy_kind_names_map_to_the_five_vendor_kinds() {
        let pairs = [
            ("product_update", Kind::VendorProducts),
            ("vendor_details_update", Kind::VendorDetails),
            ("vendor_coupon_update", Kind::VendorCoupons),
            ("vendor_offer_update", Kind::VendorOffers),
            ("vendor_shippingoption_update", Kind::VendorShippingOptions),
        ];
        for (name, kind) in pairs {
            assert_eq!(Kind::from_legacy(name), Some(kind));
            assert!(kind.legacy_success_message().is_some());
            assert!(kind.legacy_event_type().is_some());
        }
        assert_eq!(
            Kind::ALL
                .iter()
                .filter(|k| k.legacy_name().is_some())
                .count(),
            5
        );
        assert_eq!(
            Kind::parse_legacy("customer_update").map_err(|e| e.code),
            Err(SyncErrorCode::NotFound)
        );
        assert_eq!(
            Kind::VendorProducts.legacy_success_message(),
            Some("Product update has been published.")
        );
    }

    #[test]
    fn the_csv_kinds_are_the_seven_snapshot_kinds_before_user_authorizations() {
        assert_eq!(Kind::CSV.as_slice(), &Kind::ALL[..7]);
        assert!(!Kind::UserAuthorizations.has_csv_template());
        assert!(Kind::UserAuthorizations.is_snapshot());
        assert!(!Kind::Identity.is_snapshot() && !Kind::Payments.is_snapshot());
    }
}
