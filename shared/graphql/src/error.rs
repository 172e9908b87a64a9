//! Error conventions of the API (docs/graphql.md §Errors).
//!
//! - Business failures of a mutation are `userErrors` in its payload (`field` prefixed with
//!   `"input"`); the order is left unchanged and `order` is null.
//! - Top-level GraphQL errors always carry `extensions.code`: [`UNAUTHENTICATED`], [`FORBIDDEN`],
//!   [`QUERY_TOO_COMPLEX`], [`INTERNAL`] (with `extensions.requestId`), plus the parse/validation
//!   codes, and for queries a `UserErrorCode` name with `extensions.field`.

use async_graphql::{Context, Error, ErrorExtensions, Value};
use oms_application::caller::Caller;
use oms_application::error::AppError;
use oms_application::Oms;
use oms_domain::DomainError;

use crate::types::UserError;

/// No verified caller in the request data.
pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
/// The caller's roles never allow the operation.
pub const FORBIDDEN: &str = "FORBIDDEN";
/// Over the depth or complexity limit.
pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";
/// An unexpected fault; details only in the logs.
pub const INTERNAL: &str = "INTERNAL";
/// The query text is not valid GraphQL syntax.
pub const GRAPHQL_PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
/// The query does not validate against the schema (unknown field, wrong argument type, ...).
pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";

/// A top-level error with `extensions.code`.
pub(crate) fn coded(message: impl Into<String>, code: &'static str) -> Error {
    Error::new(message).extend_with(|_, e| e.set("code", code))
}

pub(crate) fn unauthenticated() -> Error {
    coded("unauthenticated", UNAUTHENTICATED)
}

pub(crate) fn forbidden() -> Error {
    coded("forbidden", FORBIDDEN)
}

/// The generic fault answer: the real error goes to the log with tenant and request id, the
/// client sees "internal error" and the request id only.
pub(crate) fn internal(
    caller: Option<&Caller>,
    error: &(dyn std::error::Error + 'static),
) -> Error {
    let chain = oms_application::error::error_chain(error);
    let (tenant, request_id) =
        caller.map_or(("-", "-"), |c| (c.tenant.as_str(), c.request_id.as_str()));
    tracing::error!(tenant, request_id, error = %chain, "graphql request failed");
    let request_id = request_id.to_string();
    coded("internal error", INTERNAL)
        .extend_with(move |_, e| e.set("requestId", request_id.as_str()))
}

/// The verified caller of the request (`Request::data(caller)`), or UNAUTHENTICATED.
pub(crate) fn caller<'a>(ctx: &Context<'a>) -> Result<&'a Caller, Error> {
    ctx.data_opt::<Caller>().ok_or_else(unauthenticated)
}

/// The use cases, put into the schema data by the builders.
pub(crate) fn oms<'a>(ctx: &Context<'a>, caller: &Caller) -> Result<&'a Oms, Error> {
    ctx.data_opt::<Oms>().ok_or_else(|| {
        let missing = std::io::Error::other("the schema has no Oms in its data");
        internal(Some(caller), &missing)
    })
}

fn path_value(path: &[String]) -> Value {
    Value::List(path.iter().map(|p| Value::String(p.clone())).collect())
}

/// A user error of a query as a top-level error: `extensions.code` is the `UserErrorCode` name,
/// `extensions.field` the argument path (when known).
pub(crate) fn query_user_error(e: &DomainError) -> Error {
    let code = e.code.as_str();
    let field = e.field.clone();
    Error::new(e.message.clone()).extend_with(move |_, ext| {
        ext.set("code", code);
        if let Some(f) = &field {
            ext.set("field", path_value(f));
        }
    })
}

/// Maps the non-user failures of a use case to top-level errors.
pub(crate) fn top_level(caller: &Caller, e: AppError) -> Error {
    match e {
        AppError::User(e) => query_user_error(&e),
        AppError::Forbidden => forbidden(),
        AppError::Internal(source) => internal(Some(caller), source.as_ref()),
    }
}

/// What a mutation answers for a use case failure: `Ok(userErrors)` for business failures,
/// `Err` (top-level) for FORBIDDEN and INTERNAL.
pub(crate) fn mutation_failure(caller: &Caller, e: AppError) -> Result<Vec<UserError>, Error> {
    match e {
        AppError::User(e) => Ok(vec![UserError::from_domain(e, Some("input"))]),
        other => Err(top_level(caller, other)),
    }
}
