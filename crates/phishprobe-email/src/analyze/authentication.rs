//! Authentication results, weighed by their alignment with the claimed brand: only a pass
//! for the brand's own mail domain, on a brand sender address, vouches genuine.

use phishprobe_core::{DomainRole, ReportBuilder, Severity};

use super::EmailChecker;
use super::facts::MessageFacts;
use super::sender::SenderOutcome;
use super::util::reg;
use crate::auth::{self, AuthSummary};
use crate::finding;

impl EmailChecker<'_> {
    /// Weigh the message's authentication results (taken out of the facts) and return them
    /// with their brand alignment marked.
    pub(super) fn weigh_authentication(
        &self,
        f: &mut MessageFacts,
        b: &mut ReportBuilder,
        sender: &SenderOutcome,
    ) -> Option<AuthSummary> {
        let mut summary = f.authentication.take();
        let brand_for_auth = sender.claimed_profile.or(f.from_brand);
        if let Some(s) = summary.as_mut() {
            self.weigh_auth(
                b,
                s,
                brand_for_auth,
                sender.brand_sender,
                sender.brand_domain_claimed,
                &f.from_domain,
            );
        }
        summary
    }

    /// Whether `domain` is one of the brand's mail or web domains.
    fn brand_domain(&self, bi: usize, domain: &str) -> bool {
        let Some(id) = self.engine.brand(bi).map(|b| b.id.clone()) else {
            return false;
        };
        !domain.is_empty()
            && self
                .engine
                .owners_of_domain(domain)
                .iter()
                .any(|o| o.brand == id && matches!(o.role, DomainRole::Mail | DomainRole::Web))
    }

    fn weigh_auth(
        &self,
        b: &mut ReportBuilder,
        s: &mut AuthSummary,
        brand: Option<usize>,
        brand_sender: bool,
        brand_domain_claimed: bool,
        from_domain: &str,
    ) {
        if let Some(bi) = brand {
            for r in s.results.iter_mut() {
                r.brand_aligned = self.brand_domain(bi, &r.domain);
            }
        }
        let bname = brand
            .and_then(|bi| self.engine.brand(bi))
            .map(|p| p.name.clone())
            .unwrap_or_default();
        let dmarc_brand_fail = s
            .get("dmarc")
            .any(|r| r.brand_aligned && r.result == "fail");
        let dmarc_pass_brand = s
            .get("dmarc")
            .any(|r| r.brand_aligned && r.result == "pass");
        let from_reg = reg(from_domain);
        let dkim_pass_brand = s
            .get("dkim")
            .any(|r| r.brand_aligned && r.result == "pass" && (reg(&r.domain) == from_reg));
        let ctx = auth::AuthContext {
            brand_name: &bname,
            from_domain,
            brand_from: brand_sender || brand_domain_claimed,
        };
        b.extend(auth::word_results(s, &ctx).findings);
        if brand_sender && !dmarc_brand_fail && (dmarc_pass_brand || dkim_pass_brand) {
            b.push(finding(
                "auth.brand_aligned",
                Severity::Info,
                format!("The receiving server confirmed the message was signed by {bname}'s own mail domain."),
                format!("收件服务器确认邮件由 {bname} 自己的邮件域名签署。"),
                from_domain.to_string(),
            ));
            b.vouch_genuine();
        } else if brand.is_some() && !brand_sender {
            let passed: Vec<String> = s
                .results
                .iter()
                .filter(|r| {
                    r.result == "pass"
                        && !r.domain.is_empty()
                        && matches!(r.method.as_str(), "spf" | "dkim" | "dmarc")
                })
                .map(|r| format!("{}={}", r.method, r.domain))
                .take(3)
                .collect();
            if !passed.is_empty() {
                b.push(finding(
                    "auth.pass_not_brand",
                    Severity::Info,
                    format!("Authentication passed only for a domain that is not {bname}'s: that proves who sent it, not that {bname} did."),
                    format!("认证只对一个不属于 {bname} 的域名通过：这只能证明是谁发的，不能证明是 {bname} 发的。"),
                    passed.join(", "),
                ));
            }
        }
    }
}
