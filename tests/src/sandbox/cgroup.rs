//! Lambda's resource limits for the sandbox's processes: one cgroup holding the runtime and
//! the extensions, with the function's memory limit and a CPU quota proportional to it
//! (1,769 MB buys one vCPU, so 128 MB gets 128/1769 of a core).
//!
//! The cgroup is created as a child of the test process's own cgroup (cgroup v1: one per
//! controller, `memory` and `cpu`; cgroup v2: one directory with both controllers), so a
//! supervisor's accounting of the test process still covers it. Processes join right after
//! they are spawned, by writing their pid to `cgroup.procs`: the sandbox spawns with vfork
//! and no pre-exec hook, so nothing can run in the child before `exec`. What a process does
//! in the few microseconds before the write is not limited; threads and children it makes
//! later are.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Memory that buys one vCPU on Lambda.
pub const MB_PER_VCPU: u64 = 1769;
/// The CFS period the quota is a share of.
const PERIOD_US: u64 = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    V2,
}

/// A cgroup with a memory limit and a CPU quota, removed when dropped.
#[derive(Debug)]
pub struct Cgroup {
    version: Version,
    /// v1: the `memory` and the `cpu` directory; v2: the one directory.
    dirs: Vec<PathBuf>,
    memory_mb: u64,
    quota_us: u64,
}

/// What the cgroup saw of its processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Processes the kernel killed for going over the memory limit.
    pub oom_kills: u64,
    /// Peak memory charged to the cgroup (all its processes together, page cache included).
    pub peak_bytes: u64,
    /// CFS periods in which the quota stopped the processes.
    pub throttled_periods: u64,
}

static NEXT: AtomicU64 = AtomicU64::new(0);

