//! The accept loop both servers share, the one permit they share to read and decode a
//! request (a flood of requests waits in the kernel's backlog instead of in our memory),
//! and the reading of a request body.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use super::inbox::Inbox;

/// What a connection's requests need.
#[derive(Clone)]
pub struct Intake {
    pub inbox: Arc<Inbox>,
    decoding: Arc<Semaphore>,
}

impl Intake {
    pub fn new(inbox: Arc<Inbox>) -> Self {
        Intake {
            inbox,
            decoding: Arc::new(Semaphore::new(1)),
        }
    }

    /// Runs `work` (reading and decoding one request) while no other request is.
    pub async fn one_at_a_time<T>(&self, work: impl Future<Output = T>) -> T {
        let _permit = self.decoding.acquire().await;
        work.await
    }
}

/// Serves `listener` until the process ends, each connection in a task of its own. Accept
/// errors (e.g. out of file descriptors) are logged and retried after a short pause.
pub async fn accept_loop<F, C, E>(
    listener: TcpListener,
    what: &'static str,
    intake: Intake,
    serve: F,
) where
    F: Fn(TcpStream, Intake) -> C,
    C: Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Display,
{
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                let connection = serve(stream, intake.clone());
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        crate::debug!("{what} connection ended: {e}");
                    }
                });
            }
            Err(e) => {
                crate::warn!("{what} receiver accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Why a request body was not read.
pub enum BodyError {
    TooLarge,
    Broken(String),
}

/// Reads a body of at most `limit` bytes into one buffer, sized by the declared length when
/// there is one: collecting the chunks and then joining them would hold a large body twice.
pub async fn read_body(
    mut body: Incoming,
    limit: usize,
    declared: Option<u64>,
) -> Result<Vec<u8>, BodyError> {
    let capacity = declared.unwrap_or(0).min(limit as u64) as usize;
    let mut out = Vec::with_capacity(capacity);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| BodyError::Broken(e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > limit {
                return Err(BodyError::TooLarge);
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}
