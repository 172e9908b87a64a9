//! The OMS GraphQL API (docs/graphql.md), transport-free.
//!
//! A server (an `oms serve` route, a Lambda per resolver group) builds a schema once and executes
//! each request with the verified [`Caller`] in the request data:
//!
//! ```no_run
//! # async fn run(oms: oms_application::Oms, caller: oms_application::caller::Caller) {
//! use oms_graphql::{build_group_schema, build_schema, Group, SchemaOptions};
//! let schema = build_schema(oms.clone(), SchemaOptions::default());
//! let response = schema.execute(async_graphql::Request::new("{ me { sub } }").data(caller)).await;
//! let checkout = build_group_schema(Group::Checkout, oms, SchemaOptions::default());
//! # let _ = (response, checkout);
//! # }
//! ```
//!
//! Without a `Caller`, every field fails with `extensions.code = "UNAUTHENTICATED"`.
//! Error conventions, limits and groups: `docs/graphql.md`.

pub mod error;
mod limits;
pub mod resolvers;
pub mod scalars;
pub mod schema;
pub mod types;

pub use async_graphql;
pub use oms_application::caller::Caller;
pub use schema::{
    build_group_schema, build_schema, group_sdl, schema_sdl, AccountSchema, AnySchema,
    CheckoutSchema, Group, GroupSchema, OmsSchema, OrdersSchema, SchemaOptions, UnknownGroup,
    VendorSchema,
};
