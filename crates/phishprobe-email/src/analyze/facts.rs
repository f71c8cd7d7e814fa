//! The message facts: who it says it is from, what it says, which brands it claims and how
//! strongly, which lures its text carries; gathered once, read by every weighing step.

use mail_parser::Message;
use phishprobe_core::text::TextAnalysis;
use phishprobe_core::{DomainOwner, DomainRole, Engine};

use super::parts::MimeContent;
use super::util::{
    cut, domain_of, first_addr, is_forward, names_only_brand, quoted_only_address, reg,
    unfilled_template,
};
use super::{BODY_MAX, EmailChecker, PAGE_TEXT_MAX};
use crate::auth::{self, AuthSummary};
use crate::bodytext::{self, Signals};
use crate::cues::{self, Lure, LureHits};
use crate::normalize::{injected_junk, strip_junk};
use phishprobe_core::text::{Folded, contains_word, fold};

/// How strongly a place in the message claims a brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Strength {
    /// Mentioned in the body: newsletters do this all the time.
    Weak,
    /// Subject only (newsletters and forwards do this too).
    Subject,
    /// Presents itself as the brand: title, logo alt text, letterhead, attachment.
    Presents,
    /// The sender identity itself: From/Sender display name, From local part.
    Identity,
}

/// A claimed brand: a full profile (index into the engine's brands) or an imitated brand of
/// `impersonated.toml` (index into the checker's extras).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BrandRef {
    Profile(usize),
    Extra(usize),
}

/// A brand the message claims to be, with the strongest place that claims it.
pub(crate) struct BrandClaim {
    pub(crate) brand: BrandRef,
    /// Evidence weight over all places (identity, presentation and subject 3 each, body
    /// mentions 1 each up to 3): the reported brand is the one the message is most about.
    pub(crate) score: u32,
    pub(crate) strength: Strength,
    pub(crate) place: &'static str,
    pub(crate) evidence: String,
    pub(crate) disguised: bool,
}

/// The brand claims of one message, added place by place.
#[derive(Default)]
pub(crate) struct BrandClaims {
    pub(crate) list: Vec<BrandClaim>,
}

impl BrandClaims {
    /// Count one more place claiming `r`; the strongest place is kept as the evidence.
    fn add(&mut self, r: BrandRef, s: Strength, place: &'static str, ev: &str, disguised: bool) {
        let w = if s == Strength::Weak { 1 } else { 3 };
        if let Some(c) = self.list.iter_mut().find(|c| c.brand == r) {
            c.score += w;
            if s > c.strength {
                c.strength = s;
                c.place = place;
                c.evidence = cut(ev, 160).to_string();
                c.disguised |= disguised;
            }
        } else {
            self.list.push(BrandClaim {
                brand: r,
                score: w,
                strength: s,
                place,
                evidence: cut(ev, 160).to_string(),
                disguised,
            });
        }
    }
}

