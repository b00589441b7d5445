//! Interop with an OTLP receiver none of us wrote: rotel-agent (from the venv) accepts the
//! extension's metrics over gRPC and HTTP, as its detailed debug log shows.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use metricline_tests::harness::exporter_env;
use metricline_tests::sandbox::{self, InvokeStatus, Sandbox};
use metricline_tests::sink::Sink;

/// A rotel-agent process, killed when dropped.
struct Rotel {
    child: Child,
    log: PathBuf,
    grpc: u16,
    http: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Rotel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (bounded) until rotel accepts connections on `port`.
fn wait_listening(port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn start_rotel(python: &std::path::Path) -> Rotel {
    let venv = python.parent().unwrap().parent().unwrap();
    let agent = std::fs::read_dir(venv.join("lib"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|d| d.path().join("site-packages/rotel/rotel-agent"))
        .find(|p| p.exists())
        .expect("rotel-agent in the venv");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("rotel.log");
    let (grpc, http) = (free_port(), free_port());
    let child = Command::new(agent)
        .args(["start", "--exporter", "blackhole"])
        .args([
            "--debug-log",
            "metrics",
            "--debug-log-verbosity",
            "detailed",
        ])
        .arg("--otlp-grpc-endpoint")
        .arg(format!("127.0.0.1:{grpc}"))
        .arg("--otlp-http-endpoint")
        .arg(format!("127.0.0.1:{http}"))
        .arg("--pid-file")
        .arg(dir.path().join("rotel.pid"))
        .env("NO_COLOR", "1")
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(Stdio::from(
            std::fs::File::options().append(true).open(&log).unwrap(),
        ))
        .spawn()
        .expect("rotel-agent starts");
    let rotel = Rotel {
        child,
        log,
        grpc,
        http,
        _dir: dir,
    };
    assert!(
        wait_listening(rotel.grpc) && wait_listening(rotel.http),
        "rotel listens"
    );
    rotel
}

fn run_against(python: &std::path::Path, endpoint: String, protocol: &str) -> String {
    // The sink only lends the environment layout; the endpoint is rotel's.
    let sink = Sink::start();
    let mut builder = Sandbox::builder()
        .extension(sandbox::extension_binary())
        .function_dir(sandbox::sample_function("lines"))
        .python(python);
    for (k, v) in exporter_env(&sink, metricline_tests::harness::Otlp::Grpc) {
        builder = builder.env(k, v);
    }
    let mut sandbox = builder
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
        .env("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
        .env("METRICLINE_FLUSH", "end")
        .start()
        .expect("sandbox starts");
    assert_eq!(sandbox.invoke("{}").status, InvokeStatus::Success);
    let shutdown = sandbox.shutdown();
    assert!(
        shutdown.extension_exited_before_deadline,
        "{}",
        sandbox.extension_log()
    );
    sandbox.extension_log()
}

#[test]
fn rotel_accepts_our_metrics_over_grpc_and_http() {
    let Some(python) = sandbox::require_python("rotel interop") else {
        return;
    };
    let rotel = start_rotel(&python);
    let ext_log_grpc = run_against(&python, format!("http://127.0.0.1:{}", rotel.grpc), "grpc");
    let ext_log_http = run_against(
        &python,
        format!("http://127.0.0.1:{}", rotel.http),
        "http/protobuf",
    );
    let log = std::fs::read_to_string(&rotel.log).unwrap();
    let mentions = |name: &str| log.matches(&format!("-> Name: {name}\n")).count();
    // Both runs exported the MONITORING counter: rotel decoded it twice.
    assert!(
        mentions("shop.orders.placed") >= 2 && mentions("OrderLatency") >= 2,
        "rotel's log lacks our metrics:\n{log}\n--- extension (grpc) ---\n{ext_log_grpc}\n--- extension (http) ---\n{ext_log_http}"
    );
    let resources = log.matches("-> service.name: Str(checkout)").count();
    assert!(resources >= 2, "the resource's service.name reached rotel");
    for ext_log in [&ext_log_grpc, &ext_log_http] {
        assert!(
            !ext_log.contains("WARN") && !ext_log.contains("ERROR"),
            "{ext_log}"
        );
    }
}
