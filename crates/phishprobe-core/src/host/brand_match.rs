//! The search for a brand over the scanned labels: every label's hyphen tokens, across a
//! hyphen that splits the brand, and its look-alike forms (TR39 skeleton of a Unicode label,
//! ASCII digit/letter folding). Unicode display tricks met on the way are reported here,
//! since this is where each label is looked at closely.

use super::matcher::{Kind, Position, TokenMatch};
use super::popular_findings::PopularOnce;
use super::surroundings::Surroundings;
use super::{msg, unicode};
use crate::knowledge::Knowledge;
use crate::model::{Finding, ReportBuilder, Severity};

/// The best brand match over the scanned labels: (match, label index, written with
/// look-alike characters). Unicode tricks found on the way are reported.
pub(super) fn best_label_match(
    knowledge: &Knowledge,
    scan: &Surroundings<'_>,
    popular: &PopularOnce<'_>,
    b: &mut ReportBuilder,
) -> Option<(TokenMatch, usize, bool)> {
    let unicode_labels = scan.unicode_labels();
    let risky_host = scan.risky_host();
    let mut best: Option<(TokenMatch, usize, bool)> = None;
    for i in 0..scan.scan {
        let Some(alabel) = scan.ascii_labels.get(i) else {
            continue;
        };
        let ulabel = unicode_labels.get(i).copied().unwrap_or(alabel);
        let tld = unicode_labels.last().copied().unwrap_or("");
        let (candidate, homoglyph) = label_matches(knowledge, ulabel, alabel, tld, b);
        let Some(m) = candidate else { continue };
        if Some(i) == scan.registrable_index && popular.registered_is_popular() {
            continue;
        }
        let in_subdomain = scan.registrable_index.is_some_and(|r| i < r);
        let rest_digits = m.rest.bytes().any(|c| c.is_ascii_digit());
        if !m.strong && !homoglyph && !risky_host && !in_subdomain && !rest_digits {
            continue;
        }
        // An ordinary word that is also a brand (`steam`, `allegro`) is usually just the word,
        // even beside account words (`secure-hotel-booking`): it counts only on a host anyone
        // can publish on or an abused ending, or beside digits. Written with look-alike
        // characters (`аррӏе` in Cyrillic) it is no longer the ordinary word.
        if m.context && !homoglyph && !(scan.open_host() || rest_digits) {
            continue;
        }
        let better = match &best {
            None => true,
            Some((bm, _, bh)) => {
                (!m.strong, m.kind, homoglyph, m.position) < (!bm.strong, bm.kind, *bh, bm.position)
            }
        };
        if better {
            best = Some((m, i, homoglyph));
        }
    }
    best
}

/// Brand matches of one label: the raw ASCII tokens first, then look-alike forms
/// (TR39 skeleton of a Unicode label, ASCII digit/letter folding). Reports Unicode tricks.
fn label_matches(
    knowledge: &Knowledge,
    ulabel: &str,
    alabel: &str,
    tld: &str,
    b: &mut ReportBuilder,
) -> (Option<TokenMatch>, bool) {
    let non_ascii = !ulabel.is_ascii();
    if non_ascii {
        let sk = unicode::skeleton(ulabel);
        let m = best_in_label(knowledge, &sk);
        let shows = format!("{alabel} shows as {ulabel}: {}", unicode::point_out(ulabel));
        // Chromium's display rules for any name: what a browser would show as punycode is at
        // least suspicious, brand or not.
        match unicode::spoof_check(ulabel, tld) {
            Some(unicode::Spoof::MixedScript) => {
                b.push(Finding::new(
                    "host.mixed_script",
                    Severity::Medium,
                    msg(
                        "A part of the name mixes alphabets (for example Latin with Cyrillic), a way to imitate another name.",
                        "名称的某部分混用了不同字母体系（如拉丁字母与西里尔字母），这是模仿其他名称的手法。",
                    ),
                    shows,
                ));
            }
            Some(unicode::Spoof::WholeScript(script)) => {
                b.push(Finding::new(
                    "host.whole_script_confusable",
                    Severity::Medium,
                    msg(
                        "This part of the name is written entirely in another alphabet whose letters look like Latin ones.",
                        "名称的这一部分完全用另一种字母书写，其字母看起来像拉丁字母。",
                    ),
                    format!("{shows} (all {script}, ending .{tld})"),
                ));
            }
            Some(unicode::Spoof::DigitLookalike(c)) => {
                b.push(Finding::new(
                    "host.digit_lookalike",
                    Severity::Medium,
                    msg(
                        "The name uses a digit from another script that looks like an ordinary digit.",
                        "该名称使用了外观像普通数字的其他文字数字。",
                    ),
                    format!("{alabel} shows as {ulabel}: {}", unicode::describe_char(c)),
                ));
            }
            Some(unicode::Spoof::Dangerous(c)) => {
                b.push(Finding::new(
                    "host.dangerous_char",
                    Severity::Medium,
                    msg(
                        "The name contains a character browsers refuse to display in web addresses because it imitates punctuation or another letter.",
                        "该名称含有浏览器拒绝在网址中显示的字符，因为它会冒充标点或其他字母。",
                    ),
                    format!("{alabel} shows as {ulabel}: {}", unicode::describe_char(c)),
                ));
            }
            // Ordinary writing for its ending, but its skeleton is a brand: still a look-alike.
            None if sk.is_ascii() && m.is_some() => {
                b.push(Finding::new(
                    "host.whole_script_confusable",
                    Severity::Medium,
                    msg(
                        "This part of the name is written entirely in another alphabet whose letters look like Latin ones.",
                        "名称的这一部分完全用另一种字母书写，其字母看起来像拉丁字母。",
                    ),
                    shows,
                ));
            }
            None => {}
        }
        if let Some(m) = m {
            return (Some(m), true);
        }
        return (None, false);
    }
    let raw = best_in_label(knowledge, alabel);
    if raw
        .as_ref()
        .is_some_and(|m| m.kind == Kind::Exact && m.strong)
    {
        return (raw, false);
    }
    // `amaz0n` is one edit from `amazon` but reads as it exactly: call it a homoglyph.
    if unicode::needs_fold(alabel) {
        let mut f = String::new();
        for tok in alabel.split(['-', '_']) {
            if unicode::fold_ascii_into(tok, &mut f)
                && let Some(m) = knowledge.matcher().find(&f).into_iter().find(|m| m.strong)
            {
                return (Some(m), true);
            }
        }
    }
    (raw, false)
}

/// Best brand match among a label's hyphen tokens, or across a hyphen that splits the brand
/// (`ama-zon`).
fn best_in_label(knowledge: &Knowledge, label: &str) -> Option<TokenMatch> {
    let mut best: Option<TokenMatch> = None;
    for tok in label.split(['-', '_']) {
        if let Some(m) = knowledge.matcher().find(tok).into_iter().next()
            && best
                .as_ref()
                .is_none_or(|bm| (m.kind, m.position) < (bm.kind, bm.position))
        {
            best = Some(m);
        }
    }
    // Across the hyphens too when nothing, or only an ordinary word (`ledger` of
    // `ledger-live`), was found token by token.
    if best.as_ref().is_none_or(|m| m.context) && label.contains('-') {
        let joined: String = label.chars().filter(|&c| c != '-').collect();
        let across = knowledge.matcher().find(&joined).into_iter().find(|m| {
            m.kind == Kind::Exact
                && m.position != Position::Inside
                && (best.is_none() || !m.context)
        });
        if across.is_some() {
            best = across;
        }
    }
    best
}
