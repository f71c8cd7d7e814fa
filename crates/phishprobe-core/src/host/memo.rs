//! Host analyses remembered over a batch of links: a message's fifty tracking links usually
//! point at three hosts, and each host needs analysing once.

use std::collections::HashMap;

use super::HostInfo;
use crate::knowledge::Knowledge;
use crate::model::{Finding, ReportBuilder};

/// Hosts remembered at most: a batch is one message's links (a few hundred at most).
const MAX_HOSTS: usize = 1024;

/// The outcome of [`super::analyze`] for hostnames already seen in this batch.
///
/// The analysis of a name depends on the name and the knowledge only, and all it does to the
/// report is push findings and name a brand; so the same findings pushed again in the same
/// order, and the same brand named, leave a report exactly as the analysis itself would
/// ([`ReportBuilder::push`] skips a repeat, and the first brand named stays).
#[derive(Debug)]
pub struct HostMemo {
    seen: HashMap<String, Outcome>,
    /// False for a single link's check, where remembering (copying every outcome) would
    /// only cost.
    remember: bool,
}

impl Default for HostMemo {
    /// A memo that remembers: for a batch of links.
    fn default() -> HostMemo {
        HostMemo {
            seen: HashMap::new(),
            remember: true,
        }
    }
}

/// What one host analysis returned and did to its report.
#[derive(Debug)]
struct Outcome {
    info: HostInfo,
    findings: Vec<Finding>,
    brand: Option<String>,
}

impl Outcome {
    fn replay(&self, b: &mut ReportBuilder) {
        b.extend(self.findings.iter().cloned());
        if let Some(brand) = &self.brand {
            b.brand(brand);
        }
    }
}

impl HostMemo {
    /// A memo that remembers nothing: every analysis is made afresh, straight into the report.
    pub(crate) fn forgetful() -> HostMemo {
        HostMemo {
            seen: HashMap::new(),
            remember: false,
        }
    }

    /// How many hostnames are remembered.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether nothing is remembered yet.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// [`super::analyze`] of `raw`, from memory when this batch analysed it already.
    pub fn analyze(&mut self, knowledge: &Knowledge, raw: &str, b: &mut ReportBuilder) -> HostInfo {
        if !self.remember {
            return super::analyze(knowledge, raw, b);
        }
        if let Some(done) = self.seen.get(raw) {
            done.replay(b);
            return done.info.clone();
        }
        let mut own = ReportBuilder::new("");
        let info = super::analyze(knowledge, raw, &mut own);
        let done = Outcome {
            info: info.clone(),
            brand: own.current_brand().map(str::to_string),
            findings: own.findings().to_vec(),
        };
        done.replay(b);
        if self.seen.len() < MAX_HOSTS {
            self.seen.insert(raw.to_string(), done);
        }
        info
    }
}
