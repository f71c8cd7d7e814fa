//! The links: every href, form, frame, redirect, image, plain-text URL and attachment link
//! through the core URL analysis, with what only the message shows (the text shown for a
//! link, the sender's own domain, click trackers).

use std::collections::HashSet;

use phishprobe_core::{DomainRole, ReportBuilder, Severity, Verdict};

use super::facts::MessageFacts;
use super::parts::RawLink;
use super::sender::SenderOutcome;
use super::util::{
    cut, decode_url_punctuation, host_of, reg, shown_host, text_urls, unfilled_template,
};
use super::{BODY_MAX, EmailChecker};
use crate::bodytext::LinkSummary;
use crate::finding;
use crate::{Details, LinkInfo, LinkSource};

/// What the link weighing needs to know about the message.
pub(crate) struct LinkContext {
    /// The message claims a brand (identity, subject, presentation) or a brand was attributed.
    claimed: bool,
    /// The From domain is the brand's own (authenticated or not).
    brand_sender: bool,
    /// Registered domain of the From address.
    from_reg: String,
}

/// The links found wrong, by kind, as evidence lines.
#[derive(Default)]
struct LinkTally {
    phishing: Vec<String>,
    suspicious: Vec<String>,
    mismatch_brand: Vec<String>,
    mismatch_other: Vec<String>,
    name_elsewhere: Vec<String>,
    js_links: usize,
}

