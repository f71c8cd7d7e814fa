//! Checks over every embedded brand profile (`data/brands/*.toml`), so that adding a brand is a
//! file edit that cannot quietly break another: every fact has a source, no domain or token is
//! claimed by two brands, no ordinary word is a plain host token, and every web name listed in
//! a profile comes out genuine.

use std::collections::HashMap;

use phishprobe_core::{Engine, Verdict};

fn engine() -> &'static Engine {
    use std::sync::OnceLock;
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::embedded().expect("embedded data loads"))
}

/// Ordinary words (English and the languages of the profiled markets) and common names that a
/// brand token must not be unless it is listed in `context_tokens` (counted only on risky
/// hosts). Not exhaustive: a reviewer's list of the words brands are most often named after.
const COMMON_WORDS: &[&str] = &[
    // English
    "account",
    "allegro",
    "apple",
    "bank",
    "blue",
    "book",
    "booking",
    "box",
    "card",
    "cash",
    "chase",
    "citizen",
    "cloud",
    "coin",
    "crown",
    "delta",
    "direct",
    "discord",
    "dove",
    "drive",
    "edge",
    "express",
    "first",
    "frontier",
    "gap",
    "global",
    "gold",
    "guard",
    "halifax",
    "home",
    "key",
    "kraken",
    "ledger",
    "life",
    "line",
    "live",
    "mail",
    "meta",
    "mint",
    "mobile",
    "money",
    "national",
    "nest",
    "office",
    "one",
    "orange",
    "outlook",
    "page",
    "pay",
    "phantom",
    "pilot",
    "pioneer",
    "pocket",
    "post",
    "prime",
    "robinhood",
    "safe",
    "santander",
    "secure",
    "shell",
    "shop",
    "signal",
    "square",
    "star",
    "steam",
    "store",
    "stripe",
    "target",
    "telegram",
    "ticket",
    "token",
    "total",
    "trust",
    "united",
    "vault",
    "venture",
    "visa",
    "wallet",
    "wave",
    "wise",
    "world",
    "zoom",
    "adobe",
    "dana",
    "nomura",
    // Spanish, Portuguese, French, Italian, German, Polish
    "correos",
    "correo",
    "banco",
    "caixa",
    "poste",
    "posta",
    "zelle",
    "sparen",
    "konto",
    "bonjour",
    "lokalnie",
    "oferta",
    "envio",
    "livraison",
    "colis",
    // Japanese and Chinese words and names written in Latin letters
    "aeon",
    "sakura",
    "yamato",
    "lianlian",
    "pingpong",
];

#[test]
fn every_fact_has_a_source() {
    for b in engine().brands().iter() {
        let mut missing = Vec::new();
        for f in &b.web {
            if f.source.trim().is_empty() {
                missing.push(format!("web {}", f.domain));
            }
        }
        for (what, list) in [
            ("mail", &b.mail),
            ("relay", &b.relay),
            ("customer_content", &b.customer_content),
        ] {
            for f in list {
                if f.source.trim().is_empty() {
                    missing.push(format!("{what} {}", f.domain));
                }
            }
        }
        for f in &b.fake_sender {
            if f.source.trim().is_empty() {
                missing.push(format!("fake_sender {}", f.address));
            }
        }
        for f in &b.phone {
            if f.source.trim().is_empty() {
                missing.push(format!("phone {}", f.number));
            }
        }
        for f in &b.report {
            if f.source.trim().is_empty() {
                missing.push(format!("report {}", f.value));
            }
        }
        assert!(missing.is_empty(), "{}: no source for {missing:?}", b.id);
        assert!(!b.name.trim().is_empty(), "{}: no name", b.id);
    }
}

#[test]
fn no_domain_is_claimed_by_two_brands() {
    let mut owner: HashMap<&str, &str> = HashMap::new();
    let mut clashes = Vec::new();
    for b in engine().brands().iter() {
        let domains = b
            .web
            .iter()
            .map(|f| f.domain.as_str())
            .chain(b.mail.iter().map(|f| f.domain.as_str()))
            .chain(b.relay.iter().map(|f| f.domain.as_str()))
            .chain(b.customer_content.iter().map(|f| f.domain.as_str()));
        for d in domains {
            if let Some(other) = owner.insert(d, &b.id)
                && other != b.id
            {
                clashes.push(format!("{d}: {other} and {}", b.id));
            }
        }
    }
    // A web name of one brand under another brand's web name would make the other brand vouch
    // for it.
    for b in engine().brands().iter() {
        for f in &b.web {
            let mut rest = f.domain.as_str();
            while let Some((_, parent)) = rest.split_once('.') {
                if let Some(other) = engine()
                    .brands()
                    .iter()
                    .find(|o| o.id != b.id && o.web.iter().any(|w| w.domain == parent))
                {
                    clashes.push(format!(
                        "{} ({}) is under {parent} ({})",
                        f.domain, b.id, other.id
                    ));
                }
                rest = parent;
            }
        }
    }
    assert!(clashes.is_empty(), "{clashes:#?}");
}

#[test]
fn tokens_are_distinctive_or_marked_as_context() {
    let e = engine();
    let login: Vec<&str> = e.lists().login_words.iter().map(String::as_str).collect();
    let exceptions: Vec<&str> = e
        .lists()
        .brand_word_exceptions
        .iter()
        .map(String::as_str)
        .collect();
    let mut owner: HashMap<&str, &str> = HashMap::new();
    let mut bad = Vec::new();
    for b in e.brands().iter() {
        for t in b.host_tokens.iter().chain(&b.exact_tokens) {
            if COMMON_WORDS.contains(&t.as_str()) {
                bad.push(format!(
                    "{}: \"{t}\" is an ordinary word: list it in context_tokens",
                    b.id
                ));
            }
        }
        for t in b
            .host_tokens
            .iter()
            .chain(&b.exact_tokens)
            .chain(&b.context_tokens)
        {
            if login.contains(&t.as_str()) {
                bad.push(format!("{}: \"{t}\" is a credential word", b.id));
            }
            if exceptions.contains(&t.as_str()) {
                bad.push(format!(
                    "{}: \"{t}\" is a listed brand-word exception",
                    b.id
                ));
            }
            if let Some(other) = owner.insert(t, &b.id)
                && other != b.id
            {
                bad.push(format!("\"{t}\": token of {other} and {}", b.id));
            }
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn every_listed_web_name_is_genuine() {
    let e = engine();
    let mut wrong = Vec::new();
    for b in e.brands().iter() {
        for f in &b.web {
            // A bare brand top-level domain is a suffix, not a name.
            if !f.domain.contains('.') {
                continue;
            }
            // Customer content wins over web for names at or under a publishing root.
            let under_cc = b
                .customer_content
                .iter()
                .any(|c| f.domain == c.domain || f.domain.ends_with(&format!(".{}", c.domain)));
            if under_cc {
                continue;
            }
            let r = e.check_host(&f.domain);
            if r.verdict != Verdict::Genuine || r.brand.as_deref() != Some(b.id.as_str()) {
                wrong.push(format!(
                    "{} ({}): {:?} {:?}",
                    f.domain, b.id, r.verdict, r.brand
                ));
            }
        }
    }
    println!(
        "{} brand profiles, {} web names",
        e.brands().len(),
        e.brands().iter().map(|b| b.web.len()).sum::<usize>()
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
}
