//! A small bounded memory of recent requests, keyed by request id.
//!
//! The platform state must not grow with the number of invokes, and the events that
//! relate to one request (its `runtimeDone`, `report` and log lines) arrive at most one
//! invoke apart, so remembering the last few dozen requests is plenty. The extension's
//! pipeline uses the same memory for "has request X finished?" and, on Lambda Managed
//! Instances, for the requests started and not yet reported.

use std::collections::VecDeque;

/// How many requests are remembered; the oldest is forgotten first.
const CAPACITY: usize = 64;

#[derive(Debug)]
pub struct Recent<V> {
    entries: VecDeque<(String, V)>,
    capacity: usize,
}

impl<V> Default for Recent<V> {
    fn default() -> Self {
        Recent::keeping(CAPACITY)
    }
}

impl<V> Recent<V> {
    /// Remembers at most `capacity` requests (on Lambda Managed Instances many requests
    /// are open at once, so "started and not yet reported" needs more than the default).
    pub fn keeping(capacity: usize) -> Self {
        Recent {
            entries: VecDeque::new(),
            capacity,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Remembers `value` for `request_id`, replacing an earlier value.
    pub fn insert(&mut self, request_id: &str, value: V) {
        if let Some(entry) = self.entries.iter_mut().find(|(id, _)| id == request_id) {
            entry.1 = value;
            return;
        }
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back((request_id.to_owned(), value));
    }

    pub fn contains(&self, request_id: &str) -> bool {
        self.entries.iter().any(|(id, _)| id == request_id)
    }

    /// Forgets `request_id`, returning what was remembered.
    pub fn remove(&mut self, request_id: &str) -> Option<V> {
        let at = self.entries.iter().position(|(id, _)| id == request_id)?;
        self.entries.remove(at).map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgets_the_oldest_past_capacity() {
        let mut recent = Recent::default();
        for i in 0..=CAPACITY {
            recent.insert(&i.to_string(), i);
        }
        assert!(!recent.contains("0"));
        assert!(recent.contains("1"));
        assert_eq!(recent.remove(&CAPACITY.to_string()), Some(CAPACITY));
        assert!(!recent.contains(&CAPACITY.to_string()));
    }
}
