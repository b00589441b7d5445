//! What binding the StatsD listener adds to the extension's start (docs/statsd.md):
//! `cargo run --release -p metricline --example statsd_bind_cost`
//! Binds and drops the listener's socket 2000 times on an ephemeral loopback port and
//! prints the median and p90 of one bind (socket, receive buffer, bind, tokio registration).

use metricline::statsd_listener::StatsdListener;
use std::time::{Duration, Instant};

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("runtime");
    let _inside = runtime.enter();
    let addr = "127.0.0.1:0".parse().expect("address");
    let mut times: Vec<Duration> = (0..2000)
        .map(|_| {
            let started = Instant::now();
            let listener = StatsdListener::bind(addr).expect("bind");
            let took = started.elapsed();
            drop(listener);
            took
        })
        .collect();
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "StatsD listener bind: median {:?}, p90 {:?} ({} binds)",
        at(0.5),
        at(0.9),
        times.len()
    );
}
