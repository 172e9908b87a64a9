//! (pricing engine: shipping)
