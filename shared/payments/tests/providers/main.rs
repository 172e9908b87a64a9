//! The provider adapters against a fake Stripe + PayPal server on loopback.

mod fake_provider;
mod gateway;
mod paypal;
mod stripe;
mod support;
