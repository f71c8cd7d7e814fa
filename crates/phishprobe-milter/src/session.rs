//! One milter conversation: collect what the MTA sends (client, envelope, headers, body), and at
//! the end of the message answer with the decision. Out-of-order or missing steps are taken as
//! they come: an end of message with nothing before it is simply a message that is not an
//! email, answered by the failure policy.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use ipnet::IpNet;
use miltr_common::actions::{Action, Continue, Discard, Replycode};
use miltr_common::commands::{Body, Connect, Header, Macro, Mail, Recipient};
use miltr_common::encoding::Writable;
use miltr_common::modifications::ModificationResponse;
use miltr_common::modifications::headers::{AddHeader, ChangeHeader};
use miltr_common::modifications::quarantine::Quarantine;
use miltr_common::optneg::{Capability, OptNeg, Protocol};
use miltr_server::Milter;
use phishprobe_core::Verdict;
use phishprobe_email::EmailReport;

use crate::config::Config;
use crate::message::{MemoryBudget, MessageBuffer, Unchecked};
use crate::policy::{self, Decision, FailReason, FinalAnswer, Outcome, SkipReason};
use crate::scanner::{NoVerdict, Scanner};
use crate::stats::Stats;

/// Recipients remembered per message (for exclusions and the optional address log).
const MAX_RECIPIENTS: usize = 1_000;
/// Longest queue id, envelope address or client address kept.
const MAX_FIELD: usize = 320;
/// Largest message handed to the probe queue (phishing mail with a link is small; this bounds
/// what the queue holds).
const MAX_HANDOFF_BYTES: usize = 4 << 20;

/// What every conversation shares.
pub struct SessionShared {
    /// The configuration in force.
    pub config: Config,
    /// `exclude.client_networks`, parsed once.
    pub networks: Vec<IpNet>,
    /// The worker pool.
    pub scanner: Scanner,
    /// Message bytes held over all connections.
    pub budget: Arc<MemoryBudget>,
    /// Counters.
    pub stats: Arc<Stats>,
    /// Log envelope addresses and subjects (off by default: logs outlive mail).
    pub log_addresses: bool,
    /// Work handed off after a suspicious or phishing verdict (the probe queue).
    pub after_check: Option<Arc<dyn AfterCheck>>,
}

/// Work handed off for messages judged suspicious or phishing (the wrong-password probe of their
/// links, for instance). `checked` is called as the verdict is known, while the MTA waits for
/// the answer, on the milter's async thread: it must not block. Put the message on a queue of
/// your own and do the work after.
pub trait AfterCheck: Send + Sync {
    /// A message with its queue id (empty when the MTA sent none), bytes and report.
    fn checked(&self, queue_id: &str, raw: Vec<u8>, report: &EmailReport);
}

/// The state of one milter connection.
pub struct Session {
    shared: Arc<SessionShared>,
    /// Header values arrive (and must be sent) with the space after the colon.
    leading_space: bool,
    client: Option<IpAddr>,
    queue_id: String,
    mail_from: String,
    recipients: Vec<String>,
    /// More recipients than are remembered: the message cannot count as all-excluded.
    recipients_overflow: bool,
    message: MessageBuffer,
}

impl Session {
    /// A conversation that has not started yet.
    pub fn new(shared: Arc<SessionShared>) -> Session {
        let message = new_message(&shared, false);
        Session {
            shared,
            leading_space: false,
            client: None,
            queue_id: String::new(),
            mail_from: String::new(),
            recipients: Vec::new(),
            recipients_overflow: false,
            message,
        }
    }

    /// Forget the message (a new transaction, an abort, or after answering it).
    fn reset_message(&mut self) {
        self.message = new_message(&self.shared, self.leading_space);
        self.queue_id.clear();
        self.mail_from.clear();
        self.recipients.clear();
        self.recipients_overflow = false;
    }

    fn excluded(&self) -> bool {
        let ex = &self.shared.config.exclude;
        if let Some(ip) = self.client
            && self.shared.networks.iter().any(|n| n.contains(&ip))
        {
            return true;
        }
        let sender_domain = domain_of(&self.mail_from);
        if !sender_domain.is_empty()
            && ex.sender_domains.iter().any(|d| {
                let d = d.trim_start_matches('.').to_ascii_lowercase();
                sender_domain == d || sender_domain.ends_with(&format!(".{d}"))
            })
        {
            return true;
        }
        !self.recipients.is_empty()
            && !self.recipients_overflow
            && !ex.recipients.is_empty()
            && self.recipients.iter().all(|r| {
                let r = r.to_ascii_lowercase();
                ex.recipients.iter().any(|pat| {
                    let pat = pat.to_ascii_lowercase();
                    if pat.starts_with('@') {
                        r.ends_with(&pat)
                    } else {
                        r == pat
                    }
                })
            })
    }

