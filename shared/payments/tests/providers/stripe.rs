//! Stripe PaymentIntents through the gateway.

use oms_domain::order::PaymentMethod::Stripe;

use crate::fake_provider::*;
use crate::support::*;

#[tokio::test]
async fn each_payment_intent_outcome_maps_correctly() {
    let server = FakeProvider::start().await;
    let gateway = gateway();
    let config = full_tenant(&server);

    let p = found(&gateway, &config, Stripe, "pi_succeeded").await;
    assert_eq!(p.transaction_id, "pi_succeeded");
    assert_eq!(p.order_id.as_deref(), Some("ord-1"));
    assert_eq!(p.amount, money(1962, "SGD"));
    assert!(p.succeeded);

    let p = found(&gateway, &config, Stripe, "pi_requires_pm").await;
    assert!(!p.succeeded, "requires_payment_method is not a success");
    assert_eq!(p.amount, money(1962, "SGD"));

    let p = found(&gateway, &config, Stripe, "pi_usd").await;
    assert_eq!(p.amount, money(1962, "USD"));
    assert!(p.succeeded);

    let p = found(&gateway, &config, Stripe, "pi_other_order").await;
    assert_eq!(p.order_id.as_deref(), Some("ord-2"));

    let p = found(&gateway, &config, Stripe, "pi_jpy").await;
    assert_eq!(p.amount, money(1250, "JPY"), "JPY has no minor unit");

    assert!(
        matches!(
            fetch(&gateway, &config, Stripe, "pi_unknown").await,
            Ok(None)
        ),
        "404 is None"
    );
    assert_eq!(server.stripe_calls(), 6);
    assert_eq!(
        server.requests().first().map(String::as_str),
        Some("GET /v1/payment_intents/pi_succeeded")
    );
}

#[tokio::test]
async fn a_refused_key_is_an_error_without_the_key() {
    let server = FakeProvider::start().await;
    let gateway = gateway();
    let config = tenant(
        Some(stripe_config(
            &server.base_url(),
            "sk_test_51WrongKeyWrongKey",
        )),
        None,
    );
    let err = failure(&gateway, &config, Stripe, "pi_succeeded").await;
    assert!(err.to_string().contains("401"), "{err}");
    assert!(
        !err.to_string().contains("sk_test_51WrongKeyWrongKey"),
        "{err}"
    );
    assert_no_secrets(&err);
    assert_eq!(
        server.stripe_calls(),
        1,
        "the fake checked the header and refused it"
    );
}

#[tokio::test]
async fn unusable_responses_are_errors() {
    let server = FakeProvider::start().await;
    let gateway = gateway();
    let config = full_tenant(&server);
    for id in ["pi_bad_currency", "pi_not_json", "pi_server_error"] {
        let err = failure(&gateway, &config, Stripe, id).await;
        assert_no_secrets(&err);
    }
    let err = failure(&gateway, &config, Stripe, "pi_bad_currency").await;
    assert!(err.to_string().contains("currency"), "{err}");
    let err = failure(&gateway, &config, Stripe, "pi_server_error").await;
    assert!(err.to_string().contains("500"), "{err}");
}

#[tokio::test]
async fn an_empty_key_is_refused_before_any_request() {
    let server = FakeProvider::start().await;
    let config = tenant(Some(stripe_config(&server.base_url(), "  ")), None);
    let err = failure(&gateway(), &config, Stripe, "pi_succeeded").await;
    assert!(err.to_string().contains("empty"), "{err}");
    assert_eq!(server.stripe_calls(), 0);
}

#[tokio::test]
async fn the_client_can_be_used_directly_and_a_trailing_slash_is_fine() {
    let server = FakeProvider::start().await;
    let gateway = gateway();
    let config = stripe_config(&format!("{}/", server.base_url()), STRIPE_KEY);
    let p = gateway
        .stripe()
        .fetch_payment(&config, "pi_succeeded")
        .await;
    assert_eq!(p.ok().flatten().map(|p| p.succeeded), Some(true));
    assert_eq!(
        server.requests(),
        vec!["GET /v1/payment_intents/pi_succeeded".to_string()]
    );
}
