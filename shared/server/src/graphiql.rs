//! GraphiQL, served from the binary (feature `graphiql`: `oms serve` only). The page and its
//! assets are compiled in (`assets/graphiql/`, versions and licences in its README), so the page
//! works without network access; the page names no other origin, and its Content-Security-Policy
//! lets the browser load nothing from one.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::GraphqlState;

/// Where the assets are served (`GET /graphiql/assets/{file}`).
pub const ASSETS_PATH: &str = "/graphiql/assets/{file}";

const PAGE: &str = include_str!("../assets/graphiql/index.html");

const JS: &str = "text/javascript; charset=utf-8";

/// The pinned packages' files are served under names that carry their versions, so they never
/// change under a URL: a year in the browser's cache.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Our start-up script changes with the binary: revalidated on every load.
const REVALIDATE: &str = "no-cache";

/// The served assets: name in the URL, content type, cache policy, bytes.
const ASSETS: &[(&str, &str, &str, &[u8])] = &[
    (
        "graphiql-3.9.0.min.js",
        JS,
        IMMUTABLE,
        include_bytes!("../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql-3.9.0.min.css",
        "text/css; charset=utf-8",
        IMMUTABLE,
        include_bytes!("../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react-18.3.1.production.min.js",
        JS,
        IMMUTABLE,
        include_bytes!("../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom-18.3.1.production.min.js",
        JS,
        IMMUTABLE,
        include_bytes!("../assets/graphiql/react-dom.production.min.js"),
    ),
    (
        "oms-graphiql.js",
        JS,
        REVALIDATE,
        include_bytes!("../assets/graphiql/oms-graphiql.js"),
    ),
];

/// Everything from this origin only; inline styles (GraphiQL sets them), no inline script.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// The page for `endpoint`, with the demo token (if any) in its headers pane. The configuration
/// is JSON inside a non-executed `<script type="application/json">`; `<`, `>` and `&` are
/// escaped so no value can close the element.
fn page(state: &GraphqlState, endpoint: &str) -> Response {
    let headers = state
        .graphiql_token
        .as_ref()
        .map(|t| serde_json::json!({ "Authorization": format!("Bearer {t}") }));
    let config = serde_json::json!({ "endpoint": endpoint, "headers": headers })
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    let html = PAGE.replace("{{CONFIG}}", &config);
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        html,
    )
        .into_response()
}

/// `GET /graphql`: GraphiQL on the whole schema.
pub async fn graphiql(State(state): State<Arc<GraphqlState>>) -> Response {
    page(&state, "/graphql")
}

/// `GET /graphql/{group}`: GraphiQL on one resolver group's schema.
pub async fn graphiql_group(
    State(state): State<Arc<GraphqlState>>,
    Path(group): Path<String>,
) -> Response {
    match oms_graphql::Group::parse(&group).filter(|g| state.groups.contains_key(g)) {
        Some(g) => page(&state, &format!("/graphql/{}", g.as_str())),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /graphiql/assets/{file}`: one compiled-in asset.
pub async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _, _)| *name == file) {
        Some((_, content_type, cache, bytes)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_no_other_origin() {
        assert!(!PAGE.contains("http://") && !PAGE.contains("https://") && !PAGE.contains("//"));
        for (name, _, _, bytes) in ASSETS {
            assert!(!bytes.is_empty(), "{name} is empty");
            assert!(
                PAGE.contains(&format!("/graphiql/assets/{name}")),
                "{name} unused"
            );
        }
    }
}
