//! The sandbox's Lambda limits (`sandbox/cgroup.rs`): the memory limit kills a process
//! that outgrows it, and the CPU quota holds a busy process to its share of one core.
//! Skipped with a message where the machine has no writable cgroup (failed under CI).

use metricline_tests::sandbox::cgroup::{self, Cgroup, MB_PER_VCPU};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `script` with `sh` inside `cgroup`: it starts only once it is in there (it first
/// reads a line the test sends after adding it). Returns the wait status, the CPU time
/// the process and its children used, and the wall time.
// Reaped with wait4 (for its rusage), which clippy does not see.
#[allow(clippy::zombie_processes)]
fn run_inside(cgroup: &Cgroup, script: &str) -> (i32, Duration, Duration) {
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("read go && {script}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn sh");
    cgroup.add(child.id()).expect("join the cgroup");
    let started = Instant::now();
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(b"go\n")
        .expect("start");
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 on our own child with valid pointers.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: see above.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid);
    let wall = started.elapsed();
    // The script's own commands are children of sh: their time is in RUSAGE_CHILDREN, and
    // dash runs the loop itself, so ru_utime + ru_stime of sh is what it used.
    let micros = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    let cpu = Duration::from_micros(micros(usage.ru_utime) + micros(usage.ru_stime));
    (status, cpu, wall)
}

#[test]
fn a_process_outgrowing_the_memory_limit_is_killed() {
    if !cgroup::require("a_process_outgrowing_the_memory_limit_is_killed") {
        return;
    }
    let cgroup = Cgroup::lambda(32).expect("cgroup");
    // `tail` holds a 100 MB line: three times the limit. The shell reports how it ended.
    let (status, _, _) = run_inside(&cgroup, "head -c 100000000 /dev/zero | tail -n 1");
    let killed = 128 + libc::SIGKILL;
    assert_eq!(libc::WEXITSTATUS(status), killed, "status {status:#x}");
    assert!(cgroup.usage().oom_kills >= 1, "{:?}", cgroup.usage());
}

#[test]
fn a_busy_process_gets_its_memory_share_of_one_cpu() {
    if !cgroup::require("a_busy_process_gets_its_memory_share_of_one_cpu") {
        return;
    }
    let cgroup = Cgroup::lambda(128).expect("cgroup");
    let share = 128.0 / MB_PER_VCPU as f64;
    assert!(
        (cgroup.cpu_share() - share).abs() < 0.001,
        "{}",
        cgroup.cpu_share()
    );
    let (status, cpu, wall) =
        run_inside(&cgroup, "i=0; while [ $i -lt 50000 ]; do i=$((i+1)); done");
    assert_eq!(status, 0);
    // Unlimited, a busy loop uses about one core (cpu ≈ wall); held to 7% of one, the
    // quota throttles it in most periods.
    assert!(cgroup.usage().throttled_periods > 0, "{:?}", cgroup.usage());
    assert!(
        cpu.as_secs_f64() < wall.as_secs_f64() * 0.25,
        "cpu {cpu:?} over wall {wall:?}"
    );
}
