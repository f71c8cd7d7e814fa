//! The browserless engine (`--engine http`): fetch the page, parse its forms with an HTML parser,
//! post the decoys, follow redirects (bounded, each hop re-checked). It decides the same
//! outcomes as the browser where the page works without JavaScript, and says `inconclusive`
//! where JavaScript is needed (forms built by script, XHR logins).
//!
//! Files: `client` fetches, `html` reads pages; this file is the HTTP side of the probe flow
//! (`crate::flow`), which decides the outcome.

mod client;
mod html;

use std::time::Instant;

use url::Url;

use crate::classify::{Scan, SubmitFacts};
use crate::decoy;
use crate::flow::{Decision, Driver, Prompt, excerpt};
use crate::model::{
    BrandMaterial, CapturedRequest, Decoy, Outcome, ProbeOptions, ProbeResult, Step,
};
use crate::safety;

use client::{Client, Fetched};
use html::{Form, read_html};

/// What the plain-HTTP engine sees of a page: visible text (by markup), fields, the sign-in link
/// and logos, as the browser's scan script would report them. Public for the fuzz targets.
pub fn scan_html(html: &str, base: &Url) -> Scan {
    read_html(html, base).0
}

/// Probe one URL over plain HTTP. Never fails: problems become `inconclusive`.
pub async fn probe(url: &str, opts: &ProbeOptions) -> ProbeResult {
    let started = Instant::now();
    let mut res = ProbeResult::new(url, "http");
    let mut decision = Decision::default();
    let mut driver = None;
    let run = start(url, opts, &mut decision, &mut driver, &mut res);
    if tokio::time::timeout(opts.timeout, run).await.is_err() {
        decision.timed_out::<HttpDriver>(&mut res, opts.timeout);
    } else if let Some(d) = driver {
        d.finish(&mut res);
    }
    res.elapsed_ms = started.elapsed().as_millis().try_into().unwrap_or(u64::MAX);
    res
}

/// Check the target, make the client, and run the probe flow over it.
async fn start(
    url: &str,
    opts: &ProbeOptions,
    decision: &mut Decision,
    slot: &mut Option<HttpDriver>,
    res: &mut ProbeResult,
) {
    let target = match safety::parse_target(url) {
        Ok(u) => u,
        Err(e) => {
            res.errors.push(e.clone());
            return decision.conclude(res, Outcome::Inconclusive, e);
        }
    };
    if let Err(e) = safety::check_target(&target, opts.allow_private).await {
        res.errors.push(e.clone());
        return decision.conclude(res, Outcome::Inconclusive, e);
    }
    res.url = target.to_string();
    let client = match Client::new(opts) {
        Ok(c) => c,
        Err(e) => return decision.conclude(res, Outcome::Inconclusive, e),
    };
    let driver = slot.insert(HttpDriver::new(client, target.clone()));
    decision.run(driver, &target, opts, res).await;
}

/// The request a filled form will send.
struct Filled {
    method: &'static str,
    url: Url,
    body: Option<String>,
    /// The address of the page that showed the form.
    form_page: String,
}

/// The plain-HTTP driver of one probe: the client, the page as last fetched and read, and the
/// redirect chain so far.
struct HttpDriver {
    client: Client,
    target: Url,
    chain: Vec<String>,
    /// Whether the redirect chain goes into the result (not when the form could not be filled:
    /// it never did).
    keep_chain: bool,
    page: Fetched,
    /// The landing page's address, for its sign-in link.
    base: Url,
    scan: Scan,
    forms: Vec<Form>,
    has_script: bool,
    filled: Option<Filled>,
}

impl HttpDriver {
    fn new(client: Client, target: Url) -> Self {
        HttpDriver {
            client,
            base: target.clone(),
            target,
            chain: Vec::new(),
            keep_chain: true,
            page: Fetched::default(),
            scan: Scan::default(),
            forms: Vec::new(),
            has_script: false,
            filled: None,
        }
    }

    /// Copy the redirect chain into the result.
    fn finish(self, res: &mut ProbeResult) {
        if self.keep_chain {
            res.redirect_chain = self.chain;
        }
    }

    /// The form to fill: the one with a password field, else the first.
    fn form(&self) -> Option<&Form> {
        self.forms
            .iter()
            .find(|f| f.password.is_some())
            .or_else(|| self.forms.first())
    }

