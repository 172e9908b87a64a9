//! PayPal orders and the access-token cache through the gateway.

use std::time::Duration;

use oms_domain::order::PaymentMethod::Paypal;

use crate::fake_provider::*;
use crate::support::*;

#[tokio::test]
async fn each_order_outcome_maps_correctly() {
    let server = FakeProvider::start().await;
    let gateway = gateway();
    let config = full_tenant(&server);

    let p = found(&gateway, &config, Paypal, "PP_COMPLETED").await;
    assert_eq!(p.transaction_id, "PP_COMPLETED");
    assert_eq!(p.order_id.as_deref(), Some("ord-1"));
    assert_eq!(p.amount, money(1962, "SGD"));
    assert!(p.succeeded);

    let p = found(&gateway, &config, Paypal, "PP_APPROVED").await;
    assert!(!p.succeeded, "approved but not captured is not paid");

    let p = found(&gateway, &config, Paypal, "PP_CAPTURE_ONLY").await;
    assert!(p.succeeded, "a COMPLETED capture counts");

    let p = found(&gateway, &config, Paypal, "PP_CAPTURE_PENDING").await;
    assert!(
        !p.succeeded,
        "a pending capture does not count even on a COMPLETED order"
    );

    let p = found(&gateway, &config, Paypal, "PP_EUR").await;
    assert_eq!(p.amount, money(1000, "EUR"));

    let p = found(&gateway, &config, Paypal, "PP_OTHER_ORDER").await;
    assert_eq!(p.order_id.as_deref(), Some("ord-2"));

    let p = found(&gateway, &config, Paypal, "PP_INVOICE").await;
    assert_eq!(
        p.order_id.as_deref(),
        Some("ord-3"),
        "invoice_id is the fallback"
    );

    assert!(
        matches!(
            fetch(&gateway, &config, Paypal, "PP_UNKNOWN").await,
            Ok(None)
        ),
        "404 is None"
    );

    let err = failure(&gateway, &config, Paypal, "PP_BAD_CURRENCY").await;
    assert!(err.to_string().contains("currency"), "{err}");

    assert_eq!(server.token_calls(), 1, "one token for all nine lookups");
    assert_eq!(server.order_calls(), 9);
    assert!(server
        .requests()
        .contains(&"GET /v2/checkout/orders/PP_COMPLETED".to_string()));
    assert_eq!(
        server.requests().first().map(String::as_str),
        Some("POST /v1/oauth2/token")
    );
}

#[tokio::test]
async fn the_token_is_cached_across_fetches() {
    let server = FakeProvider::start().await;
    let gateway = gateway();
    let config = full_tenant(&server);
    found(&gateway, &config, Paypal, "PP_COMPLETED").await;
    found(&gateway, &config, Paypal, "PP_EUR").await;
    assert_eq!(server.token_calls(), 1);
    assert_eq!(server.order_calls(), 2);
}

#[tokio::test]
async fn concurrent_fetches_share_one_token_request() {
    let server = FakeProvider::start().await;
    let gateway = gateway();
    let config = full_tenant(&server);
    let (a, b, c) = tokio::join!(
        fetch(&gateway, &config, Paypal, "PP_COMPLETED"),
        fetch(&gateway, &config, Paypal, "PP_EUR"),
        fetch(&gateway, &config, Paypal, "PP_INVOICE"),
    );
    assert!(matches!((a, b, c), (Ok(Some(_)), Ok(Some(_)), Ok(Some(_)))));
    assert_eq!(server.token_calls(), 1);
}

