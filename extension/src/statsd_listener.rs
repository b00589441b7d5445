//! The StatsD/DogStatsD listener (docs/statsd.md): a UDP socket, by default on
//! 127.0.0.1:8125, whose datagrams go into the same pipeline as log lines.
//!
//! A flush drains the socket before it takes from the aggregator, so every datagram the
//! function sent before its invoke ended is in that invoke's flush: on loopback a
//! datagram sits in our receive queue once the client's `sendto` has returned. The
//! receive buffer is enlarged so that a burst, or what arrives while nothing reads (a
//! flush in progress), is not dropped; what the kernel drops anyway is counted.

use crate::pipeline::lock;
use crate::pipeline::{Now, Shared};
use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// Receive buffer asked for. Linux caps it at `net.core.rmem_max` (and doubles it for
/// bookkeeping); an unprivileged process cannot go past that cap, so this is a request.
const RECEIVE_BUFFER: usize = 4 * 1024 * 1024;
/// The largest UDP payload: no datagram is ever truncated.
const MAX_DATAGRAM: usize = 65_536;
/// Datagrams read per wake-up before letting other tasks run (the Telemetry listener, the
/// flush), so that a flood cannot starve them.
const READ_BATCH: usize = 256;
/// Datagrams a flush drains at most: more than any receive buffer Linux allows an
/// unprivileged process can hold, so the limit only matters if the function keeps
/// sending during a flush (the periodic strategies).
const FLUSH_DRAIN_LIMIT: usize = 65_536;

pub struct StatsdListener {
    /// For waiting: tokio's readiness tells when datagrams arrive.
    socket: UdpSocket,
    /// The same socket (a duplicated descriptor), for reading. A read through tokio
    /// trusts tokio's cached readiness, which lags behind the kernel until the runtime
    /// next polls: a flush draining through it would miss datagrams that arrived since.
    /// A plain non-blocking `recv` asks the kernel itself.
    reader: std::net::UdpSocket,
    /// Reused for every datagram; the lock is never contended (one runtime thread).
    buffer: Mutex<Box<[u8]>>,
    /// The kernel's drop count already reported.
    drops_reported: AtomicU32,
    /// Whether a datagram was read since the kernel's drop count was last asked for.
    read_since_drops: AtomicBool,
}

/// Binds `addr` (`None`: `METRICLINE_STATSD=off`) and serves it in the background. A port
/// already taken (another extension's StatsD agent) is logged once and metricline runs on
/// without the listener.
pub fn start(addr: Option<SocketAddr>, shared: &Arc<Shared>) -> Option<Arc<StatsdListener>> {
    let addr = addr?;
    match StatsdListener::bind(addr) {
        Ok(listener) => {
            let listener = Arc::new(listener);
            tokio::spawn(serve(listener.clone(), shared.clone()));
            Some(listener)
        }
        Err(e) => {
            crate::warn!(
                "cannot listen for StatsD on udp://{addr} ({e}); metricline runs on without \
                 the StatsD listener (METRICLINE_STATSD changes the address or turns it off)"
            );
            None
        }
    }
}

async fn serve(listener: Arc<StatsdListener>, shared: Arc<Shared>) {
    loop {
        if let Err(e) = listener.socket.readable().await {
            crate::error!("the StatsD listener stopped ({e})");
            return;
        }
        // Through tokio, so that a `WouldBlock` clears the readiness it waited on.
        let read = listener
            .socket
            .try_io(Interest::READABLE, || listener.drain(&shared, READ_BATCH));
        shared.notify_changed();
        if matches!(read, Ok(READ_BATCH)) {
            tokio::task::yield_now().await;
        }
    }
}

