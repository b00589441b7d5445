//! Unit tests of `config`: each variable, valid and invalid.

use super::*;
use std::collections::HashMap;
use std::time::Duration;

fn read(vars: &[(&str, &str)]) -> (Config, Vec<String>) {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_env(&move |name: &str| map.get(name).cloned())
}

fn only(name: &str, value: &str) -> (Config, Vec<String>) {
    read(&[(name, value)])
}

#[test]
fn defaults_when_nothing_is_set() {
    let (config, warnings) = read(&[]);
    assert_eq!(config, Config::default());
    assert_eq!(config.flush, Strategy::Adaptive);
    assert_eq!(config.buffer.points, 100_000);
    assert_eq!(config.buffer.bytes, 2 * 1024 * 1024);
    assert_eq!(
        (config.limits.cardinality, config.limits.metrics),
        (2000, 1000)
    );
    assert!(config.platform_metrics);
    assert_eq!(config.temporality, Temporality::Delta);
    assert_eq!(config.histograms, HistogramAggregation::Exponential);
    assert_eq!(config.log_level, Level::Warn);
    assert!(warnings.is_empty());
}

#[test]
fn empty_values_count_as_unset() {
    let (config, warnings) = read(&[("METRICLINE_FLUSH", ""), ("METRICLINE_LOG", "  ")]);
    assert_eq!(config, Config::default());
    assert!(warnings.is_empty());
}

#[test]
fn flush_strategies() {
    let cases = [
        ("end", Strategy::End),
        ("END", Strategy::End),
        ("adaptive", Strategy::Adaptive),
        (
            "periodic,5000",
            Strategy::Periodic(Duration::from_millis(5000)),
        ),
        (
            "continuous, 250",
            Strategy::Continuous(Duration::from_millis(250)),
        ),
    ];
    for (raw, expected) in cases {
        let (config, warnings) = only("METRICLINE_FLUSH", raw);
        assert_eq!(config.flush, expected, "{raw}");
        assert!(warnings.is_empty(), "{raw}");
    }
}

#[test]
fn invalid_flush_warns_and_falls_back_to_adaptive() {
    for raw in [
        "periodic",
        "periodic,0",
        "periodic,-5",
        "continuous,abc",
        "end,10",
        "sometimes",
    ] {
        let (config, warnings) = only("METRICLINE_FLUSH", raw);
        assert_eq!(config.flush, Strategy::Adaptive, "{raw}");
        assert_eq!(warnings.len(), 1, "{raw}");
        assert!(warnings[0].contains("METRICLINE_FLUSH"));
        assert!(warnings[0].contains("periodic,<ms>"));
    }
}

#[test]
fn formats_subset_none_and_invalid() {
    let (config, warnings) = only("METRICLINE_FORMATS", "emf, Monitoring");
    assert_eq!(
        config.formats,
        Formats {
            monitoring: true,
            datadog: false,
            emf: true
        }
    );
    assert!(warnings.is_empty());

    let (config, _) = only("METRICLINE_FORMATS", "none");
    assert_eq!(
        config.formats,
        Formats {
            monitoring: false,
            datadog: false,
            emf: false
        }
    );

    for raw in ["emf,statsd", ","] {
        let (config, warnings) = only("METRICLINE_FORMATS", raw);
        assert_eq!(config.formats, Formats::default(), "{raw}");
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("METRICLINE_FORMATS"));
        assert!(warnings[0].contains("monitoring, datadog, emf"));
    }
}

#[test]
fn platform_metrics_switch() {
    assert!(
        !only("METRICLINE_PLATFORM_METRICS", "FALSE")
            .0
            .platform_metrics
    );
    assert!(
        only("METRICLINE_PLATFORM_METRICS", "true")
            .0
            .platform_metrics
    );
    let (config, warnings) = only("METRICLINE_PLATFORM_METRICS", "no");
    assert!(config.platform_metrics);
    assert!(warnings[0].contains("METRICLINE_PLATFORM_METRICS"));
    assert!(warnings[0].contains("true, false"));
}

#[test]
fn buffer_and_limits_must_be_positive_integers() {
    let read_one = |name: &str, raw: &str| {
        let (config, warnings) = only(name, raw);
        let values = [
            config.buffer.points,
            config.buffer.bytes,
            config.limits.cardinality,
            config.limits.metrics,
        ];
        (values, warnings)
    };
    let names = [
        "METRICLINE_BUFFER_POINTS",
        "METRICLINE_BUFFER_BYTES",
        "METRICLINE_CARDINALITY_LIMIT",
        "METRICLINE_METRIC_LIMIT",
    ];
    let (defaults, _) = read_one("unrelated", "");
    for (i, name) in names.into_iter().enumerate() {
        let (values, warnings) = read_one(name, "500");
        assert_eq!(values[i], 500, "{name}");
        assert!(warnings.is_empty());
        for raw in ["0", "-1", "1e3", "lots"] {
            let (values, warnings) = read_one(name, raw);
            assert_eq!(values, defaults, "{name}={raw}");
            assert!(warnings[0].contains(name));
            assert!(warnings[0].contains("positive integer"));
        }
    }
}

