//! CloudWatch metrics in embedded metric format (EMF): one JSON line on stdout per invocation,
//! which Lambda's log pipeline turns into metrics (namespace `OMS`, dimension `Function`) with no
//! API call and no extra latency. The names are [`Metric`]s (`oms_application::metrics`); the
//! counts come from the handlers' recorder or batch reports. `oms serve` never writes them.

use oms_application::metrics::Metric;
use serde_json::{json, Map, Value};

/// The EMF line for `metrics` (name, count) of `function` at `timestamp_ms`. Zero counts are
/// kept: a metric that reads 0 is information (nothing failed), not a gap. `tenant`, when given,
/// is a property of the line (searchable in Logs Insights), never a dimension: metrics stay one
/// series per function whatever the number of tenants.
pub fn emf_line(
    function: &str,
    timestamp_ms: i64,
    tenant: Option<&str>,
    metrics: &[(Metric, u64)],
) -> String {
    let definitions: Vec<Value> = metrics
        .iter()
        .map(|(metric, _)| json!({"Name": metric.name(), "Unit": metric.unit()}))
        .collect();
    let mut line = Map::new();
    line.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": "OMS",
                "Dimensions": [["Function"]],
                "Metrics": definitions,
            }],
        }),
    );
    line.insert("Function".into(), json!(function));
    if let Some(tenant) = tenant {
        line.insert("Tenant".into(), json!(tenant));
    }
    for (metric, value) in metrics {
        line.insert(metric.name().to_string(), json!(value));
    }
    Value::Object(line).to_string()
}

/// Writes the EMF line (stdout: Lambda ships it to CloudWatch Logs as is).
pub fn emit(function: &str, timestamp_ms: i64, tenant: Option<&str>, metrics: &[(Metric, u64)]) {
    println!("{}", emf_line(function, timestamp_ms, tenant, metrics));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emf_line_declares_every_metric_and_carries_its_value() {
        let line = emf_line(
            "outbox-relay",
            1_795_600_800_000,
            None,
            &[(Metric::EventsRelayed, 3), (Metric::RelayFailures, 0)],
        );
        let v: Value = serde_json::from_str(&line).unwrap_or_default();
        assert_eq!(v["_aws"]["Timestamp"], 1_795_600_800_000i64);
        let directive = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "OMS");
        assert_eq!(directive["Dimensions"], json!([["Function"]]));
        assert_eq!(
            directive["Metrics"],
            json!([{"Name": "EventsRelayed", "Unit": "Count"}, {"Name": "RelayFailures", "Unit": "Count"}])
        );
        assert_eq!(v["Function"], "outbox-relay");
        assert_eq!(
            (v["EventsRelayed"].as_u64(), v["RelayFailures"].as_u64()),
            (Some(3), Some(0))
        );
        assert!(v.get("Tenant").is_none());
        assert!(!line.contains('\n'), "one line");
    }

    #[test]
    fn the_tenant_is_a_property_never_a_dimension() {
        let line = emf_line(
            "graphql-checkout",
            1_795_600_800_000,
            Some("shop-1"),
            &[(Metric::OrdersPlaced, 1)],
        );
        let v: Value = serde_json::from_str(&line).unwrap_or_default();
        assert_eq!(v["Tenant"], "shop-1");
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Function"]])
        );
        assert_eq!(v["OrdersPlaced"], 1);
    }
}
