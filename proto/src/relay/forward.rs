//! One request on its way to the backend: the received requests of one signal, merged.
//!
//! Merging costs nothing: concatenated protobuf encodings of one message type decode as one
//! message whose repeated fields hold every part's entries in order, so the concatenation
//! of several `Export…ServiceRequest`s is one request listing all their resources.

use super::Signal;
use crate::otlp::OtlpBody;

#[derive(Debug, Clone, PartialEq)]
pub struct Forward {
    pub signal: Signal,
    pub protobuf: Vec<u8>,
    /// Items (data points, spans, log records) in it.
    pub items: u64,
    /// Objects and array elements of its OTLP/JSON, summed over the requests it merges.
    pub values: usize,
    /// How many received requests it merges.
    pub requests: usize,
}

impl OtlpBody for Forward {
    fn is_empty(&self) -> bool {
        self.protobuf.is_empty()
    }

    fn protobuf(&self) -> Vec<u8> {
        self.protobuf.clone()
    }

    /// Only for a backend configured for `http/json`: written item by item
    /// ([`super::json_out`]), never decoded whole.
    fn json(&self) -> Vec<u8> {
        super::json_out::write(self.signal, &self.protobuf)
    }
}
