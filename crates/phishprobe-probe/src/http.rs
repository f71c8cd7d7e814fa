//! The browserless engine (`--engine http`): fetch the page, parse its forms with an HTML parser,
//! post the decoys, follow redirects (bounded, each hop re-checked). It decides the same
//! outcomes as the browser where the page works without JavaScript, and says `inconclusive`
//! where JavaScript is needed (forms built by script, XHR logins).

use std::collections::HashMap;
use std::sync::Once;
use std::time::{Duration, Instant};

use scraper::{ElementRef, Html, Node, Selector};
use url::Url;

use crate::classify::{self, After, ButtonRef, Facts, FieldRef, LinkRef, Scan};
use crate::decoy;
use crate::model::{
    BrandMaterial, CapturedRequest, Carried, Decoy, Outcome, ProbeOptions, ProbeResult, Step,
};
use crate::safety;

/// Largest page body read.
const MAX_BODY: usize = 2 << 20;
/// Most redirects followed per request.
const MAX_REDIRECTS: usize = 10;
const UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

static PROVIDER: Once = Once::new();

/// A fetched page after redirects.
#[derive(Debug, Clone, Default)]
struct Fetched {
    url: String,
    status: u16,
    /// Status of the first answer (before redirects): the answer to a decoy post.
    first_status: u16,
    html: String,
    attachment: bool,
    is_html: bool,
    /// Left for another origin during the redirects.
    hops: Vec<String>,
    /// The last hop failed (unreachable): the URL it was going to.
    failed_hop: Option<String>,
}

/// A form as parsed from HTML.
#[derive(Debug, Clone, Default)]
struct Form {
    action: String,
    method: String,
    /// (name, type, value, checked)
    inputs: Vec<(String, String, String, bool)>,
    password: Option<String>,
    ident: Option<String>,
    submit: Option<(String, String)>,
}

struct Client {
    http: reqwest::Client,
    allow_private: bool,
    cookies: HashMap<String, Vec<(String, String)>>,
}