    /// Check the message (unless skipped) and decide.
    async fn judge(&mut self) -> (Decision, Option<String>) {
        let config = &self.shared.config;
        let Some(remove) = self.message.own_headers_to_remove() else {
            let failed = Outcome::Failed(FailReason::OwnHeaders);
            return (policy::decide(config, &failed, Vec::new(), None), None);
        };
        let subject = self
            .message
            .subject()
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned());
        let skip = |why| Outcome::Skipped(why);
        if self.excluded() {
            return (
                policy::decide(config, &skip(SkipReason::Excluded), remove, None),
                None,
            );
        }
        match self.message.unchecked {
            Some(Unchecked::Size) => {
                return (
                    policy::decide(config, &skip(SkipReason::Size), remove, None),
                    None,
                );
            }
            Some(Unchecked::Busy) => {
                let busy = Outcome::Failed(FailReason::Busy);
                return (policy::decide(config, &busy, remove, None), None);
            }
            None => {}
        }
        let input = if self.queue_id.is_empty() {
            "message".to_string()
        } else {
            self.queue_id.clone()
        };
        let (raw, held) = self.message.take();
        match self.shared.scanner.check(input, raw, held).await {
            Ok((r, raw)) => {
                let outcome = Outcome::Checked(&r.report);
                let d = policy::decide(config, &outcome, remove, subject.as_deref());
                // Only what will be delivered or held is worth probing afterwards.
                if let Some(after) = &self.shared.after_check
                    && d.answer == FinalAnswer::Accept
                    && raw.len() <= MAX_HANDOFF_BYTES
                    && matches!(r.report.verdict, Verdict::Suspicious | Verdict::Phishing)
                {
                    after.checked(&self.queue_id, raw, &r);
                }
                (d, r.report.brand)
            }
            Err(NoVerdict::Fail(why)) => (
                policy::decide(config, &Outcome::Failed(why), remove, None),
                None,
            ),
            Err(NoVerdict::Skip(why)) => (policy::decide(config, &skip(why), remove, None), None),
        }
    }

    /// The decision in milter terms.
    fn response(&self, d: &Decision) -> ModificationResponse {
        let value = |v: &str| {
            if self.leading_space {
                format!(" {v}").into_bytes()
            } else {
                v.as_bytes().to_vec()
            }
        };
        let mut b = ModificationResponse::builder();
        for (name, index) in &d.remove {
            b.push(ChangeHeader::new(*index, name.as_bytes(), b""));
        }
        for (name, v) in &d.add {
            b.push(AddHeader::new(name.as_bytes(), &value(v)));
        }
        if let Some(tag) = &d.tag_subject {
            // The tag goes in front of the subject's own bytes (which need not be UTF-8).
            match self.message.subject() {
                Some((name, old)) => {
                    let mut v = value(tag);
                    let rest = old.trim_ascii_start();
                    if !rest.is_empty() {
                        v.push(b' ');
                        v.extend_from_slice(rest);
                    }
                    b.push(ChangeHeader::new(1, name.as_bytes(), &v));
                }
                None => b.push(AddHeader::new(b"Subject", &value(tag))),
            }
        }
        if let Some(reason) = &d.quarantine {
            b.push(Quarantine::new(reason.as_bytes()));
        }
        match &d.answer {
            FinalAnswer::Accept => b.contin(),
            FinalAnswer::Reject(text) => b.build(Replycode::new([5, 5, 0], [5, 7, 1], text)),
            FinalAnswer::Tempfail(text) => b.build(Replycode::new([4, 5, 1], [4, 3, 0], text)),
            FinalAnswer::Discard => b.build(Discard),
        }
    }

    fn log(&self, d: &Decision, brand: Option<&str>, started: Instant) {
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let queue = if self.queue_id.is_empty() {
            "-"
        } else {
            &self.queue_id
        };
        let mut line = format!(
            "phishprobe milter: queue={queue} verdict={} action={} ms={ms:.1} size={}",
            d.verdict, d.action, self.message.size
        );
        if let Some(b) = brand {
            line.push_str(&format!(" brand={b}"));
        }
        if let Some(reason) = d.unchecked {
            line.push_str(&format!(" reason={reason}"));
        }
        if self.shared.log_addresses {
            line.push_str(&format!(
                " from=<{}> to=<{}>",
                self.mail_from,
                self.recipients.join(",")
            ));
            if let Some((_, s)) = self.message.subject() {
                line.push_str(&format!(" subject={:?}", String::from_utf8_lossy(s).trim()));
            }
        }
        eprintln!("{line}");
    }
}

