//! Out-of-memory detection: the platform's error type, a report at the memory limit, or a
//! runtime's own OOM message in the function's log, counted once per request.

use super::recent::Recent;
use crate::telemetry::RecordRef;
use serde::Deserialize;
use std::borrow::Cow;

/// The `errorType` Lambda reports when the runtime was killed for using all its memory.
pub const OOM_ERROR_TYPE: &str = "Runtime.OutOfMemory";

/// What runtimes print when they run out of memory. All contain "emory", which lets the
/// common case (an ordinary log line) be ruled out with a single scan.
const LOG_MARKERS: [&str; 7] = [
    // Python
    "MemoryError",
    // Node.js
    "JavaScript heap out of memory",
    // Java
    "java.lang.OutOfMemoryError",
    // .NET
    "System.OutOfMemoryException",
    // Go
    "fatal error: runtime: out of memory",
    // Lambda's own message, e.g. relayed by a runtime or a wrapper
    OOM_ERROR_TYPE,
    // Ruby ("failed to allocate memory (NoMemoryError)" also matches "MemoryError")
    "failed to allocate memory",
];

/// Whether a `function` log record is a runtime's out-of-memory message.
pub fn is_oom_log(record: RecordRef<'_>) -> bool {
    // Of a JSON record, its JSON text: the markers contain nothing that JSON would escape.
    let text = record.text();
    text.contains("emory") && LOG_MARKERS.iter().any(|m| text.contains(m))
}

/// The `requestId` a JSON function record carries (the JSON log format always adds it to
/// lines it wraps), so the line is matched to its own request even while several run at
/// once (Lambda Managed Instances). `None` for text records and JSON without one.
pub(crate) fn log_request_id(record: RecordRef<'_>) -> Option<String> {
    #[derive(Deserialize)]
    struct Tagged<'a> {
        #[serde(rename = "requestId", borrow)]
        request_id: Option<Cow<'a, str>>,
    }
    let RecordRef::Json(json) = record else {
        return None;
    };
    let tagged: Tagged<'_> = serde_json::from_str(json).ok()?;
    tagged
        .request_id
        .filter(|id| !id.is_empty())
        .map(Cow::into_owned)
}

/// The requests already counted as out of memory.
#[derive(Debug, Default)]
pub(crate) struct OomTracker {
    counted: Recent<()>,
}

impl OomTracker {
    /// Returns true the first time a request is seen out of memory.
    pub(crate) fn first_for(&mut self, request_id: &str) -> bool {
        if self.counted.contains(request_id) {
            return false;
        }
        self.counted.insert(request_id, ());
        true
    }
}