    /// Read the current page (relative to its own address, else the target).
    fn read_page(&mut self, fallback: &Url) {
        let b = Url::parse(&self.page.url).unwrap_or_else(|_| fallback.clone());
        (self.scan, self.forms, self.has_script) = read_html(&self.page.html, &b);
    }
}

/// The name/value pairs a form sends with the decoy in its prompt.
fn form_pairs(form: &Form, d: &Decoy) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for (name, t, value, checked) in &form.inputs {
        let v = if Some(name) == form.password.as_ref() {
            d.password.clone()
        } else if Some(name) == form.ident.as_ref() {
            d.identifier.clone()
        } else if matches!(t.as_str(), "checkbox" | "radio") {
            if !*checked {
                continue;
            }
            if value.is_empty() {
                "on".to_string()
            } else {
                value.clone()
            }
        } else if matches!(t.as_str(), "submit" | "image" | "button" | "reset" | "file") {
            continue;
        } else {
            value.clone()
        };
        pairs.push((name.clone(), v));
    }
    if let Some((n, v)) = &form.submit
        && !n.is_empty()
    {
        pairs.push((n.clone(), v.clone()));
    }
    pairs
}

impl Driver for HttpDriver {
    const REASON_NAMES_BOTH_TRIES: bool = false;
    const CHALLENGE_BEFORE_EACH_SUBMIT: bool = false;

    async fn land(&mut self, target: &Url, res: &mut ProbeResult) -> Result<(), String> {
        self.page = match self
            .client
            .fetch("GET", target, None, &mut self.chain)
            .await
        {
            Ok(p) => p,
            Err(e) => {
                res.errors.push(e.clone());
                return Err(e);
            }
        };
        res.final_url = self.page.url.clone();
        if self.page.attachment {
            return Err("the address starts a file download (not fetched)".into());
        }
        if !self.page.is_html {
            return Err("the address is not a web page".into());
        }
        self.base = Url::parse(&self.page.url).unwrap_or_else(|_| target.clone());
        let base = self.base.clone();
        self.read_page(&base);
        push_step(res, "landing", &self.page.url, &self.scan.text, "");
        Ok(())
    }

    fn page(&self) -> &Scan {
        &self.scan
    }

    fn has_form(&self) -> bool {
        !self.forms.is_empty()
    }

    async fn follow_signin(&mut self, res: &mut ProbeResult) {
        let Some(link) = self.scan.signin.clone() else {
            return;
        };
        let Ok(next) = self.base.join(&link.href) else {
            return;
        };
        if !matches!(next.scheme(), "http" | "https") {
            return;
        }
        match self.client.fetch("GET", &next, None, &mut self.chain).await {
            Ok(p) if p.is_html && !p.attachment => {
                self.page = p;
                self.read_page(&next);
                push_step(res, "sign-in link", &self.page.url, &self.scan.text, "");
            }
            Ok(_) => {}
            Err(e) => res.errors.push(format!("sign-in link: {e}")),
        }
    }

    fn no_form(&mut self, res: &mut ProbeResult) -> String {
        res.final_url = self.page.url.clone();
        let why = if self.scan.has_password() || self.scan.has_ident() {
            res.login_form_found = true;
            "the sign-in fields are not in a form: the page needs JavaScript"
        } else if self.has_script {
            "no sign-in form in the HTML (it may be built by JavaScript)"
        } else {
            "no sign-in form found"
        };
        self.remember_login_page(res);
        why.into()
    }

    fn remember_login_page(&self, res: &mut ProbeResult) {
        if res.form_host.is_none() {
            res.form_host = Url::parse(&self.page.url)
                .ok()
                .and_then(|u| u.host_str().map(|h| h.to_ascii_lowercase()));
        }
        res.brand_material.get_or_insert_with(|| BrandMaterial {
            title: self.scan.title.clone(),
            logos: self.scan.logos.clone(),
            text: self.scan.text.chars().take(5000).collect(),
        });
    }

    fn next_prompt(&self) -> Option<Prompt> {
        Some(if self.form()?.password.is_none() {
            Prompt::Identifier
        } else {
            Prompt::Password
        })
    }

