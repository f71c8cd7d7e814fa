//! What a probe returns: the outcome and the evidence a person can check.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

/// What the page did with the decoy credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The first decoy got through: a page that cannot check passwords.
    Accepted,
    /// The first decoy was refused and the second accepted: a "double login" kit.
    AcceptedAfterRetry,
    /// The decoy password was refused (error text, re-prompt or a 4xx answer).
    Rejected,
    /// The decoy address was refused at the identifier step (unknown account).
    RejectedIdentifier,
    /// A CAPTCHA, one-time code or bot check stood in the way.
    Challenge,
    /// No form, cloaked, timed out, refused or broken: the probe could not tell.
    Inconclusive,
}

impl Outcome {
    /// The outcome's name in JSON and reports (`accepted`, `rejected`...).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::AcceptedAfterRetry => "accepted_after_retry",
            Outcome::Rejected => "rejected",
            Outcome::RejectedIdentifier => "rejected_identifier",
            Outcome::Challenge => "challenge",
            Outcome::Inconclusive => "inconclusive",
        }
    }
}

/// Which decoy value a request carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Carried {
    /// Only the decoy address.
    Identifier,
    /// Only the decoy password.
    Password,
    /// Both the address and the password.
    Both,
}

/// A request that carried a decoy value (in its URL, body or Authorization header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CapturedRequest {
    /// HTTP method.
    pub method: String,
    /// Request URL (capped at 2,000 characters).
    pub url: String,
    /// `host[:port]` the request went to.
    pub host: String,
    /// Which decoy value it carried.
    pub carried: Carried,
    /// Where in the request: `url`, `body`, `authorization`.
    pub location: String,
    /// HTTP status of the answer, when one came.
    pub status: Option<i64>,
}

/// One step of the probe (landing, identifier submit, password submit...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// What the step was (`landing`, `identifier submitted`, `password submitted (1)`...).
    pub name: String,
    /// Address of the top page after the step.
    pub url: String,
    /// PNG written under the evidence folder, when one was asked for.
    pub screenshot: Option<PathBuf>,
    /// The start of the text visible on the page after this step.
    pub visible_text_excerpt: String,
    /// Text that became visible in this step (what the page said in answer).
    pub new_text_excerpt: String,
}

/// The decoy credentials used in one submission (random, never the user's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decoy {
    /// The decoy account (an address under the decoy domain).
    pub identifier: String,
    /// The decoy password.
    pub password: String,
}

/// Everything a probe found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeResult {
    /// The probed URL (normalised once it parsed).
    pub url: String,
    /// Engine that ran the probe: `chrome` or `http`.
    pub engine: String,
    /// What the page did with the decoy credentials.
    pub outcome: Outcome,
    /// Plain-English reason for the outcome.
    pub reason: String,
    /// Address of the top page when the probe ended.
    pub final_url: String,
    /// Top-level document URLs in order, redirects included.
    pub redirect_chain: Vec<String>,
    /// Requests that carried a decoy value (at most 50).
    pub decoy_requests: Vec<CapturedRequest>,
    /// The decoys used, in order.
    pub decoys: Vec<Decoy>,
    /// The probe's steps, in order (at most 20).
    pub steps: Vec<Step>,
    /// Brand id the page itself claims (title, logo alt text, visible text).
    pub page_brand_claim: Option<String>,
    /// Whether a login prompt (password or account field) was found at all.
    pub login_form_found: bool,
    /// Password submissions made (at most two).
    pub submissions: u32,
    /// The browser left the login page's origin after the decoy was submitted.
    pub left_origin: bool,
    /// A page asked for card details after the password.
    pub asked_card: bool,
    /// Host of the page that showed the login form.
    pub form_host: Option<String>,
    /// What the login page showed about itself (title, logo alt texts, text), for the brand claim.
    #[serde(skip)]
    pub brand_material: Option<BrandMaterial>,
    /// Requests the egress guard refused (private, loopback, link-local or metadata targets
    /// reached by a redirect, a script or a sub-resource).
    pub blocked: Vec<crate::guard::Blocked>,
    /// Problems met on the way (the probe itself never fails).
    pub errors: Vec<String>,
    /// Time the probe took, in milliseconds.
    pub elapsed_ms: u64,
}

impl ProbeResult {
    pub(crate) fn new(url: &str, engine: &str) -> ProbeResult {
        ProbeResult {
            url: url.to_string(),
            engine: engine.to_string(),
            outcome: Outcome::Inconclusive,
            reason: String::new(),
            final_url: url.to_string(),
            redirect_chain: Vec::new(),
            decoy_requests: Vec::new(),
            decoys: Vec::new(),
            steps: Vec::new(),
            page_brand_claim: None,
            login_form_found: false,
            submissions: 0,
            left_origin: false,
            asked_card: false,
            form_host: None,
            brand_material: None,
            blocked: Vec::new(),
            errors: Vec::new(),
            elapsed_ms: 0,
        }
    }

    /// Hosts (other than the form's own) that received a decoy password.
    pub fn password_sent_elsewhere(&self) -> Vec<&str> {
        let own = self.form_host.as_deref().unwrap_or("");
        let mut v: Vec<&str> = self
            .decoy_requests
            .iter()
            .filter(|r| matches!(r.carried, Carried::Password | Carried::Both))
            .map(|r| r.host.as_str())
            .filter(|h| !h.is_empty() && strip_port(h) != own)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// Strip `:port` from `host:port` (IPv6 literals keep their brackets).
fn strip_port(h: &str) -> &str {
    match h.rsplit_once(':') {
        Some((a, p))
            if !a.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && !a.ends_with(':') =>
        {
            a
        }
        _ => h,
    }
}

/// The login page's own words about itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BrandMaterial {
    /// The page title.
    pub title: String,
    /// Alt texts of its images (logos).
    pub logos: Vec<String>,
    /// Its visible text (the first 5,000 characters).
    pub text: String,
}

/// Per-probe options.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// Hard cap for the whole probe.
    pub timeout: Duration,
    /// Cap for one step (a navigation or a submission to settle).
    pub step_timeout: Duration,
    /// Allow loopback, private and link-local targets.
    pub allow_private: bool,
    /// Exact `host:port` pairs allowed even when private (a known local test site); every
    /// other private target, including redirects from an allowed one, is still refused.
    pub allow_hosts: Vec<String>,
    /// Domain of the decoy addresses (a reserved example domain by default).
    pub decoy_domain: String,
    /// Where to write screenshots; none are taken without it.
    pub evidence_dir: Option<PathBuf>,
    /// Text that stays unchanged this long counts as settled.
    pub quiet: Duration,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            timeout: Duration::from_secs(45),
            step_timeout: Duration::from_secs(15),
            allow_private: false,
            allow_hosts: Vec::new(),
            decoy_domain: "example.net".to_string(),
            evidence_dir: None,
            quiet: Duration::from_millis(500),
        }
    }
}
