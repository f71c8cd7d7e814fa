//! Turning a probe into a verdict: the outcome, combined with the hostname/brand analysis and the
//! brand the page itself claims. The probe alone never vouches for a page: a rejected decoy is
//! what a genuine site does, but also what a relay to the genuine site does.

use phishprobe_core::page::{self, PageClaims};
use phishprobe_core::{
    DomainRole, Engine, Finding, Message, Report, ReportBuilder, Severity, Verdict,
};

use crate::classify::Scan;
use crate::model::{Outcome, ProbeResult};

/// Which brand a login page claims to be, from its title, logo alt texts and visible text:
/// the core's [`phishprobe_core::page::claimed_brand`], which the browser extension uses too.
pub fn page_brand_claim(engine: &Engine, scan: &Scan) -> Option<String> {
    let claims = PageClaims {
        title: scan.title.clone(),
        logos: scan.logos.clone(),
        text: scan.text.clone(),
        headings: Vec::new(),
    };
    page::claimed_brand(engine, &claims)
}

/// Fill `probe.page_brand_claim` from what the login page showed (title, logos, text).
pub fn claim_brand(engine: &Engine, probe: &mut ProbeResult) {
    if probe.page_brand_claim.is_some() {
        return;
    }
    if let Some(m) = &probe.brand_material {
        let scan = Scan {
            title: m.title.clone(),
            logos: m.logos.clone(),
            text: m.text.clone(),
            ..Default::default()
        };
        probe.page_brand_claim = page_brand_claim(engine, &scan);
    }
}

fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url).ok().and_then(|u| {
        u.host_str()
            .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
    })
}

fn finding(code: &str, sev: Severity, en: String, zh: String, evidence: String) -> Finding {
    Finding::new(code, sev, Message::new(en, zh), evidence)
}

