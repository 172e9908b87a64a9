//! The original OMS's senders over HTTP (`/webhook/wss/{tenant}/{legacy_kind}`, docs/webhooks.md)
//! with the golden vectors, and the per-group GraphQL routes (`/graphql/{group}`).

use oms_application::records::{TenantConfig, TenantSecrets};
use oms_e2e::{spawn_app, tenant, Backend};
use oms_sync::golden::{SECRET, TENANT, VECTORS};
use serde_json::{json, Value};

async fn post_legacy(
    app: &oms_e2e::TestApp,
    kind: &str,
    body: &str,
    signature: &str,
) -> (u16, Value) {
    let response = app
        .http
        .post(format!("{}/webhook/wss/{TENANT}/{kind}", app.base_url))
        .header("X-Wss-Signature", signature)
        .header(
            "X-Wss-Timestamp",
            chrono::Utc::now().timestamp().to_string(),
        )
        .body(body.to_string())
        .send()
        .await
        .expect("POST legacy webhook");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_originals_golden_vectors_are_accepted_once_over_http_for_a_legacy_tenant() {
    let app = spawn_app(Backend::Embedded).await;
    let (kind, signature, body) = VECTORS[2];

    // Not enabled for the tenant yet: refused, nothing written.
    let writes = app.writes();
    let (status, _) = post_legacy(&app, kind, body, signature).await;
    assert_eq!(
        status, 404,
        "a tenant without legacy senders does not exist for the legacy route"
    );
    assert_eq!(app.writes(), writes);

    let mut secrets = TenantSecrets::new(tenant(TENANT));
    secrets.webhook_secrets = vec![SECRET.to_string()];
    app.store
        .put_tenant_secrets(&secrets)
        .await
        .expect("tenant secrets");
    let mut config = TenantConfig::new(tenant(TENANT));
    config.legacy_wss = true;
    app.store
        .put_tenant_config(&config)
        .await
        .expect("tenant config");

    for (kind, signature, body) in VECTORS {
        let (status, reply) = post_legacy(&app, kind, body, signature).await;
        assert_eq!(status, 200, "{kind}: {reply}");
        assert_eq!(reply["success"], json!(true), "{kind}: {reply}");
    }
    // Every vector was applied (the in-process queue drains), and the vendor is visible.
    app.wait_idle().await;
    let vendor = app
        .store
        .load_catalog(
            &tenant(TENANT),
            &oms_application::ports::CatalogRequest {
                vendor_id: Some(oms_domain::ids::VendorId::new("v-234").expect("id")),
                ..Default::default()
            },
        )
        .await
        .expect("catalog");
    assert_eq!(
        vendor.vendor.map(|v| (v.name, v.country.to_string())),
        Some(("Vendor1".into(), "SG".into()))
    );
    assert_eq!(vendor.shipping_options.len(), 1);
    // The same signed request again is a replay: acknowledged, changes nothing.
    let writes = app.writes();
    let (status, reply) = post_legacy(&app, kind, body, signature).await;
    assert_eq!(
        (status, reply),
        (200, json!({"accepted": true, "duplicate": true}))
    );
    assert_eq!(app.writes(), writes);
    // A tampered body fails the signature.
    let (status, _) = post_legacy(&app, kind, &body.replace("Vendor1", "Vendor2"), signature).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn each_resolver_group_serves_its_part_of_the_schema() {
    let app = spawn_app(Backend::Embedded).await;
    let token = app.customer_token();
    let post = |group: &'static str, query: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            app.http
                .post(format!("{}/graphql/{group}", app.base_url))
                .bearer_auth(token)
                .json(&json!({"query": query}))
                .send()
                .await
                .expect("POST group")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    let me = post("account", "{ me { sub tenantId roles } }").await;
    assert_eq!(me["data"]["me"]["sub"], json!("c-demo"), "{me}");
    let list = post(
        "orders",
        "{ listOrders(as: CUSTOMER) { edges { cursor } } }",
    )
    .await;
    assert!(list["data"]["listOrders"]["edges"].is_array(), "{list}");
    // The checkout group has no `me`: a validation error, not a silent null.
    let wrong = post("checkout", "{ me { sub } }").await;
    assert!(
        wrong["errors"].is_array() && wrong["data"].is_null(),
        "{wrong}"
    );
    let unknown = app
        .http
        .post(format!("{}/graphql/nope", app.base_url))
        .bearer_auth(&token)
        .json(&json!({"query": "{ me { sub } }"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(unknown.status().as_u16(), 404);
}
