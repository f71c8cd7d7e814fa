//! Reading a page's HTML the way the browser's scan script reads the DOM: visible text (by
//! markup), fields, forms, the sign-in link and logos.

use scraper::{ElementRef, Html, Node, Selector};
use url::Url;

use crate::classify::{ButtonRef, FieldRef, LinkRef, Scan};
use crate::phrases::PHRASES;

/// A form as parsed from HTML.
#[derive(Debug, Clone, Default)]
pub(super) struct Form {
    pub(super) action: String,
    pub(super) method: String,
    /// (name, type, value, checked)
    pub(super) inputs: Vec<(String, String, String, bool)>,
    pub(super) password: Option<String>,
    pub(super) ident: Option<String>,
    pub(super) submit: Option<(String, String)>,
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

fn any(d: &str, words: &[String]) -> bool {
    words.iter().any(|w| d.contains(w.as_str()))
}

/// Read a page: visible text (by markup), fields, forms, sign-in link, logos.
pub(super) fn read_html(html: &str, base: &Url) -> (Scan, Vec<Form>, bool) {
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
    scan.text = visible_text(&doc);
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
                _ if any(&d, &PHRASES.html.card_field)
                    || attr(&e, "autocomplete").starts_with("cc-") =>
                {
                    scan.card += 1
                }
                _ if any(&d, &PHRASES.html.otp_field) => scan.otp += 1,
                "email" => scan.ident.push(field(idx)),
                _ if any(&d, &PHRASES.html.identifier_field) => scan.ident.push(field(idx)),
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
            if any(&src, &PHRASES.page_scan.captcha_frame) {
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

    let forms = read_forms(&doc, &mut scan);
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
    signin_link(&doc, &mut scan);
    (scan, forms, has_script)
}

/// Visible text: one line per text node outside hidden markup.
fn visible_text(doc: &Html) -> String {
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
    text
}

/// The forms with a login prompt (password or identifier field), counted in `scan.forms`.
fn read_forms(doc: &Html, scan: &mut Scan) -> Vec<Form> {
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
                            && (t == "email" || any(&d, &PHRASES.html.identifier_field)) =>
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
    forms
}

/// One obvious "Sign in" link, on a page without login fields.
fn signin_link(doc: &Html, scan: &mut Scan) {
    if scan.password.is_empty()
        && scan.ident.is_empty()
        && let Some(s) = sel("a[href]")
    {
        for a in doc.select(&s).take(2000) {
            let t = a.text().collect::<String>().trim().to_lowercase();
            if t.is_empty() || t.len() > 40 {
                continue;
            }
            if PHRASES
                .html
                .signin_link
                .iter()
                .any(|s| t.starts_with(s.as_str()))
                && !hidden_by_markup(&a)
            {
                scan.signin = Some(LinkRef {
                    i: 0,
                    label: t,
                    href: attr(&a, "href").to_string(),
                });
                break;
            }
        }
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

    #[test]
    fn captcha_frames_are_the_page_scan_words() {
        let base = Url::parse("http://127.0.0.1/").unwrap();
        let read = |body: &str| read_html(&format!("<html><body>{body}</body></html>"), &base).0;
        for frame in [
            r#"<iframe src="https://www.google.com/recaptcha/api2/anchor"></iframe>"#,
            r#"<iframe src="https://challenges.cloudflare.com/x"></iframe>"#,
            r#"<iframe src="https://client-api.arkoselabs.com/fc/gc/"></iframe>"#,
            r#"<div class="cf-turnstile"></div>"#,
        ] {
            assert!(read(frame).captcha, "{frame}");
        }
        assert!(!read(r#"<iframe src="https://ads.example/slot"></iframe>"#).captcha);
    }
}