/// The verdict for a probed URL: the host analysis of `url`, plus what the probe saw.
pub fn verdict(engine: &Engine, url: &str, probe: &ProbeResult) -> Report {
    let mut claimed = probe.clone();
    claim_brand(engine, &mut claimed);
    let probe = &claimed;
    let base = engine.check_url(url);
    let mut b = ReportBuilder::new(url);
    if let Some(brand) = &base.brand {
        b.brand(brand);
    }
    if base.verdict == Verdict::Genuine {
        b.vouch_genuine();
    }
    b.extend(base.findings.iter().cloned());

    let form_host = probe
        .form_host
        .clone()
        .or_else(|| host_of(&probe.final_url))
        .or_else(|| host_of(url))
        .unwrap_or_default();

    // The brand the page claims, against the host that showed it.
    if let (Some(claim), true) = (&probe.page_brand_claim, probe.login_form_found) {
        b.brand(claim);
        if !page::owned_by(engine, &form_host, claim) {
            b.push(page::off_brand_finding(
                engine,
                "probe.brand_login_off_brand",
                claim,
                &form_host,
            ));
        }
    }

    match probe.outcome {
        Outcome::Accepted => {
            b.push(finding(
                "probe.decoy_accepted",
                Severity::Critical,
                "The page accepted a made-up password. A real sign-in page checks the password; this one cannot, so it only collects what you type.".into(),
                "该页面接受了一个编造的密码。真正的登录页面会核对密码；这个页面无法核对，只会收集你输入的内容。".into(),
                probe.reason.clone(),
            ));
        }
        Outcome::AcceptedAfterRetry => {
            b.push(finding(
                "probe.double_login",
                Severity::Critical,
                "The page said the first made-up password was wrong, then accepted a second made-up one: a trick of phishing kits to look genuine.".into(),
                "该页面先说第一个编造的密码错误，然后接受了第二个编造的密码：这是钓鱼工具伪装真实的常见手法。".into(),
                probe.reason.clone(),
            ));
        }
        Outcome::Rejected => {
            b.push(finding(
                "probe.decoy_rejected",
                Severity::Info,
                "The page refused a made-up password. That is what a genuine site does, but a page relaying to the real site does the same: this alone does not prove it genuine.".into(),
                "该页面拒绝了编造的密码。真实网站会这样做，但转发到真实网站的钓鱼页面也会这样：仅凭这一点不能证明它是真的。".into(),
                probe.reason.clone(),
            ));
        }
        Outcome::RejectedIdentifier => {
            b.push(finding(
                "probe.identifier_rejected",
                Severity::Info,
                "The page said the made-up account does not exist, as genuine sites do. This alone does not prove it genuine.".into(),
                "该页面表示编造的账户不存在，与真实网站的做法一致。仅凭这一点不能证明它是真的。".into(),
                probe.reason.clone(),
            ));
        }
        Outcome::Challenge => {
            b.push(finding(
                "probe.challenge",
                Severity::Info,
                "The page asked for a CAPTCHA, a one-time code or a bot check, so the password test could not finish.".into(),
                "该页面要求验证码、一次性密码或机器人检查，因此密码测试无法完成。".into(),
                probe.reason.clone(),
            ));
        }
        Outcome::Inconclusive => {
            b.push(finding(
                "probe.inconclusive",
                Severity::Info,
                "The password test could not tell (no sign-in form, the page hid itself, timed out or failed to load).".into(),
                "密码测试无法判断（没有登录表单、页面隐藏了自己、超时或加载失败）。".into(),
                probe.reason.clone(),
            ));
        }
    }

    let elsewhere = probe.password_sent_elsewhere();
    if !elsewhere.is_empty() {
        b.push(finding(
            "probe.password_sent_elsewhere",
            Severity::High,
            "The password typed into this page was sent to a different website.".into(),
            "在此页面输入的密码被发送到了另一个网站。".into(),
            elsewhere.join(", "),
        ));
    }
    if probe.asked_card {
        b.push(finding(
            "probe.asks_card",
            Severity::High,
            "After the password, the page asked for card details. A sign-in never needs them."
                .into(),
            "输入密码后，该页面要求提供银行卡信息。登录从不需要这些信息。".into(),
            probe.final_url.clone(),
        ));
    }
    if probe.left_origin
        && let Some(h) = host_of(&probe.final_url)
        && let Some(owner) = engine.brand_of_domain(&h)
        && owner.role == DomainRole::Web
        && engine.brand_of_domain(&form_host).is_none()
    {
        b.brand(&owner.brand);
        b.push(finding(
            "probe.jumped_to_brand_site",
            Severity::High,
            "Right after taking the password, the page sent the browser to the real brand's site. Phishing kits do this so the victim does not notice.".into(),
            "拿到密码后，该页面立即把浏览器转到真正品牌的网站。钓鱼工具这样做是为了让受害者察觉不到。".into(),
            format!("{form_host} -> {h}"),
        ));
    }
    b.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        Engine::embedded().expect("embedded data loads")
    }

    fn result(outcome: Outcome, host: &str, claim: Option<&str>) -> ProbeResult {
        let mut r = ProbeResult::new(&format!("https://{host}/ap/signin"), "chrome");
        r.outcome = outcome;
        r.form_host = Some(host.to_string());
        r.page_brand_claim = claim.map(str::to_string);
        r.login_form_found = true;
        r
    }

    #[test]
    fn amazon_page_on_foreign_host_is_phishing_even_when_rejected() {
        let e = engine();
        let url = "https://secure-login.example.org/ap/signin";
        let r = result(
            Outcome::Rejected,
            "secure-login.example.org",
            Some("amazon"),
        );
        let rep = verdict(&e, url, &r);
        assert_eq!(rep.verdict, Verdict::Phishing, "{rep:#?}");
        assert!(rep.has("probe.brand_login_off_brand"));
        assert_eq!(rep.brand.as_deref(), Some("amazon"));
        // The same on a loopback test host.
        let r = result(Outcome::Rejected, "127.0.0.1", Some("amazon"));
        assert_eq!(
            verdict(&e, "http://127.0.0.1:8080/", &r).verdict,
            Verdict::Phishing
        );
    }

    #[test]
    fn acceptance_is_phishing_and_rejection_alone_never_genuine() {
        let e = engine();
        let url = "https://login.example.org/";
        let r = result(Outcome::Accepted, "login.example.org", None);
        assert_eq!(verdict(&e, url, &r).verdict, Verdict::Phishing);
        let r = result(Outcome::AcceptedAfterRetry, "login.example.org", None);
        assert!(verdict(&e, url, &r).has("probe.double_login"));
        let r = result(Outcome::Rejected, "login.example.org", None);
        assert_ne!(verdict(&e, url, &r).verdict, Verdict::Genuine);
        let r = result(Outcome::Inconclusive, "login.example.org", None);
        assert_ne!(verdict(&e, url, &r).verdict, Verdict::Genuine);
    }

    #[test]
    fn amazon_page_on_amazon_host_is_not_flagged_for_its_claim() {
        let e = engine();
        let url = "https://www.amazon.com/ap/signin";
        let r = result(Outcome::Rejected, "www.amazon.com", Some("amazon"));
        let rep = verdict(&e, url, &r);
        assert!(!rep.has("probe.brand_login_off_brand"));
        assert_ne!(rep.verdict, Verdict::Phishing);
    }

    #[test]
    fn brand_claim_from_title_logo_and_text() {
        let e = engine();
        let s = Scan {
            title: "Amazon Sign-In".into(),
            logos: vec!["Amazon".into()],
            text: "Sign in\nEmail or mobile phone number".into(),
            ..Default::default()
        };
        assert_eq!(page_brand_claim(&e, &s).as_deref(), Some("amazon"));
        let s = Scan {
            title: "Example Bank login".into(),
            text: "Sign in to your Example Bank account".into(),
            ..Default::default()
        };
        assert_eq!(page_brand_claim(&e, &s), None);
    }
}
