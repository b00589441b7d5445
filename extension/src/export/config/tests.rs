//! Unit tests of the exporter configuration: endpoint resolution, headers, timeout,
//! compression and the warnings a user sees for bad values.

use super::*;

fn config(vars: &[(&str, &str)]) -> (ExporterConfig, Vec<String>) {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ExporterConfig::from_env(&move |name: &str| {
        vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })
}

#[test]
fn defaults_are_http_protobuf_to_localhost_4318_without_warnings() {
    let (c, warnings) = config(&[]);
    assert_eq!(c.protocol, Protocol::HttpProtobuf);
    assert_eq!(c.endpoint, "http://localhost:4318/v1/metrics");
    assert_eq!(c.timeout(), Duration::from_secs(10));
    assert_eq!(c.compression, Compression::None);
    assert!(c.headers.is_empty());
    assert!(c.certificate.is_none());
    assert!(warnings.is_empty());
}

#[test]
fn grpc_defaults_to_localhost_4317_and_names_the_export_method() {
    let (c, _) = config(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]);
    assert_eq!(c.protocol, Protocol::Grpc);
    assert_eq!(
        c.endpoint,
        "http://localhost:4317/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"
    );
}

#[test]
fn generic_endpoint_is_a_base_url_with_exactly_one_slash_before_v1_metrics() {
    for (base, expected) in [
        ("http://collector:4318", "http://collector:4318/v1/metrics"),
        ("http://collector:4318/", "http://collector:4318/v1/metrics"),
        (
            "https://otlp.example.com/prefix",
            "https://otlp.example.com/prefix/v1/metrics",
        ),
        (
            "https://otlp.example.com/prefix/",
            "https://otlp.example.com/prefix/v1/metrics",
        ),
    ] {
        let (c, warnings) = config(&[("OTEL_EXPORTER_OTLP_ENDPOINT", base)]);
        assert_eq!(c.endpoint, expected, "base {base}");
        assert!(warnings.is_empty());
    }
}

#[test]
fn metrics_endpoint_is_used_as_is_and_wins_over_the_generic_one() {
    let (c, _) = config(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://generic:4318"),
        (
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
            "https://backend.example.com/custom/ingest",
        ),
    ]);
    assert_eq!(c.endpoint, "https://backend.example.com/custom/ingest");
    let (c, _) = config(&[("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://backend:9000")]);
    assert_eq!(c.endpoint.path(), "/");
    assert_eq!(c.endpoint.authority().unwrap(), "backend:9000");
}

#[test]
fn grpc_endpoint_keeps_scheme_host_and_port() {
    let (c, _) = config(&[
        ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "grpc"),
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "https://collector.example.com:4317/",
        ),
    ]);
    assert_eq!(c.endpoint.scheme_str(), Some("https"));
    assert_eq!(
        c.endpoint.authority().unwrap(),
        "collector.example.com:4317"
    );
    assert_eq!(c.endpoint.path(), GRPC_EXPORT_PATH);
}

#[test]
fn an_invalid_endpoint_warns_and_uses_the_default() {
    let (c, warnings) = config(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")]);
    assert_eq!(c.endpoint, "http://localhost:4318/v1/metrics");
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].contains("OTEL_EXPORTER_OTLP_ENDPOINT"),
        "{warnings:?}"
    );
}

#[test]
fn per_signal_overrides_win_for_every_option() {
    let (c, warnings) = config(&[
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/json"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "1000"),
        ("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "2500"),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "none"),
        ("OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", "gzip"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "a=1"),
        ("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "b=2"),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/generic.pem"),
        ("OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE", "/metrics.pem"),
    ]);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(c.protocol, Protocol::HttpJson);
    assert_eq!(c.timeout(), Duration::from_millis(2500));
    assert_eq!(c.compression, Compression::Gzip);
    assert_eq!(c.headers.len(), 1);
    assert_eq!(c.headers[0].0, "b");
    assert_eq!(c.certificate, Some(PathBuf::from("/metrics.pem")));
}

#[test]
fn empty_values_count_as_unset() {
    let (c, warnings) = config(&[
        ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", ""),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "  "),
    ]);
    assert_eq!(c.protocol, Protocol::Grpc);
    assert_eq!(c.timeout(), Duration::from_secs(10));
    assert!(warnings.is_empty());
}

#[test]
fn headers_are_trimmed_and_percent_decoded() {
    let (headers, skipped) = parse_headers(
        " api-key = secret%20value , X-Tenant=a%2Cb%3Dc,, Authorization=Basic%20dXNlcg%3D%3D ",
    );
    assert_eq!(skipped, 0);
    let pairs: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("api-key".to_string(), "secret value".to_string()),
            ("x-tenant".to_string(), "a,b=c".to_string()),
            ("authorization".to_string(), "Basic dXNlcg==".to_string()),
        ]
    );
    assert!(headers.iter().all(|(_, v)| v.is_sensitive()));
}

#[test]
fn malformed_header_entries_are_skipped_and_warned_without_their_values() {
    let (c, warnings) = config(&[(
        "OTEL_EXPORTER_OTLP_HEADERS",
        "good=1,BearerTopSecret,bad name=2,=3,ok=snea%0Aky",
    )]);
    assert_eq!(c.headers.len(), 1);
    assert_eq!(c.headers[0].0, "good");
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].contains("OTEL_EXPORTER_OTLP_HEADERS"));
    assert!(warnings[0].contains("skipped 4"), "{}", warnings[0]);
    assert!(!warnings[0].contains("TopSecret") && !warnings[0].contains("snea"));
    assert!(
        !format!("{c:?}").contains("1\""),
        "Debug must hide header values: {c:?}"
    );
}

