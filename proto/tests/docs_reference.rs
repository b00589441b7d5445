//! docs/metrics.md against the code: every platform metric with its kind and unit, and
//! every rejection reason, so the reference cannot drift from what is exported.

use metricline_proto::lines::Reason;
use metricline_proto::platform::metrics;
use metricline_proto::Kind;

fn metrics_md() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/metrics.md"))
        .expect("docs/metrics.md")
}

#[test]
fn docs_metrics_md_lists_every_platform_metric_with_its_kind_and_unit() {
    let doc = metrics_md();
    let table = doc
        .split("## Platform metrics")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a Platform metrics section");
    let mut documented: Vec<(String, String, String)> = table
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|row| {
            let cells: Vec<&str> = row.split('|').map(|c| c.trim().trim_matches('`')).collect();
            (cells[1].into(), cells[2].into(), cells[3].into())
        })
        .collect();
    let mut built: Vec<(String, String, String)> = metrics::ALL
        .iter()
        .map(|m| {
            let kind = match m.kind {
                Kind::Sum => "sum",
                Kind::UpDownSum => "up-down sum",
                Kind::Gauge => "gauge",
                Kind::Histogram => "histogram",
            };
            (m.name.into(), kind.into(), m.unit.into())
        })
        .collect();
    documented.sort();
    built.sort();
    assert_eq!(documented, built);
}

#[test]
fn docs_metrics_md_names_every_rejection_reason() {
    let doc = metrics_md();
    let missing: Vec<&str> = Reason::ALL
        .iter()
        .map(|r| r.as_str())
        .filter(|r| !doc.contains(&format!("`{r}`")))
        .collect();
    assert!(missing.is_empty(), "not in docs/metrics.md: {missing:?}");
}