/// Everything the weighing steps read about one message.
pub(crate) struct MessageFacts {
    /// What the MIME walk found.
    pub(crate) parts: MimeContent,
    pub(crate) from_name: String,
    pub(crate) from_address: String,
    /// Mailboxes in the From header.
    pub(crate) from_count: usize,
    /// Mailboxes in From with a name but no address.
    pub(crate) from_bare: usize,
    /// The From header as written.
    pub(crate) raw_from: String,
    pub(crate) from_domain: String,
    pub(crate) sender_name: String,
    pub(crate) sender_addr: String,
    pub(crate) reply_addr: String,
    pub(crate) return_path: String,
    pub(crate) subject: String,
    /// Random strings injected inside words of the body.
    pub(crate) junk: Vec<String>,
    /// A bulk mailer's unfilled placeholder in the subject or body.
    pub(crate) template: Option<String>,
    /// Someone forwarding another message.
    pub(crate) forward: bool,
    pub(crate) body_f: Folded,
    pub(crate) subject_f: Folded,
    pub(crate) from_name_f: Folded,
    /// Brand claims, the most evidenced first.
    pub(crate) claims: Vec<BrandClaim>,
    /// The reported brand: the first claim at least as strong as a subject.
    pub(crate) primary: Option<usize>,
    /// Claims checked against the sender: every identity claim, plus the reported brand.
    pub(crate) to_check: Vec<usize>,
    /// The profile whose order numbers the `123-1234567-1234567` format is (the one with
    /// `order_numbers = true`: Amazon's).
    pub(crate) order_number_brand: Option<usize>,
    /// Order numbers in that format in the subject and body.
    pub(crate) order_nums: Vec<String>,
    /// Brands owning the From domain, with their roles.
    pub(crate) owners: Vec<DomainOwner>,
    /// The From domain is a free-mail provider's.
    pub(crate) freemail: bool,
    /// The brand whose mail or web domain the From domain is.
    pub(crate) from_brand: Option<usize>,
    /// The brand whose buyer-seller relay the From domain is.
    pub(crate) relay_brand: Option<usize>,
    /// The From "address" is only quoted text.
    pub(crate) quoted_only: bool,
    /// The email's own lure phrases found in the subject and text.
    pub(crate) hits: LureHits,
    /// Characters of visible text, links masked.
    pub(crate) text_chars: usize,
    /// The core text analysis of the subject and text (links masked).
    pub(crate) text_analysis: Option<TextAnalysis>,
    /// The subject or text carries a prize, threat or credential lure (not a forward).
    pub(crate) subject_lure: bool,
    /// Authentication results (verified, or read from the headers).
    pub(crate) authentication: Option<AuthSummary>,
}

impl MessageFacts {
    /// Whether a brand owns the From domain in one of `roles`.
    pub(crate) fn sender_roles(&self, engine: &Engine, bi: usize, roles: &[DomainRole]) -> bool {
        let id = engine.brand(bi).map(|b| b.id.as_str()).unwrap_or("");
        self.owners
            .iter()
            .any(|o| o.brand == id && roles.contains(&o.role))
    }
}

