//! A brand's domain written inside somebody else's host: the official name itself
//! (`amazon.com.x.top`) or an imitation of it in front of the brand's own ending
//! (`amzone.co.jp.x.cn`). Its own module because the look-alike search runs on nearly every
//! host and is written to allocate nothing on the common path.

use super::{matcher, msg, unicode};
use crate::brand::DomainRole;
use crate::knowledge::Knowledge;
use crate::model::{Finding, ReportBuilder, Severity};

/// Whether a whole official domain (`amazon.com`, `amazon.co.jp`) sits inside the host starting
/// at `label_index`, as dotted labels or as hyphen tokens (`amazon-com`).
pub(super) fn embedded_official(
    knowledge: &Knowledge,
    labels: &[&str],
    label_index: usize,
    registrable_index: Option<usize>,
) -> Option<String> {
    let r = registrable_index?;
    let is_official = |cand: &str| {
        knowledge
            .owners_of_domain(cand)
            .iter()
            .any(|o| o.role == DomainRole::Web && o.matched == cand)
    };
    for k in 2..=4 {
        if label_index + k > r {
            break;
        }
        if let Some(slice) = labels.get(label_index..label_index + k) {
            let cand = slice.join(".");
            if is_official(&cand) {
                return Some(cand);
            }
        }
    }
    let label = labels.get(label_index)?;
    let toks: Vec<&str> = label.split('-').collect();
    for start in 0..toks.len() {
        for k in 2..=3 {
            if let Some(slice) = toks.get(start..start + k) {
                let cand = slice.join(".");
                if is_official(&cand) {
                    return Some(cand);
                }
            }
        }
    }
    None
}

/// A subdomain label that resembles a brand token (two edits at most, or its first four
/// letters) followed by the ending of that brand's official domain: `amzone.co.jp.x.cn`,
/// `anaz0n.c0.jp.x.org`, `amazcazm-co-jp.x.top`. Returns the brand and the imitated name.
///
/// Runs on nearly every host without a brand token, so it allocates nothing unless a label
/// needs look-alike folding or something is found.
pub(super) fn lookalike_embedding(
    knowledge: &Knowledge,
    labels: &[&str],
    registrable_index: Option<usize>,
) -> Option<(usize, String)> {
    let r = registrable_index?;
    // Needs a label in front of the registrable name, or a hyphenated one.
    if r == 0 && !labels.first().is_some_and(|l| l.contains('-')) {
        return None;
    }
    let resembles = |cand: &str, token: &str| {
        token.len() >= matcher::TYPO_MIN
            && (matcher::osa_within(cand, token, 2)
                // The same first four letters (`amazooeuzz`), unless the whole token is in
                // there: then it is the brand's own longer name (`googleapis`), and exact
                // brand names are judged elsewhere.
                || (cand.len() >= 4
                    && token.starts_with(cand.get(..4).unwrap_or("\0"))
                    && !cand.contains(token)))
    };
    // Only labels 0..=r are looked at; fold the few that need it (`c0`, `arnazon`).
    let used = labels.get(..=r).unwrap_or(labels);
    let folded: Option<Vec<Option<String>>> = used
        .iter()
        .any(|l| unicode::needs_fold(l))
        .then(|| used.iter().map(|l| unicode::fold_ascii(l)).collect());
    let label_at = |i: usize| -> Option<&str> {
        match folded.as_ref().and_then(|f| f.get(i)) {
            Some(Some(f)) => Some(f.as_str()),
            _ => labels.get(i).copied(),
        }
    };
    let mut key = KeyBuf::new();
    for i in 0..=r {
        for k in 1..=2 {
            if i + k > r {
                break;
            }
            let Some(head) = label_at(i) else { break };
            let tail = match k {
                1 => key.join(&[label_at(i + 1)]),
                _ => key.join(&[label_at(i + 1), label_at(i + 2)]),
            };
            let Some(tail) = tail else { break };
            for (bi, token) in knowledge.embed_tail(tail) {
                if resembles(head, token) {
                    return Some((*bi, format!("{}.{tail}", labels.get(i).unwrap_or(&""))));
                }
            }
        }
        // The same inside one label, with hyphens for dots: `amazcazm-co-jp`.
        let Some(label) = label_at(i) else { continue };
        if !label.contains('-') {
            continue;
        }
        let mut toks = label.split('-');
        while let Some(head) = toks.next() {
            let mut ahead = toks.clone();
            let (t1, t2) = (ahead.next(), ahead.next());
            for k in 1..=2 {
                let tail = match k {
                    1 => key.join(&[t1]),
                    _ => key.join(&[t1, t2]),
                };
                let Some(tail) = tail else { break };
                for (bi, token) in knowledge.embed_tail(tail) {
                    if resembles(head, token) {
                        return Some((*bi, labels.get(i).unwrap_or(&"").to_string()));
                    }
                }
            }
        }
    }
    None
}

/// A small stack buffer for lookup keys made of joined labels (`co` + `jp` -> `co.jp`).
/// Keys longer than the buffer are never in the tables they are looked up in.
struct KeyBuf {
    buf: [u8; 64],
}

impl KeyBuf {
    /// An empty buffer.
    fn new() -> Self {
        KeyBuf { buf: [0; 64] }
    }

    /// `parts` joined by dots; `None` when a part is missing. A key too long for the buffer
    /// comes back empty (no table holds the empty key).
    fn join(&mut self, parts: &[Option<&str>]) -> Option<&str> {
        let mut n = 0;
        let mut fits = true;
        for (idx, p) in parts.iter().enumerate() {
            let p = (*p)?;
            if !fits {
                continue;
            }
            let sep = usize::from(idx > 0);
            match self.buf.get_mut(n..n + sep + p.len()) {
                Some(dst) => {
                    if let Some((dot, rest)) = dst.split_first_mut()
                        && sep == 1
                    {
                        *dot = b'.';
                        rest.copy_from_slice(p.as_bytes());
                    } else {
                        dst.copy_from_slice(p.as_bytes());
                    }
                    n += sep + p.len();
                }
                None => fits = false,
            }
        }
        if !fits {
            return Some("");
        }
        std::str::from_utf8(self.buf.get(..n)?).ok()
    }
}

/// A brand-like label in front of the brand's own ending (`amzone.co.jp.x.cn`).
pub(super) fn push_lookalike_embedding(
    b: &mut ReportBuilder,
    p: &crate::brand::BrandProfile,
    e: &str,
    ascii: &str,
    reg_name: &str,
) {
    b.push(Finding::new(
        "host.target_embedding",
        Severity::High,
        msg(
            format!("The address starts with an imitation of the {} name ({e}) but really belongs to {reg_name}.", p.name),
            format!("该地址以仿冒的 {} 名称（{e}）开头，实际却属于 {reg_name}。", p.display_name(crate::Lang::Zh)),
        ),
        format!("{ascii}: {e} imitates {}, registered name is {reg_name}", p.name),
    ));
}
