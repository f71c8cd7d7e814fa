//! Who sent it: the sender's address against the brands the message claims, the sender's
//! domain, display-name tricks and the Reply-To address.

use phishprobe_core::{DomainRole, Lang, ReportBuilder, Severity, Verdict};

use super::EmailChecker;
use super::facts::{BrandRef, MessageFacts, Strength};
use super::util::{NameZh, cut, domain_of, domain_plausible, padded_name, reg, shown_host};
use crate::finding;
use crate::normalize::mark_non_ascii;
use phishprobe_core::text::fold;

/// What the sender weighing decided, for the later steps.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SenderOutcome {
    /// The From domain is the claimed brand's own (authenticated or not).
    pub(crate) brand_sender: bool,
    /// The profile brand the message claims (or the brand whose order number it quotes).
    pub(crate) claimed_profile: Option<usize>,
    /// The From domain is the claimed brand's own, for some claim.
    pub(crate) brand_domain_claimed: bool,
}

impl EmailChecker<'_> {
    /// Weigh the sender against the brand claims.
    pub(super) fn weigh_sender(&self, f: &MessageFacts, b: &mut ReportBuilder) -> SenderOutcome {
        let mut out = self.weigh_brand_sender(f, b);
        out.brand_domain_claimed = self.weigh_claims(f, b, &mut out.claimed_profile);
        self.weigh_sender_address(f, b, &mut out.claimed_profile, out.brand_domain_claimed);
        self.weigh_sender_domain(f, b, out.brand_sender);
        out
    }

    /// A From domain that is a brand's own sender or relay domain, and senders a brand lists
    /// as fake.
    fn weigh_brand_sender(&self, f: &MessageFacts, b: &mut ReportBuilder) -> SenderOutcome {
        let engine: &phishprobe_core::Engine = &self.engine;
        let from_address = &f.from_address;
        let from_domain = &f.from_domain;
        let reply_addr = &f.reply_addr;
        let from_brand = f.from_brand;
        let relay_brand = f.relay_brand;
        let mut brand_sender = false;
        let claimed_profile: Option<usize> = None;

        if let Some(bi) = from_brand {
            brand_sender = true;
            if let Some(bp) = engine.brand(bi) {
                b.brand(&bp.id);
                b.push(finding(
                    "email.sender_brand_domain",
                    Severity::Info,
                    format!("The From address is at {from_domain}, one of {}'s own sender domains (only the authentication results below can prove it was not forged).", bp.name),
                    format!("发件地址位于 {from_domain}，这是 {} 自己的发件域名（只有下面的认证结果能证明它不是伪造的）。", bp.name),
                    from_address.clone(),
                ));
            }
        }
        if let Some(bi) = relay_brand
            && let Some(bp) = engine.brand(bi)
        {
            b.brand(&bp.id);
            b.push(finding(
                    "email.brand_relay",
                    Severity::Info,
                    format!("Sent through {}'s buyer-seller messaging relay: the text was written by a buyer or seller, not by {}. Links and requests in it are still checked.", bp.name, bp.name),
                    format!("经由 {} 的买家-卖家消息中转发送：内容由买家或卖家撰写，而不是 {} 本身。其中的链接和请求仍会被检查。", bp.name_zh_or(&bp.name), bp.name_zh_or(&bp.name)),
                    from_address.clone(),
                ));
        }

        // Fake senders any brand names.
        for bp in engine.brands().iter() {
            for fsx in &bp.fake_sender {
                let hit = if fsx.address.contains('@') {
                    from_address.eq_ignore_ascii_case(&fsx.address)
                        || reply_addr.eq_ignore_ascii_case(&fsx.address)
                } else {
                    *from_domain == fsx.address
                        || from_domain.ends_with(&format!(".{}", fsx.address))
                };
                if hit && !from_address.is_empty() {
                    b.brand(&bp.id);
                    b.push(finding(
                        "email.brand_fake_sender",
                        Severity::Critical,
                        format!(
                            "{} itself lists this sender address as fraudulent.",
                            bp.name
                        ),
                        format!("{} 官方明确将此发件地址列为欺诈地址。", bp.name),
                        from_address.clone(),
                    ));
                    brand_sender = false;
                }
            }
        }

        SenderOutcome {
            brand_sender,
            claimed_profile,
            brand_domain_claimed: false,
        }
    }

    /// Each checked claim against the sender address: returns whether some claim's brand owns
    /// the From domain.
    fn weigh_claims(
        &self,
        f: &MessageFacts,
        b: &mut ReportBuilder,
        claimed_profile: &mut Option<usize>,
    ) -> bool {
        let engine: &phishprobe_core::Engine = &self.engine;
        let from_address = &f.from_address;
        let from_domain = &f.from_domain;
        let freemail = f.freemail;
        let quoted_only = f.quoted_only;
        let primary = f.primary;
        let claims = &f.claims;
        let to_check = &f.to_check;
        let subject_lure = f.subject_lure;
        let sender_roles = |bi: usize, roles: &[DomainRole]| f.sender_roles(engine, bi, roles);
        let mut brand_domain_claimed = false;
        for (k, &ci) in to_check.iter().enumerate() {
            let Some(claim) = claims.get(ci) else {
                continue;
            };
            let (r, strength) = (claim.brand, claim.strength);
            let bname = self.brand_name(r);
            let bid = self.brand_id(r);
            let place = claim.place;
            let ev = claim.evidence.clone();
            let genuine_domain = !quoted_only
                && match r {
                    BrandRef::Profile(bi) => {
                        if claimed_profile.is_none() {
                            *claimed_profile = Some(bi);
                        }
                        sender_roles(bi, &[DomainRole::Mail, DomainRole::Web, DomainRole::Relay])
                    }
                    BrandRef::Extra(i) => self.extra_domain(i, from_domain),
                };
            brand_domain_claimed |= genuine_domain;
            if k == 0 || Some(ci) == primary {
                b.brand(&bid);
            }
            if claim.disguised {
                b.push(finding(
                    "email.brand_disguised",
                    Severity::High,
                    format!("The brand name \"{bname}\" is written with look-alike or invisible characters, a trick to slip past filters that genuine senders never use."),
                    format!("品牌名“{bname}”使用了形近字符或不可见字符书写，这是绕过过滤的手法，真正的发件方从不这样做。"),
                    ev.clone(),
                ));
            }
            if genuine_domain {
                continue;
            }
            let shown = if from_address.is_empty() {
                "(no address)".to_string()
            } else {
                from_address.clone()
            };
            if freemail && strength >= Strength::Subject {
                b.push(finding(
                    "email.freemail_brand",
                    Severity::High,
                    format!("The message presents itself as {bname} but comes from a free-mail address ({from_domain}) that anyone can open; {bname} never writes from one."),
                    format!("这封邮件自称来自 {bname}，却是从任何人都能注册的免费邮箱（{from_domain}）发出的；{bname} 从不使用免费邮箱。"),
                    shown.clone(),
                ));
            } else if strength == Strength::Identity {
                b.push(finding(
                    "email.sender_not_brand",
                    Severity::High,
                    format!("The sender calls itself {bname}, but the address {shown} is not one of {bname}'s sender domains."),
                    format!("发件人自称 {bname}，但地址 {shown} 不属于 {bname} 的发件域名。"),
                    format!("{place}: {ev} <{shown}>"),
                ));
            } else if strength == Strength::Presents && matches!(r, BrandRef::Profile(_)) {
                b.push(finding(
                    "email.brand_presented_offdomain",
                    Severity::Medium,
                    format!("The message is dressed up as {bname} (page title, logo text or attachment), but it comes from {shown}, which is not {bname}'s."),
                    format!("这封邮件装扮成 {bname}（页面标题、标志文字或附件），但发件地址 {shown} 并不属于 {bname}。"),
                    format!("{place}: {ev}"),
                ));
            } else if strength == Strength::Subject && matches!(r, BrandRef::Profile(_)) {
                b.push(finding(
                    "email.brand_subject_offdomain",
                    if subject_lure {
                        Severity::Medium
                    } else {
                        Severity::Low
                    },
                    format!(
                        "The subject names {bname}, but the message does not come from {bname}."
                    ),
                    format!("主题提到了 {bname}，但邮件并非来自 {bname}。"),
                    ev.clone(),
                ));
            }
        }
        brand_domain_claimed
    }

    /// The From address itself: quoted-only, invalid or missing, padded or stacked names,
    /// disguised characters, a brand's order number (Amazon's format) from elsewhere.
    fn weigh_sender_address(
        &self,
        f: &MessageFacts,
        b: &mut ReportBuilder,
        claimed_profile: &mut Option<usize>,
        brand_domain_claimed: bool,
    ) {
        let engine: &phishprobe_core::Engine = &self.engine;
        let from_name = &f.from_name;
        let from_address = &f.from_address;
        let from_domain = &f.from_domain;
        let raw_from = &f.raw_from;
        let sender_name = &f.sender_name;
        let forward = f.forward;
        let quoted_only = f.quoted_only;
        let from_brand = f.from_brand;
        let from_count = f.from_count;
        let from_bare = f.from_bare;
        let claims = &f.claims;
        let subject = &f.subject;
        let subject_f = &f.subject_f;
        let from_name_f = &f.from_name_f;
        let body_f = &f.body_f;
        let order_number_brand = f.order_number_brand;
        let order_nums = &f.order_nums;
        let sender_roles = |bi: usize, roles: &[DomainRole]| f.sender_roles(engine, bi, roles);
        if quoted_only {
            b.push(finding(
                "email.sender_address_fake",
                Severity::High,
                "The sender \"address\" is only quoted text that looks like an address; the real address has no domain at all. Mail programs show the fake text.",
                "发件人“地址”只是看起来像地址的引号文字；真正的地址根本没有域名。邮件程序会显示这段假文字。",
                cut(raw_from, 160).to_string(),
            ));
        }
        // A brand's order numbers (Amazon's format) from a sender that is not the brand's.
        if let (Some(ai), Some(on)) = (order_number_brand, order_nums.first()) {
            let brand_sender =
                sender_roles(ai, &[DomainRole::Mail, DomainRole::Web, DomainRole::Relay]);
            if !brand_sender {
                let (mut name, mut name_zh) = (String::new(), String::new());
                if let Some(bp) = engine.brand(ai) {
                    b.brand(&bp.id);
                    if claimed_profile.is_none() {
                        *claimed_profile = Some(ai);
                    }
                    name = bp.display_name(Lang::En).to_string();
                    name_zh = bp.display_name(Lang::Zh).to_string();
                }
                let sev = if brand_domain_claimed || from_brand.is_some() {
                    Severity::Info
                } else if forward {
                    Severity::Low
                } else {
                    Severity::Medium
                };
                // "an Amazon-style", "a Zalando-style": the article by the name's first letter.
                let article = match name.chars().next() {
                    Some(c) if "AEIOUaeiou".contains(c) => "an",
                    _ => "a",
                };
                // The code keeps its name: it is output, and matched by its readers.
                b.push(finding(
                    "email.order_number_not_amazon",
                    sev,
                    format!("The message quotes {article} {name}-style order number, but it was not sent by {name}."),
                    format!("邮件引用了{name_zh}格式的订单号，但并非由{name_zh}发送。"),
                    on.clone(),
                ));
            }
        }
        // Free-mail sender using an organisation-like display name naming a domain, or a
        // display name carrying a different address.
        self.display_name_address(b, from_name, from_domain);
        if !quoted_only
            && !from_address.is_empty()
            && !from_domain.is_empty()
            && !domain_plausible(from_domain)
        {
            b.push(finding(
                "email.sender_domain_invalid",
                Severity::Medium,
                format!("The sender's domain \"{from_domain}\" cannot exist on the Internet: nobody can reply, a sign of a forged sender."),
                format!("发件人的域名“{from_domain}”在互联网上不可能存在：无法回复，这是伪造发件人的迹象。"),
                from_address.clone(),
            ));
        } else if from_address.is_empty() && !raw_from.is_empty() && raw_from.len() > 2 {
            b.push(finding(
                "email.sender_missing_address",
                Severity::Low,
                "The From line has a name but no usable address.",
                "发件人一栏只有名字，没有可用的地址。",
                cut(raw_from, 120).to_string(),
            ));
        }
        // A display name padded with a long run of filler pushes the real address out of
        // sight in narrow mail views (phones).
        if let Some(n) = [&from_name, &sender_name]
            .into_iter()
            .find(|n| padded_name(n))
        {
            b.push(finding(
                "email.display_name_padding",
                Severity::Medium,
                "The sender's name is padded with a long run of filler characters, which pushes the real address out of view on a phone.",
                "发件人名称后面填充了一长串无意义字符，在手机上会把真实地址挤出屏幕。",
                cut(n, 160).to_string(),
            ));
        }
        if from_count > 1 && from_bare > 0 {
            b.push(finding(
                "email.from_names_without_address",
                Severity::Medium,
                "The From line strings together names without addresses in front of the real one, so mail programs show a name that is not the sender's.",
                "发件人一栏在真实地址前面串接了几个没有地址的名字，使邮件程序显示的名字并不是真正的发件人。",
                cut(raw_from, 160).to_string(),
            ));
        } else if from_count > 1 {
            b.push(finding(
                "email.multiple_from",
                Severity::Low,
                "The From line lists several senders, which mail programs show confusingly.",
                "发件人一栏列出了多个发件人，邮件程序会显示得令人困惑。",
                cut(raw_from, 160).to_string(),
            ));
        }
        if (from_name_f.tricks() || subject_f.tricks()) && !claims.iter().any(|c| c.disguised) {
            b.push(finding(
                "email.disguised_header",
                Severity::Medium,
                "The sender name or subject hides invisible or look-alike characters inside words, a filter-evasion trick.",
                "发件人名称或主题的词语中藏有不可见或形近字符，这是规避过滤的手法。",
                mark_non_ascii(&format!("{from_name} | {subject}")).unwrap_or_default(),
            ));
        }
        if body_f.hidden_in_word + body_f.lookalikes_in_word >= 4 {
            b.push(finding(
                "email.disguised_body",
                Severity::Medium,
                "The text hides invisible or look-alike characters inside words, a filter-evasion trick.",
                "正文的词语中藏有不可见或形近字符，这是规避过滤的手法。",
                format!("{} hidden, {} look-alike", body_f.hidden_in_word, body_f.lookalikes_in_word),
            ));
        }
    }

    /// The sender's domain when it is no brand's own (look-alikes, free hosting), and a
    /// Reply-To going to free mail.
    fn weigh_sender_domain(&self, f: &MessageFacts, b: &mut ReportBuilder, brand_sender: bool) {
        let engine: &phishprobe_core::Engine = &self.engine;
        let from_address = &f.from_address;
        let from_domain = &f.from_domain;
        let reply_addr = &f.reply_addr;
        let freemail = f.freemail;
        let primary = f.primary;
        let from_brand = f.from_brand;
        let relay_brand = f.relay_brand;
        // Sender domain analysis (look-alikes, free hosting) when it is no brand's own.
        if !from_domain.is_empty()
            && from_brand.is_none()
            && relay_brand.is_none()
            && !freemail
            && domain_plausible(from_domain)
        {
            let hr = engine.check_host(from_domain);
            if hr.brand.is_some() && hr.verdict < Verdict::Suspicious {
                let bid = hr.brand.clone().unwrap_or_default();
                b.brand(&bid);
                b.push(finding(
                    "email.sender_domain_brand",
                    Severity::Medium,
                    format!("The sender's domain {from_domain} carries the name {bid} but is not one of {bid}'s own domains."),
                    format!("发件人的域名 {from_domain} 带有 {bid} 的名字，但并不是 {bid} 自己的域名。"),
                    from_address.clone(),
                ));
            } else if hr.brand.is_some() && hr.verdict >= Verdict::Suspicious {
                let bid = hr.brand.clone().unwrap_or_default();
                let reason = hr
                    .findings
                    .first()
                    .map(|f| f.message.en.clone())
                    .unwrap_or_default();
                b.brand(&bid);
                b.push(finding(
                    "email.sender_lookalike",
                    if hr.verdict == Verdict::Phishing {
                        Severity::Critical
                    } else {
                        Severity::High
                    },
                    format!("The sender's domain {from_domain} imitates {bid}: {reason}"),
                    format!(
                        "发件人的域名 {from_domain} 模仿了 {bid}：{}",
                        hr.findings
                            .first()
                            .map(|f| f.message.zh.clone())
                            .unwrap_or_default()
                    ),
                    from_address.clone(),
                ));
            } else if let Some(fh) = engine.free_hosting(from_domain) {
                b.push(finding(
                    "email.sender_free_hosting",
                    Severity::Medium,
                    format!("The sender's domain is a free site on {} that anyone can create in minutes.", fh.suffix),
                    format!("发件人的域名是 {} 上任何人几分钟就能建立的免费站点。", fh.suffix),
                    from_address.clone(),
                ));
            }
        }
        // Reply-To going to free mail while From does not.
        let reply_domain = domain_of(reply_addr);
        if !reply_domain.is_empty()
            && reply_domain != *from_domain
            && self.is_freemail(&reply_domain)
            && !freemail
        {
            b.push(finding(
                "email.reply_to_freemail",
                if brand_sender || primary.is_some() {
                    Severity::High
                } else {
                    Severity::Medium
                },
                format!(
                    "Replies go to a free-mail address ({reply_addr}), not to the sender's domain."
                ),
                format!("回复会发送到免费邮箱（{reply_addr}），而不是发件人的域名。"),
                reply_addr.clone(),
            ));
        }
    }

    /// A display name that carries an address or domain other than the real sender's.
    fn display_name_address(&self, b: &mut ReportBuilder, name: &str, from_domain: &str) {
        if from_domain.is_empty() {
            return;
        }
        let f = fold(name).text;
        let elsewhere = |shown: &String| reg(shown) != reg(from_domain);
        // A display name that is nothing but a domain ("proton.me") names a sender too; else
        // an address inside it. Only a full address counts among the words: brand names like
        // "Booking.com" are not addresses.
        let whole = f.trim().trim_matches(['"', '\'', ' ']);
        let shown = shown_host(whole).filter(elsewhere).or_else(|| {
            f.split(|c: char| {
                c.is_whitespace()
                    || matches!(
                        c,
                        '"' | '\'' | '<' | '>' | '(' | ')' | ',' | '[' | ']' | '|'
                    )
            })
            .map(|tok| tok.trim_matches(|c: char| !c.is_alphanumeric()))
            .filter(|tok| tok.contains('.') && tok.contains('@'))
            .filter_map(|tok| shown_host(&domain_of(tok)))
            .find(elsewhere)
        });
        let Some(shown) = shown else {
            return;
        };
        let owned = !self.engine.owners_of_domain(&shown).is_empty();
        b.push(finding(
            "email.display_name_other_domain",
            if owned { Severity::High } else { Severity::Low },
            format!("The sender's name shows the address or site \"{shown}\", but the message really comes from {from_domain}."),
            format!("发件人名称显示的是地址或网站“{shown}”，但邮件实际来自 {from_domain}。"),
            format!("{name} <…@{from_domain}>"),
        ));
    }
}