impl StatsdListener {
    /// A non-blocking UDP socket bound to `addr`, with the larger receive buffer. No
    /// `SO_REUSEADDR`/`SO_REUSEPORT`: a port someone else holds must be an error, not a
    /// silent share of their datagrams.
    pub fn bind(addr: SocketAddr) -> io::Result<StatsdListener> {
        let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
        socket.set_nonblocking(true)?;
        if let Err(e) = socket.set_recv_buffer_size(RECEIVE_BUFFER) {
            crate::debug!("StatsD receive buffer left at the default ({e})");
        }
        socket.bind(&addr.into())?;
        let socket: std::net::UdpSocket = socket.into();
        Ok(StatsdListener {
            reader: socket.try_clone()?,
            socket: UdpSocket::from_std(socket)?,
            buffer: Mutex::new(vec![0; MAX_DATAGRAM].into_boxed_slice()),
            drops_reported: AtomicU32::new(0),
            read_since_drops: AtomicBool::new(false),
        })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Reads the datagrams waiting in the socket (at most `limit`) into the pipeline.
    /// Returns how many it read, or `WouldBlock` if it emptied the socket after reading
    /// fewer (what tokio needs to see to wait again).
    fn drain(&self, shared: &Shared, limit: usize) -> io::Result<usize> {
        let now = Now::read();
        let mut buffer = lock(&self.buffer);
        let mut pipeline = shared.lock();
        let mut read = 0;
        while read < limit {
            match self.reader.recv(&mut buffer) {
                Ok(len) => {
                    pipeline.ingest_statsd(&buffer[..len], now);
                    read += 1;
                    self.read_since_drops.store(true, Ordering::Relaxed);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Err(e),
                Err(e) => {
                    // Loopback UDP reports no per-datagram errors worth more than a note.
                    // Reported as `WouldBlock`, so the reader waits for the next datagram
                    // instead of spinning should the error persist.
                    crate::debug!("StatsD receive failed ({e})");
                    return Err(io::ErrorKind::WouldBlock.into());
                }
            }
        }
        Ok(read)
    }

    /// Datagrams the kernel dropped at this socket so far, where the OS reports it.
    pub fn kernel_drops(&self) -> Option<u32> {
        kernel_drops(&self.reader)
    }

    /// What a flush does before it takes from the aggregator: reads everything waiting,
    /// then records the line counts and the kernel's drops since the last flush.
    pub fn drain_for_flush(&self, shared: &Shared) {
        let _ = self.drain(shared, FLUSH_DRAIN_LIMIT);
        // The kernel drops only at a full receive queue, whose datagrams would have been
        // read since: with none read, there is no new drop and no system call to make.
        let dropped = if self.read_since_drops.swap(false, Ordering::Relaxed) {
            self.kernel_drops().map_or(0, |total| {
                let before = self.drops_reported.swap(total, Ordering::Relaxed);
                total.wrapping_sub(before)
            })
        } else {
            0
        };
        shared
            .lock()
            .record_statsd_counts(u64::from(dropped), Now::read());
    }
}

/// The kernel's count of datagrams it dropped at `socket` (a full receive buffer), from
/// `SO_MEMINFO` (Linux ≥ 4.6): one system call, unlike reading `/proc/net/udp`.
#[cfg(target_os = "linux")]
fn kernel_drops(socket: &std::net::UdpSocket) -> Option<u32> {
    use std::os::fd::AsRawFd;
    // Not exported by the libc crate for every target; 55 on every Linux architecture
    // metricline ships for (asm-generic).
    const SO_MEMINFO: libc::c_int = 55;
    let mut info = [0u32; libc::SK_MEMINFO_DROPS as usize + 1];
    let mut len = std::mem::size_of_val(&info) as libc::socklen_t;
    // SAFETY: `info` is writable for `len` bytes, and the kernel writes at most `len`
    // bytes (it truncates to the length given) and updates `len`.
    let rc = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            SO_MEMINFO,
            info.as_mut_ptr().cast(),
            &mut len,
        )
    };
    let complete = rc == 0 && len as usize == std::mem::size_of_val(&info);
    complete.then_some(info[libc::SK_MEMINFO_DROPS as usize])
}

#[cfg(not(target_os = "linux"))]
fn kernel_drops(_socket: &std::net::UdpSocket) -> Option<u32> {
    None
}