impl Cgroup {
    /// A new cgroup with Lambda's limits for a function of `memory_mb`: that much memory
    /// (no swap) and `memory_mb / 1769` of one CPU. `Err` says why this machine cannot
    /// (no writable cgroup v1 `memory` and `cpu` controllers, nor cgroup v2 with both).
    pub fn lambda(memory_mb: u64) -> Result<Cgroup, String> {
        let quota_us = (PERIOD_US * memory_mb / MB_PER_VCPU).max(1000);
        let name = format!(
            "metricline-sandbox-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let own = std::fs::read_to_string("/proc/self/cgroup").map_err(|e| e.to_string())?;
        let v1 = ["memory", "cpu"].map(|c| own_dir_v1(&own, c).map(|d| d.join(&name)));
        let (version, dirs) = match v1 {
            [Some(memory), Some(cpu)] => (Version::V1, vec![memory, cpu]),
            _ => (Version::V2, vec![own_dir_v2(&own)?.join(&name)]),
        };
        for dir in &dirs {
            std::fs::create_dir(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        }
        let cgroup = Cgroup {
            version,
            dirs,
            memory_mb,
            quota_us,
        };
        cgroup.set_limits()?;
        Ok(cgroup)
    }

    fn set_limits(&self) -> Result<(), String> {
        let bytes = (self.memory_mb << 20).to_string();
        match self.version {
            Version::V1 => {
                write(&self.dirs[0], "memory.limit_in_bytes", &bytes)?;
                // Without swap accounting the file is absent, and there is no swap to use.
                let _ = write(&self.dirs[0], "memory.memsw.limit_in_bytes", &bytes);
                write(&self.dirs[1], "cpu.cfs_period_us", &PERIOD_US.to_string())?;
                write(
                    &self.dirs[1],
                    "cpu.cfs_quota_us",
                    &self.quota_us.to_string(),
                )
            }
            Version::V2 => {
                write(&self.dirs[0], "memory.max", &bytes)?;
                let _ = write(&self.dirs[0], "memory.swap.max", "0");
                let max = format!("{} {PERIOD_US}", self.quota_us);
                write(&self.dirs[0], "cpu.max", &max)
            }
        }
    }

    /// Moves a process (all its threads) into the cgroup.
    pub fn add(&self, pid: u32) -> Result<(), String> {
        for dir in &self.dirs {
            write(dir, "cgroup.procs", &pid.to_string())?;
        }
        Ok(())
    }

    pub fn memory_mb(&self) -> u64 {
        self.memory_mb
    }

    /// The CPU share as a fraction of one core.
    pub fn cpu_share(&self) -> f64 {
        self.quota_us as f64 / PERIOD_US as f64
    }

    pub fn usage(&self) -> Usage {
        let memory = &self.dirs[0];
        let cpu = self.dirs.last().expect("a directory");
        let cpu_stat = read(cpu, "cpu.stat");
        match self.version {
            Version::V1 => Usage {
                oom_kills: field(&read(memory, "memory.oom_control"), "oom_kill"),
                peak_bytes: read(memory, "memory.max_usage_in_bytes")
                    .trim()
                    .parse()
                    .unwrap_or(0),
                throttled_periods: field(&cpu_stat, "nr_throttled"),
            },
            Version::V2 => Usage {
                oom_kills: field(&read(memory, "memory.events"), "oom_kill"),
                peak_bytes: read(memory, "memory.peak").trim().parse().unwrap_or(0),
                throttled_periods: field(&cpu_stat, "nr_throttled"),
            },
        }
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        // The sandbox has sent SIGKILL; a killed process leaves its cgroup as it exits.
        let deadline = Instant::now() + Duration::from_secs(2);
        for dir in &self.dirs {
            while std::fs::remove_dir(dir).is_err() && dir.exists() {
                if Instant::now() > deadline {
                    eprintln!("cgroup {} still busy; left behind", dir.display());
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// The directory of our own cgroup for a v1 `controller`, if it is mounted and writable.
fn own_dir_v1(own: &str, controller: &str) -> Option<PathBuf> {
    let path = own.lines().find_map(|line| {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        controllers
            .split(',')
            .any(|c| c == controller)
            .then_some(path)
    })?;
    let dir = Path::new("/sys/fs/cgroup")
        .join(controller)
        .join(path.trim_start_matches('/'));
    writable(&dir).then_some(dir)
}

/// The directory of our own cgroup v2, with the memory and cpu controllers delegated to
/// its children.
fn own_dir_v2(own: &str) -> Result<PathBuf, String> {
    let unavailable = "neither writable cgroup v1 memory and cpu controllers nor cgroup v2";
    let path = own
        .lines()
        .find_map(|line| line.strip_prefix("0::"))
        .ok_or(unavailable)?;
    let root = ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]
        .into_iter()
        .map(Path::new)
        .find(|root| root.join("cgroup.controllers").exists())
        .ok_or(unavailable)?;
    let dir = root.join(path.trim_start_matches('/'));
    let controllers = read(&dir, "cgroup.controllers");
    let has = |c: &str| controllers.split_whitespace().any(|x| x == c);
    if !(has("memory") && has("cpu") && writable(&dir)) {
        return Err(format!(
            "{unavailable} (cgroup v2 at {} offers [{}])",
            dir.display(),
            controllers.trim()
        ));
    }
    write(&dir, "cgroup.subtree_control", "+memory +cpu")?;
    Ok(dir)
}

fn writable(dir: &Path) -> bool {
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()) else {
        return false;
    };
    // SAFETY: access(2) with a NUL-terminated path.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

fn write(dir: &Path, file: &str, value: &str) -> Result<(), String> {
    let path = dir.join(file);
    std::fs::write(&path, value).map_err(|e| format!("writing {value} to {}: {e}", path.display()))
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_default()
}

/// The number after `name` in a `name value` per line file (`memory.events`, `cpu.stat`).
fn field(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|line| {
            line.strip_prefix(name)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// Whether the sandbox can put its processes under Lambda's limits here; `Err` says why
/// not. Creates and removes a probe cgroup.
pub fn available() -> Result<(), String> {
    Cgroup::lambda(128).map(drop)
}

/// For a test that needs the limits: `true` if available. Otherwise outside CI it says the
/// test is skipped and returns `false`; with `CI=true` it fails the test.
pub fn require(test: &str) -> bool {
    let Err(why) = available() else {
        return true;
    };
    crate::layer::missing(test, &format!("no cgroup limits for the sandbox: {why}"));
    false
}
