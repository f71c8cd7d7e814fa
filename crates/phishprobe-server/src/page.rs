//! The web page: one server-rendered HTML document in the person's language (cookie, else the
//! browser's Accept-Language), plus one small script and one style sheet served from the
//! binary. No CDN, fonts or other outside resources, so it works offline.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::AppState;

const TEMPLATE: &str = include_str!("../assets/index.html");
const APP_JS: &str = include_str!("../assets/app.js");
const STYLE_CSS: &str = include_str!("../assets/style.css");
const I18N: &str = include_str!("../assets/i18n.json");

/// The two dictionaries, parsed once.
fn dict() -> &'static HashMap<String, HashMap<String, String>> {
    static D: OnceLock<HashMap<String, HashMap<String, String>>> = OnceLock::new();
    D.get_or_init(|| {
        let v: Value = serde_json::from_str(I18N).unwrap_or(Value::Null);
        let mut out = HashMap::new();
        if let Some(o) = v.as_object() {
            for (lang, words) in o {
                let mut m = HashMap::new();
                if let Some(w) = words.as_object() {
                    for (k, s) in w {
                        if let Some(s) = s.as_str() {
                            m.insert(k.clone(), s.to_string());
                        }
                    }
                }
                out.insert(lang.clone(), m);
            }
        }
        out
    })
}

fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// `en` or `zh`: the `phishprobe_lang` cookie, else Accept-Language, else English.
pub fn pick_lang(headers: &HeaderMap) -> &'static str {
    for c in headers.get_all(header::COOKIE) {
        if let Ok(s) = c.to_str() {
            for kv in s.split(';') {
                match kv.trim().split_once('=') {
                    Some(("phishprobe_lang", "zh")) => return "zh",
                    Some(("phishprobe_lang", "en")) => return "en",
                    _ => {}
                }
            }
        }
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // The first language listed wins (ignoring weights: browsers list in preference order).
    match accept
        .split(',')
        .next()
        .map(|l| l.trim().to_ascii_lowercase())
    {
        Some(l) if l.starts_with("zh") => "zh",
        _ => "en",
    }
}

/// Fill the template.
pub fn render(lang: &str, token_required: bool, cases: bool) -> String {
    let d = dict();
    let empty = HashMap::new();
    let words = d.get(lang).unwrap_or(&empty);
    let en = d.get("en").unwrap_or(&empty);
    let mut out = String::with_capacity(TEMPLATE.len() + I18N.len() + 4096);
    let mut rest = TEMPLATE;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let key = &after[..end];
        match key {
            "lang" => out.push_str(lang),
            "token_required" => out.push_str(if token_required { "1" } else { "0" }),
            "cases" => out.push_str(if cases { "1" } else { "0" }),
            "token_hidden" => out.push_str(if token_required { "" } else { "hidden" }),
            "pressed_en" => out.push_str(if lang == "en" { "true" } else { "false" }),
            "pressed_zh" => out.push_str(if lang == "zh" { "true" } else { "false" }),
            // JSON inside <script type="application/json">: only "</" could end it early.
            "i18n_json" => out.push_str(&I18N.replace("</", "<\\/")),
            k => {
                if let Some(name) = k.strip_prefix("t:") {
                    let s = words
                        .get(name)
                        .or_else(|| en.get(name))
                        .map(String::as_str)
                        .unwrap_or(name);
                    out.push_str(&escape(s));
                }
            }
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

pub async fn index(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let lang = pick_lang(&headers);
    let html = render(lang, st.token_required, st.cases.available());
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::VARY,
                HeaderValue::from_static("Cookie, Accept-Language"),
            ),
        ],
        html,
    )
        .into_response()
}

fn asset(ctype: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(ctype)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

pub async fn app_js() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

pub async fn style_css() -> Response {
    asset("text/css; charset=utf-8", STYLE_CSS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys() {
        let d = dict();
        let en = d.get("en").expect("en");
        let zh = d.get("zh").expect("zh");
        let mut a: Vec<&String> = en.keys().collect();
        let mut b: Vec<&String> = zh.keys().collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        // Every key the template and the script use exists.
        for src in [TEMPLATE, APP_JS] {
            for part in src.split("data-i18n=\"").skip(1) {
                let key = part.split('"').next().unwrap_or("");
                assert!(en.contains_key(key), "{key}");
            }
            for part in src.split("{{t:").skip(1) {
                let key = part.split("}}").next().unwrap_or("");
                assert!(en.contains_key(key), "{key}");
            }
        }
    }

    #[test]
    fn renders_language_and_escapes() {
        let en = render("en", false, true);
        assert!(en.contains("<html lang=\"en\">"));
        assert!(en.contains("Is it really Amazon?"));
        assert!(!en.contains("{{"));
        let zh = render("zh", true, false);
        assert!(zh.contains("<html lang=\"zh\">"));
        assert!(zh.contains("这真的是亚马逊吗？"));
        assert!(zh.contains("data-token-required=\"1\""));
        // No outside resources: nothing loaded from another origin.
        for page in [&en, &zh, &STYLE_CSS.to_string(), &APP_JS.to_string()] {
            for bad in [
                "src=\"http",
                "href=\"http",
                "src=\"//",
                "href=\"//",
                "url(",
                "@import",
                "fetch(\"http",
            ] {
                assert!(!page.contains(bad), "{bad}");
            }
        }
    }

    #[test]
    fn language_choice() {
        let mut h = HeaderMap::new();
        assert_eq!(pick_lang(&h), "en");
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("zh-CN,zh;q=0.9"),
        );
        assert_eq!(pick_lang(&h), "zh");
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=b; phishprobe_lang=en"),
        );
        assert_eq!(pick_lang(&h), "en");
    }
}
