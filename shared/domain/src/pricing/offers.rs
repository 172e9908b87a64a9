//! (pricing engine: offers)
