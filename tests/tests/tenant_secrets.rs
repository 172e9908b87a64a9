//! Tenant secrets apart from the configuration, stored as `ssm:` references (SSM on moto): the
//! webhook function as the runtime composes it verifies with the parameter's value, keeps it for
//! the resolver's time, then follows a rotation; a process without SSM refuses references; the
//! sender signs with an events secret kept in SSM.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::body::Body;
use axum::body::Bytes;
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use http_body_util::BodyExt;
use oms_application::ports::{Clock, ManualClock, SecretResolver, Store, ValueSecrets};
use oms_application::records::{TenantConfig, TenantSecrets};
use oms_e2e::*;
use oms_outbound::{EventDelivery, SenderDeps, Sent};
use oms_persistence::Repository;
use oms_runtime::secrets::SECRET_TTL_SECS;
use oms_store::SqliteStore;
use serde_json::json;
use tower::ServiceExt;

fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_600_800, 0).unwrap_or_default()
}

struct World {
    ssm: aws_sdk_ssm::Client,
    aws: aws_config::SdkConfig,
    clock: Arc<ManualClock>,
    store: Arc<dyn Store>,
    prefix: String,
}

/// SSM on moto (fresh parameter names), an embedded store with tenant `t-ssm` whose webhook
/// secret is the reference `ssm:<prefix>/webhook`.
async fn world() -> World {
    require_emulator_env();
    let aws = oms_runtime::aws_config(None).await;
    let ssm = aws_sdk_ssm::Client::new(&aws);
    let prefix = format!("/oms/test/{}", ulid::Ulid::new().to_string().to_lowercase());
    let clock = Arc::new(ManualClock::new(at()));
    let items = SqliteStore::in_memory(clock.clone()).unwrap_or_else(|e| panic!("store: {e}"));
    let store: Arc<dyn Store> = Arc::new(Repository::new(Arc::new(items)));
    let t = tenant("t-ssm");
    store
        .put_tenant_config(&TenantConfig::new(t.clone()))
        .await
        .unwrap_or_else(|e| panic!("config: {e}"));
    let mut secrets = TenantSecrets::new(t);
    secrets.webhook_secrets = vec![format!("ssm:{prefix}/webhook")];
    secrets.events_secret = Some(format!("ssm:{prefix}/events"));
    store
        .put_tenant_secrets(&secrets)
        .await
        .unwrap_or_else(|e| panic!("secrets: {e}"));
    World {
        ssm,
        aws,
        clock,
        store,
        prefix,
    }
}

impl World {
    async fn parameter(&self, name: &str, value: &str) {
        self.ssm
            .put_parameter()
            .name(format!("{}/{name}", self.prefix))
            .value(value)
            .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
            .overwrite(true)
            .send()
            .await
            .unwrap_or_else(|e| panic!("put parameter {name}: {e}"));
    }

    fn webhooks(&self, secrets: Arc<dyn SecretResolver>) -> Router {
        let queue = Arc::new(oms_server::app::in_process_queue(
            self.store.clone(),
            self.clock.clone(),
        ));
        oms_runtime::http::webhook_app(self.store.clone(), queue, self.clock.clone(), secrets)
            .router
    }

    fn ssm_resolver(&self) -> Arc<dyn SecretResolver> {
        oms_runtime::secrets::resolver(&self.aws, self.clock.clone())
    }

    /// A vendor-details event signed with `secret` now; the answer's status.
    async fn post(&self, router: &Router, id: &str, secret: &str) -> u16 {
        let body = event(
            id,
            "vendor_details.upserted",
            "t-ssm",
            1,
            json!({"vendor_id": "v-ssm", "name": "SSM Vendor", "country": "SG"}),
        )
        .to_string();
        let signature =
            oms_sync::signature::oms::sign(secret, self.clock.now_unix(), body.as_bytes());
        let request = axum::http::Request::post("/webhooks/t-ssm/vendor-details")
            .header("Oms-Signature", signature)
            .header("Content-Type", "application/json")
            .body(Body::from(body))
            .unwrap_or_else(|e| panic!("{e}"));
        let response = router
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let status = response.status().as_u16();
        let _ = response.into_body().collect().await;
        status
    }
}

