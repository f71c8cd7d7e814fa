//! Reading what a page did after a submission. Pure functions over page snapshots, shared by the
//! browser and the HTTP engine, so the rules are tested without a browser.

use std::collections::HashSet;

use serde::Deserialize;

use crate::phrases::PHRASES;

/// A reference to an element the isolated-world script registered during a scan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct FieldRef {
    /// Index of the element in the scan script's registry (the HTML engine counts its fields).
    pub i: usize,
    /// The field already holds a value.
    #[serde(default)]
    pub filled: bool,
    /// The field's `name` attribute.
    #[serde(default)]
    pub name: String,
    /// Only a guess: a plain text input, neither typed nor named as an account field.
    #[serde(default)]
    pub weak: bool,
}

/// A button (or button-like element) that may submit the login prompt.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ButtonRef {
    /// Index of the element in the scan script's registry.
    pub i: usize,
    /// How likely it submits the prompt (label, type, position); the highest comes first.
    #[serde(default)]
    pub score: i64,
    /// Its visible label, lowercase.
    #[serde(default)]
    pub label: String,
    /// Its tag name (`button`, `input`, `a`, `div`...).
    #[serde(default)]
    pub tag: String,
}

/// An obvious "Sign in" link on a page without a login prompt.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct LinkRef {
    /// Index of the element in the scan script's registry.
    pub i: usize,
    /// Its visible text, lowercase.
    #[serde(default)]
    pub label: String,
    /// Its `href` attribute as written.
    #[serde(default)]
    pub href: String,
}

/// One frame's page as the scan script (or the HTML parser) saw it. Only visible fields count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Scan {
    /// Address of the frame (of the top page, once merged).
    pub url: String,
    /// The document title.
    pub title: String,
    /// `document.readyState` (`loading`, `interactive`, `complete`).
    pub ready: String,
    /// Visible text (innerText), capped.
    pub text: String,
    /// Visible password fields.
    pub password: Vec<FieldRef>,
    /// Visible identifier fields (email, user name, phone).
    pub ident: Vec<FieldRef>,
    /// Visible card fields (number, expiry, CVV).
    pub card: u32,
    /// Visible one-time-code fields.
    pub otp: u32,
    /// Visible personal-data fields (social security number, date of birth, bank details).
    pub personal: u32,
    /// A CAPTCHA or bot check is shown.
    pub captcha: bool,
    /// Buttons that may submit the prompt, best first.
    pub submit: Vec<ButtonRef>,
    /// The page's "Sign in" link, when it has no prompt.
    pub signin: Option<LinkRef>,
    /// Alt texts of images (logos), for the brand the page claims.
    pub logos: Vec<String>,
    /// Frames inside the page.
    pub frames: u32,
    /// Forms in the page.
    pub forms: u32,
}

impl Scan {
    /// A password field is shown.
    pub fn has_password(&self) -> bool {
        !self.password.is_empty()
    }
    /// An identifier field is shown.
    pub fn has_ident(&self) -> bool {
        !self.ident.is_empty()
    }
    /// A login prompt: a password field, or an identifier field with a way to submit it.
    pub fn is_login(&self) -> bool {
        self.has_password() || (self.has_ident() && !self.submit.is_empty())
    }
}

/// What the page became after a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reaction {
    /// The decoy got through (moved on, left for another site, asked for more).
    Accepted(String),
    /// The decoy was refused.
    Rejected(String),
    /// The identifier was refused (unknown account).
    RejectedIdentifier(String),
    /// CAPTCHA, one-time code or bot check.
    Challenge(String),
    /// An identifier step led to a password prompt.
    PasswordStep,
    /// Nothing observable happened.
    NoEffect(String),
}

/// Observations around a submission besides the two snapshots.
#[derive(Debug, Clone, Default)]
pub struct SubmitFacts {
    /// The top-level page (or the form's frame) is now on another origin than the form was.
    pub left_origin: bool,
    /// Where it went when it left (the top page's or the form frame's new address).
    pub left_to: Option<String>,
    /// The URL of the page changed (navigation or history push).
    pub url_changed: bool,
    /// A request carried the decoy (password, or identifier at an identifier step).
    pub decoy_sent: bool,
    /// Worst HTTP status among the requests that carried the decoy.
    pub decoy_status: Option<i64>,
    /// Messages of JavaScript dialogs (alert) that opened after the submit.
    pub dialogs: Vec<String>,
    /// The step was an identifier-only step.
    pub identifier_step: bool,
}

/// Visible lines of `after` that were not visible in `before`: only text that appeared after
/// the submit counts (kits ship hidden copies of error boxes from the start).
pub fn new_lines(before: &str, after: &str) -> Vec<String> {
    let old: HashSet<&str> = before
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut seen = HashSet::new();
    after
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !old.contains(l))
        .filter(|l| seen.insert(*l))
        .take(200)
        .map(|l| l.chars().take(300).collect())
        .collect()
}

