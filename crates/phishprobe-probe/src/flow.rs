//! The probe, once for both engines: land on the page → find the login form → fill a decoy →
//! submit → observe → classify, and decide the outcome. The browser and the plain-HTTP engine
//! are [`Driver`]s: they load, read, fill and submit; the decision ladder lives here alone.

use std::time::Duration;

use url::Url;

use crate::classify::{self, Reaction, Scan, SubmitFacts};
use crate::decoy;
use crate::model::{Decoy, Outcome, ProbeOptions, ProbeResult};

/// Most actions (fill + submit) per probe: identifier, password, and the same again on retry.
const MAX_ACTIONS: usize = 6;

/// The login prompt a driver would fill next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prompt {
    /// An identifier-only step (email or account name, the password comes on a later page).
    Identifier,
    /// A prompt with a password field (maybe with the identifier beside it).
    Password,
}

/// What the flow needs from an engine. Each method records its own evidence (steps, errors,
/// captured requests) in the result; the flow decides the outcome.
pub(crate) trait Driver {
    /// Whether the reason after a refused first decoy names both tries (`true`) or only the
    /// last answer (`false`): the engines word it differently, and reasons are output.
    const REASON_NAMES_BOTH_TRIES: bool;
    /// Whether a challenge on the page is looked for before every submission (`true`) or only
    /// on the landing page (`false`).
    const CHALLENGE_BEFORE_EACH_SUBMIT: bool;

    /// Load the target and read it. `Err(reason)`: the probe ends inconclusive.
    async fn land(&mut self, target: &Url, res: &mut ProbeResult) -> Result<(), String>;
    /// The page as last read (every frame merged).
    fn page(&self) -> &Scan;
    /// Whether the page holds a login prompt this driver can fill.
    fn has_form(&self) -> bool;
    /// Not a login page: follow its one obvious "Sign in" link, if it has one.
    async fn follow_signin(&mut self, res: &mut ProbeResult);
    /// Why the probe ends without a form (called when even the sign-in link led to none).
    fn no_form(&mut self, res: &mut ProbeResult) -> String;
    /// Remember the login page's host and what it says about itself (for the brand claim).
    fn remember_login_page(&self, res: &mut ProbeResult);
    /// The prompt to fill next, if there is one.
    fn next_prompt(&self) -> Option<Prompt>;
    /// Put the decoy in the prompt. `Err(reason)`: the probe ends inconclusive.
    async fn fill(
        &mut self,
        d: &Decoy,
        prompt: Prompt,
        res: &mut ProbeResult,
    ) -> Result<(), String>;
    /// Submit what [`Driver::fill`] filled, wait for the page to answer, read it, and say what
    /// was seen around the submission. `Err(reason)`: nothing to observe.
    async fn submit(
        &mut self,
        d: &Decoy,
        prompt: Prompt,
        res: &mut ProbeResult,
    ) -> Result<SubmitFacts, String>;
    /// Record a step of the probe (the current page, and the text that appeared in it).
    async fn record_step(&mut self, res: &mut ProbeResult, name: &str, fresh: &str);
}

/// Where a probe stands in its decision: kept outside the driver's future, so a probe cut off
/// by its timeout still knows whether a first decoy was refused.
#[derive(Debug, Default)]
pub(crate) struct Decision {
    /// The outcome is final.
    decided: bool,
    /// The first decoy password was refused (the second try decides between a genuine-style
    /// refusal and a "double login" kit).
    first_rejected: bool,
}

impl Decision {
    pub(crate) fn conclude(&mut self, res: &mut ProbeResult, o: Outcome, why: impl Into<String>) {
        res.outcome = o;
        res.reason = why.into();
        self.decided = true;
    }

    /// The outcome when the next answer ends the probe: a refusal already seen stands.
    fn or_rejected(&self, o: Outcome) -> Outcome {
        if self.first_rejected {
            Outcome::Rejected
        } else {
            o
        }
    }