    async fn fill(&mut self, d: &Decoy, _: Prompt, _: &mut ProbeResult) -> Result<(), String> {
        let form = self.form().cloned().ok_or("no form")?;
        let pairs = form_pairs(&form, d);
        let form_page = self.page.url.clone();
        let base = Url::parse(&form_page).unwrap_or_else(|_| self.target.clone());
        let action = if form.action.trim().is_empty() {
            base.clone()
        } else {
            match base.join(form.action.trim()) {
                Ok(a) => a,
                Err(e) => {
                    self.keep_chain = false;
                    return Err(format!("bad form action: {e}"));
                }
            }
        };
        if !matches!(action.scheme(), "http" | "https") {
            self.keep_chain = false;
            return Err(
                "the form posts to a script, not a web address: the page needs JavaScript".into(),
            );
        }
        let body = encode(&pairs);
        let filled = if form.method == "GET" {
            let mut u = action;
            u.set_query(Some(&body));
            Filled {
                method: "GET",
                url: u,
                body: None,
                form_page,
            }
        } else {
            Filled {
                method: "POST",
                url: action,
                body: Some(body),
                form_page,
            }
        };
        self.filled = Some(filled);
        Ok(())
    }

    async fn submit(
        &mut self,
        d: &Decoy,
        prompt: Prompt,
        res: &mut ProbeResult,
    ) -> Result<SubmitFacts, String> {
        let Filled {
            method,
            url,
            body,
            form_page,
        } = self.filled.take().ok_or("nothing filled")?;
        let fetched = self
            .client
            .fetch(method, &url, body.clone(), &mut self.chain)
            .await;
        let carried = decoy::merge(
            decoy::carried(url.as_str(), d),
            body.as_deref().and_then(|b| decoy::carried(b, d)),
        );
        let page = match fetched {
            Ok(p) => p,
            Err(e) => {
                res.errors.push(e.clone());
                return Err(format!("after the submit: {e}"));
            }
        };
        if let Some(c) = carried
            && res.decoy_requests.len() < 50
        {
            res.decoy_requests.push(CapturedRequest {
                method: method.to_string(),
                url: url.as_str().chars().take(2000).collect(),
                host: host_port(&url),
                carried: c,
                location: if method == "GET" {
                    "url".into()
                } else {
                    "body".into()
                },
                status: Some(i64::from(page.first_status)),
            });
        }
        self.page = page;
        res.final_url = self.page.url.clone();
        if self.page.failed_hop.is_some() || self.page.html.is_empty() {
            self.scan = Scan {
                url: self.page.url.clone(),
                ..Default::default()
            };
            self.forms = Vec::new();
        } else {
            let b = Url::parse(&self.page.url).unwrap_or_else(|_| self.target.clone());
            let (scan, forms, _) = read_html(&self.page.html, &b);
            (self.scan, self.forms) = (scan, forms);
        }
        let page = &self.page;
        let left = origin(&page.url) != origin(&form_page);
        let status =
            (carried.is_some() && page.first_status >= 400).then_some(i64::from(page.first_status));
        Ok(SubmitFacts {
            left_origin: left,
            left_to: left.then(|| page.url.clone()),
            url_changed: true,
            decoy_sent: carried.is_some(),
            decoy_status: status.or_else(|| (page.status >= 400).then_some(i64::from(page.status))),
            dialogs: Vec::new(),
            identifier_step: prompt == Prompt::Identifier,
        })
    }

    async fn record_step(&mut self, res: &mut ProbeResult, name: &str, fresh: &str) {
        push_step(res, name, &self.page.url, &self.scan.text, fresh);
    }
}

fn push_step(res: &mut ProbeResult, name: &str, url: &str, text: &str, fresh: &str) {
    if res.steps.len() < 20 {
        res.steps.push(Step {
            name: name.to_string(),
            url: url.to_string(),
            screenshot: None,
            visible_text_excerpt: excerpt(text, 600),
            new_text_excerpt: excerpt(fresh, 400),
        });
    }
}

fn encode(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .finish()
}

fn host_port(u: &Url) -> String {
    match (u.host_str(), u.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => String::new(),
    }
}

fn origin(u: &str) -> Option<String> {
    Url::parse(u).ok().map(|u| u.origin().ascii_serialization())
}
