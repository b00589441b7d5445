//! The extension's life (DESIGN.md §2): register, read the configuration, start the
//! Telemetry listener, subscribe, then serve `/next` events until SHUTDOWN.
//!
//! Our own faults (bad configuration, a listener that cannot bind, an exporter that cannot
//! be built, a refused subscription) never fail the function: they are logged once and the
//! extension idles, answering `/next` so the function runs unharmed.

mod active;
mod clock;
mod instance_id;

use crate::config::{self, Config, Env};
use crate::export::{Exporter, ExporterConfig};
use crate::extensions_api::{ExtensionsApi, NextEvent, Subscription};
use crate::flush::flusher::Flusher;
use crate::flush::policy::Planner;
use crate::pipeline::{Now, Pipeline, PipelineConfig, Shared};
use crate::telemetry_listener;
use active::Active;
use metricline_proto::aggregate::AggregationConfig;
use metricline_proto::platform::{Arch, PlatformConfig};
use metricline_proto::resource::{self, ResourceInputs};
use std::sync::Arc;
use std::time::Duration;

/// Runs the extension until SHUTDOWN or until the Extensions API goes away. `name` is the
/// binary's file name, which Lambda checks at registration.
pub async fn run(env: Env<'_>, name: &str) {
    let started = Now::read();
    let (config, warnings) = Config::from_env(env);
    crate::log::set_level(config.log_level);
    for warning in &warnings {
        crate::warn!("{warning}");
    }
    let Some(runtime_api) = env("AWS_LAMBDA_RUNTIME_API").filter(|v| !v.is_empty()) else {
        crate::error!("AWS_LAMBDA_RUNTIME_API is not set: not running in Lambda, exiting");
        return;
    };
    let mut api = ExtensionsApi::new(&runtime_api);
    let registration = match api.register(name).await {
        Ok(registration) => registration,
        Err(e) => {
            crate::error!("registration with the Extensions API failed, exiting: {e}");
            return;
        }
    };
    if config::sdk_disabled(env) {
        crate::info!("OTEL_SDK_DISABLED=true: metricline stays idle");
        return idle(&mut api).await;
    }

    let (exporter_config, warnings) = ExporterConfig::from_env(env);
    for warning in &warnings {
        crate::warn!("{warning}");
    }
    let timeout = exporter_config.timeout();
    let exporter = match Exporter::new(exporter_config) {
        Ok(exporter) => exporter,
        Err(e) => {
            crate::error!("cannot build the OTLP exporter ({e}); metricline stays idle");
            return idle(&mut api).await;
        }
    };
    let (resource, warning) = resource::build(&ResourceInputs {
        env,
        account_id: registration.account_id.clone(),
        instance_id: instance_id::random_uuid_v4(),
        arch: Arch::host(),
    });
    if let Some(warning) = warning {
        crate::warn!("{warning}");
    }
    let aggregation = AggregationConfig {
        temporality: config.temporality,
        histograms: config.histograms,
        start_time_unix_nano: started.unix_nano,
    };
    let shared = Arc::new(Shared::new(Pipeline::new(PipelineConfig {
        formats: config.formats,
        platform_metrics: config.platform_metrics,
        platform: PlatformConfig {
            arch: Arch::host(),
            memory_size_mb: env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
                .and_then(|v| v.trim().parse().ok()),
        },
        aggregation,
        limits: config.limits,
    })));

    let (listener, from_hosts) = match telemetry_listener::bind().await {
        Ok(bound) => bound,
        Err(e) => {
            crate::error!("cannot start the Telemetry API listener ({e}); metricline stays idle");
            return idle(&mut api).await;
        }
    };
    let bound = match listener.local_addr() {
        Ok(addr) => addr,
        Err(e) => {
            crate::error!("Telemetry API listener has no address ({e}); metricline stays idle");
            return idle(&mut api).await;
        }
    };
    let port = bound.port();
    tokio::spawn(telemetry_listener::serve(listener, shared.clone()));
    if !from_hosts {
        tokio::spawn(telemetry_listener::serve_resolved(bound, shared.clone()));
    }
    match api.subscribe_telemetry(port).await {
        Ok(Subscription::Subscribed) => {}
        Ok(Subscription::NotSupported) => {
            // Nothing would ever arrive: no data, nothing to flush.
            crate::info!("no Telemetry API in this sandbox (202); metricline stays idle");
            return idle(&mut api).await;
        }
        Err(e) => {
            crate::error!("Telemetry API subscription failed ({e}); metricline stays idle");
            return idle(&mut api).await;
        }
    }
    crate::debug!(
        "ready in {} µs: listening on port {port}, flush {:?}",
        started.instant.elapsed().as_micros(),
        config.flush
    );
    let flusher = Flusher::new(
        shared.clone(),
        exporter,
        resource,
        aggregation,
        config.buffer,
        timeout,
    );
    Active::new(api, shared, flusher, Planner::new(config.flush))
        .run()
        .await
}

/// Answers `/next` until SHUTDOWN, doing nothing else.
async fn idle(api: &mut ExtensionsApi) {
    loop {
        match next_event(api).await {
            Some(NextEvent::Invoke { .. }) => {}
            Some(NextEvent::Shutdown { .. }) | None => return,
        }
    }
}

/// `/next`, retried a few times on errors; `None` when the Extensions API is gone.
async fn next_event(api: &mut ExtensionsApi) -> Option<NextEvent> {
    let mut pause = Duration::from_millis(10);
    for attempt in 1..=4 {
        match api.next().await {
            Ok(event) => return Some(event),
            Err(e) if attempt < 4 => {
                crate::warn!("/next failed ({e}); retrying");
                tokio::time::sleep(pause).await;
                pause *= 10;
            }
            Err(e) => crate::error!("/next failed ({e}); exiting"),
        }
    }
    None
}
