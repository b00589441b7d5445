//! The layer zips as a user deploys them: `extensions/metricline`, executable, statically
//! linked for its architecture, and working end to end in the sandbox — x86_64 natively,
//! arm64 under qemu. They need `layer/build.sh` (and `scripts/setup-qemu.sh` for arm64)
//! first, which take minutes, so they are ignored by a plain `cargo test`;
//! `scripts/test.sh` builds both and runs them with `--ignored`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use metricline_tests::expect::{check_lines, count, total};
use metricline_tests::layer::{self, Arch};
use metricline_tests::sandbox::{self, InvokeStatus, Sandbox};
use metricline_tests::sink::Sink;

fn binary_is_static(test: &str, arch: Arch) {
    let zip = layer::zip(test, arch);
    let opt = tempfile::tempdir().expect("temp dir");
    let binary = layer::unpack(&zip, opt.path()).unwrap_or_else(|e| panic!("{e}"));
    let mode = std::fs::metadata(&binary)
        .expect("binary")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o755, "extensions/metricline mode {mode:o}");
    let bytes = std::fs::read(&binary).expect("read binary");
    let linking = layer::elf_linking(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(linking.machine, arch.elf_machine(), "{linking:?}");
    assert!(!linking.interpreter, "needs a dynamic loader: {linking:?}");
    assert_eq!(linking.needed, 0, "needs shared libraries: {linking:?}");
}

#[test]
#[ignore = "needs the layer zips of layer/build.sh; scripts/test.sh runs it"]
fn x86_64_layer_binary_is_static() {
    binary_is_static("x86_64_layer_binary_is_static", Arch::X86_64);
}

#[test]
#[ignore = "needs the layer zips of layer/build.sh; scripts/test.sh runs it"]
fn arm64_layer_binary_is_static() {
    binary_is_static("arm64_layer_binary_is_static", Arch::Arm64);
}

/// Two invokes with `end` flushing and a shutdown: the lines of each invoke reach the sink
/// before the freeze, and the platform metrics (the last report included) at shutdown.
fn exports_lines_and_platform_metrics(extension: &Path, python: &Path) {
    let sink = Sink::start();
    let env = [("METRICLINE_FLUSH", "end")];
    let mut sandbox: Sandbox = layer::start_sandbox(extension, "lines", python, &sink, &env)
        .unwrap_or_else(|e| panic!("sandbox: {e}"));
    let log = |sandbox: &Sandbox| sandbox.extension_log();
    let first = sandbox.invoke(r#"{"repeat":2}"#);
    assert_eq!(first.status, InvokeStatus::Success);
    let verdict = check_lines(&sink.points(), 2, 1);
    assert!(
        verdict.is_ok(),
        "after invoke 1: {verdict:?}\n{}",
        log(&sandbox)
    );
    assert_eq!(sandbox.invoke("{}").status, InvokeStatus::Success);
    let shutdown = sandbox.shutdown();
    assert!(
        shutdown.extension_exited_before_deadline && !shutdown.killed,
        "{shutdown:?}\n{}",
        log(&sandbox)
    );
    let points = sink.points();
    let verdict = check_lines(&points, 3, 1);
    assert!(verdict.is_ok(), "after shutdown: {verdict:?}");
    assert_eq!(total(&points, "faas.coldstarts", &[]), 1.0);
    assert_eq!(total(&points, "faas.invocations", &[]), 2.0);
    assert_eq!(count(&points, "aws.lambda.duration"), 2, "one per report");
}

#[test]
#[ignore = "needs the layer zips of layer/build.sh; scripts/test.sh runs it"]
fn x86_64_layer_exports_lines_and_platform_metrics() {
    let test = "x86_64_layer_exports_lines_and_platform_metrics";
    let zip = layer::zip(test, Arch::X86_64);
    let python = sandbox::require_python(test);
    let opt = tempfile::tempdir().expect("temp dir");
    let binary = layer::unpack(&zip, opt.path()).unwrap_or_else(|e| panic!("{e}"));
    exports_lines_and_platform_metrics(&binary, &python);
}

#[test]
#[ignore = "needs the layer zips of layer/build.sh; scripts/test.sh runs it"]
fn arm64_layer_exports_lines_and_platform_metrics_under_qemu() {
    let test = "arm64_layer_exports_lines_and_platform_metrics_under_qemu";
    let zip = layer::zip(test, Arch::Arm64);
    let python = sandbox::require_python(test);
    let qemu = layer::qemu().unwrap_or_else(|| {
        panic!("{test}: qemu-aarch64-static is missing: run scripts/setup-qemu.sh")
    });
    let opt = tempfile::tempdir().expect("temp dir");
    let binary = layer::unpack(&zip, opt.path()).unwrap_or_else(|e| panic!("{e}"));
    let wrapper = layer::qemu_wrapper(&qemu, &binary, &opt.path().join("qemu"))
        .unwrap_or_else(|e| panic!("{e}"));
    // The sandbox answers 403 to a registration whose name is not `metricline`, so a
    // started sandbox shows the emulated binary registered under its file name.
    exports_lines_and_platform_metrics(&wrapper, &python);
}

/// The ELF check itself: this test binary is linked against glibc, so it must be seen as
/// needing a loader and shared libraries.
#[test]
fn elf_check_sees_a_dynamically_linked_binary() {
    let bytes = std::fs::read(std::env::current_exe().expect("test binary")).expect("read");
    let linking = layer::elf_linking(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert!(linking.interpreter && linking.needed > 0, "{linking:?}");
}
