//! The request ids of the last few `runtimeDone` or `report` events: enough for the flush
//! loop to ask "has request X finished?", bounded whatever the stream does. Also the
//! requests started and not yet reported, which SHUTDOWN waits for on Lambda Managed
//! Instances. The platform metrics keep per-request state in `proto/src/platform/recent.rs`,
//! private to their rules (docs/architecture.md).

use std::collections::VecDeque;

const KEEP: usize = 32;

#[derive(Debug)]
pub struct RecentIds {
    ids: VecDeque<String>,
    keep: usize,
}

impl Default for RecentIds {
    fn default() -> Self {
        RecentIds::keeping(KEEP)
    }
}

impl RecentIds {
    /// Remembers at most `keep` ids, forgetting the oldest first.
    pub fn keeping(keep: usize) -> Self {
        RecentIds {
            ids: VecDeque::new(),
            keep,
        }
    }

    pub fn insert(&mut self, id: &str) {
        if self.contains(id) {
            return;
        }
        if self.ids.len() == self.keep {
            self.ids.pop_front();
        }
        self.ids.push_back(id.to_string());
    }

    pub fn remove(&mut self, id: &str) {
        self.ids.retain(|known| known != id);
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.ids.iter().any(|known| known == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_recent_ids_and_forgets_the_oldest() {
        let mut ids = RecentIds::default();
        for i in 0..KEEP + 1 {
            ids.insert(&format!("r{i}"));
        }
        assert!(!ids.contains("r0"));
        assert!(ids.contains("r1"));
        assert!(ids.contains(&format!("r{KEEP}")));
        ids.remove("r1");
        assert!(!ids.contains("r1"));
    }

    #[test]
    fn empties_as_ids_are_removed() {
        let mut ids = RecentIds::keeping(2);
        ids.insert("a");
        ids.insert("b");
        ids.remove("a");
        assert!(!ids.is_empty());
        ids.remove("b");
        assert!(ids.is_empty());
    }
}
