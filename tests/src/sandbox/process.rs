//! The sandbox's processes: spawning extensions and the runtime with Lambda's environment,
//! turning their output into telemetry records, reaping them, and signals.

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Value};

use super::client::MarkerPipes;
use super::events::{envelope, iso8601};
use super::state::{Exit, Shared};
use super::LogFormat;

/// The line the bootstrap prints on stdout and stderr once an invoke's (or init's) output is
/// flushed, so every `function` record precedes the `runtimeDone` that follows it. A worker
/// of Lambda Managed Instances appends ` <request id>` after an invoke.
pub const MARKER: &str = "\u{1}metricline-sandbox-flushed";
/// The line a worker of Lambda Managed Instances prints on both streams as it starts an
/// invoke, followed by ` <request id>`: the lines after it are that request's.
pub const REQUEST_MARKER: &str = "\u{1}metricline-sandbox-request";

pub fn signal(pid: u32, sig: i32) {
    // SAFETY: kill(2) with a pid we spawned; failure (already gone) is harmless here.
    unsafe {
        libc::kill(pid as libc::pid_t, sig);
    }
}

/// Peak resident set of a live process, in KiB (`VmHWM`), if readable.
pub fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Waits for the process to end and returns how.
fn reap(pid: u32) -> Exit {
    let mut status = 0;
    loop {
        // SAFETY: waitpid on our own child with a valid out-pointer.
        let r = unsafe { libc::waitpid(pid as libc::pid_t, &mut status, 0) };
        if r == pid as libc::pid_t {
            break;
        }
        if r < 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            break;
        }
    }
    let exited = libc::WIFEXITED(status);
    Exit {
        at: Instant::now(),
        code: exited.then(|| libc::WEXITSTATUS(status)),
        signal: libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status)),
    }
}

fn read_lines(stream: impl Read, mut each: impl FnMut(String)) {
    let mut reader = BufReader::new(stream);
    let mut buf = Vec::new();
    while reader.read_until(b'\n', &mut buf).unwrap_or(0) > 0 {
        if buf.last() == Some(&b'\n') {
            buf.pop();
        }
        each(String::from_utf8_lossy(&buf).into_owned());
        buf.clear();
    }
}

/// The common Lambda environment every process of the sandbox sees.
pub struct Environment<'a> {
    pub runtime_api: &'a str,
    pub vars: &'a [(String, String)],
}

fn base_command(program: &Path, env: &Environment) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("AWS_LAMBDA_RUNTIME_API", env.runtime_api)
        .envs(env.vars.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

// No pre-exec hook (e.g. PR_SET_PDEATHSIG): with one, std forks the whole multi-threaded
// test process instead of spawning with vfork, which cost ~1.5 ms that the benchmark
// counted as the extension's start (Lambda's own init spawns with vfork). Processes end
// on their own when the sandbox's API goes away (`/next` fails); the sandbox's own Python
// runtime also asks for PR_SET_PDEATHSIG itself (bootstrap.py), AWS's runtime clients do
// not, so an extension or one of those clients left frozen by a test process killed
// outright stays behind, stopped.

/// Starts an extension; its output becomes `extension` records and its log.
pub fn spawn_extension(
    shared: &Arc<Shared>,
    index: usize,
    path: &Path,
    env: &Environment,
) -> std::io::Result<u32> {
    let mut child = base_command(path, env).spawn()?;
    let pid = child.id();
    for stream in [
        Box::new(child.stdout.take().expect("piped")) as Box<dyn Read + Send>,
        Box::new(child.stderr.take().expect("piped")),
    ] {
        let shared = shared.clone();
        std::thread::spawn(move || {
            read_lines(stream, |line| {
                shared.update(|s| {
                    let name = s.extensions[index].name.clone();
                    s.extensions[index].log.push(line.clone());
                    s.emit(envelope("extension", json!(format!("{name}: {line}"))));
                })
            })
        });
    }
    let shared = shared.clone();
    std::thread::spawn(move || {
        let exit = reap(pid);
        shared.update(|s| {
            let ext = &mut s.extensions[index];
            ext.exit = Some(exit);
            ext.waiting = false;
        });
    });
    Ok(pid)
}

/// The `function` record Lambda makes of one output line of the runtime.
pub fn function_record(line: &str, format: LogFormat, request_id: &str) -> Value {
    match format {
        LogFormat::Text => Value::String(line.to_owned()),
        LogFormat::Json => match serde_json::from_str::<Value>(line) {
            Ok(object @ Value::Object(_)) => object,
            _ => json!({
                "timestamp": iso8601(std::time::SystemTime::now()),
                "level": "INFO",
                "requestId": request_id,
                "message": line,
            }),
        },
    }
}

/// The function's output streams (stdout, stderr), each read on its own thread.
type Streams = [Box<dyn Read + Send>; 2];

/// A pipe's read and write ends, both close-on-exec (the child's copy of the write end,
/// made by `Command`, is not). `std::io::pipe` does this too, past the crates' MSRV.
fn pipe() -> std::io::Result<(File, OwnedFd)> {
    let mut fds: [libc::c_int; 2] = [0; 2];
    // SAFETY: pipe2 fills `fds` with two new descriptors, owned from here on.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors are open and owned by nothing else.
    unsafe { Ok((File::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1]))) }
}

