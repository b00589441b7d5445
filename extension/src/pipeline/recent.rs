//! The request ids of the last few `runtimeDone` or `report` events: enough for the flush
//! loop to ask "has request X finished?", bounded whatever the stream does. The platform
//! metrics keep per-request state in `proto/src/platform/recent.rs`, private to their rules
//! (docs/architecture.md).

use std::collections::VecDeque;

const KEEP: usize = 32;

#[derive(Debug, Default)]
pub struct RecentIds {
    ids: VecDeque<String>,
}

impl RecentIds {
    pub fn insert(&mut self, id: &str) {
        if self.contains(id) {
            return;
        }
        if self.ids.len() == KEEP {
            self.ids.pop_front();
        }
        self.ids.push_back(id.to_string());
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
    }
}
