//! The real `oms` binary, end to end: `oms serve --demo` on 127.0.0.1:0 with a fresh data dir,
//! then the README's quick-start walk-through (its queries, read from README.md, in its order)
//! over HTTP with the printed tokens; `oms token` output accepted by the running server;
//! `oms tenant put` making a tenant whose signed webhooks are accepted; `oms import` (template,
//! dry run, a good CSV, a bad CSV with a line/column report). The server is stopped with SIGINT
//! at the end (and killed by a guard on panic).
//!
//! The server, temp dir and HTTP client are in `support/`.

use std::path::Path;

use serde_json::{json, Value};

mod support;
use support::*;

/// The `gql $TOKEN '<query>'` / `gql $TOKEN "<query>"` calls of the README, in order, as
/// (token variable, query as the shell would pass it with `$ORDER` still in it).
fn readme_steps() -> Vec<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut steps = Vec::new();
    let mut rest = text.as_str();
    while let Some(pos) = rest.find("gql $") {
        rest = &rest[pos + "gql $".len()..];
        let var_end = rest.find(' ').expect("a token variable");
        let var = rest[..var_end].to_string();
        rest = rest[var_end..].trim_start_matches(' ');
        let mut chars = rest.char_indices();
        let (_, quote) = chars.next().expect("a quoted query");
        let mut query = String::new();
        let mut end = None;
        let mut escaped = false;
        for (i, c) in chars {
            if quote == '"' && escaped {
                // In double quotes the shell drops the backslash before " \ $ `.
                if !matches!(c, '"' | '\\' | '$' | '`') {
                    query.push('\\');
                }
                query.push(c);
                escaped = false;
            } else if quote == '"' && c == '\\' {
                escaped = true;
            } else if c == quote {
                end = Some(i);
                break;
            } else {
                query.push(c);
            }
        }
        let end = end.unwrap_or_else(|| panic!("unterminated query after gql ${var}"));
        assert!(
            quote == '\'' || quote == '"',
            "gql ${var} is not followed by a quoted query"
        );
        rest = &rest[end + 1..];
        steps.push((var, query));
    }
    steps
}

fn amount(v: &Value) -> &str {
    v["amount"]
        .as_str()
        .unwrap_or_else(|| panic!("no amount in {v}"))
}

fn no_user_errors(payload: &Value, step: &str) {
    assert_eq!(payload["userErrors"], json!([]), "{step}: {payload}");
}

const PRODUCT_HEADER: &str = "product_id,vendor_id,product_sku,product_name,product_price,product_currency,stock,package_weight,package_length,package_width,package_height";

