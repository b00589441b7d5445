//! The init phase: the API server, `/opt/extensions`, extensions started and registered,
//! then the runtime, with `initStart`, `initRuntimeDone` and `initReport`, then the freeze.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::lifecycle::common_env;
use super::process::{self, Environment};
use super::server::{self, ApiConfig};
use super::state::{Extension, Shared};
use super::{cgroup, events, Builder, Sandbox};

/// Lambda's limit for the whole init phase.
const INIT_LIMIT: Duration = Duration::from_secs(10);
/// Lambda Managed Instances allow the larger of 130 s and the function timeout.
const MANAGED_INIT_LIMIT: Duration = Duration::from_secs(130);

/// Starts the API server on its own runtime thread; returns its address.
fn serve(shared: Arc<Shared>, config: ApiConfig) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind sandbox APIs");
    let addr = listener.local_addr().expect("sandbox address").to_string();
    listener
        .set_nonblocking(true)
        .expect("nonblocking listener");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::Builder::new()
        .name("lambda-sandbox".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("sandbox runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                tokio::spawn(server::serve(listener, shared, Arc::new(config)));
                let _ = stopped.await;
            });
            runtime.shutdown_background();
        })
        .expect("spawn sandbox thread");
    (addr, stop)
}

pub(super) fn start(settings: Builder) -> Result<Sandbox, String> {
    let shared = Arc::new(Shared::new());
    let config = ApiConfig {
        function_name: settings.function_name.clone(),
        function_version: "$LATEST".into(),
        handler: settings.handler.clone(),
        account_id: "123456789012".into(),
        region: "us-east-1".into(),
        telemetry_api: settings.telemetry_api,
        managed: settings.managed_workers.is_some(),
        refused_schemas: settings.refused_schemas.clone(),
    };
    let (runtime_api, stop) = serve(shared.clone(), config);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let cgroup = if settings.lambda_limits {
        cgroup::Cgroup::lambda(settings.memory_mb)
            .inspect_err(|why| eprintln!("sandbox: running without Lambda's limits: {why}"))
            .ok()
    } else {
        None
    };
    let ext_dir = dir.path().join("opt/extensions");
    std::fs::create_dir_all(&ext_dir).map_err(|e| e.to_string())?;
    let mut sandbox = Sandbox {
        shared: shared.clone(),
        settings,
        runtime_api,
        stop: Some(stop),
        invokes: 0,
        init_duration: None,
        ready: Vec::new(),
        down: false,
        cgroup,
        _dir: dir,
    };
    let init_start = Instant::now();
    let b = sandbox.settings.clone();
    let managed = b.managed_workers;
    let init_event = |event| match managed {
        Some(_) => events::managed_init(event, b.memory_mb * 1_048_576),
        None => event,
    };
    shared.update(|s| s.emit(init_event(events::init_start(&b.function_name, "init"))));
    let vars = common_env(&b);
    let env = Environment {
        runtime_api: &sandbox.runtime_api,
        vars: &vars,
    };
    for (index, (path, name)) in b.extensions.iter().enumerate() {
        let link = ext_dir.join(name);
        std::os::unix::fs::symlink(
            std::fs::canonicalize(path).map_err(|e| format!("{}: {e}", path.display()))?,
            &link,
        )
        .map_err(|e| e.to_string())?;
        shared.update(|s| s.extensions.push(Extension::new(name.clone())));
        let pid = process::spawn_extension(&shared, index, &link, &env)
            .map_err(|e| format!("starting {name}: {e}"))?;
        sandbox.limit(pid)?;
        shared.update(|s| s.extensions[index].pid = pid);
    }
    // The runtime starts once every extension has registered (or died trying).
    let registered = shared.wait(INIT_LIMIT, |s| {
        s.extensions.iter().all(|e| e.id.is_some() || !e.alive())
    });
    if !registered {
        return Err(format!(
            "extensions did not register:\n{}",
            sandbox.extension_log()
        ));
    }
    if let Some(workers) = managed {
        if b.runtime_client != super::RuntimeClient::Bootstrap {
            return Err("Lambda Managed Instances run the sandbox's own runtime loop only".into());
        }
        let refused: Vec<String> = shared
            .lock()
            .extensions
            .iter()
            .filter_map(|e| Some(format!("{}: {}", e.name, e.register_error.as_ref()?)))
            .collect();
        if !refused.is_empty() {
            // Lambda fails the init when an extension's registration is refused.
            return Err(format!(
                "init failed: extension registration refused ({})\n{}",
                refused.join("; "),
                sandbox.extension_log()
            ));
        }
        sandbox.spawn_workers(workers)?;
    } else {
        sandbox.spawn_runtime()?;
    }
    let limit = match managed {
        Some(_) => MANAGED_INIT_LIMIT.max(b.timeout),
        None => INIT_LIMIT,
    };
    let mut runtime_ready = shared.wait(limit, |s| {
        if managed.is_some() {
            let failed = s.workers.any_exited() || s.runtime.init_error.is_some();
            return s.workers.all_ready() || failed;
        }
        s.runtime.waiting || s.runtime.exit.is_some() || s.runtime.init_error.is_some()
    });
    if managed.is_none() && shared.lock().runtime.waiting {
        // Every line of init precedes initRuntimeDone.
        let left = limit.saturating_sub(init_start.elapsed());
        runtime_ready = sandbox.runtime_flushed([0, 0], left);
    }
    let ready = {
        let s = shared.lock();
        match managed {
            Some(_) => s.workers.all_ready() && !s.workers.any_exited(),
            None => s.runtime.waiting,
        }
    };
    let status = if runtime_ready && ready {
        "success"
    } else {
        "error"
    };
    shared.update(|s| s.emit(init_event(events::init_runtime_done(status, "init"))));
    let extensions_ready = shared.wait(INIT_LIMIT, |s| s.extensions_waiting());
    let init = init_start.elapsed();
    sandbox.init_duration = Some(init);
    shared.update(|s| s.emit(init_event(events::init_report(status, "init", init))));
    sandbox.ready = shared
        .lock()
        .extensions
        .iter()
        .map(|e| {
            (
                e.name.clone(),
                e.first_next.map(|t| t.duration_since(e.spawned)),
            )
        })
        .collect();
    if status != "success" || !extensions_ready {
        let (init_error, function_log) = {
            let s = shared.lock();
            (s.runtime.init_error.clone(), s.function_log.join("\n"))
        };
        return Err(format!(
            "init failed (runtime {status}, extensions ready: {extensions_ready}, init error {init_error:?})\nfunction:\n{function_log}\nextensions:\n{}",
            sandbox.extension_log()
        ));
    }
    sandbox.freeze();
    Ok(sandbox)
}
