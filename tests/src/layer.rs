//! The layer zips built by `layer/build.sh` (`dist/metricline-<arch>.zip`), as the tests and
//! the benchmarks use them: found, unpacked like Lambda unpacks a layer into `/opt`, checked
//! for dynamic dependencies, and, for arm64, wrapped to run under `qemu-aarch64-static`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{exporter_env, Otlp};
use crate::sandbox::{self, Builder, Sandbox};
use crate::sink::Sink;

/// A Lambda architecture the layer is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    Arm64,
}

impl Arch {
    /// The name in the zip's file name and in `--compatible-architectures`.
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }
    /// The ELF `e_machine` of its binaries.
    pub fn elf_machine(self) -> u16 {
        match self {
            Arch::X86_64 => 62,
            Arch::Arm64 => 183,
        }
    }
}

/// `dist/` at the workspace root.
pub fn dist_dir() -> PathBuf {
    sandbox::crate_dir().join("../dist")
}

/// The layer zip of an architecture; a test that needs it fails when `layer/build.sh` has
/// not built it. Such tests are `#[ignore]`d, so only a run that asks for them needs it.
pub fn zip(test: &str, arch: Arch) -> PathBuf {
    let zip = dist_dir().join(format!("metricline-{}.zip", arch.name()));
    assert!(
        zip.exists(),
        "{test}: {} is missing: run layer/build.sh (scripts/test.sh does) first",
        zip.display()
    );
    zip
}

/// Unpacks a layer zip into `opt` (as Lambda does into `/opt`) and returns
/// `opt/extensions/metricline`.
pub fn unpack(zip: &Path, opt: &Path) -> Result<PathBuf, String> {
    // Info-ZIP's unzip restores the Unix mode bits stored in the zip, like Lambda.
    let status = Command::new("unzip")
        .arg("-q")
        .arg("-o")
        .arg(zip)
        .arg("-d")
        .arg(opt)
        .status()
        .map_err(|e| format!("running unzip: {e}"))?;
    if !status.success() {
        return Err(format!("unzip {} failed: {status}", zip.display()));
    }
    let binary = opt.join("extensions/metricline");
    binary
        .exists()
        .then_some(binary)
        .ok_or_else(|| format!("{} has no extensions/metricline", zip.display()))
}

/// What the ELF headers say about how a binary is linked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfLinking {
    pub machine: u16,
    /// A `PT_INTERP` program header: the binary needs a dynamic loader.
    pub interpreter: bool,
    /// `DT_NEEDED` entries of the dynamic section (a static-pie binary has a dynamic
    /// section for its own relocations, but needs no library).
    pub needed: usize,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Reads the program headers of a 64-bit little-endian ELF file (both Lambda architectures).
pub fn elf_linking(bytes: &[u8]) -> Result<ElfLinking, String> {
    const PT_DYNAMIC: u32 = 2;
    const PT_INTERP: u32 = 3;
    const DT_NEEDED: u64 = 1;
    if bytes.get(..4) != Some(b"\x7fELF".as_slice()) || bytes.get(4) != Some(&2) {
        return Err("not a 64-bit ELF file".into());
    }
    if bytes.get(5) != Some(&1) {
        return Err("not little-endian".into());
    }
    let short = || "truncated ELF header".to_string();
    let machine = u16_at(bytes, 18).ok_or_else(short)?;
    let phoff = u64_at(bytes, 32).ok_or_else(short)? as usize;
    let phentsize = u16_at(bytes, 54).ok_or_else(short)? as usize;
    let phnum = u16_at(bytes, 56).ok_or_else(short)? as usize;
    let mut linking = ElfLinking {
        machine,
        interpreter: false,
        needed: 0,
    };
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        let kind = u32_at(bytes, ph).ok_or_else(short)?;
        if kind == PT_INTERP {
            linking.interpreter = true;
        }
        if kind == PT_DYNAMIC {
            let offset = u64_at(bytes, ph + 8).ok_or_else(short)? as usize;
            let size = u64_at(bytes, ph + 32).ok_or_else(short)? as usize;
            for entry in (offset..offset + size).step_by(16) {
                match u64_at(bytes, entry) {
                    Some(0) | None => break,
                    Some(DT_NEEDED) => linking.needed += 1,
                    Some(_) => {}
                }
            }
        }
    }
    Ok(linking)
}

/// `qemu-aarch64-static`, if installed (`scripts/setup-qemu.sh`).
pub fn qemu() -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join("qemu-aarch64-static"))
        .find(|p| p.exists())
}

/// Writes `dir/metricline`, a script that runs an arm64 binary under qemu. qemu hands the
/// guest its own argv[0] (the binary's path, whose file name is `metricline`), so the
/// extension still registers as `metricline`.
pub fn qemu_wrapper(qemu: &Path, binary: &Path, dir: &Path) -> Result<PathBuf, String> {
    use std::os::unix::fs::PermissionsExt;
    let wrapper = dir.join("metricline");
    let script = format!(
        "#!/bin/sh\nexec '{}' '{}' \"$@\"\n",
        qemu.display(),
        binary.display()
    );
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    std::fs::write(&wrapper, script).map_err(|e| e.to_string())?;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| e.to_string())?;
    Ok(wrapper)
}

/// Starts a sandbox running `extension` (a layer binary or its qemu wrapper) with a sample
/// function, exporting over http/protobuf to `sink`, plus `env`.
pub fn start_sandbox(
    extension: &Path,
    function: &str,
    python: &Path,
    sink: &Sink,
    env: &[(&str, &str)],
) -> Result<Sandbox, String> {
    sandbox_builder(extension, function, python, sink, env).start()
}

/// What [`start_sandbox`] starts, for a caller with more settings (Lambda's limits).
pub fn sandbox_builder(
    extension: &Path,
    function: &str,
    python: &Path,
    sink: &Sink,
    env: &[(&str, &str)],
) -> Builder {
    sandbox_builder_named(extension, "metricline", function, python, sink, env)
}

/// [`sandbox_builder`] with an extension registered under another name (another project's).
pub fn sandbox_builder_named(
    extension: &Path,
    name: &str,
    function: &str,
    python: &Path,
    sink: &Sink,
    env: &[(&str, &str)],
) -> Builder {
    let mut builder = Sandbox::builder()
        .extension_named(extension, name)
        .function_dir(sandbox::sample_function(function))
        .python(python);
    let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    for (k, v) in exporter_env(sink, Otlp::HttpProtobuf)
        .into_iter()
        .chain(env)
    {
        builder = builder.env(k, v);
    }
    builder
}
