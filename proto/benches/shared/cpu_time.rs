//! Criterion measurement by the benchmark thread's CPU time, not wall-clock time: on a
//! shared machine (CI, a busy laptop) wall-clock numbers mostly measure the neighbours,
//! while CPU time stays what one core spends, which is what the budgets are about.

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::Criterion;

pub struct ThreadCpuTime;

pub type Bench = Criterion<ThreadCpuTime>;

fn thread_cpu_nanos() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec; the clock id is a constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(rc, 0, "CLOCK_THREAD_CPUTIME_ID is available on Linux");
    now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64
}

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        thread_cpu_nanos()
    }
    fn end(&self, start: u64) -> u64 {
        thread_cpu_nanos() - start
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        // Nanoseconds, like wall-clock time: reuse its formatting.
        static WALL_TIME: WallTime = WallTime;
        WALL_TIME.formatter()
    }
}