#[test]
fn log_level() {
    assert_eq!(only("METRICLINE_LOG", "debug").0.log_level, Level::Debug);
    let (config, warnings) = only("METRICLINE_LOG", "loud");
    assert_eq!(config.log_level, Level::Warn);
    assert!(warnings[0].contains("METRICLINE_LOG"));
    assert!(warnings[0].contains(Level::ACCEPTED));
}

#[test]
fn temporality_preference() {
    let var = "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE";
    assert_eq!(
        only(var, "Cumulative").0.temporality,
        Temporality::Cumulative
    );
    assert_eq!(only(var, "lowmemory").0.temporality, Temporality::Delta);
    assert_eq!(only(var, "delta").0.temporality, Temporality::Delta);
    let (config, warnings) = only(var, "sometimes");
    assert_eq!(config.temporality, Temporality::Delta);
    assert!(warnings[0].contains(var));
    assert!(warnings[0].contains("delta, cumulative, lowmemory"));
}

#[test]
fn histogram_aggregation() {
    let var = "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION";
    assert_eq!(
        only(var, "explicit_bucket_histogram").0.histograms,
        HistogramAggregation::ExplicitBuckets
    );
    assert_eq!(
        only(var, "BASE2_EXPONENTIAL_BUCKET_HISTOGRAM").0.histograms,
        HistogramAggregation::Exponential
    );
    let (config, warnings) = only(var, "linear");
    assert_eq!(config.histograms, HistogramAggregation::Exponential);
    assert!(warnings[0].contains(var));
}

#[test]
fn every_invalid_variable_gets_its_own_warning() {
    let (config, warnings) = read(&[
        ("METRICLINE_FLUSH", "x"),
        ("METRICLINE_BUFFER_POINTS", "x"),
        ("METRICLINE_LOG", "x"),
    ]);
    assert_eq!(config, Config::default());
    assert_eq!(warnings.len(), 3);
}

#[test]
fn sdk_disabled_is_case_insensitive() {
    let env =
        |v: &'static str| move |name: &str| (name == "OTEL_SDK_DISABLED").then(|| v.to_string());
    assert!(sdk_disabled(&env("TRUE")));
    assert!(sdk_disabled(&env("true")));
    assert!(!sdk_disabled(&env("false")));
    assert!(!sdk_disabled(&env("1")));
    assert!(!sdk_disabled(&|_: &str| None));
}

#[test]
fn export_interval_is_positive_milliseconds() {
    let var = "OTEL_METRIC_EXPORT_INTERVAL";
    assert_eq!(read(&[]).0.export_interval, Duration::from_millis(10_000));
    assert_eq!(
        only(var, "250").0.export_interval,
        Duration::from_millis(250)
    );
    for bad in ["0", "-5", "10s", "1.5"] {
        let (config, warnings) = only(var, bad);
        assert_eq!(
            config.export_interval,
            Duration::from_millis(10_000),
            "{bad}"
        );
        assert!(
            warnings[0].contains(var) && warnings[0].contains(bad),
            "{bad}"
        );
    }
}

#[test]
fn managed_instances_from_the_initialization_type() {
    let env = |v: &'static str| {
        move |name: &str| (name == "AWS_LAMBDA_INITIALIZATION_TYPE").then(|| v.to_string())
    };
    assert!(managed_instances(&env("lambda-managed-instances")));
    assert!(!managed_instances(&env("on-demand")));
    assert!(!managed_instances(&env("provisioned-concurrency")));
    assert!(!managed_instances(&|_: &str| None));
}

#[test]
fn statsd_address_or_off() {
    assert_eq!(read(&[]).0.statsd, Some("127.0.0.1:8125".parse().unwrap()));
    for (raw, expected) in [
        ("off", None),
        ("OFF", None),
        ("127.0.0.1:9125", Some("127.0.0.1:9125")),
        ("localhost:8126", Some("127.0.0.1:8126")),
        ("0.0.0.0:8125", Some("0.0.0.0:8125")),
        ("[::1]:8125", Some("[::1]:8125")),
    ] {
        let (config, warnings) = only("METRICLINE_STATSD", raw);
        let expected = expected.map(|a| a.parse::<std::net::SocketAddr>().unwrap());
        assert_eq!(config.statsd, expected, "{raw}");
        assert!(warnings.is_empty(), "{raw}");
    }
    for raw in [
        "8125",
        "localhost",
        "on",
        "127.0.0.1:99999",
        "example.com:8125",
    ] {
        let (config, warnings) = only("METRICLINE_STATSD", raw);
        assert_eq!(config.statsd, Config::default().statsd, "{raw}");
        assert_eq!(warnings.len(), 1, "{raw}");
        assert!(warnings[0].contains("METRICLINE_STATSD"), "{raw}");
        assert!(warnings[0].contains("off, or <ip>:<port>"), "{raw}");
    }
}
