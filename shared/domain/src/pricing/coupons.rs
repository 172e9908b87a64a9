//! (pricing engine: coupons)
