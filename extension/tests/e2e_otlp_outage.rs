//! An outage of the backend with the OTLP receiver in use: nothing within the receiver's
//! buffer is lost, and what a small buffer sheds is counted in `metricline.otlp.dropped`,
//! so that delivered + dropped is exactly what the function's SDK sent.

use metricline_tests::harness::Harness;
use metricline_tests::otel_function::*;
use metricline_tests::sink::Fault;

#[test]
fn an_outage_loses_nothing_within_the_buffer_and_counts_what_it_sheds() {
    for (buffer_bytes, must_shed) in [("4194304", false), ("2500", true)] {
        // A short export timeout: each failing flush gives up quickly and backs off.
        let setup = otel_setup(false)
            .env("METRICLINE_OTLP_BUFFER_BYTES", buffer_bytes)
            .env("OTEL_EXPORTER_OTLP_TIMEOUT", "300");
        let mut h = Harness::start("otlp_receiver_outage", setup);
        // The backend is down for every attempt of the first invokes' flushes.
        h.sink.fail_next(100_000, Fault::Unavailable);
        let invokes = 4;
        for _ in 0..invokes {
            h.sandbox.invoke(r#"{"spans":3,"orders":1}"#);
        }
        h.check(h.sink.traces().is_empty(), "nothing got through the outage");
        h.sink.clear_faults();
        let shutdown = h.sandbox.shutdown();
        h.check(shutdown.extension_exited_before_deadline, "clean shutdown");
        let [metrics, traces, logs] = delivered_and_dropped(&h.sink);
        let sent = [
            (metrics, invokes as f64),
            (traces, 3.0 * invokes as f64),
            (logs, invokes as f64),
        ];
        for ((delivered, dropped), expected) in [metrics, traces, logs]
            .into_iter()
            .zip(sent.map(|(_, n)| n))
        {
            h.check(
                delivered as f64 + dropped == expected,
                &format!("buffer {buffer_bytes}: {delivered} delivered + {dropped} dropped != {expected}"),
            );
            if !must_shed {
                h.check(
                    dropped == 0.0,
                    &format!("buffer {buffer_bytes}: nothing shed, {dropped} were"),
                );
            }
        }
        if must_shed {
            let shed: f64 = [metrics, traces, logs].iter().map(|(_, d)| d).sum();
            h.check(shed > 0.0, "a small buffer sheds");
            h.check(
                h.sandbox
                    .extension_log()
                    .contains("OTLP receiver buffer full"),
                "and says so",
            );
        }
    }
}