/// The first line holding one of `phrases` (lowercase), with the phrase that matched.
fn find_phrase<'a>(lines: &[String], phrases: &'a [String]) -> Option<(&'a str, String)> {
    for l in lines {
        let low = l.to_lowercase();
        for p in phrases {
            if low.contains(p.as_str()) {
                return Some((p.as_str(), l.clone()));
            }
        }
    }
    None
}

/// A challenge on a page by itself (landing page cloaked behind a bot check).
pub fn challenge_of(scan: &Scan) -> Option<String> {
    if scan.captcha {
        return Some("the page shows a CAPTCHA".into());
    }
    if scan.otp > 0 {
        return Some("the page asks for a one-time code".into());
    }
    let lines: Vec<String> = scan.text.lines().take(400).map(str::to_string).collect();
    find_phrase(&lines, &PHRASES.after_submit.challenge)
        .map(|(p, l)| format!("challenge text {p:?}: {l}"))
}

/// Decide what a submission led to.
pub fn after_submit(before: &Scan, after: &Scan, facts: &SubmitFacts) -> Reaction {
    let mut fresh = new_lines(&before.text, &after.text);
    fresh.extend(facts.dialogs.iter().cloned());
    let text_changed = before.text != after.text || !facts.dialogs.is_empty();

    // 1. A challenge stands in the way.
    if after.captcha && !before.captcha {
        return Reaction::Challenge("a CAPTCHA appeared".into());
    }
    if after.otp > 0 && before.otp == 0 && after.card == 0 {
        return Reaction::Challenge("the page now asks for a one-time code".into());
    }
    if let Some((p, l)) = find_phrase(&fresh, &PHRASES.after_submit.challenge)
        && after.card == 0
    {
        return Reaction::Challenge(format!("challenge text {p:?} appeared: {l}"));
    }

    // 2. It asks for more: card or identity data after the password.
    if after.card > 0 && before.card == 0 {
        return Reaction::Accepted("the page went on to ask for card details".into());
    }
    if after.personal > 0 && before.personal == 0 {
        return Reaction::Accepted("the page went on to ask for personal details".into());
    }
    if !facts.identifier_step
        && let Some((p, _)) = find_phrase(&fresh, &PHRASES.after_submit.card)
        && !after.has_password()
    {
        return Reaction::Accepted(format!("the page went on to ask for card details ({p:?})"));
    }

    let error = find_phrase(&fresh, &PHRASES.after_submit.error);
    let prompt_again = if facts.identifier_step {
        after.has_ident() && !after.has_password()
    } else {
        after.has_password()
    };

    // 3. Left for another site: what kits do right after the capture. A genuine site that
    // hands the login to its own auth host shows the prompt again with an error there.
    if facts.left_origin {
        if prompt_again && error.is_some() {
            return reject(facts, error, "refused on the site it handed the login to");
        }
        return Reaction::Accepted(format!(
            "the browser left for another site right after the submit ({})",
            facts.left_to.as_deref().unwrap_or(&after.url)
        ));
    }

    // 4. Identifier step that led to a password prompt.
    if facts.identifier_step && after.has_password() {
        return Reaction::PasswordStep;
    }

    // 5. New visible error text.
    if error.is_some() && (prompt_again || after.has_ident() || after.has_password()) {
        return reject(facts, error, "");
    }

    // 6. The answer to the decoy was a refusal status, with no navigation.
    if let Some(s) = facts.decoy_status
        && (s == 400 || s == 401 || s == 403 || s == 422 || s == 429)
    {
        return reject(
            facts,
            None,
            &format!("the server answered HTTP {s} to the decoy"),
        );
    }

    // 7. The same prompt again, emptied: a re-prompt without error text.
    if prompt_again {
        let emptied = if facts.identifier_step {
            after.ident.iter().all(|f| !f.filled)
        } else {
            after.password.iter().all(|f| !f.filled)
        };
        if emptied && (facts.url_changed || facts.decoy_sent || text_changed || error.is_some()) {
            if let Some(e) = error {
                return reject(facts, Some(e), "");
            }
            return reject(facts, None, "the same prompt came back, emptied");
        }
        if error.is_some() {
            return reject(facts, error, "");
        }
        return Reaction::NoEffect(if facts.decoy_sent {
            "the decoy was sent but the page did not change".into()
        } else {
            "the submit had no visible effect and sent nothing".into()
        });
    }

    // 8. Error text on a page without any prompt.
    if let Some((p, l)) = &error
        && !facts.url_changed
    {
        return reject(facts, Some((p, l.clone())), "");
    }

    // 9. Moved on without the prompt: accepted.
    if facts.url_changed || text_changed {
        if facts.identifier_step {
            return Reaction::Accepted("the page moved on after the address alone".into());
        }
        return Reaction::Accepted("the page moved on without checking the password".into());
    }
    Reaction::NoEffect("nothing changed after the submit".into())
}