#[tokio::test]
async fn each_credential_set_has_its_own_token() {
    let server = FakeProvider::start().await;
    let gateway = gateway();
    let one = full_tenant(&server);
    let two = tenant(
        None,
        Some(paypal_config(
            &server.base_url(),
            PAYPAL_CLIENT_ID_2,
            PAYPAL_SECRET_2,
        )),
    );
    found(&gateway, &one, Paypal, "PP_COMPLETED").await;
    found(&gateway, &two, Paypal, "PP_COMPLETED").await;
    found(&gateway, &one, Paypal, "PP_EUR").await;
    found(&gateway, &two, Paypal, "PP_EUR").await;
    assert_eq!(server.token_calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn the_token_is_refreshed_after_it_expires() {
    // The clock moves only by `advance`: freshness is judged at exact instants.
    let _clock = hold_clock();
    let server = FakeProvider::start().await;
    // A 2 s token is renewed after 1 s (the margin is capped at half the lifetime).
    server.set_token_lifetime(2);
    let gateway = gateway();
    let config = full_tenant(&server);
    found(&gateway, &config, Paypal, "PP_COMPLETED").await;
    found(&gateway, &config, Paypal, "PP_COMPLETED").await;
    assert_eq!(server.token_calls(), 1, "still fresh");
    tokio::time::advance(Duration::from_millis(999)).await;
    found(&gateway, &config, Paypal, "PP_COMPLETED").await;
    assert_eq!(
        server.token_calls(),
        1,
        "still fresh 1 ms before the renewal"
    );
    tokio::time::advance(Duration::from_millis(1)).await;
    found(&gateway, &config, Paypal, "PP_COMPLETED").await;
    assert_eq!(
        server.token_calls(),
        2,
        "renewed 1 s (lifetime - margin) after the request"
    );
    found(&gateway, &config, Paypal, "PP_COMPLETED").await;
    assert_eq!(server.token_calls(), 2, "the new token is cached");
    assert_eq!(server.order_calls(), 5, "no 401 was needed");
}

#[tokio::test]
async fn a_token_without_lifetime_is_not_reused() {
    let server = FakeProvider::start().await;
    server.set_token_lifetime(0);
    let gateway = gateway();
    let config = full_tenant(&server);
    found(&gateway, &config, Paypal, "PP_COMPLETED").await;
    found(&gateway, &config, Paypal, "PP_COMPLETED").await;
    assert_eq!(server.token_calls(), 2);
}

#[tokio::test]
async fn a_401_drops_the_token_and_retries_once() {
    let server = FakeProvider::start().await;
    let gateway = gateway();
    let config = full_tenant(&server);
    found(&gateway, &config, Paypal, "PP_COMPLETED").await;
    server.revoke_tokens();
    let p = found(&gateway, &config, Paypal, "PP_COMPLETED").await;
    assert!(p.succeeded);
    assert_eq!(server.token_calls(), 2, "one refresh");
    assert_eq!(server.order_calls(), 3, "one failed call, one retry");
    found(&gateway, &config, Paypal, "PP_COMPLETED").await;
    assert_eq!(server.token_calls(), 2, "the new token is cached");
}

#[tokio::test]
async fn a_persistent_401_is_an_error_after_one_retry() {
    let server = FakeProvider::start().await;
    server.reject_all_orders();
    let gateway = gateway();
    let config = full_tenant(&server);
    let err = failure(&gateway, &config, Paypal, "PP_COMPLETED").await;
    assert!(err.to_string().contains("401"), "{err}");
    assert_no_secrets(&err);
    assert_eq!(server.order_calls(), 2);
    assert_eq!(server.token_calls(), 2);
}

#[tokio::test]
async fn refused_client_credentials_are_an_error_without_them() {
    let server = FakeProvider::start().await;
    let gateway = gateway();
    let config = tenant(
        None,
        Some(paypal_config(
            &server.base_url(),
            PAYPAL_CLIENT_ID,
            "EKwrongSecretWrongSecret",
        )),
    );
    let err = failure(&gateway, &config, Paypal, "PP_COMPLETED").await;
    assert!(
        err.to_string().contains("refused the client credentials"),
        "{err}"
    );
    assert!(
        !err.to_string().contains("EKwrongSecretWrongSecret"),
        "{err}"
    );
    assert_no_secrets(&err);
    assert_eq!((server.token_calls(), server.order_calls()), (1, 0));
}

#[tokio::test]
async fn credentials_without_a_colon_are_refused_before_any_request() {
    let server = FakeProvider::start().await;
    let config = tenant(
        None,
        Some(stripe_config(&server.base_url(), PAYPAL_CLIENT_ID)),
    );
    let err = failure(&gateway(), &config, Paypal, "PP_COMPLETED").await;
    assert!(err.to_string().contains("client_id:secret"), "{err}");
    assert_no_secrets(&err);
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn the_token_cache_can_be_cleared() {
    let server = FakeProvider::start().await;
    let gateway = gateway();
    let config = full_tenant(&server);
    found(&gateway, &config, Paypal, "PP_COMPLETED").await;
    gateway.paypal().clear_token_cache();
    found(&gateway, &config, Paypal, "PP_COMPLETED").await;
    assert_eq!(server.token_calls(), 2);
}
