//! Loopback ports for a process under test to listen on later.
//!
//! A port the kernel hands out for `bind(0)` comes from its ephemeral range, the same range
//! it draws the source port of every outgoing connection from: between a test releasing
//! such a port and the extension binding it, the extension's own connection to the
//! Extensions API, or rotel's, can take it ("Address already in use"). So these ports come
//! from below the ephemeral range, where only an explicit bind lands, and each is handed
//! out once per test process; tests running in parallel then never meet.

use std::net::{TcpListener, UdpSocket};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::OnceLock;

/// How many ports below the ephemeral range the helpers walk through.
const SPAN: u16 = 8192;

/// A TCP port on 127.0.0.1 that nothing listens on, outside the kernel's ephemeral range.
pub fn tcp() -> u16 {
    next(|port| TcpListener::bind(("127.0.0.1", port)).is_ok())
}

/// A UDP port on 127.0.0.1 that nothing is bound to, outside the kernel's ephemeral range.
pub fn udp() -> u16 {
    next(|port| UdpSocket::bind(("127.0.0.1", port)).is_ok())
}

fn next(free: impl Fn(u16) -> bool) -> u16 {
    static NEXT: OnceLock<AtomicU16> = OnceLock::new();
    let low = ephemeral_low().saturating_sub(SPAN).max(1024);
    // Processes start at different offsets, so two test binaries run at once seldom meet.
    let next = NEXT.get_or_init(|| AtomicU16::new((std::process::id() % u32::from(SPAN)) as u16));
    for _ in 0..SPAN {
        let port = low + next.fetch_add(1, Ordering::Relaxed) % SPAN;
        if free(port) {
            return port;
        }
    }
    panic!("no free port in {low}..{}", low + SPAN);
}

/// The first port of the kernel's ephemeral range (Linux: `ip_local_port_range`).
fn ephemeral_low() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse().ok())
        .unwrap_or(32768)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_below_the_ephemeral_range_and_not_repeated() {
        let low = ephemeral_low();
        let ports: Vec<u16> = (0..50)
            .map(|_| tcp())
            .chain((0..50).map(|_| udp()))
            .collect();
        assert!(
            ports.iter().all(|&port| port < low),
            "{ports:?} under {low}"
        );
        let mut unique = ports.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ports.len(), "{ports:?}");
    }
}