impl EmailChecker<'_> {
    /// Collect the message's links (the MIME walk's attachment links taken out of the
    /// facts) and weigh them.
    pub(super) fn weigh_all_links(
        &self,
        f: &mut MessageFacts,
        b: &mut ReportBuilder,
        details: &mut Details,
        sender: &SenderOutcome,
    ) -> LinkSummary {
        let mut attachment_links = std::mem::take(&mut f.parts.links);
        let f = &*f;
        let g = &f.parts;
        let (text_analysis, primary, from_domain) = (&f.text_analysis, f.primary, &f.from_domain);
        let brand_sender = sender.brand_sender;
        let mut raw_links: Vec<RawLink> = Vec::new();
        for h in g.htmls.iter().chain(g.pages.iter().map(|(_, p)| p)) {
            for l in &h.links {
                raw_links.push((l.href.clone(), LinkSource::Href, l.text.clone()));
            }
            for f in &h.forms {
                raw_links.push((f.action.clone(), LinkSource::Form, String::new()));
            }
            for s in &h.iframes {
                raw_links.push((s.clone(), LinkSource::Iframe, String::new()));
            }
            for r in &h.redirects {
                raw_links.push((r.clone(), LinkSource::Redirect, String::new()));
            }
            for (src, _) in h.images.iter().take(30) {
                raw_links.push((src.clone(), LinkSource::Img, String::new()));
            }
        }
        let mut tu = Vec::new();
        for t in g.texts.iter().chain(g.attachment_texts.iter()) {
            text_urls(cut(t, BODY_MAX * 4), self.opts.max_urls, &mut tu);
        }
        raw_links.extend(tu.into_iter().map(|u| (u, LinkSource::Text, String::new())));
        raw_links.append(&mut attachment_links);
        if !b
            .findings()
            .iter()
            .any(|f| f.code == "email.unfilled_template")
            && let Some(t) = raw_links
                .iter()
                .take(200)
                .find_map(|(u, _, _)| unfilled_template(u))
        {
            b.push(finding(
                "email.unfilled_template",
                Severity::Low,
                "The message shows the raw placeholders of a bulk-mailing tool (the sender's software failed to fill them in), a mark of mass spam runs.",
                "邮件中出现了群发工具未被填充的原始占位符，这是批量垃圾邮件的特征。",
                t,
            ));
        }
        // Bare names the core found in the text (`amazon-verify.top/reset`), already checked.
        let mut known: Vec<(String, phishprobe_core::Report)> = Vec::new();
        if let Some(a) = &text_analysis {
            for (u, r) in a.urls.iter().zip(a.url_reports.iter()) {
                raw_links.push((u.clone(), LinkSource::Text, String::new()));
                known.push((u.clone(), r.clone()));
            }
        }
        let claimed = primary.is_some() || b.current_brand().is_some();
        let ctx = LinkContext {
            claimed,
            brand_sender,
            from_reg: if from_domain.is_empty() {
                String::new()
            } else {
                reg(from_domain)
            },
        };
        self.weigh_links(b, details, raw_links, &known, &ctx)
    }

    /// Whether a link goes to the brand's own site: its host is the brand's (customer content
    /// excepted), or the brand's web domain is where it redirects (`?url=https://amazon.com/…`,
    /// also percent-encoded), as newsletters' redirectors do.
    fn brand_owns_link(&self, bi: usize, url: &str, host: &str) -> bool {
        let Some(p) = self.engine.brand(bi) else {
            return false;
        };
        if self
            .engine
            .owners_of_domain(host)
            .iter()
            .any(|o| o.brand == p.id && o.role != DomainRole::CustomerContent)
        {
            return true;
        }
        let decoded = decode_url_punctuation(&cut(url, 4096).to_ascii_lowercase());
        let rest = decoded
            .split_once(host)
            .map_or(decoded.as_str(), |(_, r)| r);
        p.web.iter().any(|w| {
            rest.match_indices(w.domain.as_str()).any(|(i, m)| {
                let before = rest[..i].chars().next_back();
                let after = rest[i + m.len()..].chars().next();
                before.is_none_or(|c| matches!(c, '/' | '.' | '=' | '@'))
                    && after.is_none_or(|c| matches!(c, '/' | '?' | '&' | '#' | ':'))
            })
        })
    }

    fn weigh_links(
        &self,
        b: &mut ReportBuilder,
        details: &mut Details,
        raw: Vec<RawLink>,
        known: &[(String, phishprobe_core::Report)],
        ctx: &LinkContext,
    ) -> LinkSummary {
        let (summary, tally) = self.tally_links(b, details, raw, known, ctx);
        report_links(b, &tally, ctx);
        summary
    }

    /// Check each link once (the core URL analysis), note it in the details, and sort the
    /// wrong ones into the tally.
    fn tally_links(
        &self,
        b: &mut ReportBuilder,
        details: &mut Details,
        raw: Vec<RawLink>,
        known: &[(String, phishprobe_core::Report)],
        ctx: &LinkContext,
    ) -> (LinkSummary, LinkTally) {
        let mut summary = LinkSummary::default();
        let brand_sender = ctx.brand_sender;
        let engine: &phishprobe_core::Engine = &self.engine;
        let mut seen: HashSet<String> = HashSet::new();
        // One message's links mostly share a few hosts: each is analysed once.
        let mut hosts = phishprobe_core::host::HostMemo::default();
        let mut t = LinkTally::default();
        let mut checked = 0usize;
        for (url, source, shown) in raw {
            let u = url.trim();
            let lower = u.get(..11).unwrap_or(u).to_ascii_lowercase();
            if lower.starts_with("javascript:") {
                t.js_links += 1;
                continue;
            }
            if u.is_empty()
                || u.starts_with('#')
                || lower.starts_with("mailto:")
                || lower.starts_with("tel:")
                || lower.starts_with("cid:")
                || lower.starts_with("sms:")
                || (lower.starts_with("data:") && source == LinkSource::Img)
                || (!u.contains('.') && !lower.starts_with("data:"))
                || u.starts_with('/') && !u.starts_with("//")
            {
                continue;
            }
            if !lower.starts_with("http")
                && !lower.starts_with("www.")
                && !lower.starts_with("//")
                && !lower.starts_with("data:")
                && source != LinkSource::Text
            {
                // Relative links and odd schemes in HTML: nothing to resolve offline.
                if !u.contains("://") {
                    continue;
                }
            }
            let target_host = host_of(u);
            // Links to the sender's own registered domain say nothing new about the sender.
            let own = !ctx.from_reg.is_empty()
                && !target_host.is_empty()
                && reg(&target_host) == ctx.from_reg;
            self.shown_text(&mut t, u, &shown, &target_host, own, brand_sender);
            if !seen.insert(u.to_string()) {
                continue;
            }
            if checked >= self.opts.max_urls {
                continue;
            }
            checked += 1;
            let r = match known.iter().find(|(k, _)| k == u) {
                Some((_, r)) => r.clone(),
                None => engine.check_url_with(cut(u, 4096), &mut hosts),
            };
            if source != LinkSource::Img {
                summary.checked += 1;
                if own || r.verdict == Verdict::Genuine {
                    summary.genuine_or_own += 1;
                }
            }
            let reason = r
                .findings
                .iter()
                .find(|f| f.severity > Severity::Info)
                .or(r.findings.first())
                .map(|f| f.message.en.clone())
                .unwrap_or_default();
            match r.verdict {
                _ if own => {}
                Verdict::Phishing => {
                    t.phishing
                        .push(format!("{} ({})", cut(u, 200), cut(&reason, 200)))
                }
                Verdict::Suspicious if source != LinkSource::Img => {
                    t.suspicious
                        .push(format!("{} ({})", cut(u, 200), cut(&reason, 200)))
                }
                _ => {}
            }
            if details.links.len() < 200 {
                details.links.push(LinkInfo {
                    url: cut(u, 500).to_string(),
                    source,
                    shown: cut(&shown, 120).to_string(),
                    verdict: r.verdict,
                    brand: r.brand.clone(),
                    reason: cut(&reason, 300).to_string(),
                    report: r,
                });
            }
            if source == LinkSource::Qr {
                b.push(finding(
                    "email.qr_link",
                    Severity::Low,
                    "An image in the message is a QR code with a link: scanning it on a phone skips the checks your computer would do.",
                    "邮件中的图片是带链接的二维码：用手机扫描会绕过电脑上的安全检查。",
                    cut(u, 200).to_string(),
                ));
            }
        }
        (summary, t)
    }

    /// The text shown for a link against where it goes: a shown host that is not the target,
    /// a brand's name on a link the brand does not own.
    fn shown_text(
        &self,
        t: &mut LinkTally,
        u: &str,
        shown: &str,
        target_host: &str,
        own: bool,
        brand_sender: bool,
    ) {
        let engine: &phishprobe_core::Engine = &self.engine;
        // Shown text naming another host than the target.
        let shown_h = shown_host(shown);
        // Shown text that is a brand's name ("Amazon®") on a link the brand does not own.
        // A brand sender's own links, links to the sender's own domain and click trackers
        // (whose target cannot be seen offline) are left alone, as for shown hosts.
        if shown_h.is_none()
            && !brand_sender
            && !own
            && !target_host.is_empty()
            && engine.click_tracker(target_host).is_none()
            && let Some(bi) = self.brand_names.named_by(shown)
            && !self.brand_owns_link(bi, u, target_host)
        {
            t.name_elsewhere
                .push(format!("\"{}\" → {target_host}", cut(shown.trim(), 60)));
        }
        if let Some(sh) = shown_h
            && !target_host.is_empty()
            && reg(&sh) != reg(target_host)
        {
            let tracker = engine.click_tracker(target_host).is_some();
            let shown_brand = engine
                .owners_of_domain(&sh)
                .iter()
                .find(|o| matches!(o.role, DomainRole::Web | DomainRole::Mail))
                .map(|o| o.brand.clone());
            let target_same_brand = shown_brand.as_ref().is_some_and(|sb| {
                engine
                    .owners_of_domain(target_host)
                    .iter()
                    .any(|o| &o.brand == sb && o.role != DomainRole::CustomerContent)
            });
            if !target_same_brand {
                if shown_brand.is_some() && !(tracker && brand_sender) && !own {
                    t.mismatch_brand.push(format!("{sh} → {target_host}"));
                } else if !tracker {
                    t.mismatch_other.push(format!("{sh} → {target_host}"));
                }
            }
        }
    }
}

