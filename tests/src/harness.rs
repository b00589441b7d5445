//! The end-to-end setup every test repeats: an OTLP sink, and a sandbox running the real
//! metricline binary with a sample function, exporting to that sink.

use std::time::Duration;

use crate::sandbox::{self, LogFormat, RuntimeClient, Sandbox};
use crate::sink::Sink;

/// The exporter protocol under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Otlp {
    Grpc,
    HttpProtobuf,
    HttpJson,
}

/// A sink and a started sandbox with metricline in it.
pub struct Harness {
    pub sink: Sink,
    pub sandbox: Sandbox,
}

/// Options of [`Harness::start`]; `Default` is the line-printing function, text logs,
/// http/protobuf and the `end` flush strategy, with the local receivers off: tests run in
/// parallel and the receivers' fixed default ports (StatsD 8125, OTLP 4317 and 4318) can be
/// held by one extension only, so a test of a receiver gives it free ports of its own.
#[derive(Clone)]
pub struct Setup {
    pub function: &'static str,
    pub protocol: Otlp,
    pub log_format: LogFormat,
    pub env: Vec<(String, String)>,
    pub timeout: Duration,
    pub telemetry_api: bool,
    /// Run under Lambda's limits for this memory size (a cgroup), where the machine can.
    pub lambda_limits_mb: Option<u64>,
    /// Lambda Managed Instances with this many runtime workers.
    pub managed_workers: Option<usize>,
    /// A Telemetry schema version the sandbox refuses with 400.
    pub refused_schema: Option<&'static str>,
    /// What runs the function (`Builder::runtime_client`).
    pub runtime_client: RuntimeClient,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            function: "lines",
            protocol: Otlp::HttpProtobuf,
            log_format: LogFormat::Text,
            env: vec![
                ("METRICLINE_FLUSH".into(), "end".into()),
                ("METRICLINE_STATSD".into(), "off".into()),
                ("METRICLINE_OTLP_RECEIVER".into(), "off".into()),
            ],
            timeout: Duration::from_secs(10),
            telemetry_api: true,
            lambda_limits_mb: None,
            managed_workers: None,
            refused_schema: None,
            runtime_client: RuntimeClient::Bootstrap,
        }
    }
}

impl Setup {
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
        self
    }
    pub fn protocol(mut self, protocol: Otlp) -> Self {
        self.protocol = protocol;
        self
    }
    pub fn log_format(mut self, format: LogFormat) -> Self {
        self.log_format = format;
        self
    }
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
    /// Lambda's memory limit and CPU share for `memory_mb` (`Builder::lambda_limits`).
    pub fn lambda_limits(mut self, memory_mb: u64) -> Self {
        self.lambda_limits_mb = Some(memory_mb);
        self
    }
    pub fn managed_instances(mut self, workers: usize) -> Self {
        self.managed_workers = Some(workers);
        self
    }
    pub fn refuse_schema(mut self, version: &'static str) -> Self {
        self.refused_schema = Some(version);
        self
    }
    pub fn runtime_client(mut self, client: RuntimeClient) -> Self {
        self.runtime_client = client;
        self
    }
}

/// The function and exporter environment for a sink and a setup.
pub fn exporter_env(sink: &Sink, protocol: Otlp) -> Vec<(String, String)> {
    let (endpoint, name) = match protocol {
        Otlp::Grpc => (sink.grpc_endpoint(), "grpc"),
        Otlp::HttpProtobuf => (sink.http_endpoint(), "http/protobuf"),
        Otlp::HttpJson => (sink.http_endpoint(), "http/json"),
    };
    vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT".into(), endpoint),
        ("OTEL_EXPORTER_OTLP_PROTOCOL".into(), name.into()),
        ("OTEL_SERVICE_NAME".into(), "checkout".into()),
        ("DD_FLUSH_TO_LOG".into(), "true".into()),
        ("METRICLINE_LOG".into(), "debug".into()),
    ]
}

impl Harness {
    /// Starts a sink and a sandbox running the binary cargo built for this test.
    pub fn start(test: &str, setup: Setup) -> Harness {
        let python = sandbox::require_python(test);
        let sink = Sink::start();
        let mut builder = Sandbox::builder()
            .extension(sandbox::extension_binary())
            .function_dir(sandbox::sample_function(setup.function))
            .runtime_client(setup.runtime_client)
            .python(&python)
            .log_format(setup.log_format)
            .timeout(setup.timeout)
            .telemetry_api(setup.telemetry_api);
        if let Some(mb) = setup.lambda_limits_mb {
            builder = builder.memory_mb(mb).lambda_limits();
        }
        if let Some(workers) = setup.managed_workers {
            builder = builder.managed_instances(workers);
        }
        if let Some(version) = setup.refused_schema {
            builder = builder.refuse_schema(version);
        }
        for (k, v) in exporter_env(&sink, setup.protocol)
            .into_iter()
            .chain(setup.env)
        {
            builder = builder.env(k, v);
        }
        let sandbox = builder
            .start()
            .unwrap_or_else(|e| panic!("{test}: sandbox: {e}"));
        Harness { sink, sandbox }
    }

    /// Panics with the extension's log when `ok` is false.
    pub fn check(&self, ok: bool, what: &str) {
        if !ok {
            panic!(
                "{what}\n--- received points ---\n{:#?}\n--- extension log ---\n{}",
                self.sink
                    .points()
                    .iter()
                    .map(|p| format!(
                        "{} {:?} {} {:?} {}",
                        p.metric, p.kind, p.value, p.attributes, p.count
                    ))
                    .collect::<Vec<_>>(),
                self.sandbox.extension_log()
            );
        }
    }
}
