//! The text: filter-evasion marks, the core text analysis with the email's context, and the
//! email's own lure phrases.

use phishprobe_core::model::verdict_of;
use phishprobe_core::{ReportBuilder, Severity, Verdict};

use super::EmailChecker;
use super::facts::{BrandRef, MessageFacts};
use crate::bodytext::{self, LinkSummary, Signals};
use crate::cues::{self, Lure};
use crate::finding;

impl EmailChecker<'_> {
    /// Marks of bulk or evasive mail in the text: random code injected inside words, a bulk
    /// mailer's unfilled placeholder.
    pub(super) fn weigh_text_marks(&self, f: &MessageFacts, b: &mut ReportBuilder) {
        let junk = &f.junk;
        if !junk.is_empty() {
            b.push(finding(
                "email.junk_in_words",
                Severity::Medium,
                "Random code strings are inserted inside the words of the text so that filters cannot read them; genuine senders never do this.",
                "正文的词语中插入了随机代码串，使过滤器无法识别这些词；正规发件方从不这样做。",
                junk.join(", "),
            ));
        }
        if let Some(t) = f.template.clone() {
            b.push(finding(
                "email.unfilled_template",
                Severity::Low,
                "The message shows the raw placeholders of a bulk-mailing tool (the sender's software failed to fill them in), a mark of mass spam runs.",
                "邮件中出现了群发工具未被填充的原始占位符，这是批量垃圾邮件的特征。",
                t,
            ));
        }
    }

    /// The text's purposes (core patterns in the email's context, then the email's phrase
    /// lists), a free-mail lure, and the brand a flagged message's text is most about.
    pub(super) fn weigh_body(
        &self,
        f: &MessageFacts,
        b: &mut ReportBuilder,
        brand_sender: bool,
        link_summary: LinkSummary,
    ) {
        let (text_analysis, forward, text_chars) = (&f.text_analysis, f.forward, f.text_chars);
        let (hits, freemail, claims) = (&f.hits, f.freemail, &f.claims);
        let (from_domain, from_address) = (&f.from_domain, &f.from_address);
        let mut sig = Signals::default();
        if let (Some(rules), Some(a)) = (&self.text_rules, &text_analysis) {
            let (fs, s) = bodytext::findings(
                rules,
                a,
                &bodytext::Context {
                    forward,
                    brand_sender,
                    links: link_summary,
                    text_chars,
                },
            );
            b.extend(fs);
            sig = s;
        }
        self.weigh_text(b, hits, forward, &sig);
        let prize = hits.has(Lure::Prize) || sig.prize;
        let cred = hits.has(Lure::Credential) || sig.credential;
        let threat = hits.has(Lure::Threat) || sig.threat;
        if freemail && !forward && (prize || cred && threat) {
            b.push(finding(
                "email.freemail_lure",
                Severity::Medium,
                format!("A free-mail address ({from_domain}) promises money or a prize, or asks you to verify an account: organisations that do this never write from free mail."),
                format!("一个免费邮箱（{from_domain}）承诺钱财或奖品，或要求验证账户：做这些事的机构从不使用免费邮箱。"),
                from_address.clone(),
            ));
        }
        // A flagged message with no brand claim in its headers: report the brand its text is
        // most about (a phish that names Amazon only in the body still imitates Amazon).
        let risky = verdict_of(b.findings(), false) >= Verdict::Suspicious;
        if risky
            && b.current_brand().is_none()
            && let Some(c) = claims
                .iter()
                .find(|c| matches!(c.brand, BrandRef::Profile(_)))
        {
            let id = self.brand_id(c.brand);
            b.brand(&id);
        }
    }

    /// The email's own phrase lists (`data/email/lures.toml`, eight languages) for what the core
    /// text patterns (English and Chinese, weighed before this) did not report: a purpose the
    /// core already found is not counted twice, but a credential request and an account
    /// threat found by either together make the classic "verify or lose it" script.
    fn weigh_text(
        &self,
        b: &mut ReportBuilder,
        hits: &cues::LureHits,
        forward: bool,
        core: &Signals,
    ) {
        let cred = hits.has(Lure::Credential) && !core.credential;
        let threat = hits.has(Lure::Threat) && !core.threat;
        let prize = hits.has(Lure::Prize) && !core.prize;
        let urgent = hits.has(Lure::Urgency) && !core.urgency;
        let low = if forward {
            Severity::Info
        } else {
            Severity::Low
        };
        let any_cred = cred || core.credential;
        let any_threat = threat || core.threat;
        if any_cred && any_threat && !core.disclosure {
            b.push(finding(
                "email.text_verify_or_lose",
                if forward { Severity::Low } else { Severity::Medium },
                "The text says your account or payment is in trouble and asks you to verify or update your details: the classic phishing script.",
                "正文声称你的账户或付款出了问题，并要求你验证或更新资料：这是典型的钓鱼话术。",
                [hits.phrases(Lure::Threat), hits.phrases(Lure::Credential)].concat().join(" | "),
            ));
        } else if cred {
            b.push(finding(
                "email.text_asks_credentials",
                low,
                "The text asks you to sign in, verify or hand over account or card details.",
                "正文要求你登录、验证或提供账户或银行卡资料。",
                hits.phrases(Lure::Credential).join(" | "),
            ));
        } else if threat {
            b.push(finding(
                "email.text_account_threat",
                low,
                "The text says your account, payment, parcel or device is in trouble.",
                "正文声称你的账户、付款、包裹或设备出了问题。",
                hits.phrases(Lure::Threat).join(" | "),
            ));
        }
        if prize {
            b.push(finding(
                "email.text_prize",
                low,
                "The text promises a prize, gift or money.",
                "正文承诺奖品、礼物或金钱。",
                hits.phrases(Lure::Prize).join(" | "),
            ));
        }
        if urgent && (any_cred || any_threat || prize || core.prize) {
            b.push(finding(
                "email.text_urgency",
                low,
                "The text pushes you to act at once.",
                "正文催促你立即行动。",
                hits.phrases(Lure::Urgency).join(" | "),
            ));
        }
    }
}