impl Client {
    fn new(opts: &ProbeOptions) -> Result<Client, String> {
        PROVIDER.call_once(|| {
            let _ = rustls::crypto::ring::default_provider().install_default();
        });
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT_LANGUAGE,
            reqwest::header::HeaderValue::from_static("en-US,en;q=0.9"),
        );
        headers.insert(
            reqwest::header::ACCEPT,
            reqwest::header::HeaderValue::from_static(
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            ),
        );
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(opts.step_timeout)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(UA)
            .default_headers(headers)
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Client {
            http,
            allow_private: opts.allow_private,
            cookies: HashMap::new(),
        })
    }

    fn cookie_header(&self, url: &Url) -> Option<String> {
        let jar = self.cookies.get(url.host_str()?)?;
        (!jar.is_empty()).then(|| {
            jar.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    fn store_cookies(&mut self, url: &Url, resp: &reqwest::Response) {
        let Some(host) = url.host_str() else { return };
        let jar = self.cookies.entry(host.to_string()).or_default();
        for v in resp.headers().get_all(reqwest::header::SET_COOKIE) {
            let Ok(s) = v.to_str() else { continue };
            let first = s.split(';').next().unwrap_or("");
            if let Some((k, val)) = first.split_once('=') {
                let k = k.trim().to_string();
                jar.retain(|(n, _)| *n != k);
                if jar.len() < 50 {
                    jar.push((k, val.trim().to_string()));
                }
            }
        }
    }

    /// GET or POST with manual, bounded, re-checked redirects. `chain` gets every URL.
    async fn fetch(
        &mut self,
        method: &str,
        url: &Url,
        body: Option<String>,
        chain: &mut Vec<String>,
    ) -> Result<Fetched, String> {
        let mut cur = url.clone();
        let mut method = method.to_string();
        let mut body = body;
        let mut out = Fetched::default();
        for hop in 0..=MAX_REDIRECTS {
            if hop == MAX_REDIRECTS {
                return Err(format!(
                    "more than {MAX_REDIRECTS} redirects (a redirect loop)"
                ));
            }
            if !matches!(cur.scheme(), "http" | "https") {
                return Err(format!("redirect to a {} address refused", cur.scheme()));
            }
            safety::check_target(&cur, self.allow_private).await?;
            if chain.len() < 100 {
                chain.push(cur.to_string());
            }
            let mut req = if method == "POST" {
                self.http
                    .post(cur.clone())
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        "application/x-www-form-urlencoded",
                    )
                    .body(body.clone().unwrap_or_default())
            } else {
                self.http.get(cur.clone())
            };
            if let Some(c) = self.cookie_header(&cur) {
                req = req.header(reqwest::header::COOKIE, c);
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    if hop > 0 {
                        // The page sent us on and the next site did not answer (kits jump to
                        // the brand's real site; offline, that fails): record where it went.
                        out.failed_hop = Some(cur.to_string());
                        out.url = cur.to_string();
                        return Ok(out);
                    }
                    return Err(if e.is_timeout() {
                        "the page did not answer in time".to_string()
                    } else {
                        format!("the page did not load ({e})")
                    });
                }
            };
            self.store_cookies(&cur, &resp);
            let status = resp.status().as_u16();
            if hop == 0 {
                out.first_status = status;
            }
            if resp.status().is_redirection()
                && let Some(loc) = resp
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
            {
                let next = cur.join(loc).map_err(|e| format!("bad redirect: {e}"))?;
                out.hops.push(next.to_string());
                if status != 307 && status != 308 {
                    method = "GET".into();
                    body = None;
                }
                cur = next;
                continue;
            }
            out.url = cur.to_string();
            out.status = status;
            let ct = resp
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_ascii_lowercase();
            out.attachment = resp
                .headers()
                .get(reqwest::header::CONTENT_DISPOSITION)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.to_ascii_lowercase().starts_with("attachment"));
            out.is_html = ct.is_empty() || ct.contains("html");
            if out.attachment || !out.is_html {
                return Ok(out);
            }
            let mut resp = resp;
            let mut buf: Vec<u8> = Vec::new();
            loop {
                match resp.chunk().await {
                    Ok(Some(c)) => {
                        buf.extend_from_slice(&c);
                        if buf.len() >= MAX_BODY {
                            buf.truncate(MAX_BODY);
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        if buf.is_empty() {
                            return Err(if e.is_timeout() {
                                "the page did not finish loading in time".into()
                            } else {
                                format!("reading the page: {e}")
                            });
                        }
                        break;
                    }
                }
            }
            out.html = String::from_utf8_lossy(&buf).into_owned();
            return Ok(out);
        }
        Err("redirect loop".into())
    }
}

fn sel(s: &str) -> Option<Selector> {
    Selector::parse(s).ok()
}

fn attr<'a>(e: &ElementRef<'a>, n: &str) -> &'a str {
    e.value().attr(n).unwrap_or("")
}

/// Hidden by markup alone (the HTTP engine cannot run CSS, so class-based hiding is missed).
fn hidden_by_markup(e: &ElementRef) -> bool {
    let mut cur = Some(*e);
    while let Some(el) = cur {
        let v = el.value();
        if v.attr("hidden").is_some() || v.attr("aria-hidden") == Some("true") {
            return true;
        }
        if let Some(style) = v.attr("style") {
            let s: String = style.to_ascii_lowercase().split_whitespace().collect();
            if s.contains("display:none") || s.contains("visibility:hidden") {
                return true;
            }
        }
        if matches!(
            v.name(),
            "script" | "style" | "noscript" | "template" | "head" | "title"
        ) {
            return true;
        }
        cur = el.parent().and_then(ElementRef::wrap);
    }
    false
}