impl EmailChecker<'_> {
    /// Read the facts of a parsed message out of its headers and its MIME content.
    pub(super) fn message_facts(&self, m: &Message<'_>, mut g: MimeContent) -> MessageFacts {
        let engine: &Engine = &self.engine;
        let (mut from_name, from_address, from_count) = first_addr(m.from());
        let raw_from = m.header_raw("From").unwrap_or("").trim().to_string();
        if from_name.is_empty() && from_address.is_empty() && !raw_from.is_empty() {
            from_name = raw_from.clone();
        }
        let from_domain = domain_of(&from_address);
        let (sender_name, sender_addr, _) = first_addr(m.sender());
        let (reply_name, reply_addr, _) = first_addr(m.reply_to());
        let return_path = m.return_address().unwrap_or("").to_string();
        let subject = m.subject().unwrap_or("").to_string();
        // Body text as the reader sees it.
        let mut body = String::new();
        for t in &g.texts {
            if body.len() > BODY_MAX {
                break;
            }
            body.push_str(cut(t, BODY_MAX / 2));
            body.push('\n');
        }
        for h in &g.htmls {
            if body.len() > BODY_MAX {
                break;
            }
            body.push_str(cut(&h.text, BODY_MAX / 2));
            body.push('\n');
        }
        // Random code injected inside words: undo it so the words can be read, and say so.
        let junk = injected_junk(&body);
        if !junk.is_empty() {
            body = strip_junk(&body, &junk);
        }
        let template = unfilled_template(&subject).or_else(|| unfilled_template(&body));
        let forward = is_forward(&subject, &body);
        let body_f = fold(&body);
        let subject_f = fold(&subject);
        let from_name_f = fold(&from_name);
        let sender_name_f = fold(&sender_name);
        let claims = self.brand_claims(
            &g,
            [
                (&from_name_f, &from_name, "from_name"),
                (&sender_name_f, &sender_name, "sender_name"),
            ],
            (&reply_name, &from_address, &from_domain),
            (&subject_f, &subject, &body_f),
            forward,
        );
        // Order numbers in a brand's format: a claim to be about that brand's order.
        let order_number_brand = engine.brands().iter().position(|b| b.order_numbers);
        let mut order_nums = cues::order_numbers(&subject, 2);
        order_nums.extend(cues::order_numbers(&body, 2));

        // Reported brand: the one with the most evidence; then the strongest claim; profile
        // brands before extras.
        let mut claims = claims.list;
        claims.sort_by(|a, b| {
            b.score
                .cmp(&a.score)
                .then_with(|| b.strength.cmp(&a.strength))
                .then_with(|| {
                    matches!(b.brand, BrandRef::Profile(_))
                        .cmp(&matches!(a.brand, BrandRef::Profile(_)))
                })
        });
        let primary = claims.iter().position(|c| c.strength >= Strength::Subject);
        // Claims checked against the sender: every identity claim, plus the reported brand.
        let mut to_check: Vec<usize> = claims
            .iter()
            .enumerate()
            .filter(|(_, c)| c.strength == Strength::Identity)
            .map(|(i, _)| i)
            .collect();
        if let Some(p) = primary
            && !to_check.contains(&p)
        {
            to_check.push(p);
        }
        let (owners, freemail, from_brand, relay_brand) = self.sender_domain_owners(&from_domain);
        let quoted_only = quoted_only_address(&raw_from);
        let from_bare = m
            .from()
            .map(|a| {
                a.iter()
                    .filter(|x| !x.address().is_some_and(|ad| ad.contains('@')))
                    .count()
            })
            .unwrap_or(0);
        let cues = self.text_cues(&g, &subject, &body, &subject_f, &body_f, forward);
        let ar: Vec<&str> = m
            .headers_raw()
            .filter(|(n, _)| n.eq_ignore_ascii_case("Authentication-Results"))
            .map(|(_, v)| v)
            .collect();
        let authentication = match g.verified.take() {
            Some(v) => {
                g.notes.push("authentication verified by phishprobe (--verify-auth): DKIM signatures, SPF for the client address in the trace headers, DMARC and ARC; the message's own Authentication-Results headers were not used".into());
                Some(v)
            }
            None => auth::summarize(ar.iter().copied(), self.opts.authserv_id.as_deref()),
        };
        MessageFacts {
            parts: g,
            from_name,
            from_address,
            from_count,
            from_bare,
            raw_from,
            from_domain,
            sender_name,
            sender_addr,
            reply_addr,
            return_path,
            subject,
            junk,
            template,
            forward,
            body_f,
            subject_f,
            from_name_f,
            claims,
            primary,
            to_check,
            order_number_brand,
            order_nums,
            owners,
            freemail,
            from_brand,
            relay_brand,
            quoted_only,
            hits: cues.hits,
            text_chars: cues.text_chars,
            text_analysis: cues.text_analysis,
            subject_lure: cues.subject_lure,
            authentication,
        }
    }

    /// The brands owning the From domain; whether it is free mail; the brand whose mail (or,
    /// not for free mail, web) domain it is; the brand whose relay it is.
    fn sender_domain_owners(
        &self,
        from_domain: &str,
    ) -> (Vec<DomainOwner>, bool, Option<usize>, Option<usize>) {
        let engine: &Engine = &self.engine;
        let owners = if from_domain.is_empty() {
            Vec::new()
        } else {
            engine.owners_of_domain(from_domain)
        };
        let freemail = !from_domain.is_empty() && self.is_freemail(from_domain);
        // A From domain that is some brand's mail/web domain: which brand. A personal mailbox
        // domain (`gmail.com`, `yahoo.com`, `qq.com`) is the brand's web host but anybody's
        // address: it names no brand.
        let from_brand: Option<usize> = owners
            .iter()
            .find(|o| o.role == DomainRole::Mail || (o.role == DomainRole::Web && !freemail))
            .and_then(|o| engine.brands().iter().position(|b| b.id == o.brand));
        let relay_brand: Option<usize> = owners
            .iter()
            .find(|o| o.role == DomainRole::Relay)
            .and_then(|o| engine.brands().iter().position(|b| b.id == o.brand));
        (owners, freemail, from_brand, relay_brand)
    }

    /// The brands the message claims: sender identity, subject, presentation (title, logo
    /// text, attachments) and body mentions.
    fn brand_claims(
        &self,
        g: &MimeContent,
        identity: [(&Folded, &String, &'static str); 2],
        (reply_name, from_address, from_domain): (&str, &str, &str),
        (subject_f, subject, body_f): (&Folded, &str, &Folded),
        forward: bool,
    ) -> BrandClaims {
        let mut claims = BrandClaims::default();
        // The display name and Sender name are the sender identity.
        // A display name that also names the sender's own registered domain ("Lockergnome
        // Apple Core" <...@lockergnome.com>) is the sender naming itself and a topic.
        let own_label: String = reg(from_domain).split('.').next().unwrap_or("").to_string();
        let names_itself = |f: &str| {
            own_label.len() >= 4 && contains_word(&f.replace(['.', '-', '_'], " "), &own_label)
                || own_label.len() >= 4
                    && f.split_whitespace()
                        .any(|w| w.trim_matches(|c: char| !c.is_alphanumeric()) == own_label)
        };
        for (f, raw, place) in identity {
            let self_named = names_itself(&f.text);
            for (r, w) in self.brands_in(&f.text, 4) {
                let disguised = f.tricks() && !contains_word(&raw.to_lowercase(), &w);
                let st = if self_named && !disguised {
                    Strength::Subject
                } else {
                    Strength::Identity
                };
                claims.add(r, st, place, raw, disguised);
            }
        }
        // Reply-To display name.
        for (r, _) in self.brands_in(&fold(reply_name).text, 2) {
            claims.add(r, Strength::Identity, "reply_to_name", reply_name, false);
        }
        // Local part of the From address (amazon-security@hotmail.com).
        let local = from_address.rsplit_once('@').map(|(l, _)| l).unwrap_or("");
        let local_words = fold(&local.replace(['.', '_', '-', '+'], " "));
        for (r, _) in self.brands_in(&local_words.text, 2) {
            if matches!(r, BrandRef::Profile(_)) {
                claims.add(r, Strength::Identity, "from_address", from_address, false);
            }
        }
        let subj_strength = if forward {
            Strength::Weak
        } else {
            Strength::Subject
        };
        for (r, w) in self.brands_in(&subject_f.text, 4) {
            let disguised = subject_f.tricks() && !contains_word(&subject.to_lowercase(), &w);
            claims.add(r, subj_strength, "subject", subject, disguised);
        }
        self.presentation_claims(&mut claims, g, body_f, forward);
        claims
    }

    /// Claims by presentation (HTML title, logo alt text, attachments) and body mentions.
    fn presentation_claims(
        &self,
        claims: &mut BrandClaims,
        g: &MimeContent,
        body_f: &Folded,
        forward: bool,
    ) {
        let presents = if forward {
            Strength::Weak
        } else {
            Strength::Presents
        };
        let mut page_sources: Vec<(String, &'static str)> = Vec::new();
        for h in &g.htmls {
            if !h.title.is_empty() {
                page_sources.push((h.title.clone(), "html_title"));
            }
            for (_, alt) in h.images.iter().take(50) {
                if !alt.is_empty() {
                    page_sources.push((alt.clone(), "image_alt"));
                }
            }
        }
        for (s, place) in &page_sources {
            let f = fold(s).text;
            for (r, w) in self.brands_in(&f, 3) {
                if matches!(r, BrandRef::Profile(_)) {
                    // A title or logo text that is the brand's (service) name presents the
                    // message as the brand; one that mentions it ("Download on the App Store",
                    // "Microsoft reveals ...") does not.
                    let st = if names_only_brand(&f, &w) {
                        presents
                    } else {
                        Strength::Weak
                    };
                    claims.add(r, st, place, s, false);
                }
            }
        }
        for a in &g.attachments {
            for (r, _) in self.brands_in(&fold(&a.name).text, 2) {
                if matches!(r, BrandRef::Profile(_)) {
                    claims.add(r, Strength::Presents, "attachment_name", &a.name, false);
                }
            }
        }
        for (name, p) in &g.pages {
            let t = format!("{} {}", p.title, cut(&p.text, PAGE_TEXT_MAX));
            for (r, _) in self.brands_in(&fold(&t).text, 3) {
                if matches!(r, BrandRef::Profile(_)) {
                    claims.add(r, Strength::Presents, "attachment", name, false);
                }
            }
        }
        for (name, t) in &g.doc_texts {
            for (r, _) in self.brands_in(&fold(cut(t, PAGE_TEXT_MAX)).text, 3) {
                if matches!(r, BrandRef::Profile(_)) {
                    claims.add(r, Strength::Presents, "attachment", name, false);
                }
            }
        }
        for t in &g.attachment_texts {
            for (r, _) in self.brands_in(&fold(cut(t, PAGE_TEXT_MAX)).text, 3) {
                if matches!(r, BrandRef::Profile(_)) {
                    claims.add(r, Strength::Weak, "attachment_text", cut(t, 80), false);
                }
            }
        }
        for (r, w, n) in self.brand_counts(&body_f.text, 6) {
            if matches!(r, BrandRef::Profile(_)) {
                for _ in 0..n.min(3) {
                    claims.add(r, Strength::Weak, "body", &w, false);
                }
            }
        }
    }

    /// The lures of the subject and text: the email's own phrase lists and the core text
    /// analysis (links masked: they are weighed with their context).
    fn text_cues(
        &self,
        g: &MimeContent,
        subject: &str,
        body: &str,
        subject_f: &Folded,
        body_f: &Folded,
        forward: bool,
    ) -> TextCues {
        let engine: &Engine = &self.engine;
        // Lures in the subject and text, found once and used by several weighings.
        let mut cue_text = String::with_capacity(subject_f.text.len() + body_f.text.len() + 1);
        cue_text.push_str(&subject_f.text);
        cue_text.push('\n');
        cue_text.push_str(&body_f.text);
        for t in g
            .pages
            .iter()
            .map(|(_, p)| p.text.as_str())
            .chain(g.doc_texts.iter().map(|(_, t)| t.as_str()))
        {
            cue_text.push('\n');
            cue_text.push_str(&fold(cut(t, PAGE_TEXT_MAX)).text);
        }
        let hits = self.lures.find(&cue_text);
        // The same text through the core text module (links masked: they are weighed below
        // with their context). Its findings are weighed once the links are known.
        // The visible text with its links masked: its length tells a short message (where a
        // request is the point) from a long newsletter.
        let mut masked_body = String::with_capacity(body.len() + 64);
        bodytext::mask_urls(body, &mut masked_body);
        let text_chars = masked_body.chars().count();
        let text_analysis = self.text_rules.as_ref().map(|rules| {
            let mut masked = String::with_capacity(subject.len() + bodytext::MAX_TEXT + 64);
            masked.push_str(subject);
            masked.push('\n');
            masked.push_str(cut(&masked_body, bodytext::MAX_TEXT));
            for t in g
                .pages
                .iter()
                .map(|(_, p)| p.text.as_str())
                .chain(g.doc_texts.iter().map(|(_, t)| t.as_str()))
            {
                if masked.len() > 2 * bodytext::MAX_TEXT {
                    break;
                }
                masked.push('\n');
                bodytext::mask_urls(cut(t, 4 * 1024), &mut masked);
            }
            bodytext::analyze(engine, rules, &bodytext::thin_phone_numbers(&masked))
        });
        // Purposes before the link context is known (forwarding already applied).
        let pre_signals = match (&self.text_rules, &text_analysis) {
            (Some(rules), Some(a)) => {
                bodytext::findings(
                    rules,
                    a,
                    &bodytext::Context {
                        forward,
                        text_chars,
                        ..Default::default()
                    },
                )
                .1
            }
            _ => Signals::default(),
        };
        let subject_lure = !forward
            && (hits.has(Lure::Prize)
                || hits.has(Lure::Threat)
                || hits.has(Lure::Credential)
                || pre_signals.prize
                || pre_signals.threat
                || pre_signals.credential);
        TextCues {
            hits,
            text_chars,
            text_analysis,
            subject_lure,
        }
    }
}

/// What [`EmailChecker::text_cues`] found.
struct TextCues {
    hits: LureHits,
    text_chars: usize,
    text_analysis: Option<TextAnalysis>,
    subject_lure: bool,
}