fn reject(facts: &SubmitFacts, error: Option<(&str, String)>, why: &str) -> Reaction {
    let mut reason = match error {
        Some((_, line)) => format!("the page said: {line}"),
        None => String::new(),
    };
    if !why.is_empty() {
        if !reason.is_empty() {
            reason.push_str("; ");
        }
        reason.push_str(why);
    }
    if facts.identifier_step {
        Reaction::RejectedIdentifier(reason)
    } else {
        Reaction::Rejected(reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(text: &str) -> Scan {
        Scan {
            url: "http://a.test/login".into(),
            text: text.into(),
            password: vec![FieldRef {
                i: 1,
                ..Default::default()
            }],
            ident: vec![FieldRef::default()],
            submit: vec![ButtonRef::default()],
            ..Default::default()
        }
    }

    #[test]
    fn hidden_error_boxes_do_not_count_only_new_text() {
        let before = login("Sign in\nEmail\nPassword");
        let mut after =
            login("Sign in\nEmail\nPassword\nThere was a problem\nYour password is incorrect");
        let f = SubmitFacts {
            decoy_sent: true,
            ..Default::default()
        };
        assert!(matches!(
            after_submit(&before, &after, &f),
            Reaction::Rejected(_)
        ));
        // The same error text already visible before does not count as an answer.
        after.text = before.text.clone();
        let before2 = login("Sign in\nThere was a problem");
        let mut after2 = login("Sign in\nThere was a problem");
        after2.password.clear();
        after2.ident.clear();
        after2.text = "Thank you\nYour account is verified".into();
        let r = after_submit(&before2, &after2, &f);
        assert!(matches!(r, Reaction::Accepted(_)), "{r:?}");
    }

    #[test]
    fn leaving_the_origin_is_acceptance() {
        let before = login("Sign in");
        let after = Scan {
            url: "chrome-error://chromewebdata/".into(),
            text: "This site can't be reached".into(),
            ..Default::default()
        };
        let f = SubmitFacts {
            left_origin: true,
            left_to: Some("https://www.amazon.com/ap/forgotpassword".into()),
            url_changed: true,
            decoy_sent: true,
            ..Default::default()
        };
        // The reason names where the browser went (the failed page's address is useless).
        match after_submit(&before, &after, &f) {
            Reaction::Accepted(why) => assert!(why.contains("www.amazon.com"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn refusal_status_and_reprompt() {
        let before = login("Sign in");
        let after = login("Sign in");
        let f = SubmitFacts {
            decoy_sent: true,
            decoy_status: Some(401),
            ..Default::default()
        };
        assert!(matches!(
            after_submit(&before, &after, &f),
            Reaction::Rejected(_)
        ));
        let mut filled = login("Sign in");
        filled.password[0].filled = true;
        let f = SubmitFacts {
            decoy_sent: true,
            decoy_status: Some(200),
            ..Default::default()
        };
        assert!(matches!(
            after_submit(&before, &filled, &f),
            Reaction::NoEffect(_)
        ));
        let f = SubmitFacts {
            decoy_sent: true,
            url_changed: true,
            ..Default::default()
        };
        assert!(matches!(
            after_submit(&before, &after, &f),
            Reaction::Rejected(_)
        ));
    }

    #[test]
    fn identifier_steps() {
        let mut before = login("Sign in\nEmail");
        before.password.clear();
        let mut refused = before.clone();
        refused
            .text
            .push_str("\nWe cannot find an account with that email address");
        let f = SubmitFacts {
            identifier_step: true,
            decoy_sent: true,
            ..Default::default()
        };
        assert!(matches!(
            after_submit(&before, &refused, &f),
            Reaction::RejectedIdentifier(_)
        ));
        let pw = login("Password\nabc@example.net");
        assert_eq!(after_submit(&before, &pw, &f), Reaction::PasswordStep);
    }

    #[test]
    fn card_page_and_challenges() {
        let before = login("Sign in");
        let card = Scan {
            url: "http://a.test/billing".into(),
            text: "Update your payment\nCard number".into(),
            card: 2,
            ..Default::default()
        };
        let f = SubmitFacts {
            url_changed: true,
            decoy_sent: true,
            ..Default::default()
        };
        assert!(matches!(
            after_submit(&before, &card, &f),
            Reaction::Accepted(_)
        ));
        let otp = Scan {
            text: "Enter the code we sent".into(),
            otp: 1,
            ..Default::default()
        };
        assert!(matches!(
            after_submit(&before, &otp, &f),
            Reaction::Challenge(_)
        ));
        assert!(
            challenge_of(&Scan {
                text: "Please verify you are human".into(),
                ..Default::default()
            })
            .is_some()
        );
    }
}
