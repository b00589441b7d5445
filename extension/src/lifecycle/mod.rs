//! The extension's life (docs/architecture.md): register, read the configuration, start the
//! Telemetry listener, subscribe, then serve `/next` events until SHUTDOWN: per INVOKE on
//! on-demand Lambda ([`active`]), on a timer on Lambda Managed Instances ([`managed`],
//! docs/lmi.md).
//!
//! Our own faults (bad configuration, a listener that cannot bind, an exporter that cannot
//! be built, a refused subscription) never fail the function: they are logged once and the
//! extension idles, answering `/next` so the function runs unharmed.

mod active;
mod clock;
mod instance_id;
mod managed;
mod shutdown;

use crate::config::{self, Config, Env};
use crate::export::{Exporter, ExporterConfig};
use crate::extensions_api::{Events, ExtensionsApi, NextEvent};
use crate::flush::flusher::Flusher;
use crate::flush::policy::{Planner, Strategy};
use crate::otlp_receiver;
use crate::pipeline::{Now, Pipeline, PipelineConfig, Shared};
use crate::statsd_listener;
use crate::telemetry_listener;
use crate::telemetry_subscription::Subscription;
use active::Active;
use managed::Managed;
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
    let managed = config::managed_instances(env);
    let events = if managed {
        Events::ShutdownOnly
    } else {
        Events::InvokeAndShutdown
    };
    let mut api = ExtensionsApi::new(&runtime_api);
    let registration = match api.register(name, events).await {
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
        Ok(Subscription::Subscribed(schema)) => {
            crate::debug!("subscribed to the Telemetry API with schema {schema}")
        }
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
    // Only once data will be exported: an idle extension must not collect datagrams.
    let statsd = statsd_listener::start(config.statsd, &shared);
    crate::debug!(
        "ready in {} µs: listening on port {port}, flush {:?}",
        started.instant.elapsed().as_micros(),
        config.flush
    );
    // Only now: from here on what the receiver accepts is always flushed.
    let relay = otlp_receiver::start(&config.otlp_receiver, env, &resource, shared.clone()).await;
    let flusher = Flusher::new(
        shared.clone(),
        exporter,
        resource,
        aggregation,
        config.buffer,
        timeout,
    )
    .with_statsd(statsd)
    .with_relay(relay);
    if managed {
        let interval = timer_interval(&config, env("METRICLINE_FLUSH"));
        return Managed::new(api, shared, flusher, interval).run().await;
    }
    Active::new(api, shared, flusher, Planner::new(config.flush))
        .run()
        .await
}

/// The export timer on Lambda Managed Instances: `continuous,<ms>` is a timer already and
/// keeps its interval; the strategies that act at INVOKE events (which never come there)
/// give way to `OTEL_METRIC_EXPORT_INTERVAL`, with one warning when they were asked for.
fn timer_interval(config: &Config, flush: Option<String>) -> Duration {
    match config.flush {
        Strategy::Continuous(interval) => interval,
        _ => {
            // An invalid value was already reported by the configuration.
            if let Some(flush) = flush.filter(|f| Strategy::parse(f).is_some()) {
                crate::warn!(
                    "METRICLINE_FLUSH={flush} needs INVOKE events, which Lambda Managed Instances \
                     do not send; exporting every {} ms instead (OTEL_METRIC_EXPORT_INTERVAL)",
                    config.export_interval.as_millis()
                );
            }
            config.export_interval
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn with(flush: Strategy) -> Config {
        Config {
            flush,
            export_interval: Duration::from_millis(2500),
            ..Config::default()
        }
    }

    #[test]
    fn the_timer_is_the_export_interval_unless_continuous_names_its_own() {
        let interval = Duration::from_millis(2500);
        assert_eq!(timer_interval(&with(Strategy::Adaptive), None), interval);
        assert_eq!(
            timer_interval(&with(Strategy::End), Some("end".into())),
            interval
        );
        let periodic = Strategy::Periodic(Duration::from_millis(100));
        assert_eq!(
            timer_interval(&with(periodic), Some("periodic,100".into())),
            interval
        );
        let continuous = Strategy::Continuous(Duration::from_millis(250));
        assert_eq!(
            timer_interval(&with(continuous), Some("continuous,250".into())),
            Duration::from_millis(250)
        );
    }
}