const IDENT_WORDS: &[&str] = &[
    "email",
    "e-mail",
    "user",
    "login",
    "logon",
    "account",
    "phone",
    "mobile",
    "identifier",
    "claim",
    "signin",
    "sign-in",
    "customer",
    "member",
];
const CARD_WORDS: &[&str] = &[
    "cc-num",
    "ccnum",
    "cc-exp",
    "cc-csc",
    "cardnumber",
    "card-number",
    "card_number",
    "cardnum",
    "credit",
    "cvv",
    "cvc",
    "csc",
    "expir",
    "exp-date",
    "expdate",
];
const OTP_WORDS: &[&str] = &[
    "one-time-code",
    "otp",
    "verification",
    "2fa",
    "mfa",
    "passcode",
];

fn descr(e: &ElementRef) -> String {
    [
        "name",
        "id",
        "autocomplete",
        "placeholder",
        "aria-label",
        "class",
    ]
    .iter()
    .map(|a| attr(e, a))
    .collect::<Vec<_>>()
    .join(" ")
    .to_ascii_lowercase()
}

fn any(d: &str, words: &[&str]) -> bool {
    words.iter().any(|w| d.contains(w))
}

/// What the plain-HTTP engine sees of a page: visible text (by markup), fields, the sign-in link
/// and logos, as the browser's scan script would report them. Public for the fuzz targets.
pub fn scan_html(html: &str, base: &Url) -> Scan {
    read_html(html, base).0
}