#[tokio::test]
async fn a_webhook_secret_kept_in_ssm_verifies_and_follows_a_rotation_after_the_cache_time() {
    let w = world().await;
    w.parameter("webhook", "first-secret-in-ssm").await;
    let webhooks = w.webhooks(w.ssm_resolver());

    assert_eq!(w.post(&webhooks, "evt-1", "first-secret-in-ssm").await, 202);
    assert_eq!(w.post(&webhooks, "evt-2", "not-the-secret").await, 401);
    assert_eq!(
        w.post(&webhooks, "evt-3", &format!("ssm:{}/webhook", w.prefix))
            .await,
        401,
        "the reference itself is no secret"
    );

    // Rotated in SSM: this process keeps the value it read until the cache time is over.
    w.parameter("webhook", "second-secret-in-ssm").await;
    assert_eq!(
        w.post(&webhooks, "evt-4", "second-secret-in-ssm").await,
        401
    );
    assert_eq!(w.post(&webhooks, "evt-5", "first-secret-in-ssm").await, 202);
    w.clock.advance(Duration::seconds(SECRET_TTL_SECS));
    assert_eq!(
        w.post(&webhooks, "evt-6", "second-secret-in-ssm").await,
        202
    );
    assert_eq!(w.post(&webhooks, "evt-7", "first-secret-in-ssm").await, 401);

    // A process built without SSM cannot resolve the reference: 500 (the sender retries),
    // never an acceptance.
    let without = w.webhooks(Arc::new(ValueSecrets));
    assert_eq!(w.post(&without, "evt-8", "second-secret-in-ssm").await, 500);
    // A reference to a parameter that does not exist: 500 as well.
    let mut broken = TenantSecrets::new(tenant("t-ssm"));
    broken.webhook_secrets = vec![format!("ssm:{}/missing", w.prefix)];
    w.store
        .put_tenant_secrets(&broken)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        w.post(&webhooks, "evt-9", "second-secret-in-ssm").await,
        500
    );
    // During a rotation one readable secret is enough.
    broken
        .webhook_secrets
        .push(format!("ssm:{}/webhook", w.prefix));
    w.store
        .put_tenant_secrets(&broken)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        w.post(&webhooks, "evt-10", "second-secret-in-ssm").await,
        202
    );
}

/// Records what the sender POSTs.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

#[async_trait]
impl EventDelivery for Recorder {
    async fn post(&self, _url: &str, signature: &str, _body: Bytes) -> Result<u16, String> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(signature.to_string());
        Ok(204)
    }
}

#[tokio::test]
async fn the_sender_signs_with_an_events_secret_kept_in_ssm() {
    let w = world().await;
    w.parameter("events", "events-secret-in-ssm").await;
    let t = tenant("t-ssm");
    let mut config = TenantConfig::new(t.clone());
    config.events_url = Some("https://hooks.example.com/oms".into());
    w.store
        .put_tenant_config(&config)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let recorder = Arc::new(Recorder::default());
    let deps = SenderDeps {
        store: w.store.clone(),
        delivery: recorder.clone(),
        clock: w.clock.clone(),
        metrics: Arc::default(),
        secrets: w.ssm_resolver(),
    };
    let body = json!({"id": "e-1", "type": "order.placed", "tenant_id": "t-ssm", "version": 2,
                      "occurred_at": "2026-11-25T10:00:00Z", "data": {}})
    .to_string();
    let sent = oms_outbound::sender::send_one(&deps, &t, &body).await;
    assert_eq!(sent.ok(), Some(Sent::Delivered));
    let expected =
        oms_sync::signature::oms::sign("events-secret-in-ssm", w.clock.now_unix(), body.as_bytes());
    assert_eq!(
        recorder.0.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        [expected]
    );
    // Without SSM the event is not sent unsigned: the delivery fails and the queue retries it.
    let without = SenderDeps {
        secrets: Arc::new(ValueSecrets),
        ..deps
    };
    assert!(oms_outbound::sender::send_one(&without, &t, &body)
        .await
        .is_err());
}