    /// The probe ran into its hard timeout before deciding.
    pub fn timed_out<D: Driver>(&self, res: &mut ProbeResult, timeout: Duration) {
        if self.decided {
            return;
        }
        let cap = timeout.as_secs();
        if self.first_rejected {
            res.outcome = Outcome::Rejected;
            res.reason = if D::REASON_NAMES_BOTH_TRIES {
                format!(
                    "{}; the second try did not finish within {cap} s",
                    res.reason
                )
            } else {
                format!("the probe did not finish within {cap} s")
            };
        } else {
            res.outcome = Outcome::Inconclusive;
            res.reason = format!("the probe did not finish within {cap} s");
        }
        res.errors.push(res.reason.clone());
    }

    /// The whole probe of `target` over `driver`.
    pub async fn run<D: Driver>(
        &mut self,
        driver: &mut D,
        target: &Url,
        opts: &ProbeOptions,
        res: &mut ProbeResult,
    ) {
        if let Err(why) = driver.land(target, res).await {
            return self.conclude(res, Outcome::Inconclusive, why);
        }
        if let Some(c) = classify::challenge_of(driver.page()) {
            return self.conclude(res, Outcome::Challenge, c);
        }
        if !driver.has_form() {
            driver.follow_signin(res).await;
        }
        if !driver.has_form() {
            let why = driver.no_form(res);
            return self.conclude(res, Outcome::Inconclusive, why);
        }
        res.login_form_found = true;
        driver.remember_login_page(res);
        let decoys = [
            decoy::generate(&opts.decoy_domain),
            decoy::generate(&opts.decoy_domain),
        ];
        for _ in 0..MAX_ACTIONS {
            let Some(prompt) = driver.next_prompt() else {
                break;
            };
            let before = driver.page().clone();
            if D::CHALLENGE_BEFORE_EACH_SUBMIT
                && let Some(c) = classify::challenge_of(&before)
            {
                return self.conclude(res, Outcome::Challenge, c);
            }
            if prompt == Prompt::Password && res.submissions >= 2 {
                break;
            }
            let d = if res.submissions == 0 {
                &decoys[0]
            } else {
                &decoys[1]
            };
            if let Err(why) = driver.fill(d, prompt, res).await {
                return self.conclude(res, Outcome::Inconclusive, why);
            }
            record_decoy(res, d, prompt);
            let facts = match driver.submit(d, prompt, res).await {
                Ok(f) => f,
                Err(why) => {
                    let o = self.or_rejected(Outcome::Inconclusive);
                    return self.conclude(res, o, why);
                }
            };
            if facts.left_origin {
                res.left_origin = true;
            }
            let after = driver.page();
            let fresh = classify::new_lines(&before.text, &after.text);
            let name = match prompt {
                Prompt::Identifier => "identifier submitted".to_string(),
                Prompt::Password => format!("password submitted ({})", res.submissions),
            };
            driver.record_step(res, &name, &fresh.join("\n")).await;
            let reaction = classify::after_submit(&before, driver.page(), &facts);
            if self.decide::<D>(driver, reaction, res) {
                return;
            }
        }
        if self.first_rejected {
            let why = res.reason.clone();
            self.conclude(res, Outcome::Rejected, why);
        } else {
            self.conclude(
                res,
                Outcome::Inconclusive,
                "too many steps without an answer",
            );
        }
    }