/// Read a page: visible text (by markup), fields, forms, sign-in link, logos.
fn read_html(html: &str, base: &Url) -> (Scan, Vec<Form>, bool) {
    let doc = Html::parse_document(html);
    let mut scan = Scan {
        url: base.to_string(),
        ready: "complete".into(),
        ..Default::default()
    };
    if let Some(s) = sel("title") {
        scan.title = doc
            .select(&s)
            .next()
            .map(|t| t.text().collect::<String>().trim().to_string())
            .unwrap_or_default();
    }
    // Visible text: one line per text node outside hidden markup.
    let mut text = String::new();
    for node in doc.tree.nodes() {
        if let Node::Text(t) = node.value() {
            let s = t.trim();
            if s.is_empty() {
                continue;
            }
            let Some(parent) = node.parent().and_then(ElementRef::wrap) else {
                continue;
            };
            if hidden_by_markup(&parent) {
                continue;
            }
            if text.len() < 20_000 {
                text.push_str(s);
                text.push('\n');
            }
        }
    }
    scan.text = text;
    let has_script = sel("script").is_some_and(|s| doc.select(&s).next().is_some());

    let mut idx = 0;
    if let Some(s) = sel("input") {
        for e in doc.select(&s).take(500) {
            let t = attr(&e, "type").to_ascii_lowercase();
            if hidden_by_markup(&e) {
                continue;
            }
            let d = descr(&e);
            let field = |i: usize| FieldRef {
                i,
                filled: !attr(&e, "value").is_empty(),
                name: attr(&e, "name").to_string(),
                weak: false,
            };
            idx += 1;
            match t.as_str() {
                "password" => scan.password.push(field(idx)),
                "hidden" | "submit" | "button" | "image" | "reset" | "checkbox" | "radio"
                | "file" => {}
                _ if any(&d, CARD_WORDS) || attr(&e, "autocomplete").starts_with("cc-") => {
                    scan.card += 1
                }
                _ if any(&d, OTP_WORDS) => scan.otp += 1,
                "email" => scan.ident.push(field(idx)),
                _ if any(&d, IDENT_WORDS) => scan.ident.push(field(idx)),
                _ => {}
            }
        }
    }
    if let Some(s) = sel("iframe, .g-recaptcha, .h-captcha, .cf-turnstile") {
        for e in doc.select(&s) {
            let src = format!(
                "{} {} {}",
                attr(&e, "src"),
                attr(&e, "class"),
                attr(&e, "title")
            )
            .to_ascii_lowercase();
            if src.contains("captcha")
                || src.contains("turnstile")
                || src.contains("challenges.cloudflare")
            {
                scan.captcha = true;
            }
            scan.frames += 1;
        }
    }
    if let Some(s) = sel("img[alt]") {
        scan.logos = doc
            .select(&s)
            .take(40)
            .map(|e| attr(&e, "alt").trim().to_string())
            .filter(|a| !a.is_empty())
            .collect();
    }

    let mut forms = Vec::new();
    if let (Some(fs), Some(is)) = (sel("form"), sel("input, select, textarea, button")) {
        for f in doc.select(&fs).take(20) {
            scan.forms += 1;
            let mut form = Form {
                action: attr(&f, "action").to_string(),
                method: attr(&f, "method").to_ascii_uppercase(),
                ..Default::default()
            };
            for e in f.select(&is).take(200) {
                let name = attr(&e, "name").to_string();
                let tag = e.value().name();
                let t = if tag == "input" {
                    attr(&e, "type").to_ascii_lowercase()
                } else {
                    tag.to_string()
                };
                let d = descr(&e);
                let shown = !hidden_by_markup(&e);
                match t.as_str() {
                    "password" if shown && form.password.is_none() => {
                        form.password = Some(name.clone())
                    }
                    "submit" | "image" | "button" if tag == "button" || t != "button" => {
                        let bt = attr(&e, "type").to_ascii_lowercase();
                        if form.submit.is_none()
                            && (tag != "button" || bt.is_empty() || bt == "submit")
                        {
                            form.submit = Some((name.clone(), attr(&e, "value").to_string()));
                        }
                        continue;
                    }
                    "email" | "text" | "tel" | ""
                        if shown
                            && form.ident.is_none()
                            && tag == "input"
                            && (t == "email" || any(&d, IDENT_WORDS)) =>
                    {
                        form.ident = Some(name.clone())
                    }
                    _ => {}
                }
                if name.is_empty() {
                    continue;
                }
                let value = match tag {
                    "textarea" => e.text().collect(),
                    "select" => sel("option")
                        .and_then(|o| {
                            let mut opts = e.select(&o);
                            let all: Vec<_> = opts.by_ref().take(100).collect();
                            all.iter()
                                .find(|x| x.value().attr("selected").is_some())
                                .or(all.first())
                                .map(|x| {
                                    x.value()
                                        .attr("value")
                                        .map(str::to_string)
                                        .unwrap_or_else(|| x.text().collect())
                                })
                        })
                        .unwrap_or_default(),
                    _ => attr(&e, "value").to_string(),
                };
                let checked = e.value().attr("checked").is_some();
                form.inputs.push((name, t, value, checked));
            }
            if form.password.is_some() || form.ident.is_some() {
                forms.push(form);
            }
        }
    }
    // Buttons only stand for "there is a way to submit" here.
    if forms
        .iter()
        .any(|f| f.password.is_some() || f.ident.is_some())
    {
        scan.submit.push(ButtonRef {
            i: 0,
            score: 5,
            label: "form".into(),
            tag: "form".into(),
        });
    }
    if scan.password.is_empty()
        && scan.ident.is_empty()
        && let Some(s) = sel("a[href]")
    {
        for a in doc.select(&s).take(2000) {
            let t = a.text().collect::<String>().trim().to_lowercase();
            if t.is_empty() || t.len() > 40 {
                continue;
            }
            let starts = [
                "sign in",
                "signin",
                "log in",
                "login",
                "hello, sign in",
                "account & lists",
                "my account",
                "登录",
            ];
            if starts.iter().any(|s| t.starts_with(s)) && !hidden_by_markup(&a) {
                scan.signin = Some(LinkRef {
                    i: 0,
                    label: t,
                    href: attr(&a, "href").to_string(),
                });
                break;
            }
        }
    }
    (scan, forms, has_script)
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

fn excerpt(s: &str, n: usize) -> String {
    let t: String = s
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ");
    t.chars().take(n).collect()
}

/// Probe one URL over plain HTTP. Never fails: problems become `inconclusive`.
pub async fn probe(url: &str, opts: &ProbeOptions) -> ProbeResult {
    let started = Instant::now();
    let mut res = ProbeResult::new(url, "http");
    let run = tokio::time::timeout(opts.timeout, run(url, opts, &mut res)).await;
    if run.is_err() {
        if res.outcome != Outcome::Rejected {
            res.outcome = Outcome::Inconclusive;
        }
        res.reason = format!(
            "the probe did not finish within {} s",
            opts.timeout.as_secs()
        );
        res.errors.push(res.reason.clone());
    }
    res.elapsed_ms = started.elapsed().as_millis().try_into().unwrap_or(u64::MAX);
    res
}

fn conclude(res: &mut ProbeResult, o: Outcome, why: impl Into<String>) {
    res.outcome = o;
    res.reason = why.into();
}

async fn run(url: &str, opts: &ProbeOptions, res: &mut ProbeResult) {
    let target = match safety::parse_target(url) {
        Ok(u) => u,
        Err(e) => {
            res.errors.push(e.clone());
            return conclude(res, Outcome::Inconclusive, e);
        }
    };
    if let Err(e) = safety::check_target(&target, opts.allow_private).await {
        res.errors.push(e.clone());
        return conclude(res, Outcome::Inconclusive, e);
    }
    res.url = target.to_string();
    let mut client = match Client::new(opts) {
        Ok(c) => c,
        Err(e) => return conclude(res, Outcome::Inconclusive, e),
    };
    let mut chain = Vec::new();
    let mut page = match client.fetch("GET", &target, None, &mut chain).await {
        Ok(p) => p,
        Err(e) => {
            res.redirect_chain = chain;
            res.errors.push(e.clone());
            return conclude(res, Outcome::Inconclusive, e);
        }
    };
    res.final_url = page.url.clone();
    if page.attachment {
        res.redirect_chain = chain;
        return conclude(
            res,
            Outcome::Inconclusive,
            "the address starts a file download (not fetched)",
        );
    }
    if !page.is_html {
        res.redirect_chain = chain;
        return conclude(res, Outcome::Inconclusive, "the address is not a web page");
    }
    let base = Url::parse(&page.url).unwrap_or_else(|_| target.clone());
    let (mut scan, mut forms, mut has_script) = read_html(&page.html, &base);
    push_step(res, "landing", &page.url, &scan.text, "");
    if let Some(c) = classify::challenge_of(&scan) {
        res.redirect_chain = chain;
        return conclude(res, Outcome::Challenge, c);
    }
    if forms.is_empty()
        && let Some(link) = scan.signin.clone()
        && let Ok(next) = base.join(&link.href)
        && matches!(next.scheme(), "http" | "https")
    {
        match client.fetch("GET", &next, None, &mut chain).await {
            Ok(p) if p.is_html && !p.attachment => {
                page = p;
                let b = Url::parse(&page.url).unwrap_or_else(|_| next.clone());
                (scan, forms, has_script) = read_html(&page.html, &b);
                push_step(res, "sign-in link", &page.url, &scan.text, "");
            }
            Ok(_) => {}
            Err(e) => res.errors.push(format!("sign-in link: {e}")),
        }
    }
    if forms.is_empty() {
        res.redirect_chain = chain;
        res.final_url = page.url.clone();
        let why = if scan.has_password() || scan.has_ident() {
            res.login_form_found = true;
            "the sign-in fields are not in a form: the page needs JavaScript"
        } else if has_script {
            "no sign-in form in the HTML (it may be built by JavaScript)"
        } else {
            "no sign-in form found"
        };
        remember(res, &scan, &page.url);
        return conclude(res, Outcome::Inconclusive, why);
    }
    res.login_form_found = true;
    remember(res, &scan, &page.url);
    let decoys = [
        decoy::generate(&opts.decoy_domain),
        decoy::generate(&opts.decoy_domain),
    ];
    let mut first_rejected = false;
    for _ in 0..6 {
        let Some(form) = forms
            .iter()
            .find(|f| f.password.is_some())
            .or_else(|| forms.first())
            .cloned()
        else {
            break;
        };
        let identifier_step = form.password.is_none();
        if !identifier_step && res.submissions >= 2 {
            break;
        }
        let d: &Decoy = if res.submissions == 0 {
            &decoys[0]
        } else {
            &decoys[1]
        };
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
        let form_page = page.url.clone();
        let base = Url::parse(&form_page).unwrap_or_else(|_| target.clone());
        let action = if form.action.trim().is_empty() {
            base.clone()
        } else {
            match base.join(form.action.trim()) {
                Ok(a) => a,
                Err(e) => {
                    return conclude(res, Outcome::Inconclusive, format!("bad form action: {e}"));
                }
            }
        };
        if !matches!(action.scheme(), "http" | "https") {
            return conclude(
                res,
                Outcome::Inconclusive,
                "the form posts to a script, not a web address: the page needs JavaScript",
            );
        }
        let body = encode(&pairs);
        let method = if form.method == "GET" { "GET" } else { "POST" };
        let (req_url, req_body) = if method == "GET" {
            let mut u = action.clone();
            u.set_query(Some(&body));
            (u, None)
        } else {
            (action.clone(), Some(body.clone()))
        };
        if identifier_step {
            if !res.decoys.iter().any(|x| x.identifier == d.identifier) {
                res.decoys.push(d.clone());
            }
        } else {
            res.submissions += 1;
            if !res.decoys.contains(d) {
                res.decoys.push(d.clone());
            }
        }
        let before = scan.clone();
        let fetched = client
            .fetch(method, &req_url, req_body.clone(), &mut chain)
            .await;
        let carried = decoy::merge(
            decoy::carried(req_url.as_str(), d),
            req_body.as_deref().and_then(|b| decoy::carried(b, d)),
        );
        let after_page = match fetched {
            Ok(p) => p,
            Err(e) => {
                res.errors.push(e.clone());
                res.redirect_chain = chain;
                let o = if first_rejected {
                    Outcome::Rejected
                } else {
                    Outcome::Inconclusive
                };
                return conclude(res, o, format!("after the submit: {e}"));
            }
        };
        if let Some(c) = carried
            && res.decoy_requests.len() < 50
        {
            res.decoy_requests.push(CapturedRequest {
                method: method.to_string(),
                url: req_url.as_str().chars().take(2000).collect(),
                host: host_port(&req_url),
                carried: c,
                location: if method == "GET" {
                    "url".into()
                } else {
                    "body".into()
                },
                status: Some(i64::from(after_page.first_status)),
            });
        }
        let _ = Carried::Both;
        page = after_page;
        res.final_url = page.url.clone();
        let (after, new_forms, _) = if page.failed_hop.is_some() || page.html.is_empty() {
            (
                Scan {
                    url: page.url.clone(),
                    ..Default::default()
                },
                Vec::new(),
                false,
            )
        } else {
            let b = Url::parse(&page.url).unwrap_or_else(|_| target.clone());
            read_html(&page.html, &b)
        };
        let left = origin(&page.url) != origin(&form_page);
        if left {
            res.left_origin = true;
        }
        let status =
            (carried.is_some() && page.first_status >= 400).then_some(i64::from(page.first_status));
        let facts = Facts {
            left_origin: left,
            left_to: left.then(|| page.url.clone()),
            url_changed: true,
            decoy_sent: carried.is_some(),
            decoy_status: status.or_else(|| (page.status >= 400).then_some(i64::from(page.status))),
            dialogs: Vec::new(),
            identifier_step,
        };
        let fresh = classify::new_lines(&before.text, &after.text);
        let name = if identifier_step {
            "identifier submitted".to_string()
        } else {
            format!("password submitted ({})", res.submissions)
        };
        push_step(res, &name, &page.url, &after.text, &fresh.join("\n"));
        let outcome = classify::after_submit(&before, &after, &facts);
        scan = after;
        forms = new_forms;
        match outcome {
            After::PasswordStep => {
                if forms.is_empty() {
                    res.redirect_chain = chain;
                    return conclude(
                        res,
                        Outcome::Inconclusive,
                        "the password step needs JavaScript",
                    );
                }
                continue;
            }
            After::Accepted(why) => {
                if scan.card > 0 {
                    res.asked_card = true;
                }
                res.redirect_chain = chain;
                if first_rejected {
                    return conclude(
                        res,
                        Outcome::AcceptedAfterRetry,
                        format!("first decoy refused, second accepted: {why}"),
                    );
                }
                return conclude(res, Outcome::Accepted, why);
            }
            After::Rejected(why) => {
                if res.submissions >= 2 || forms.is_empty() {
                    res.redirect_chain = chain;
                    return conclude(res, Outcome::Rejected, why);
                }
                first_rejected = true;
                res.outcome = Outcome::Rejected;
                res.reason = why;
            }
            After::RejectedIdentifier(why) => {
                res.redirect_chain = chain;
                let o = if first_rejected {
                    Outcome::Rejected
                } else {
                    Outcome::RejectedIdentifier
                };
                return conclude(res, o, why);
            }
            After::Challenge(why) => {
                res.redirect_chain = chain;
                let o = if first_rejected {
                    Outcome::Rejected
                } else {
                    Outcome::Challenge
                };
                return conclude(res, o, why);
            }
            After::NoEffect(why) => {
                res.redirect_chain = chain;
                let o = if first_rejected {
                    Outcome::Rejected
                } else {
                    Outcome::Inconclusive
                };
                return conclude(res, o, why);
            }
        }
    }
    res.redirect_chain = chain;
    if first_rejected {
        let why = res.reason.clone();
        conclude(res, Outcome::Rejected, why);
    } else {
        conclude(
            res,
            Outcome::Inconclusive,
            "too many steps without an answer",
        );
    }
}

fn remember(res: &mut ProbeResult, scan: &Scan, url: &str) {
    if res.form_host.is_none() {
        res.form_host = Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(|h| h.to_ascii_lowercase()));
    }
    res.brand_material.get_or_insert_with(|| BrandMaterial {
        title: scan.title.clone(),
        logos: scan.logos.clone(),
        text: scan.text.chars().take(5000).collect(),
    });
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_forms_fields_and_hidden_text() {
        let html = r#"<html><head><title>Amazon Sign-In</title></head><body>
            <img alt="Amazon"><div style="display: none">There was a problem</div>
            <form method="post" action="/login"><input type="hidden" name="t" value="x">
            <input name="email" type="email"><input type="password" name="pw">
            <input name="action" value="shadow"><button type="submit">Sign in</button></form>
            <p>Conditions of Use</p></body></html>"#;
        let base = Url::parse("http://127.0.0.1/ap/signin").unwrap();
        let (scan, forms, _) = read_html(html, &base);
        assert_eq!(scan.title, "Amazon Sign-In");
        assert!(!scan.text.contains("There was a problem"));
        assert!(scan.text.contains("Conditions of Use"));
        assert_eq!(forms.len(), 1);
        let f = &forms[0];
        // The attribute, not the input named "action".
        assert_eq!(f.action, "/login");
        assert_eq!(f.password.as_deref(), Some("pw"));
        assert_eq!(f.ident.as_deref(), Some("email"));
        assert!(scan.has_password());
        assert_eq!(scan.logos, vec!["Amazon".to_string()]);
    }
}
