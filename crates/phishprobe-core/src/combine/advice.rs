//! Advice that fits the verdict, filled in for the case's brand: its official addresses and
//! where to report.

use super::rules::{AdviceRule, code_matches};
use super::{Advice, CaseBuilder, PartKind};
use crate::brand::BrandProfile;
use crate::model::{Message, Report, Severity, Verdict};

/// The brand's official addresses a person should type: a Seller Central host and a storefront
/// (the `.com` ones first), else the first listed web domains.
fn official_addresses(b: &BrandProfile) -> Vec<String> {
    let pick = |kind: &str| {
        let mut of_kind: Vec<&str> = b
            .web
            .iter()
            .filter(|w| w.kind == kind && w.domain.contains('.'))
            .map(|w| w.domain.as_str())
            .collect();
        of_kind.sort_by_key(|d| (!d.ends_with(".com"), d.len()));
        of_kind.first().map(|d| d.to_string())
    };
    let mut out: Vec<String> = ["seller_central", "storefront"]
        .iter()
        .filter_map(|k| pick(k))
        .collect();
    if out.is_empty() {
        out.extend(
            b.web
                .iter()
                .filter(|w| w.domain.contains('.'))
                .take(2)
                .map(|w| w.domain.clone()),
        );
    }
    out.iter_mut().for_each(|d| {
        if !d.starts_with("www.") && !d.starts_with("sellercentral.") && d.matches('.').count() == 1
        {
            *d = format!("www.{d}");
        }
        *d = format!("https://{d}");
    });
    out
}

fn report_channels(b: &BrandProfile) -> Vec<String> {
    b.report
        .iter()
        .map(|r| match r.kind.as_str() {
            "email" => format!("forward it to {}", r.value),
            _ => r.value.clone(),
        })
        .collect()
}

fn report_channels_zh(b: &BrandProfile) -> Vec<String> {
    b.report
        .iter()
        .map(|r| match r.kind.as_str() {
            "email" => format!("转发至 {}", r.value),
            _ => r.value.clone(),
        })
        .collect()
}

impl CaseBuilder<'_> {
    pub(super) fn advice(
        &self,
        verdict: Verdict,
        brand: Option<&str>,
        categories: &[&str],
        reports: &[(PartKind, &Report)],
    ) -> Vec<Advice> {
        let profile = brand.and_then(|b| self.knowledge.brands().get(b));
        let has_phone = reports.iter().any(|(k, _)| *k == PartKind::Phone)
            || reports
                .iter()
                .any(|(_, r)| r.findings.iter().any(|f| f.code.starts_with("phone.")));
        let mut out: Vec<Advice> = Vec::new();
        for rule in &self.rules.advice {
            if !rule.when.contains(&verdict) {
                continue;
            }
            if !rule.needs.is_empty()
                && !rule.needs.iter().any(|n| categories.contains(&n.as_str()))
            {
                continue;
            }
            if (rule.phone_only && !has_phone) || (rule.login_only && !self.login_involved) {
                continue;
            }
            if !rule.codes.is_empty() && !found_any(reports, &rule.codes) {
                continue;
            }
            if let Some(primary) = &rule.fallback_for
                && out.iter().any(|a| &a.code == primary)
            {
                continue;
            }
            if let Some(message) = fill(rule, profile) {
                out.push(Advice {
                    code: rule.code.clone(),
                    message,
                });
            }
        }
        out
    }
}

/// Whether any report of the case has a finding above Info matching one of `codes`.
fn found_any(reports: &[(PartKind, &Report)], codes: &[String]) -> bool {
    reports.iter().any(|(_, r)| {
        r.findings
            .iter()
            .any(|f| f.severity > Severity::Info && codes.iter().any(|c| code_matches(c, &f.code)))
    })
}

/// Fill the placeholders of an advice text; `None` when one cannot be filled.
fn fill(rule: &AdviceRule, profile: Option<&BrandProfile>) -> Option<Message> {
    let mut en = rule.en.clone();
    let mut zh = rule.zh.clone();
    let needs = |s: &str| rule.en.contains(s) || rule.zh.contains(s);
    if needs("{brand}") {
        let p = profile?;
        en = en.replace("{brand}", &p.name);
        let name_zh = if p.name_zh.is_empty() {
            &p.name
        } else {
            &p.name_zh
        };
        zh = zh.replace("{brand}", name_zh);
    }
    if needs("{addresses}") {
        let a = official_addresses(profile?);
        if a.is_empty() {
            return None;
        }
        en = en.replace("{addresses}", &a.join(", "));
        zh = zh.replace("{addresses}", &a.join("、"));
    }
    if needs("{report}") {
        let p = profile?;
        let (r, rz) = (report_channels(p), report_channels_zh(p));
        if r.is_empty() {
            return None;
        }
        en = en.replace("{report}", &r.join("; or "));
        zh = zh.replace("{report}", &rz.join("；或 "));
    }
    Some(Message::new(en, zh))
}
