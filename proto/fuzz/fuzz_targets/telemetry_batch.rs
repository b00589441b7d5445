//! Telemetry API POST bodies, then every `function` record of a batch through the line
//! parsers, as the extension does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use metricline_proto::lines::{parse_record, Formats};
use metricline_proto::telemetry::{parse_batch, Body};

fuzz_target!(|body: &[u8]| {
    let Ok(batch) = parse_batch(body) else { return };
    let mut out = Vec::new();
    for event in &batch.events {
        if let Body::Function(record) = &event.body {
            parse_record(record, event.time_unix_nano, Formats::default(), &mut out);
        }
    }
});