#[test]
fn percent_decoding_keeps_a_lone_percent_sign() {
    assert_eq!(percent_decode("100%"), b"100%");
    assert_eq!(percent_decode("%zz%41"), b"%zzA");
    assert_eq!(percent_decode("%e2%82%ac"), "€".as_bytes());
}

#[test]
fn timeout_is_milliseconds_with_zero_meaning_no_limit() {
    assert_eq!(parse_timeout("1500"), Some(Duration::from_millis(1500)));
    assert!(parse_timeout("0").unwrap() >= Duration::from_secs(15 * 60));
    assert_eq!(parse_timeout("-5"), None);
    assert_eq!(parse_timeout("10s"), None);
    assert_eq!(parse_timeout("1.5"), None);
}

#[test]
fn invalid_timeout_warns_naming_the_variable_and_uses_the_default() {
    let (c, warnings) = config(&[("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "-1")]);
    assert_eq!(c.timeout(), Duration::from_secs(10));
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].starts_with("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT"));
    assert!(warnings[0].contains("milliseconds"));
}

#[test]
fn protocol_and_compression_are_case_insensitive_and_warn_when_unknown() {
    assert_eq!(parse_protocol("HTTP/JSON"), Some(Protocol::HttpJson));
    assert_eq!(parse_protocol("http"), None);
    assert_eq!(parse_compression(" GZIP "), Some(Compression::Gzip));
    assert_eq!(parse_compression("zstd"), None);
    let (c, warnings) = config(&[
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "thrift"),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "br"),
    ]);
    assert_eq!(c.protocol, Protocol::HttpProtobuf);
    assert_eq!(c.compression, Compression::None);
    assert_eq!(warnings.len(), 2);
    assert!(warnings[0].contains("grpc, http/protobuf, http/json"));
    assert!(warnings[1].contains("gzip, none"));
}

fn signal_config(signal: Signal, vars: &[(&str, &str)]) -> (ExporterConfig, Vec<String>) {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ExporterConfig::for_signal(
        &move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
        signal,
    )
}

#[test]
fn a_grpc_endpoint_without_a_scheme_is_tls_unless_insecure_is_true() {
    let grpc = ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
    let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317");
    for (insecure, scheme) in [
        (None, "https"),
        (Some("false"), "https"),
        (Some("FALSE"), "https"),
        (Some("true"), "http"),
        (Some(" True "), "http"),
    ] {
        let mut vars = vec![grpc, endpoint];
        if let Some(value) = insecure {
            vars.push(("OTEL_EXPORTER_OTLP_INSECURE", value));
        }
        let (c, warnings) = config(&vars);
        assert!(warnings.is_empty(), "{insecure:?}: {warnings:?}");
        assert_eq!(c.endpoint.scheme_str(), Some(scheme), "{insecure:?}");
        assert_eq!(c.endpoint.authority().unwrap(), "collector:4317");
        assert_eq!(c.endpoint.path(), GRPC_EXPORT_PATH);
    }
}

#[test]
fn insecure_does_not_touch_an_endpoint_with_a_scheme() {
    for (endpoint, scheme) in [
        ("https://collector:4317", "https"),
        ("http://collector:4317", "http"),
    ] {
        for insecure in ["true", "false"] {
            let (c, warnings) = config(&[
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
                ("OTEL_EXPORTER_OTLP_INSECURE", insecure),
            ]);
            assert!(warnings.is_empty());
            assert_eq!(
                c.endpoint.scheme_str(),
                Some(scheme),
                "{endpoint} {insecure}"
            );
        }
    }
}

#[test]
fn a_scheme_less_endpoint_is_refused_for_http_whatever_insecure_says() {
    let (c, warnings) = config(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"),
        ("OTEL_EXPORTER_OTLP_INSECURE", "true"),
    ]);
    assert_eq!(c.endpoint, "http://localhost:4318/v1/metrics");
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].starts_with("OTEL_EXPORTER_OTLP_ENDPOINT is not an absolute"),
        "{warnings:?}"
    );
    let (c, warnings) = config(&[
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://collector:4317"),
    ]);
    assert_eq!(c.endpoint.authority().unwrap(), "localhost:4317");
    assert!(warnings[0].contains("nor host:port"), "{warnings:?}");
}

#[test]
fn a_bad_insecure_value_warns_naming_the_variable_and_keeps_tls() {
    let (c, warnings) = config(&[
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"),
        ("OTEL_EXPORTER_OTLP_METRICS_INSECURE", "yes"),
    ]);
    assert_eq!(c.endpoint.scheme_str(), Some("https"));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("OTEL_EXPORTER_OTLP_METRICS_INSECURE=\"yes\" is not valid"),
        "{warnings:?}"
    );
    assert!(
        warnings[0].contains("accepted: true, false"),
        "{warnings:?}"
    );
}

#[test]
fn each_signal_reads_its_own_insecure_before_the_generic_one() {
    let vars = [
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"),
        ("OTEL_EXPORTER_OTLP_INSECURE", "true"),
        ("OTEL_EXPORTER_OTLP_TRACES_INSECURE", "false"),
        ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "logs-collector:4317"),
    ];
    let scheme = |signal| {
        let (c, warnings) = signal_config(signal, &vars);
        assert!(warnings.is_empty(), "{warnings:?}");
        (
            c.endpoint.scheme_str().unwrap().to_string(),
            c.endpoint.host().unwrap().to_string(),
        )
    };
    assert_eq!(scheme(Signal::Metrics), ("http".into(), "collector".into()));
    assert_eq!(scheme(Signal::Traces), ("https".into(), "collector".into()));
    assert_eq!(
        scheme(Signal::Logs),
        ("http".into(), "logs-collector".into())
    );
    let (c, _) = signal_config(Signal::Logs, &vars);
    assert_eq!(
        c.endpoint.path(),
        "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
    );
}
