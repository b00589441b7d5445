//! CloudWatch EMF documents, as a text line, as a JSON record and inside a `message` field.
#![no_main]

mod record_forms;

use libfuzzer_sys::fuzz_target;
use metricline_proto::lines::Formats;

fuzz_target!(|input: &str| {
    let formats = Formats {
        emf: true,
        ..Formats::NONE
    };
    record_forms::check_every_form(input, formats);
});
