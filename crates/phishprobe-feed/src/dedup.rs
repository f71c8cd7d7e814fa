//! "Newly seen": a name is judged once per window, whatever the feed repeats.
//!
//! CT logs repeat names constantly (every renewal, every precertificate and its final
//! certificate, the same SAN list across several logs). A bounded window keeps the feed from
//! judging and publishing them again; JetStream's duplicate window and the store's upsert catch
//! what slips past (after a restart, across several feed processes).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Names seen within the last `window`, at most `capacity` of them (the oldest are forgotten
/// first, so memory stays bounded on the firehose).
#[derive(Debug)]
pub struct RecentNames {
    window: Duration,
    capacity: usize,
    seen: HashMap<String, Instant>,
    order: VecDeque<(String, Instant)>,
}

impl RecentNames {
    /// A window of `window` length holding at most `capacity` names (at least one).
    pub fn new(window: Duration, capacity: usize) -> RecentNames {
        RecentNames {
            window,
            capacity: capacity.max(1),
            seen: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// True the first time `name` is offered within the window; false for a repeat.
    pub fn first_sighting(&mut self, name: &str, now: Instant) -> bool {
        self.forget_before(now);
        if self.seen.contains_key(name) {
            return false;
        }
        while self.seen.len() >= self.capacity {
            if !self.forget_oldest() {
                break;
            }
        }
        self.seen.insert(name.to_string(), now);
        self.order.push_back((name.to_string(), now));
        true
    }

    /// How many names are remembered now.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether no name is remembered.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    fn forget_before(&mut self, now: Instant) {
        while let Some((_, at)) = self.order.front() {
            if now.saturating_duration_since(*at) < self.window {
                break;
            }
            self.forget_oldest();
        }
    }

    fn forget_oldest(&mut self) -> bool {
        match self.order.pop_front() {
            Some((name, at)) => {
                // Only forget the entry this queue slot stands for.
                if self.seen.get(&name) == Some(&at) {
                    self.seen.remove(&name);
                }
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeat_within_the_window_is_dropped_and_after_it_is_new_again() {
        let start = Instant::now();
        let mut recent = RecentNames::new(Duration::from_secs(60), 100);
        assert!(recent.first_sighting("a.com", start));
        assert!(!recent.first_sighting("a.com", start + Duration::from_secs(59)));
        assert!(recent.first_sighting("b.com", start + Duration::from_secs(30)));
        assert!(recent.first_sighting("a.com", start + Duration::from_secs(61)));
        assert_eq!(recent.len(), 2);
    }

    #[test]
    fn memory_stays_within_capacity() {
        let now = Instant::now();
        let mut recent = RecentNames::new(Duration::from_secs(3600), 3);
        for i in 0..10 {
            assert!(recent.first_sighting(&format!("n{i}.com"), now));
        }
        assert_eq!(recent.len(), 3);
        assert!(
            recent.first_sighting("n0.com", now),
            "the oldest were forgotten"
        );
        assert!(
            !recent.first_sighting("n9.com", now),
            "the newest are remembered"
        );
    }
}
