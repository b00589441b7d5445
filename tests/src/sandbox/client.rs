//! The runtime interface client the function runs under: the sandbox's own minimal Python
//! loop (`functions/bootstrap.py`), or AWS's own clients as Lambda's managed runtimes run
//! them, pip `awslambdaric` and npm `aws-lambda-ric`, so that a function and its SDK meet
//! the same client code (and its native Runtime API client) as on Lambda.
//!
//! Every record of an invoke must precede its `runtimeDone`. The bootstrap flushes and
//! prints a marker line itself after init and after each invoke. AWS's clients know
//! nothing of the sandbox, so the sandbox writes that marker into the function's stdout
//! and stderr pipes itself, through write ends it keeps, once the runtime has answered
//! and is back in `/next`. Both clients write unbuffered (awslambdaric wraps stdout and
//! stderr so; Node writes to pipes synchronously on Linux), so every line written before
//! the answer is already in the pipe, ahead of the marker, and the reader meets it first.

use std::ffi::OsString;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::process::MARKER;
use super::Sandbox;

/// Which program runs the function (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RuntimeClient {
    /// `functions/bootstrap.py` with the venv's Python.
    #[default]
    Bootstrap,
    /// `python -m awslambdaric <handler>` with the venv's Python (scripts/requirements.txt).
    Awslambdaric,
    /// `node node_modules/aws-lambda-ric/bin/index.mjs <handler>`, from the function folder's
    /// own `node_modules` (scripts/setup-node.sh), with the machine's `node`.
    AwsLambdaRic,
}

impl RuntimeClient {
    /// The handler a function of this runtime names by default (`_HANDLER`).
    pub fn default_handler(self) -> &'static str {
        match self {
            RuntimeClient::Bootstrap | RuntimeClient::Awslambdaric => "handler.handler",
            RuntimeClient::AwsLambdaRic => "index.handler",
        }
    }

    /// Whether the runtime prints the flushed marker itself.
    pub(super) fn prints_marker(self) -> bool {
        self == RuntimeClient::Bootstrap
    }

    /// The program and its arguments, started in the function folder `task_root`.
    pub(super) fn command(
        self,
        python: &Path,
        task_root: &Path,
        handler: &str,
    ) -> (PathBuf, Vec<OsString>) {
        let os = |s: &str| OsString::from(s);
        match self {
            RuntimeClient::Bootstrap => {
                let bootstrap = super::crate_dir().join("functions/bootstrap.py");
                (python.into(), vec![os("-u"), bootstrap.into()])
            }
            // `-m` puts the working directory, the task root, first on sys.path, where
            // Lambda's Python runtime puts LAMBDA_TASK_ROOT.
            RuntimeClient::Awslambdaric => (
                python.into(),
                vec![os("-u"), os("-m"), os("awslambdaric"), os(handler)],
            ),
            RuntimeClient::AwsLambdaRic => {
                let entry = task_root.join("node_modules/aws-lambda-ric/bin/index.mjs");
                ("node".into(), vec![entry.into(), os(handler)])
            }
        }
    }
}

/// The sandbox's own write ends of a runtime's stdout and stderr pipes. Held only while
/// the process lives: a reader sees end-of-file only once every write end is closed.
pub struct MarkerPipes(pub [File; 2]);

impl MarkerPipes {
    fn write(&self) {
        for mut pipe in self.0.iter() {
            // A failure means the process is gone: the waits notice its exit.
            let _ = pipe.write_all(format!("{MARKER}\n").as_bytes());
        }
    }
}

impl Sandbox {
    /// Once the runtime waits in `/next` (or is gone): waits until every line it wrote
    /// before is read, that is until a marker past `before` was seen on both streams,
    /// writing that marker first where the runtime does not print it. Returns whether
    /// the markers came.
    pub(super) fn runtime_flushed(&self, before: [u64; 2], timeout: Duration) -> bool {
        // Written outside the lock: the readers need it to take the lines ahead of it.
        let pipes: Option<Arc<MarkerPipes>> = self.shared.lock().runtime.marker_pipes.clone();
        if let Some(pipes) = pipes {
            pipes.write();
        }
        self.shared.wait(timeout, |s| {
            let flushed = s.markers.iter().zip(before).all(|(now, b)| *now > b);
            flushed || s.runtime.exit.is_some()
        })
    }
}