    /// The decision ladder after one submission. Returns whether the probe is decided.
    fn decide<D: Driver>(&mut self, driver: &D, reaction: Reaction, res: &mut ProbeResult) -> bool {
        match reaction {
            Reaction::PasswordStep => {
                driver.remember_login_page(res);
                if !driver.has_form() {
                    self.conclude(
                        res,
                        Outcome::Inconclusive,
                        "the password step needs JavaScript",
                    );
                    return true;
                }
                false
            }
            Reaction::Accepted(why) => {
                if driver.page().card > 0 {
                    res.asked_card = true;
                }
                if self.first_rejected {
                    self.conclude(
                        res,
                        Outcome::AcceptedAfterRetry,
                        format!("first decoy refused, second accepted: {why}"),
                    );
                } else {
                    self.conclude(res, Outcome::Accepted, why);
                }
                true
            }
            Reaction::Rejected(why) => {
                if res.submissions >= 2 {
                    let why = if D::REASON_NAMES_BOTH_TRIES {
                        format!("both decoys refused: first: {}; second: {why}", res.reason)
                    } else {
                        why
                    };
                    self.conclude(res, Outcome::Rejected, why);
                    return true;
                }
                self.first_rejected = true;
                res.outcome = Outcome::Rejected;
                res.reason = why;
                if !driver.has_form() {
                    let why = res.reason.clone();
                    self.conclude(res, Outcome::Rejected, why);
                    return true;
                }
                false
            }
            Reaction::RejectedIdentifier(why) => {
                let o = self.or_rejected(Outcome::RejectedIdentifier);
                self.conclude(res, o, why);
                true
            }
            Reaction::Challenge(why) => {
                let o = self.or_rejected(Outcome::Challenge);
                self.conclude(res, o, why);
                true
            }
            Reaction::NoEffect(why) => {
                let why = if self.first_rejected && D::REASON_NAMES_BOTH_TRIES {
                    format!("{}; the second try: {why}", res.reason)
                } else {
                    why
                };
                let o = self.or_rejected(Outcome::Inconclusive);
                self.conclude(res, o, why);
                true
            }
        }
    }
}

/// Note the decoy used (a password submission counts as one of the two at most).
fn record_decoy(res: &mut ProbeResult, d: &Decoy, prompt: Prompt) {
    match prompt {
        Prompt::Password => {
            res.submissions += 1;
            if !res.decoys.contains(d) {
                res.decoys.push(d.clone());
            }
        }
        Prompt::Identifier => {
            if !res.decoys.iter().any(|x| x.identifier == d.identifier) {
                res.decoys.push(d.clone());
            }
        }
    }
}

