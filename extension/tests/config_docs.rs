//! Every setting the extension reads from the function's environment is documented in
//! docs/configuration.md, so a new variable cannot ship without its line there.

use std::sync::Mutex;

use metricline::config::{sdk_disabled, Config};
use metricline::export::config::ExporterConfig;

#[test]
fn every_variable_the_extension_reads_is_in_docs_configuration_md() {
    let read = Mutex::new(Vec::<String>::new());
    let env = |name: &str| {
        read.lock().unwrap().push(name.to_string());
        None
    };
    let _ = Config::from_env(&env);
    let _ = sdk_disabled(&env);
    let _ = ExporterConfig::from_env(&env);
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/configuration.md"
    ))
    .expect("docs/configuration.md");
    let documented = |name: &str| {
        // The page documents each OTLP option once and says every one has its
        // `_METRICS_` override.
        let generic = name.replace("OTEL_EXPORTER_OTLP_METRICS_", "OTEL_EXPORTER_OTLP_");
        doc.contains(&format!("`{name}`")) || doc.contains(&format!("`{generic}`"))
    };
    let read = read.into_inner().unwrap();
    assert!(read.len() >= 10, "the settings were read: {read:?}");
    let missing: Vec<&String> = read
        .iter()
        .filter(|name| name.starts_with("OTEL_") || name.starts_with("METRICLINE_"))
        .filter(|name| !documented(name))
        .collect();
    assert!(
        missing.is_empty(),
        "not in docs/configuration.md: {missing:?}"
    );
}