fn new_message(shared: &SessionShared, leading_space: bool) -> MessageBuffer {
    MessageBuffer::new(
        shared.budget.clone(),
        shared.config.limits.max_message_bytes,
        leading_space,
    )
}

/// The domain of an envelope address (`<a@B.example>` → `b.example`), empty when none.
fn domain_of(address: &str) -> String {
    address
        .trim_matches(|c| c == '<' || c == '>')
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('.').to_ascii_lowercase())
        .unwrap_or_default()
}

/// An envelope address without its angle brackets, cut to a sane length.
fn clean_address(a: &str) -> String {
    a.trim()
        .trim_matches(|c| c == '<' || c == '>')
        .chars()
        .take(MAX_FIELD)
        .collect()
}

#[async_trait]
impl Milter for Session {
    type Error = std::convert::Infallible;

    async fn option_negotiation(
        &mut self,
        theirs: OptNeg,
    ) -> Result<OptNeg, miltr_server::Error<Self::Error>> {
        let mut ours = OptNeg::default()
            .merge_compatible(&theirs)
            .map_err(miltr_common::ProtocolError::CompatibilityError)?;
        // Only what the milter uses: add and change headers, quarantine.
        ours.capabilities = theirs.capabilities
            & (Capability::SMFIF_ADDHDRS
                | Capability::SMFIF_CHGHDRS
                | Capability::SMFIF_QUARANTINE);
        // Header values with their leading space: the message is rebuilt as received. No step
        // is skipped: Postfix still sends the macros of a skipped step (DATA's, say) as a packet
        // that gets no reply, and its next write then waits on our delayed ACK for ~40 ms per
        // message (measured: 83 instead of 500+ messages/s). A reply to every step avoids it.
        let wanted = Protocol::SMFIP_HDR_LEADSPC;
        ours.protocol = theirs.protocol & wanted;
        self.leading_space = ours.protocol.contains(Protocol::SMFIP_HDR_LEADSPC);
        self.message = new_message(&self.shared, self.leading_space);
        Ok(ours)
    }

    async fn macro_(&mut self, m: Macro) -> Result<(), Self::Error> {
        for (name, value) in m.macros() {
            if name == b"i" || name == b"{i}" {
                self.queue_id = String::from_utf8_lossy(value)
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric())
                    .take(MAX_FIELD)
                    .collect();
            }
        }
        Ok(())
    }

    async fn connect(&mut self, info: Connect) -> Result<Action, Self::Error> {
        let address = info.address();
        self.client = address
            .trim_matches(|c| c == '[' || c == ']')
            .trim_start_matches("IPv6:")
            .parse()
            .ok();
        Ok(Continue.into())
    }

    async fn mail(&mut self, mail: Mail) -> Result<Action, Self::Error> {
        // A new transaction on the same connection starts from nothing.
        self.message = new_message(&self.shared, self.leading_space);
        self.recipients.clear();
        self.recipients_overflow = false;
        self.mail_from = clean_address(&mail.sender());
        Ok(Continue.into())
    }

    async fn rcpt(&mut self, recipient: Recipient) -> Result<Action, Self::Error> {
        if self.recipients.len() < MAX_RECIPIENTS {
            self.recipients.push(clean_address(&recipient.recipient()));
        } else {
            self.recipients_overflow = true;
        }
        Ok(Continue.into())
    }

    async fn header(&mut self, header: Header) -> Result<Action, Self::Error> {
        // The packet's own bytes: `name()`/`value()` would replace bytes that are not UTF-8.
        let mut packet = bytes::BytesMut::with_capacity(header.len());
        header.write(&mut packet);
        let mut parts = packet.splitn(3, |&b| b == 0);
        let name = parts.next().unwrap_or_default();
        let value = parts.next().unwrap_or_default();
        self.message.push_header(name, value);
        Ok(Continue.into())
    }

    async fn body(&mut self, body: Body) -> Result<Action, Self::Error> {
        self.message.push_body(body.as_bytes());
        Ok(Continue.into())
    }

    async fn end_of_body(&mut self) -> Result<ModificationResponse, Self::Error> {
        let started = Instant::now();
        let (decision, brand) = self.judge().await;
        let response = self.response(&decision);
        self.log(&decision, brand.as_deref(), started);
        self.shared.stats.message(
            decision.verdict,
            decision.action,
            decision.unchecked,
            started.elapsed(),
        );
        self.reset_message();
        Ok(response)
    }

    async fn abort(&mut self) -> Result<(), Self::Error> {
        self.reset_message();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_domains_and_addresses_are_cleaned() {
        assert_eq!(domain_of("<A@Mail.Example.>"), "mail.example");
        assert_eq!(domain_of("<>"), "");
        assert_eq!(clean_address(" <x@y.test> "), "x@y.test");
    }
}