/// How to start a runtime process: a program and its arguments, in the function folder.
pub struct Launch<'a> {
    pub program: &'a Path,
    pub args: &'a [OsString],
    pub task_root: &'a Path,
}

/// Starts a runtime process; returns its pid and output streams, and with `keep_writers`
/// also the sandbox's own write ends of those pipes (see `client.rs`).
fn spawn_function(
    launch: &Launch,
    env: &Environment,
    keep_writers: bool,
) -> std::io::Result<(u32, Streams, Option<MarkerPipes>)> {
    let (out, out_writer) = pipe()?;
    let (err, err_writer) = pipe()?;
    let kept = match keep_writers {
        true => Some(MarkerPipes([
            out_writer.try_clone()?.into(),
            err_writer.try_clone()?.into(),
        ])),
        false => None,
    };
    let mut cmd = base_command(launch.program, env);
    cmd.args(launch.args)
        .current_dir(launch.task_root)
        .stdout(out_writer)
        .stderr(err_writer);
    let child = cmd.spawn()?;
    // The child's copies of the write ends are its own now; the command's go with it.
    drop(cmd);
    let streams: Streams = [Box::new(out), Box::new(err)];
    Ok((child.id(), streams, kept))
}

/// Starts the function's runtime for a new generation; with `sandbox_marks` the sandbox
/// writes the flushed markers into its output itself (see `client.rs`).
pub fn spawn_runtime(
    shared: &Arc<Shared>,
    launch: &Launch,
    env: &Environment,
    format: LogFormat,
    sandbox_marks: bool,
) -> std::io::Result<u32> {
    let (pid, streams, pipes) = spawn_function(launch, env, sandbox_marks)?;
    let generation = shared.update(|s| {
        s.runtime.generation += 1;
        s.runtime.pid = Some(pid);
        s.runtime.exit = None;
        s.runtime.waiting = false;
        s.runtime.marker_pipes = pipes.map(Arc::new);
        s.runtime.generation
    });
    for (i, stream) in streams.into_iter().enumerate() {
        let shared = shared.clone();
        std::thread::spawn(move || {
            read_lines(stream, |line| {
                shared.update(|s| {
                    if line == MARKER {
                        s.markers[i] += 1;
                        return;
                    }
                    s.function_log.push(line.clone());
                    let record = function_record(&line, format, &s.current_request_id);
                    s.emit(envelope("function", record));
                })
            })
        });
    }
    let shared = shared.clone();
    std::thread::spawn(move || {
        let exit = reap(pid);
        shared.update(|s| {
            if s.runtime.generation == generation {
                s.runtime.exit = Some(exit);
                s.runtime.waiting = false;
                s.runtime.waiter = None;
                s.runtime.marker_pipes = None;
            }
        });
    });
    Ok(pid)
}

/// Starts runtime worker `index` of Lambda Managed Instances; its output becomes JSON
/// `function` records carrying the `requestId` of the invoke that printed them.
pub fn spawn_worker(
    shared: &Arc<Shared>,
    index: usize,
    launch: &Launch,
    env: &Environment,
) -> std::io::Result<u32> {
    let (pid, streams, _) = spawn_function(launch, env, false)?;
    for (i, stream) in streams.into_iter().enumerate() {
        let shared = shared.clone();
        std::thread::spawn(move || {
            let mut request = String::new();
            read_lines(stream, |line| {
                if let Some(id) = line.strip_prefix(REQUEST_MARKER) {
                    request = id.trim().to_owned();
                    return;
                }
                shared.update(|s| match line.strip_prefix(MARKER) {
                    Some("") => s.workers.init_flushed[i] += 1,
                    Some(id) => {
                        s.workers.flushed[i].insert(id.trim().to_owned());
                    }
                    None => {
                        s.function_log.push(line.clone());
                        let record = function_record(&line, LogFormat::Json, &request);
                        s.emit(envelope("function", record));
                    }
                })
            })
        });
    }
    let shared = shared.clone();
    std::thread::spawn(move || {
        let exit = reap(pid);
        shared.update(|s| s.workers.exits[index] = Some(exit));
    });
    Ok(pid)
}
