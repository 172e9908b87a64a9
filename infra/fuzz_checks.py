"""Schemathesis checks for `oms serve`'s GraphQL endpoint (loaded by infra/fuzz.sh through
SCHEMATHESIS_HOOKS=fuzz_checks).

Schemathesis's own `not_a_server_error` also fails on *every* GraphQL `errors` entry that is not a
query validation error (ST113). Our API answers business failures of queries and refusals
(FORBIDDEN, INVALID_INPUT for `first: 0`, ...) as typed top-level errors on purpose
(docs/graphql.md §3), so infra/fuzz.sh turns that check off and runs this one instead. It fails on:

- an HTTP status of 500 or more;
- a body that is not JSON, a Content-Type that is not application/json;
- a JSON body that is not a GraphQL response (an object with `data` and/or `errors`, nothing
  else at the top but `extensions`);
- an `errors` entry without a string `message` or without a documented `extensions.code`, and
  any `INTERNAL` error (an infrastructure fault: never the answer to a client's input).
"""

import json

import schemathesis

# docs/graphql.md §3 "Top-level errors", plus the UserErrorCode names
# (shared/graphql/src/types/enums.rs).
TOP_LEVEL_CODES = {
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "QUERY_TOO_COMPLEX",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "BAD_REQUEST",
}
USER_ERROR_CODES = {
    "INVALID_INPUT",
    "NOT_FOUND",
    "INVALID_STATE",
    "OUT_OF_STOCK",
    "PRODUCT_UNAVAILABLE",
    "VENDOR_UNAVAILABLE",
    "DUPLICATE_LINE_ITEM",
    "LAST_LINE_ITEM",
    "CURRENCY_MISMATCH",
    "COUPON_INVALID",
    "COUPON_EXPIRED",
    "COUPON_USAGE_LIMIT_REACHED",
    "COUPON_MINIMUM_NOT_MET",
    "SHIPPING_OPTION_UNAVAILABLE",
    "SHIPPING_NOT_SELECTED",
    "DESTINATION_REQUIRED",
    "PAYMENT_NOT_VERIFIED",
    "PAYMENT_INSUFFICIENT",
    "PAYMENT_ALREADY_USED",
    "CANCELLATION_REASON_REQUIRED",
    "INVALID_TRACKING_REFERENCE",
    "VERSION_CONFLICT",
    "IDEMPOTENCY_KEY_REUSED",
    "TRY_AGAIN",
}
DOCUMENTED_CODES = TOP_LEVEL_CODES | USER_ERROR_CODES


@schemathesis.check
def oms_graphql_response(ctx, response, case):
    """No 5xx, a well-formed GraphQL JSON response, every error typed and none INTERNAL."""
    if response.status_code >= 500:
        raise AssertionError(f"server error: HTTP {response.status_code}: {response.content[:500]!r}")
    content_type = response.headers.get("content-type") or response.headers.get("Content-Type") or ""
    if isinstance(content_type, list):
        content_type = content_type[0] if content_type else ""
    if not content_type.lower().startswith("application/json"):
        raise AssertionError(f"Content-Type {content_type!r}, expected application/json")
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        raise AssertionError(f"body is not JSON ({exc}): {response.content[:500]!r}") from None
    if not isinstance(body, dict):
        raise AssertionError(f"body is not a JSON object: {body!r:.500}")
    extra = set(body) - {"data", "errors", "extensions"}
    if extra:
        raise AssertionError(f"unexpected top-level keys {sorted(extra)}")
    if "data" not in body and "errors" not in body:
        raise AssertionError("neither `data` nor `errors` in the response")
    if "data" in body and body["data"] is not None and not isinstance(body["data"], dict):
        raise AssertionError(f"`data` is not an object or null: {body['data']!r:.500}")
    errors = body.get("errors")
    if errors is None:
        return None
    if not isinstance(errors, list) or not errors:
        raise AssertionError(f"`errors` is not a non-empty list: {errors!r:.500}")
    for error in errors:
        if not isinstance(error, dict) or not isinstance(error.get("message"), str):
            raise AssertionError(f"error without a string message: {error!r:.500}")
        extensions = error.get("extensions")
        code = extensions.get("code") if isinstance(extensions, dict) else None
        if code == "INTERNAL":
            raise AssertionError(f"INTERNAL error (see the server log): {error!r:.500}")
        if code not in DOCUMENTED_CODES:
            raise AssertionError(f"error without a documented extensions.code: {error!r:.500}")
    return None
