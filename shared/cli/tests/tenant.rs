//! `oms tenant put` / `oms tenant get` through the real binary on a temp data dir: the sample
//! tenant file (infra/samples/tenant.json) put and read back masked, flags over the file, settings
//! not given kept, bad files refused with a message naming the problem and nothing stored; and a
//! tenant's own tax-inclusive rule pricing an order through `oms serve`.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{json, Value};

mod support;
use support::*;

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/samples/tenant.json")
}

fn tenant(dir: &TempDir, args: &[&str]) -> Output {
    run(oms().arg("tenant").args(args).arg("--data-dir").arg(&dir.0))
}

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({}): {}",
        out.status,
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// `oms tenant get` as JSON.
fn get(dir: &TempDir, name: &str) -> Value {
    let stdout = ok(&tenant(dir, &["get", name]), "oms tenant get");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

/// A refused command: a failure exit, the message on stderr, nothing on stdout.
fn refused(out: &Output) -> String {
    assert!(!out.status.success(), "accepted: {}", text(&out.stdout));
    assert_eq!(text(&out.stdout), "", "a refusal prints nothing on stdout");
    text(&out.stderr)
}

#[test]
fn a_tenant_file_is_put_read_back_masked_and_overridden_by_flags() {
    let dir = TempDir::new();
    let file = sample();
    let file_arg = file.to_string_lossy().to_string();
    let out = ok(
        &tenant(&dir, &["put", "acme", "--file", &file_arg]),
        "oms tenant put --file",
    );
    assert!(out.contains("tenant acme saved"), "{out}");
    assert!(out.contains("3 tax rule(s), prices include tax"), "{out}");
    let shown = get(&dir, "acme");
    assert_eq!(
        shown,
        json!({
            "tenant": "acme",
            "webhook_secrets": ["****-1"],
            "legacy_wss": false,
            "events_url": "https://hooks.example.com/oms-events",
            "events_secret": "****-1",
            "pending_hold": "30m",
            "draft_ttl": "30d",
            "taxes": [
                {"country": "SG", "name": "GST", "rate": "9", "shipping_taxable": true},
                {"country": "AU", "name": "GST", "rate": "10", "shipping_taxable": true},
                {"country": "NZ", "name": "GST", "rate": "15", "shipping_taxable": true}
            ],
            "prices_include_tax": true,
            "stripe": {"key": "****le", "base_url": "https://api.stripe.com"},
            "paypal": {"client_id": "acme-paypal-client", "secret": "****et", "base_url": "https://api-m.sandbox.paypal.com"}
        })
    );
    let raw = serde_json::to_string(&shown).unwrap_or_default();
    for secret in [
        "acme-webhook-secret-1",
        "acme-events-secret-1",
        "sk_test_acme_example",
        "acme-paypal-secret",
    ] {
        assert!(!raw.contains(secret), "{secret} printed by get");
    }

    // Flags override the file.
    ok(
        &tenant(
            &dir,
            &[
                "put",
                "acme",
                "--file",
                &file_arg,
                "--prices-include-tax=false",
                "--tax",
                "SG:GST:8",
                "--tax",
                "US/CA:CA State Tax:7.5:shipping",
                "--stripe-base-url",
                "http://127.0.0.1:9/stripe",
                "--pending-hold",
                "2h",
            ],
        ),
        "put with overrides",
    );
    let shown = get(&dir, "acme");
    assert_eq!(shown["prices_include_tax"], false);
    assert_eq!(
        shown["taxes"],
        json!([
            {"country": "SG", "name": "GST", "rate": "8", "shipping_taxable": false},
            {"country": "US", "region": "CA", "name": "CA State Tax", "rate": "7.5", "shipping_taxable": true}
        ])
    );
    assert_eq!(
        shown["stripe"],
        json!({"key": "****le", "base_url": "http://127.0.0.1:9/stripe"})
    );
    assert_eq!(shown["pending_hold"], "2h");

    // Without a file, settings not given are kept; --clear-taxes goes back to the defaults.
    ok(
        &tenant(
            &dir,
            &[
                "put",
                "acme",
                "--paypal-secret",
                "rotated-secret-42",
                "--clear-taxes",
            ],
        ),
        "put a rotation",
    );
    let after = get(&dir, "acme");
    assert_eq!(after["taxes"], "default");
    assert_eq!(
        after["paypal"],
        json!({"client_id": "acme-paypal-client", "secret": "****42", "base_url": "https://api-m.sandbox.paypal.com"})
    );
    for key in [
        "webhook_secrets",
        "events_url",
        "stripe",
        "pending_hold",
        "prices_include_tax",
    ] {
        assert_eq!(after[key], shown[key], "{key} changed");
    }

    // Secrets may be SSM references (resolved by the functions that read them): stored as
    // they are and shown in full, since a reference is no secret.
    ok(
        &tenant(
            &dir,
            &[
                "put",
                "acme",
                "--stripe-key",
                "ssm:/oms/acme/stripe-key",
                "--webhook-secret",
                "ssm:/oms/acme/webhook",
                "--webhook-secret",
                "acme-webhook-secret-2",
            ],
        ),
        "put references",
    );
    let referenced = get(&dir, "acme");
    assert_eq!(
        referenced["stripe"]["key"], "ssm:/oms/acme/stripe-key",
        "{referenced}"
    );
    assert_eq!(
        referenced["webhook_secrets"],
        json!(["ssm:/oms/acme/webhook", "****-2"])
    );
    let stderr = refused(&tenant(&dir, &["put", "acme", "--events-secret", "ssm:"]));
    assert!(stderr.contains("is not an SSM reference"), "{stderr}");
}

#[test]
fn bad_tenant_files_are_refused_with_the_reason_and_store_nothing() {
    let dir = TempDir::new();
    let write = |name: &str, body: &str| {
        let path = dir.0.join(name);
        std::fs::write(&path, body).unwrap_or_else(|e| panic!("{e}"));
        path.to_string_lossy().to_string()
    };
    let cases = [
        (
            write(
                "typo.json",
                r#"{"webhook_secrets": ["secret-0001"], "taxs": []}"#,
            ),
            "unknown key 'taxs'",
        ),
        (
            write(
                "nested.json",
                r#"{"webhook_secrets": ["secret-0001"], "paypal": {"client_id": "x", "secret": "y", "sandbox": true}}"#,
            ),
            "unknown key 'paypal.sandbox'",
        ),
        (
            write(
                "rule.json",
                r#"{"webhook_secrets": ["secret-0001"], "taxes": [{"country": "SG", "name": "GST", "rate": "109"}]}"#,
            ),
            "taxes[0].rate: '109' is not a percentage from 0 to 100",
        ),
        (
            write("broken.json", "{\n  \"legacy_wss\": true,\n}"),
            "not JSON",
        ),
        (
            write(
                "other.json",
                r#"{"tenant": "globex", "webhook_secrets": ["secret-0001"]}"#,
            ),
            "the file is for tenant 'globex', not 'acme'",
        ),
        (
            write("masked.json", r#"{"webhook_secrets": ["****01"]}"#),
            "webhook_secrets[0]: '****01' is a masked value",
        ),
        (
            dir.0.join("missing.json").to_string_lossy().to_string(),
            "reading the tenant file",
        ),
    ];
    for (path, says) in &cases {
        let stderr = refused(&tenant(&dir, &["put", "acme", "--file", path]));
        assert!(stderr.contains(says), "{path}: {stderr}");
        let name = Path::new(path)
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        assert!(
            stderr.contains(&name),
            "the message names the file: {stderr}"
        );
    }
    let broken = refused(&tenant(&dir, &["put", "acme", "--file", &cases[3].0]));
    assert!(broken.contains("line 3"), "where the JSON breaks: {broken}");
    let flag = refused(&tenant(
        &dir,
        &[
            "put",
            "acme",
            "--webhook-secret",
            "secret-0001",
            "--tax",
            "SG:GST",
        ],
    ));
    assert!(flag.contains("COUNTRY[/REGION]:NAME:RATE"), "{flag}");
    let missing = refused(&tenant(&dir, &["get", "acme"]));
    assert!(
        missing.contains("no tenant 'acme'"),
        "nothing was stored: {missing}"
    );
}

fn amount(v: &Value) -> &str {
    v["amount"].as_str().unwrap_or_default()
}

fn no_user_errors(payload: &Value) {
    assert_eq!(payload["userErrors"], json!([]), "{payload:#}");
}

#[test]
fn the_tenants_own_inclusive_tax_prices_an_order_through_the_server() {
    let dir = TempDir::new();
    // Configured before the server starts (`--demo` keeps an existing configuration; a running
    // server may keep a tenant's configuration cached for a while).
    ok(
        &tenant(
            &dir,
            &[
                "put",
                "demo",
                "--webhook-secret",
                "demo-webhook-secret",
                "--tax",
                "SG:GST:9:shipping",
                "--prices-include-tax",
            ],
        ),
        "oms tenant put demo",
    );
    let server = Server::start(&dir.0);
    let order_fields = "id subtotal { amount } shippingCost { amount } taxLines { name rate amount { amount } included } taxTotal { amount } total { amount } pricesIncludeTax";
    let data = server.graphql(
        &server.customer_token,
        &format!(
            "mutation {{ checkoutItems(input: {{vendorId: \"v-demo\", items: [{{sku: \"T-SHIRT-L\", quantity: 2}}], \
             destination: {{street: \"1 Raffles Place\", city: \"Singapore\", postal: \"048616\", country: \"SG\"}}}}) \
             {{ order {{ {order_fields} }} userErrors {{ code message }} }} }}"
        ),
    );
    let p = &data["checkoutItems"];
    no_user_errors(p);
    let order = &p["order"];
    let id = order["id"].as_str().unwrap_or_default().to_string();
    // 2 × 10.00 contains 20.00 × 9 / 109 = 1.651… → 1.65 GST; the total is the shelf price.
    assert_eq!(amount(&order["subtotal"]), "20.00");
    assert_eq!(
        order["taxLines"],
        json!([{"name": "GST", "rate": "9", "amount": {"amount": "1.65"}, "included": true}])
    );
    assert_eq!(amount(&order["total"]), "20.00");
    assert_eq!(order["pricesIncludeTax"], true);

    let data = server.graphql(
        &server.customer_token,
        &format!(
            "mutation {{ selectShippingOption(input: {{orderId: \"{id}\", method: STANDARD}}) \
             {{ order {{ {order_fields} }} userErrors {{ code message }} }} }}"
        ),
    );
    let p = &data["selectShippingOption"];
    no_user_errors(p);
    // Standard 5.00 + 1.50 × 2 kg = 8.00, also tax-inclusive, its tax extracted as a line of its
    // own: 1.65 + 8.00 × 9 / 109 = 0.6605… → 0.66 = 2.31.
    assert_eq!(amount(&p["order"]["shippingCost"]), "8.00");
    assert_eq!(amount(&p["order"]["taxLines"][0]["amount"]), "2.31");
    assert_eq!(amount(&p["order"]["taxTotal"]), "2.31");
    assert_eq!(amount(&p["order"]["total"]), "28.00");

    let data = server.graphql(
        &server.customer_token,
        &format!(
            "mutation {{ placeOrder(input: {{orderId: \"{id}\", idempotencyKey: \"incl-1\"}}) \
             {{ order {{ status {order_fields} }} userErrors {{ code message }} }} }}"
        ),
    );
    let p = &data["placeOrder"];
    no_user_errors(p);
    assert_eq!(p["order"]["status"], "PENDING");
    assert_eq!(amount(&p["order"]["total"]), "28.00");
    assert_eq!(p["order"]["taxLines"][0]["included"], true);

    // Back to exclusive prices (the server restarted on the same data): a new order gets GST
    // added on top (20.00 + 1.80).
    server.stop();
    ok(
        &tenant(&dir, &["put", "demo", "--prices-include-tax=false"]),
        "oms tenant put demo exclusive",
    );
    let server = Server::start(&dir.0);
    let data = server.graphql(
        &server.customer_token,
        &format!(
            "mutation {{ checkoutItems(input: {{vendorId: \"v-demo\", items: [{{sku: \"T-SHIRT-L\", quantity: 2}}], \
             destination: {{street: \"1 Raffles Place\", city: \"Singapore\", postal: \"048616\", country: \"SG\"}}}}) \
             {{ order {{ {order_fields} }} userErrors {{ code message }} }} }}"
        ),
    );
    let order = &data["checkoutItems"]["order"];
    assert_eq!(amount(&order["taxTotal"]), "1.80");
    assert_eq!(amount(&order["total"]), "21.80");
    assert_eq!(order["pricesIncludeTax"], false);
    server.stop();
}
