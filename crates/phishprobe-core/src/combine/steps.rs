//! The steps of the field rule, each with its own verdict: the request for a secret, then the
//! phone, the website and the sender one by one, then the wrong-password probe.

use super::{CaseBuilder, PartKind, ProbeStatus, Step, StepId, StepStatus, push_unique};
use crate::model::{Finding, Message, Report, Severity, Verdict, verdict_of};

impl CaseBuilder<'_> {
    pub(super) fn step(
        &self,
        id: StepId,
        reports: &[(PartKind, &Report)],
        asks: &[(&str, &Finding, Verdict)],
    ) -> Step {
        let owned: Vec<&Report> = reports
            .iter()
            .filter(|(k, _)| k.home() == id)
            .map(|(_, r)| *r)
            .collect();
        // Findings of other parts that belong here by their code (a link inside the email
        // goes to `website`, a callback number inside a text to `phone`).
        let mut findings: Vec<Finding> = Vec::new();
        if id == StepId::Ask {
            for (_, f, _) in asks {
                push_unique(&mut findings, f);
            }
        }
        for (kind, r) in reports {
            for f in &r.findings {
                let home = self.rules.step_of(&f.code).unwrap_or(kind.home());
                if home == id && (id != StepId::Ask || self.rules.ask_category(&f.code).is_none()) {
                    push_unique(&mut findings, f);
                }
            }
        }
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let reports_out: Vec<Report> = owned.iter().map(|r| (*r).clone()).collect();

        if id == StepId::WrongPassword {
            return self.probe_step(findings, reports_out);
        }
        if id == StepId::Ask {
            let verdict = if asks.is_empty() {
                owned
                    .iter()
                    .map(|r| r.verdict)
                    .max()
                    .unwrap_or(Verdict::Unknown)
            } else if asks
                .iter()
                .any(|(_, f, _)| f.severity == Severity::Critical)
            {
                Verdict::Phishing
            } else if asks.iter().any(|(_, _, v)| *v != Verdict::Genuine) {
                Verdict::Suspicious
            } else {
                Verdict::Genuine
            };
            let summary = if asks.is_empty() {
                Message::new(
                    "Nothing found asking for a password, a code, remote control or a payment.",
                    "未发现索要密码、验证码、远程控制或付款的内容。",
                )
            } else if verdict == Verdict::Genuine {
                Message::new(
                    "A sign-in is asked for, but only on addresses the brand profile vouches for.",
                    "涉及登录，但仅限于品牌资料确认的官方地址。",
                )
            } else {
                Message::new(
                    "Yes: assume phishing. The checks below say where the fault is.",
                    "是：按钓鱼处理。下面的检查说明问题出在哪里。",
                )
            };
            return Step {
                id,
                title: id.title(),
                status: StepStatus::Done,
                verdict: Some(verdict),
                summary,
                findings,
                reports: reports_out,
            };
        }

        if owned.is_empty() && findings.is_empty() {
            let (en, zh) = match id {
                StepId::Phone => ("No phone number in this case.", "本案例中没有电话号码。"),
                StepId::Website => (
                    "No link or website in this case.",
                    "本案例中没有链接或网站。",
                ),
                _ => ("No email in this case.", "本案例中没有邮件。"),
            };
            return Step {
                id,
                title: id.title(),
                status: StepStatus::NothingToCheck,
                verdict: None,
                summary: Message::new(en, zh),
                findings,
                reports: reports_out,
            };
        }
        let mut verdict = owned
            .iter()
            .map(|r| r.verdict)
            .chain(std::iter::once(verdict_of(&findings, false)))
            .max()
            .unwrap_or(Verdict::Unknown);
        if verdict == Verdict::Unknown
            && !owned.is_empty()
            && owned.iter().all(|r| r.verdict == Verdict::Genuine)
        {
            verdict = Verdict::Genuine;
        }
        let summary = match (id, verdict) {
            (StepId::Phone, _) => Message::new(
                "Checked. Remember: a number proves nothing either way; genuine callbacks come from random numbers and scammers fake real ones.",
                "已检查。请记住：号码既证明不了真也证明不了假；真正的回电可能来自随机号码，骗子也会伪造真实号码。",
            ),
            (_, Verdict::Phishing) => Message::new("Fault found: phishing.", "发现问题：钓鱼。"),
            (_, Verdict::Suspicious) => {
                Message::new("Fault found: suspicious.", "发现问题：可疑。")
            }
            (_, Verdict::Genuine) => Message::new(
                "No fault: it belongs to the brand.",
                "未发现问题：属于该品牌。",
            ),
            (_, Verdict::Unknown) => Message::new(
                "No fault shows, but nothing vouches for it either.",
                "未发现问题，但也无法确认其真实性。",
            ),
        };
        Step {
            id,
            title: id.title(),
            status: StepStatus::Done,
            verdict: Some(verdict),
            summary,
            findings,
            reports: reports_out,
        }
    }

    fn probe_step(&self, findings: Vec<Finding>, reports: Vec<Report>) -> Step {
        let id = StepId::WrongPassword;
        let fault = self
            .parts
            .iter()
            .any(|(_, r)| matches!(r.verdict, Verdict::Phishing | Verdict::Suspicious));
        let (status, verdict, summary) = match &self.probe {
            ProbeStatus::Ran { url, report } => {
                let m = match report.verdict {
                    Verdict::Phishing => Message::new(
                        format!("{url}: the page took a wrong password — phishing."),
                        format!("{url}：该页面接受了错误的密码——钓鱼。"),
                    ),
                    Verdict::Genuine => Message::new(
                        format!(
                            "{url}: the page rejected the wrong password and belongs to the brand."
                        ),
                        format!("{url}：该页面拒绝了错误的密码，且属于该品牌。"),
                    ),
                    Verdict::Suspicious => Message::new(
                        format!("{url}: the test shows faults — suspicious."),
                        format!("{url}：测试发现问题——可疑。"),
                    ),
                    Verdict::Unknown => Message::new(
                        format!("{url}: the test was inconclusive; see the findings."),
                        format!("{url}：测试没有得出结论；请看具体发现。"),
                    ),
                };
                (StepStatus::Done, Some(report.verdict), m)
            }
            ProbeStatus::Failed(why) => (
                StepStatus::NotRun,
                None,
                Message::new(
                    format!("Not run: {}", why.en),
                    format!("未执行：{}", why.zh),
                ),
            ),
            ProbeStatus::NoTarget => (
                StepStatus::NothingToCheck,
                None,
                Message::new(
                    "Not run: the case has no link or page to test.",
                    "未执行：本案例中没有可测试的链接或页面。",
                ),
            ),
            ProbeStatus::NotRequested if !self.login_involved => (
                StepStatus::NothingToCheck,
                None,
                Message::new("No sign-in page in this case.", "本案例中没有登录页面。"),
            ),
            ProbeStatus::NotRequested if fault => (
                StepStatus::NotRun,
                None,
                Message::new(
                    "Not needed: a fault already shows. Do not type anything into that page.",
                    "无需测试：已经发现问题。不要在该页面输入任何内容。",
                ),
            ),
            ProbeStatus::NotRequested => (
                StepStatus::NotRun,
                None,
                Message::new(
                    "Not run: no fault shows, so this is the deciding test. Run the case again with --probe (it visits the page with made-up credentials), or type a wrong password yourself.",
                    "未执行：目前没有发现问题，因此这是决定性的测试。请加上 --probe 重新运行（会用虚构的账号密码访问该页面），或自己输入一个错误的密码。",
                ),
            ),
        };
        Step {
            id,
            title: id.title(),
            status,
            verdict,
            summary,
            findings,
            reports,
        }
    }
}
