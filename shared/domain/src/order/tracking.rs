//! Tracking references: absolute http(s) URLs with a host (a tiny validator, no URL crate).

use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::order::model::MAX_TRACKING_REFERENCE_LEN;

fn invalid(why: &str) -> DomainError {
    DomainError::new(
        ErrorCode::InvalidTrackingReference,
        format!("The Shipping tracking reference url is invalid: {why}"),
    )
    .at(["trackingReference"])
}

/// Accepts `http://` or `https://` (any case), a host (DNS labels of letters, digits and `-`, or
/// a bracketed IPv6 literal), an optional port 1–65535, then any path/query/fragment without
/// whitespace or control characters; no user info (`@` is not a host character). Surrounding whitespace is trimmed; the
/// trimmed text is returned.
///
/// # Errors
/// `INVALID_TRACKING_REFERENCE` (field `["trackingReference"]`).
pub fn validate_tracking_reference(raw: &str) -> DomainResult<String> {
    let url = raw.trim();
    if url.chars().count() > MAX_TRACKING_REFERENCE_LEN {
        return Err(invalid(&format!(
            "it must be at most {MAX_TRACKING_REFERENCE_LEN} characters."
        )));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("it must not contain whitespace."));
    }
    let rest = ["https://", "http://"]
        .iter()
        .find_map(|scheme| {
            let head = url.get(..scheme.len())?;
            head.eq_ignore_ascii_case(scheme)
                .then(|| url.get(scheme.len()..))
                .flatten()
        })
        .ok_or_else(|| invalid("it must start with http:// or https://."))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (host, port) =
        split_host_port(authority).ok_or_else(|| invalid("it must name a valid host."))?;
    if !valid_host(host) {
        return Err(invalid("it must name a valid host."));
    }
    if let Some(port) = port {
        if !port.bytes().all(|b| b.is_ascii_digit())
            || !matches!(port.parse::<u32>(), Ok(1..=65535))
        {
            return Err(invalid("its port must be a number from 1 to 65535."));
        }
    }
    Ok(url.to_string())
}

/// `host[:port]` or `[v6]` / `[v6]:port`.
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if let Some(v6) = authority.strip_prefix('[') {
        let (inside, after) = v6.split_once(']')?;
        let ok = !inside.is_empty()
            && inside.contains(':')
            && inside
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
        return match (ok, after) {
            (false, _) => None,
            (true, "") => Some((authority, None)),
            (true, after) => after.strip_prefix(':').map(|port| (authority, Some(port))),
        };
    }
    Some(match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    })
}

fn valid_host(host: &str) -> bool {
    if host.starts_with('[') {
        return true; // checked by split_host_port
    }
    host.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    })
}