/// A gateway that records the providers it is handed and reports a succeeded payment.
#[derive(Default)]
struct RecordingGateway(Mutex<Vec<oms_application::records::TenantProviders>>);

#[async_trait]
impl oms_application::ports::PaymentGateway for RecordingGateway {
    async fn fetch(
        &self,
        providers: &oms_application::records::TenantProviders,
        _method: oms_domain::order::PaymentMethod,
        transaction_id: &str,
    ) -> Result<
        Option<oms_application::ports::ProviderPayment>,
        oms_application::ports::ProviderError,
    > {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(providers.clone());
        let order_id = transaction_id.trim_start_matches("pi_").to_string();
        Ok(Some(oms_application::ports::ProviderPayment {
            transaction_id: transaction_id.to_string(),
            order_id: Some(order_id),
            amount: sgd("1000000.00"),
            succeeded: true,
        }))
    }
}

#[tokio::test]
async fn payment_confirmation_asks_the_provider_with_credentials_kept_in_ssm() {
    let w = world().await;
    w.parameter("stripe", "sk_test_kept_in_ssm").await;
    oms_server::demo::seed(w.store.as_ref())
        .await
        .unwrap_or_else(|e| panic!("seed: {e:#}"));
    let t = tenant(oms_server::demo::TENANT);
    edit_tenant_config(w.store.as_ref(), &t, |config| {
        config.stripe = Some(oms_application::records::ProviderEndpoint {
            base_url: "http://127.0.0.1:9/stripe".into(),
        });
    })
    .await;
    edit_tenant_secrets(w.store.as_ref(), &t, |secrets| {
        secrets.stripe = Some(format!("ssm:{}/stripe", w.prefix));
    })
    .await;

    let gateway = Arc::new(RecordingGateway::default());
    let oms = oms_application::Oms::new(w.store.clone(), w.clock.clone(), gateway.clone())
        .with_secrets(w.ssm_resolver());
    let caller = oms_application::caller::Caller {
        tenant: t.clone(),
        sub: oms_domain::ids::CustomerId::new(oms_server::demo::CUSTOMER)
            .unwrap_or_else(|e| panic!("{e}")),
        roles: vec![oms_domain::auth::Role::Customer],
        vendor_id: None,
        email: None,
        name: None,
        given_name: None,
        family_name: None,
        request_id: "test".into(),
    };
    let draft = oms
        .checkout_items(
            &caller,
            oms_application::usecases::CheckoutInput {
                vendor_id: oms_server::demo::VENDOR.into(),
                items: vec![oms_application::usecases::ItemInput {
                    sku: "MUG-01".into(),
                    quantity: 1,
                }],
                customer: None,
                destination: Some(oms_application::usecases::AddressInput {
                    street: "1 Raffles Place".into(),
                    city: "Singapore".into(),
                    state: None,
                    postal: "048616".into(),
                    country: "SG".into(),
                }),
                save_destination: false,
                idempotency_key: None,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("checkout: {e}"))
        .order;
    let id = draft.id.to_string();
    oms.change_draft(
        &caller,
        &id,
        None,
        oms_application::usecases::DraftChange::SelectShippingOption(
            oms_domain::catalog::ShippingMethod::Standard,
        ),
    )
    .await
    .unwrap_or_else(|e| panic!("shipping: {e}"));
    oms.place_order(&caller, &id, None, None)
        .await
        .unwrap_or_else(|e| panic!("place: {e}"));
    let confirmed = oms
        .confirm_order(
            &caller,
            &id,
            oms_domain::order::PaymentMethod::Stripe,
            Some(&format!("pi_{id}")),
        )
        .await
        .unwrap_or_else(|e| panic!("confirm: {e}"))
        .order;
    assert_eq!(confirmed.status, oms_domain::order::OrderStatus::Confirmed);
    let asked = gateway.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert_eq!(
        asked,
        [oms_application::records::TenantProviders {
            stripe: Some(oms_application::records::ProviderConfig {
                base_url: "http://127.0.0.1:9/stripe".into(),
                credentials: "sk_test_kept_in_ssm".into(),
            }),
            paypal: None,
        }]
    );
}
