//! Unit tests of the flush decisions, on an injected clock.

use super::*;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn end_and_continuous_plans_do_not_depend_on_time() {
    let t0 = Instant::now();
    let mut end = Planner::new(Strategy::End);
    assert_eq!(end.on_invoke(t0), InvokePlan::End);
    assert_eq!(end.on_invoke(t0), InvokePlan::End);
    let mut continuous = Planner::new(Strategy::Continuous(secs(1)));
    assert_eq!(
        continuous.on_invoke(t0),
        InvokePlan::Continuous { interval: secs(1) }
    );
}

#[test]
fn periodic_flushes_at_the_first_invoke_then_once_the_interval_passed() {
    let t0 = Instant::now();
    let mut planner = Planner::new(Strategy::Periodic(secs(5)));
    assert_eq!(
        planner.on_invoke(t0),
        InvokePlan::Periodic { flush_now: true }
    );
    planner.flushed(t0);
    assert_eq!(
        planner.on_invoke(t0 + Duration::from_millis(4999)),
        InvokePlan::Periodic { flush_now: false }
    );
    assert_eq!(
        planner.on_invoke(t0 + secs(5)),
        InvokePlan::Periodic { flush_now: true }
    );
}

#[test]
fn adaptive_ends_each_invoke_while_invokes_are_rare() {
    let t0 = Instant::now();
    let mut planner = Planner::new(Strategy::Adaptive);
    // One invoke every 7 s: at most 9 in any 60 s window.
    for i in 0..30 {
        assert_eq!(
            planner.on_invoke(t0 + secs(7 * i)),
            InvokePlan::End,
            "invoke {i}"
        );
    }
}

#[test]
fn adaptive_switches_to_periodic_at_the_tenth_invoke_within_a_minute() {
    let t0 = Instant::now();
    let mut planner = Planner::new(Strategy::Adaptive);
    for i in 0..9 {
        assert_eq!(planner.on_invoke(t0 + secs(i)), InvokePlan::End);
        planner.flushed(t0 + secs(i));
    }
    // Periodic from the tenth: the last flush was 1 s ago, so nothing is due yet.
    assert_eq!(
        planner.on_invoke(t0 + secs(9)),
        InvokePlan::Periodic { flush_now: false }
    );
    assert_eq!(
        planner.on_invoke(t0 + secs(18)),
        InvokePlan::Periodic { flush_now: true }
    );
}

#[test]
fn adaptive_goes_back_to_end_when_the_rate_drops_with_hysteresis() {
    let t0 = Instant::now();
    let mut adaptive = Adaptive::new();
    for i in 0..10 {
        adaptive.on_invoke(t0 + secs(i));
    }
    assert!(adaptive.is_periodic());
    // Slower (one per 15 s): 4 to 5 invokes per minute stays periodic (hysteresis)...
    let mut t = t0 + secs(9);
    for _ in 0..8 {
        t += secs(15);
        assert!(adaptive.on_invoke(t));
    }
    // ...one per 25 s means at most 3 per minute: back to end.
    let mut switched = false;
    for _ in 0..4 {
        t += secs(25);
        switched |= !adaptive.on_invoke(t);
    }
    assert!(switched);
    assert!(!adaptive.is_periodic());
}

#[test]
fn adaptive_returns_to_end_after_a_long_pause() {
    let t0 = Instant::now();
    let mut planner = Planner::new(Strategy::Adaptive);
    for i in 0..12 {
        planner.on_invoke(t0 + secs(i));
    }
    assert!(matches!(
        planner.on_invoke(t0 + secs(12)),
        InvokePlan::Periodic { .. }
    ));
    assert_eq!(planner.on_invoke(t0 + secs(600)), InvokePlan::End);
}

#[test]
fn parses_every_strategy_and_refuses_the_rest() {
    assert_eq!(
        Strategy::parse(" Periodic,100 "),
        Some(Strategy::Periodic(Duration::from_millis(100)))
    );
    assert_eq!(
        Strategy::parse("continuous,1"),
        Some(Strategy::Continuous(Duration::from_millis(1)))
    );
    for bad in [
        "",
        "end,",
        "adaptive,5",
        "periodic,",
        "periodic,1.5",
        "continuous,0",
    ] {
        assert_eq!(Strategy::parse(bad), None, "{bad}");
    }
}
