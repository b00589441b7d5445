//! rotel-agent, an OTLP collector none of us wrote (pip `rotel`, in the project's venv),
//! as a local backend: the interop test reads what it decoded from its debug log, and the
//! benchmark measures the extension's export against it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running rotel-agent with its blackhole exporter, killed when dropped.
pub struct Rotel {
    child: Child,
    /// Its stdout and stderr.
    pub log: PathBuf,
    pub grpc: u16,
    pub http: u16,
    _dir: tempfile::TempDir,
}

impl Rotel {
    /// Starts rotel-agent from the venv of `python` and waits until both of its OTLP
    /// receivers accept connections. `log_metrics`: write every metric it receives to its
    /// log in detail (slow; for checking what arrived, not for timing).
    pub fn start(python: &Path, log_metrics: bool) -> Result<Rotel, String> {
        let signals: &[&str] = if log_metrics { &["metrics"] } else { &[] };
        Rotel::start_logging(python, signals)
    }

    /// [`Rotel::start`], writing every item of each of `signals` (`metrics`, `traces`,
    /// `logs`) to its log in detail.
    pub fn start_logging(python: &Path, signals: &[&str]) -> Result<Rotel, String> {
        let venv = python
            .parent()
            .and_then(Path::parent)
            .ok_or("python is not in a venv")?;
        let agent = std::fs::read_dir(venv.join("lib"))
            .map_err(|e| format!("{}: {e}", venv.display()))?
            .filter_map(Result::ok)
            .map(|d| d.path().join("site-packages/rotel/rotel-agent"))
            .find(|p| p.exists())
            .ok_or("no rotel-agent in the venv (scripts/setup-python.sh installs it)")?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let log = dir.path().join("rotel.log");
        let (grpc, http) = (crate::ports::tcp(), crate::ports::tcp());
        let mut command = Command::new(agent);
        command.args(["start", "--exporter", "blackhole"]);
        for signal in signals {
            command.args(["--debug-log", signal]);
        }
        if !signals.is_empty() {
            command.args(["--debug-log-verbosity", "detailed"]);
        }
        let output = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let errors = output.try_clone().map_err(|e| e.to_string())?;
        let child = command
            .arg("--otlp-grpc-endpoint")
            .arg(format!("127.0.0.1:{grpc}"))
            .arg("--otlp-http-endpoint")
            .arg(format!("127.0.0.1:{http}"))
            .arg("--pid-file")
            .arg(dir.path().join("rotel.pid"))
            .env("NO_COLOR", "1")
            .stdout(output)
            .stderr(Stdio::from(errors))
            .spawn()
            .map_err(|e| format!("rotel-agent does not start: {e}"))?;
        let rotel = Rotel {
            child,
            log,
            grpc,
            http,
            _dir: dir,
        };
        if !(wait_listening(rotel.grpc) && wait_listening(rotel.http)) {
            return Err(format!(
                "rotel-agent does not listen:\n{}",
                rotel.log_text()
            ));
        }
        Ok(rotel)
    }

    pub fn grpc_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.grpc)
    }

    pub fn http_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.http)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Rotel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits (bounded) until something accepts connections on `port`: rotel starts in a few
/// milliseconds, but offers no readiness signal to wait on.
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
