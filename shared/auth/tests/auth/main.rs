//! One test binary for oms-auth (see `helpers` for the loopback JWKS server and test keys).

mod dev_mode;
mod helpers;
mod https;
mod jwks_mode;
mod stored_secret;
