//! Test support for the evaluation tests.
//!
//! Two rules live here so that every crate's evaluation applies them the same way:
//! - the shared corpus (`../shared/corpus` beside the checkout) may be missing on a
//!   developer's machine, and the tests then skip with a message; with
//!   `PHISHPROBE_REQUIRE_CORPUS=1` (set by `.ci/run`) a missing corpus is a failure;
//! - a measured figure is held to its target from `data/eval_targets.toml`, or to the floor
//!   written there with the reason the target is not met yet. Floors sit in that one file, not
//!   scattered through the tests.
#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub mod audio;
pub mod nats;

/// The workspace root (this crate sits in `crates/phishprobe-testkit`).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether CI asked for the corpus to be present.
pub fn corpus_required() -> bool {
    std::env::var("PHISHPROBE_REQUIRE_CORPUS").is_ok_and(|v| v == "1")
}

/// The path of `rel` inside the shared corpus, or `None` (with a message) when it is not
/// there. Panics when it is missing and `PHISHPROBE_REQUIRE_CORPUS=1`.
pub fn corpus_path(rel: &str) -> Option<PathBuf> {
    let p = workspace_root().join("../shared/corpus").join(rel);
    if p.exists() {
        return Some(p);
    }
    assert!(
        !corpus_required(),
        "PHISHPROBE_REQUIRE_CORPUS=1 but the shared corpus file {} is missing",
        p.display()
    );
    eprintln!(
        "SKIP: {} not found (the shared corpus is not beside this checkout)",
        p.display()
    );
    None
}

/// [`corpus_path`], read as text.
pub fn corpus_text(rel: &str) -> Option<String> {
    let p = corpus_path(rel)?;
    Some(std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
}

/// Which way a figure must go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// The figure (a detection rate) must be at least the bound.
    Min,
    /// The figure (a false-positive rate) must be at most the bound.
    Max,
}

/// One measure of `data/eval_targets.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    /// The target, in percent.
    pub target: f64,
    /// `min` for rates that must reach the target, `max` for rates that must stay under it.
    pub direction: Direction,
    /// What the test holds the figure to while the target is not met.
    pub floor: Option<f64>,
    /// Why there is a floor (required with one).
    pub reason: Option<String>,
    /// Where the target comes from.
    pub source: String,
}

impl Measure {
    /// The bound the test asserts: the floor where one is written, else the target.
    pub fn bound(&self) -> f64 {
        self.floor.unwrap_or(self.target)
    }

    /// Whether `value` (percent) satisfies the target itself.
    pub fn meets_target(&self, value: f64) -> bool {
        match self.direction {
            Direction::Min => value >= self.target,
            Direction::Max => value <= self.target,
        }
    }

    /// Whether `value` satisfies the asserted bound.
    pub fn meets_bound(&self, value: f64) -> bool {
        match self.direction {
            Direction::Min => value >= self.bound(),
            Direction::Max => value <= self.bound(),
        }
    }
}

/// Every measure, keyed `area.name` (for example `email.amazon_recall`).
pub fn measures() -> BTreeMap<String, Measure> {
    let p = workspace_root().join("data/eval_targets.toml");
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let areas: BTreeMap<String, BTreeMap<String, Measure>> =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let mut out = BTreeMap::new();
    for (area, list) in areas {
        for (name, m) in list {
            assert!(
                m.floor.is_none() || m.reason.as_deref().is_some_and(|r| !r.trim().is_empty()),
                "{area}.{name}: a floor needs its reason"
            );
            out.insert(format!("{area}.{name}"), m);
        }
    }
    out
}

/// Prints `value` against the measure `key` and asserts its bound (the target, or the
/// written floor). A floor that the figure now meets the target under is reported, so the
/// floor can be removed.
pub fn assert_measure(key: &str, value: f64, what: &str) {
    let all = measures();
    let m = all
        .get(key)
        .unwrap_or_else(|| panic!("{key} is not in data/eval_targets.toml"));
    let op = match m.direction {
        Direction::Min => ">=",
        Direction::Max => "<=",
    };
    println!(
        "{key}: {value:.2}% ({what}); target {op} {}%{}",
        m.target,
        m.floor
            .map(|f| format!(", floor {f}% while the target is not met"))
            .unwrap_or_default()
    );
    if m.floor.is_some() && m.meets_target(value) {
        println!("{key}: the target is met now: remove the floor from data/eval_targets.toml");
    }
    assert!(
        m.meets_bound(value),
        "{key}: {value:.2}% ({what}) does not meet {op} {}% ({})",
        m.bound(),
        m.reason.as_deref().unwrap_or(&m.source)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_measure_loads_and_floors_are_below_their_targets() {
        let all = measures();
        assert!(all.len() >= 10);
        for (k, m) in &all {
            if let Some(f) = m.floor {
                let looser = match m.direction {
                    Direction::Min => f < m.target,
                    Direction::Max => f > m.target,
                };
                assert!(
                    looser,
                    "{k}: floor {f} is not looser than target {}",
                    m.target
                );
            }
        }
    }

    #[test]
    fn bounds_go_the_right_way() {
        let m = Measure {
            target: 95.0,
            direction: Direction::Min,
            floor: Some(88.0),
            reason: Some("r".into()),
            source: "s".into(),
        };
        assert!(m.meets_bound(90.0) && !m.meets_target(90.0) && !m.meets_bound(87.9));
        let m = Measure {
            target: 0.5,
            direction: Direction::Max,
            floor: None,
            reason: None,
            source: "s".into(),
        };
        assert!(m.meets_bound(0.5) && !m.meets_bound(0.6));
    }
}
