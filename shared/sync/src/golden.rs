//! The five legacy `wss` golden vectors (docs/legacy-oms.md), byte-exact (no trailing newline).
//! Public so that every crate testing the legacy route uses the same bytes.

pub const SECRET: &str = "2323434235235";
pub const TENANT: &str = "tenant123";

/// (legacy kind, signature hex, body)
pub const VECTORS: [(&str, &str, &str); 5] = [
    (
        "product_update",
        "a6a839d2d0a1011423edfc0994aab1f94e13a08b3ce9896a96f87281a3ebf207",
        r#"{"event_type":"order_management.internal_events.ProductUpdatedEvent","data":{"product_id":"p-234","tenant_id":"tenant123","vendor_id":"v-234","product_sku":"T-SHIRT-L","product_name":"T Shirt Large Size","product_category":"Men's T-Shirts","options":{"Size":"M","Color":"RED"},"product_price":"1.5","stock":10,"product_currency":"SGD","package_weight":"2.1","package_length":10,"package_width":10,"package_height":10,"is_active":true}}"#,
    ),
    (
        "vendor_coupon_update",
        "c036dc6861fb5e9736eb594874072c920e8a77403b04e7f37e2f2742191336de",
        r#"{"event_type":"order_management.internal_events.VendorCouponUpdatedEvent","data":{"vendor_id":"v-234","tenant_id":"tenant123","offer_id":"o-123","coupon_code":"WELCOME25","start_date":"2025-08-13T14:30:29Z","end_date":"2025-10-13T14:30:29Z","is_active":true}}"#,
    ),
    (
        "vendor_details_update",
        "364f990ba8904a307b6e25e9b83a15469d04637dac27f5c663c16ec670e7a520",
        r#"{"event_type":"order_management.internal_events.VendorDetailsUpdatedEvent","data":{"vendor_id":"v-234","tenant_id":"tenant123","name":"Vendor1","country":"Singapore","is_active":true}}"#,
    ),
    (
        "vendor_offer_update",
        "b75a8f2498dfb3dc77931ea565aad6cb4a375d07c399d3ed716c703266341d64",
        r#"{"event_type":"order_management.internal_events.VendorOfferUpdatedEvent","data":{"tenant_id":"tenant123","vendor_id":"v-234","offer_id":"o-123","offer_type":"percentage_discount","name":"10% Off","discount_value":10,"conditions":{"eligible_products":["SKU1"]},"required_coupon":false,"stackable":true,"priority":1,"start_date":"2025-08-13T14:30:29Z","end_date":"2025-12-13T14:30:29Z","is_active":true}}"#,
    ),
    (
        "vendor_shippingoption_update",
        "72cb720919911b84ba10b56a0fb8da7580274903785769b5be99ef6e2332ff6b",
        r#"{"event_type":"order_management.internal_events.VendorShippingOptionUpdatedEvent","data":{"tenant_id":"tenant123","vendor_id":"v-234","name":"Standard","delivery_time":"2-3 Days","conditions":{"max_weight":30},"base_cost":"5","flat_rate":"0.0","currency":"SGD","is_active":true}}"#,
    ),
];