/// The start of a page's visible text on one line (`a | b | c`), at most `n` characters.
pub(crate) fn excerpt(s: &str, n: usize) -> String {
    let t: String = s
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ");
    t.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{ButtonRef, FieldRef};

    /// A scripted engine: the landing page, then one page (and what was seen) per submission.
    struct Scripted<const BOTH: bool> {
        page: Scan,
        answers: Vec<(Scan, SubmitFacts)>,
    }

    fn login(text: &str) -> Scan {
        Scan {
            url: "https://login.example/signin".into(),
            text: text.into(),
            password: vec![FieldRef::default()],
            ident: vec![FieldRef::default()],
            submit: vec![ButtonRef::default()],
            ..Default::default()
        }
    }

    fn moved_on(text: &str) -> Scan {
        Scan {
            url: "https://login.example/home".into(),
            text: text.into(),
            ..Default::default()
        }
    }

    fn sent() -> SubmitFacts {
        SubmitFacts {
            decoy_sent: true,
            url_changed: true,
            ..Default::default()
        }
    }

    impl<const BOTH: bool> Driver for Scripted<BOTH> {
        const REASON_NAMES_BOTH_TRIES: bool = BOTH;
        const CHALLENGE_BEFORE_EACH_SUBMIT: bool = BOTH;

        async fn land(&mut self, _: &Url, _: &mut ProbeResult) -> Result<(), String> {
            Ok(())
        }
        fn page(&self) -> &Scan {
            &self.page
        }
        fn has_form(&self) -> bool {
            self.page.is_login()
        }
        async fn follow_signin(&mut self, _: &mut ProbeResult) {}
        fn no_form(&mut self, _: &mut ProbeResult) -> String {
            "no sign-in form found".into()
        }
        fn remember_login_page(&self, res: &mut ProbeResult) {
            res.form_host.get_or_insert_with(|| "login.example".into());
        }
        fn next_prompt(&self) -> Option<Prompt> {
            if self.page.has_password() {
                Some(Prompt::Password)
            } else {
                self.page.has_ident().then_some(Prompt::Identifier)
            }
        }
        async fn fill(&mut self, _: &Decoy, _: Prompt, _: &mut ProbeResult) -> Result<(), String> {
            Ok(())
        }
        async fn submit(
            &mut self,
            _: &Decoy,
            _: Prompt,
            _: &mut ProbeResult,
        ) -> Result<SubmitFacts, String> {
            if self.answers.is_empty() {
                return Err("after the submit: the page did not answer".into());
            }
            let (page, facts) = self.answers.remove(0);
            self.page = page;
            Ok(facts)
        }
        async fn record_step(&mut self, res: &mut ProbeResult, name: &str, _: &str) {
            res.steps.push(crate::model::Step {
                name: name.into(),
                url: self.page.url.clone(),
                screenshot: None,
                visible_text_excerpt: String::new(),
                new_text_excerpt: String::new(),
            });
        }
    }

    async fn probe<const BOTH: bool>(mut d: Scripted<BOTH>) -> (ProbeResult, Decision) {
        let url = Url::parse("https://login.example/signin").unwrap();
        let mut res = ProbeResult::new(url.as_str(), "test");
        let mut decision = Decision::default();
        decision
            .run(&mut d, &url, &ProbeOptions::default(), &mut res)
            .await;
        (res, decision)
    }

    #[tokio::test]
    async fn a_refused_then_accepted_decoy_is_a_double_login() {
        let d = Scripted::<true> {
            page: login("Sign in"),
            answers: vec![
                (login("Sign in\nWrong password"), sent()),
                (moved_on("Welcome back"), sent()),
            ],
        };
        let (res, decision) = probe(d).await;
        assert_eq!(res.outcome, Outcome::AcceptedAfterRetry, "{}", res.reason);
        assert!(
            res.reason
                .starts_with("first decoy refused, second accepted: ")
        );
        assert_eq!(res.submissions, 2);
        assert_eq!(res.decoys.len(), 2);
        assert!(res.login_form_found);
        assert!(decision.decided && decision.first_rejected);
        let steps: Vec<_> = res.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(steps, ["password submitted (1)", "password submitted (2)"]);
    }

    #[tokio::test]
    async fn two_refusals_are_worded_per_engine() {
        let answers = || {
            vec![
                (login("Sign in\nWrong password"), sent()),
                (login("Sign in\nPassword is wrong"), sent()),
            ]
        };
        let (res, _) = probe(Scripted::<true> {
            page: login("Sign in"),
            answers: answers(),
        })
        .await;
        assert_eq!(res.outcome, Outcome::Rejected);
        assert!(
            res.reason
                .starts_with("both decoys refused: first: the page said: Wrong password; second:"),
            "{}",
            res.reason
        );
        let (res, _) = probe(Scripted::<false> {
            page: login("Sign in"),
            answers: answers(),
        })
        .await;
        assert_eq!(res.outcome, Outcome::Rejected);
        assert_eq!(res.reason, "the page said: Password is wrong");
    }

    #[tokio::test]
    async fn a_failed_second_try_keeps_the_refusal_and_a_timeout_says_so() {
        let (res, decision) = probe(Scripted::<true> {
            page: login("Sign in"),
            answers: vec![(login("Sign in\nWrong password"), sent())],
        })
        .await;
        assert_eq!(res.outcome, Outcome::Rejected);
        assert_eq!(res.reason, "after the submit: the page did not answer");
        assert!(decision.decided);

        let mut res = ProbeResult::new("https://login.example/", "test");
        res.outcome = Outcome::Rejected;
        res.reason = "the page said: Wrong password".into();
        let cut = Decision {
            decided: false,
            first_rejected: true,
        };
        cut.timed_out::<Scripted<true>>(&mut res, Duration::from_secs(30));
        assert_eq!(res.outcome, Outcome::Rejected);
        assert_eq!(
            res.reason,
            "the page said: Wrong password; the second try did not finish within 30 s"
        );
        let mut res = ProbeResult::new("https://login.example/", "test");
        Decision::default().timed_out::<Scripted<false>>(&mut res, Duration::from_secs(30));
        assert_eq!(res.outcome, Outcome::Inconclusive);
        assert_eq!(res.errors, ["the probe did not finish within 30 s"]);
    }

    #[tokio::test]
    async fn a_page_without_a_form_is_inconclusive() {
        let (res, _) = probe(Scripted::<true> {
            page: moved_on("Just a page"),
            answers: Vec::new(),
        })
        .await;
        assert_eq!(res.outcome, Outcome::Inconclusive);
        assert_eq!(res.reason, "no sign-in form found");
        assert!(!res.login_form_found);
    }
}