/// The findings of the tally, weighed by what the message claims.
fn report_links(b: &mut ReportBuilder, t: &LinkTally, ctx: &LinkContext) {
    let brand_sender = ctx.brand_sender;
    let (phishing, suspicious) = (&t.phishing, &t.suspicious);
    let (mismatch_brand, mismatch_other) = (&t.mismatch_brand, &t.mismatch_other);
    let (name_elsewhere, js_links) = (&t.name_elsewhere, t.js_links);
    // Link verdicts weigh most when the message claims a brand: that is the lure they serve.
    let (ph_sev, su_sev, mm_sev) = if ctx.claimed && !brand_sender {
        (Severity::High, Severity::Medium, Severity::High)
    } else if brand_sender {
        // From is the brand's own domain (a forged one fails DMARC at the receiver): its
        // own trackers and redirectors are its business.
        (Severity::Low, Severity::Info, Severity::Medium)
    } else {
        (Severity::Medium, Severity::Low, Severity::Medium)
    };
    if let Some(first) = phishing.first() {
        b.push(finding(
            "email.link_phishing",
            ph_sev,
            format!(
                "{} link(s) in the message lead to a phishing or look-alike site.",
                phishing.len()
            ),
            format!("邮件中有 {} 个链接指向钓鱼或仿冒网站。", phishing.len()),
            first.clone(),
        ));
    }
    if let Some(first) = suspicious.first() {
        b.push(finding(
            "email.link_suspicious",
            su_sev,
            format!(
                "{} link(s) in the message look suspicious.",
                suspicious.len()
            ),
            format!("邮件中有 {} 个链接看起来可疑。", suspicious.len()),
            first.clone(),
        ));
    }
    if let Some(first) = mismatch_brand.first() {
        b.push(finding(
            "email.link_text_brand_mismatch",
            mm_sev,
            "A link shows a brand's own web address but really goes somewhere else.",
            "一个链接显示的是品牌自己的网址，实际却指向别处。",
            first.clone(),
        ));
    }
    if let Some(first) = name_elsewhere.first() {
        // Weighed below a shown web address (a brand's name is also the ordinary text of
        // a reseller's or affiliate's link): Medium when the message claims a brand, Low
        // when it only mentions one.
        b.push(finding(
            "email.link_text_brand_name_elsewhere",
            if ctx.claimed {
                Severity::Medium
            } else {
                Severity::Low
            },
            format!(
                "{} link(s) read as a brand's name but go to a site that brand does not own.",
                name_elsewhere.len()
            ),
            format!(
                "{} 个链接的文字是品牌名称，实际却指向不属于该品牌的网站。",
                name_elsewhere.len()
            ),
            first.clone(),
        ));
    }
    if let Some(first) = mismatch_other.first() {
        b.push(finding(
            "email.link_text_mismatch",
            Severity::Low,
            "A link shows one web address but goes to another.",
            "一个链接显示的是一个网址，实际却指向另一个。",
            first.clone(),
        ));
    }
    if js_links > 0 {
        b.push(finding(
            "email.javascript_link",
            Severity::Low,
            "A link runs a script instead of opening a page.",
            "一个链接会运行脚本，而不是打开网页。",
            format!("{js_links} javascript: link(s)"),
        ));
    }
}