#[test]
fn the_readme_quick_start_works_against_the_real_binary() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);

    // Health and GraphiQL.
    let (status, body) = http(&server.addr, "GET", "/healthz", &[], b"");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"status": "ok"})
    );
    let (status, body) = http(&server.addr, "GET", "/graphql", &[], b"");
    assert_eq!(status, 200);
    assert!(
        body.to_lowercase().contains("graphiql"),
        "GET /graphql should serve GraphiQL"
    );
    assert!(
        body.contains(&format!("Bearer {}", server.customer_token)),
        "with --demo, GraphiQL opens with the demo customer's token in its headers"
    );

    // The walk-through, exactly as the README has it.
    let steps = readme_steps();
    let expected: [(&str, &str); 12] = [
        ("CUSTOMER_TOKEN", "checkoutItems"),
        ("CUSTOMER_TOKEN", "addLineItems"),
        ("CUSTOMER_TOKEN", "addCoupon"),
        ("CUSTOMER_TOKEN", "listShippingOptions"),
        ("CUSTOMER_TOKEN", "selectShippingOption"),
        ("CUSTOMER_TOKEN", "placeOrder"),
        ("CUSTOMER_TOKEN", "confirmOrder"),
        ("VENDOR_TOKEN", "listOrders(as: VENDOR, status: CONFIRMED)"),
        ("VENDOR_TOKEN", "markAsShipped"),
        ("VENDOR_TOKEN", "addShippingTrackingReference"),
        ("VENDOR_TOKEN", "markAsCompleted"),
        ("CUSTOMER_TOKEN", "listOrders(as: CUSTOMER)"),
    ];
    assert_eq!(
        steps.len(),
        expected.len(),
        "the README's walk-through changed: {steps:#?}"
    );
    for ((var, query), (want_var, op)) in steps.iter().zip(expected) {
        assert_eq!(var, want_var, "README step {op} uses ${var}");
        assert!(
            query.contains(op),
            "README step order changed: expected {op} in {query}"
        );
    }

    let mut order_id = String::new();
    for (i, (var, query)) in steps.iter().enumerate() {
        let token = if var == "VENDOR_TOKEN" {
            &server.vendor_token
        } else {
            &server.customer_token
        };
        let query = query.replace("$ORDER", &order_id);
        let data = server.graphql(token, &query);
        let step = format!("README step {} ({})", i + 1, expected[i].1);
        match i {
            0 => {
                let p = &data["checkoutItems"];
                no_user_errors(p, &step);
                let o = &p["order"];
                order_id = o["id"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{step}: no id: {data}"))
                    .to_string();
                assert!(order_id.starts_with("ORD-"), "{step}: {order_id}");
                assert_eq!(o["version"], 1);
                assert_eq!(o["status"], "DRAFT");
                assert_eq!(o["subtotal"], json!({"amount": "20.00", "currency": "SGD"}));
                assert_eq!(amount(&o["total"]), "21.80");
            }
            1 => {
                let p = &data["addLineItems"];
                no_user_errors(p, &step);
                assert_eq!(p["order"]["version"], 2);
                assert_eq!(amount(&p["order"]["subtotal"]), "32.50");
            }
            2 => {
                let p = &data["addCoupon"];
                no_user_errors(p, &step);
                assert_eq!(amount(&p["order"]["discountTotal"]), "3.25");
                assert_eq!(
                    p["order"]["appliedOffers"],
                    json!([{"name": "Welcome 10% off", "discount": {"amount": "3.25"}}])
                );
            }
            3 => {
                let p = &data["listShippingOptions"];
                no_user_errors(p, &step);
                assert_eq!(
                    p["options"],
                    json!([
                        {"method": "STANDARD", "name": "Standard", "deliveryTime": "2-3 Days", "cost": {"amount": "8.75"}},
                        {"method": "EXPRESS", "name": "Express", "deliveryTime": "Next day", "cost": {"amount": "17.00"}},
                    ])
                );
            }
            4 => {
                let p = &data["selectShippingOption"];
                no_user_errors(p, &step);
                assert_eq!(amount(&p["order"]["shippingCost"]), "8.75");
                assert_eq!(
                    p["order"]["taxLines"],
                    json!([{"name": "GST", "rate": "9", "amount": {"amount": "3.42"}}])
                );
                assert_eq!(amount(&p["order"]["total"]), "41.42");
            }
            5 => {
                let p = &data["placeOrder"];
                no_user_errors(p, &step);
                assert_eq!(p["order"], json!({"status": "PENDING", "version": 5}));
            }
            6 => {
                let p = &data["confirmOrder"];
                no_user_errors(p, &step);
                assert_eq!(
                    p["order"],
                    json!({"status": "CONFIRMED", "payment": {"method": "CASH_ON_DELIVERY", "status": "UNPAID"}})
                );
            }
            7 => {
                let edges = data["listOrders"]["edges"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{step}: {data}"));
                assert_eq!(edges.len(), 1, "{step}: {data}");
                assert_eq!(
                    edges[0]["node"],
                    json!({"id": order_id, "total": {"amount": "41.42"}})
                );
            }
            8 => {
                let p = &data["markAsShipped"];
                no_user_errors(p, &step);
                assert_eq!(p["order"]["status"], "SHIPPED");
            }
            9 => {
                let p = &data["addShippingTrackingReference"];
                no_user_errors(p, &step);
                assert_eq!(
                    p["order"]["trackingReference"],
                    "https://track.example.com/X1"
                );
            }
            10 => {
                let p = &data["markAsCompleted"];
                no_user_errors(p, &step);
                assert_eq!(
                    p["order"],
                    json!({"status": "COMPLETED", "payment": {"status": "PAID", "paidAmount": {"amount": "41.42"}}})
                );
            }
            11 => {
                let edges = data["listOrders"]["edges"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{step}: {data}"));
                assert_eq!(edges.len(), 1, "{step}: {data}");
                assert_eq!(
                    edges[0]["node"],
                    json!({"id": order_id, "status": "COMPLETED", "total": {"amount": "41.42"}})
                );
            }
            _ => unreachable!(),
        }
    }

    // `oms token` (README: "More tokens") is accepted by the running server.
    let out = run(oms()
        .args([
            "token",
            "--tenant",
            "demo",
            "--sub",
            "c-2",
            "--roles",
            "customer",
            "--data-dir",
        ])
        .arg(&dir.0));
    assert!(
        out.status.success(),
        "oms token failed: {}",
        text(&out.stderr)
    );
    let c2 = text(&out.stdout).trim().to_string();
    assert_eq!(c2.split('.').count(), 3, "not a JWT: {c2}");
    let me = server.graphql(&c2, "{ me { sub tenantId roles } }");
    assert_eq!(
        me["me"],
        json!({"sub": "c-2", "tenantId": "demo", "roles": ["CUSTOMER"]})
    );
    let mine = server.graphql(
        &c2,
        "{ listOrders(as: CUSTOMER) { edges { node { id } } } }",
    );
    assert_eq!(
        mine["listOrders"]["edges"],
        json!([]),
        "c-2 must not see c-demo's order"
    );
    let out = run(oms()
        .args([
            "token",
            "--tenant",
            "demo",
            "--sub",
            "u-2",
            "--roles",
            "vendor",
            "--vendor-id",
            "v-demo",
            "--ttl",
            "30m",
            "--data-dir",
        ])
        .arg(&dir.0));
    assert!(
        out.status.success(),
        "oms token (vendor) failed: {}",
        text(&out.stderr)
    );
    let vendor2 = text(&out.stdout).trim().to_string();
    let theirs = server.graphql(
        &vendor2,
        "{ listOrders(as: VENDOR) { edges { node { id status } } } }",
    );
    assert_eq!(
        theirs["listOrders"]["edges"],
        json!([{"node": {"id": order_id, "status": "COMPLETED"}}])
    );

    // `oms tenant put` creates a tenant whose signed webhooks the running server accepts.
    let out = run(oms()
        .args([
            "tenant",
            "put",
            "acme",
            "--webhook-secret",
            "acme-secret-0001",
            "--data-dir",
        ])
        .arg(&dir.0));
    assert!(
        out.status.success(),
        "oms tenant put failed: {}",
        text(&out.stderr)
    );
    let body = json!({
        "id": "evt-acme-1", "type": "vendor_details.upserted", "tenant_id": "acme", "version": 1,
        "occurred_at": "2026-01-01T00:00:00Z", "data": {"vendor_id": "v-acme", "name": "Acme", "country": "SG"}
    })
    .to_string();
    let (status, reply) =
        server.post_signed_webhook("acme", "vendor-details", "acme-secret-0001", &body);
    assert_eq!(status, 202, "{reply}");
    // Signed with another tenant's secret.
    let (status, reply) =
        server.post_signed_webhook("acme", "vendor-details", "demo-webhook-secret", &body);
    assert_eq!(status, 401, "{reply}");

    // `oms import`: template, dry run, good file, bad file.
    let out = run(oms().args(["import", "--template", "vendor-products"]));
    assert!(
        out.status.success(),
        "oms import --template failed: {}",
        text(&out.stderr)
    );
    let template = text(&out.stdout);
    let lines: Vec<&str> = template.lines().collect();
    assert_eq!(lines.len(), 2, "header and one example row: {template}");
    for column in PRODUCT_HEADER.split(',') {
        assert!(
            lines[0].split(',').any(|c| c == column),
            "the template header lacks {column}: {}",
            lines[0]
        );
    }

    let good = dir.0.join("good.csv");
    std::fs::write(
        &good,
        format!("{PRODUCT_HEADER}\np-csv-tee,v-demo,CSV-TEE,CSV Tee,9.90,SGD,7,0.5,10,10,1\n"),
    )
    .unwrap();
    let checkout_tee = "mutation { checkoutItems(input: {vendorId: \"v-demo\", items: [{sku: \"CSV-TEE\", quantity: 1}]}) { order { lineItems { unitPrice { amount } } } userErrors { code } } }";

    let out = run(oms()
        .args([
            "import",
            "--tenant",
            "demo",
            "--kind",
            "vendor-products",
            "--dry-run",
            "--data-dir",
        ])
        .arg(&dir.0)
        .arg(&good));
    assert!(
        out.status.success(),
        "dry run failed: {} {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let data = server.graphql(&c2, checkout_tee);
    assert_eq!(
        data["checkoutItems"]["userErrors"],
        json!([{"code": "PRODUCT_UNAVAILABLE"}]),
        "a dry run imported the product"
    );

    let out = run(oms()
        .args([
            "import",
            "--tenant",
            "demo",
            "--kind",
            "vendor-products",
            "--data-dir",
        ])
        .arg(&dir.0)
        .arg(&good));
    assert!(
        out.status.success(),
        "import of a good file failed: {} {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let data = server.graphql(&c2, checkout_tee);
    assert_eq!(data["checkoutItems"]["userErrors"], json!([]), "{data}");
    assert_eq!(
        data["checkoutItems"]["order"]["lineItems"][0]["unitPrice"]["amount"],
        "9.90"
    );

    let bad = dir.0.join("bad.csv");
    std::fs::write(
        &bad,
        format!("{PRODUCT_HEADER}\np-bad-1,v-demo,BAD-1,Bad One,5.00,SGD,-5,0.5,10,10,1\np-bad-2,v-demo,BAD-2,Bad Two,abc,SGD,5,0.5,10,10,1\n"),
    )
    .unwrap();
    let out = run(oms()
        .args([
            "import",
            "--tenant",
            "demo",
            "--kind",
            "vendor-products",
            "--data-dir",
        ])
        .arg(&dir.0)
        .arg(&bad));
    assert!(
        !out.status.success(),
        "importing a bad file must exit non-zero"
    );
    let report = format!("{}{}", text(&out.stdout), text(&out.stderr));
    // One report line per bad row naming its physical line and column (the header is line 1).
    let reported = |line: &str, column: &str| {
        report
            .lines()
            .any(|l| l.contains(&format!("line {line}")) && l.contains(column))
    };
    assert!(
        reported("2", "stock"),
        "no line 2 / column stock in the report: {report}"
    );
    assert!(
        reported("3", "product_price"),
        "no line 3 / column product_price in the report: {report}"
    );
    let data = server.graphql(&c2, "mutation { checkoutItems(input: {vendorId: \"v-demo\", items: [{sku: \"BAD-1\", quantity: 1}]}) { order { id } userErrors { code } } }");
    assert_eq!(
        data["checkoutItems"]["userErrors"],
        json!([{"code": "PRODUCT_UNAVAILABLE"}]),
        "a bad row was imported"
    );

    server.stop();
}
