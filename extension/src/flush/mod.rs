//! Flush scheduling (docs/configuration.md): the strategies and their decisions ([`policy`]), the
//! backoff while the backend fails ([`backoff`]), and the flush itself with its retry
//! buffer handling.

pub mod backoff;
pub mod dropped;
pub mod flusher;
pub mod policy;
