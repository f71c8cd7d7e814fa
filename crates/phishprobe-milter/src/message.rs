//! One message as the MTA hands it over: the headers in order, the body bytes, and the memory
//! it holds. The bytes are put back together exactly as received (header names and values as
//! sent, CRLF line ends), so the verdict and its evidence are about the message the recipient
//! would read.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Headers the milter writes itself; inbound copies are removed so a sender cannot pass off
/// its own verdict.
pub const OWN_HEADER_PREFIX: &str = "x-phishprobe-";

/// What one kept header costs beyond its bytes (bookkeeping), counted against the budget so a
/// message of many tiny headers cannot hold much more than its size.
const HEADER_OVERHEAD: usize = 64;
/// Distinct inbound `X-Phishprobe-*` names tracked for removal, and their longest length.
const MAX_OWN_NAMES: usize = 64;
const MAX_OWN_NAME_LEN: usize = 200;

/// Message bytes held in memory over all connections, with a ceiling.
#[derive(Debug)]
pub struct MemoryBudget {
    used: AtomicUsize,
    limit: usize,
}

impl MemoryBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Arc<MemoryBudget> {
        Arc::new(MemoryBudget {
            used: AtomicUsize::new(0),
            limit,
        })
    }

    /// Bytes reserved right now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    fn reserve(&self, n: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| {
                u.checked_add(n).filter(|&t| t <= self.limit)
            })
            .is_ok()
    }

    fn release(&self, n: usize) {
        self.used.fetch_sub(n, Ordering::AcqRel);
    }
}

/// A share of the budget, given back when dropped. It travels with the message's bytes (into
/// the check queue and the worker), so bytes still held after a deadline are still counted.
#[derive(Debug)]
pub struct Reservation {
    budget: Arc<MemoryBudget>,
    bytes: usize,
}

impl Reservation {
    fn empty(budget: Arc<MemoryBudget>) -> Reservation {
        Reservation { budget, bytes: 0 }
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.release(self.bytes);
    }
}

/// Why a message is not checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unchecked {
    /// Larger than `limits.max_message_bytes`: delivered with `unchecked; reason=size`.
    Size,
    /// The shared memory budget was spent: the failure policy answers (`busy`).
    Busy,
}

/// The message being received on one connection.
#[derive(Debug)]
pub struct MessageBuffer {
    max_bytes: usize,
    held: Reservation,
    /// Size of everything received for this message (counted even when not kept).
    pub size: usize,
    /// The header block as received: `Name:` + value + CRLF per header.
    head: Vec<u8>,
    body: Vec<u8>,
    /// The first Subject header: its name as sent and its value bytes.
    subject: Option<(String, Vec<u8>)>,
    /// Inbound own headers: each distinct name (as first sent) and how many there are.
    own: Vec<(String, u32)>,
    /// More own headers than can be tracked: they could not all be removed.
    own_overflow: bool,
    /// Values arrive with the space after the colon (`SMFIP_HDR_LEADSPC`).
    leading_space: bool,
    /// Set when the message will not be checked.
    pub unchecked: Option<Unchecked>,
}

impl MessageBuffer {
    /// An empty message that keeps at most `max_bytes` and draws on `budget`.
    pub fn new(budget: Arc<MemoryBudget>, max_bytes: usize, leading_space: bool) -> MessageBuffer {
        MessageBuffer {
            max_bytes,
            held: Reservation::empty(budget),
            size: 0,
            head: Vec::new(),
            body: Vec::new(),
            subject: None,
            own: Vec::new(),
            own_overflow: false,
            leading_space,
            unchecked: None,
        }
    }

    /// Count `n` more bytes, reserving memory for them; `false` once the message is not kept.
    fn grow(&mut self, n: usize) -> bool {
        self.size = self.size.saturating_add(n);
        if self.unchecked.is_some() {
            return false;
        }
        if self.size > self.max_bytes {
            self.drop_content(Unchecked::Size);
            return false;
        }
        if !self.held.budget.reserve(n) {
            self.drop_content(Unchecked::Busy);
            return false;
        }
        self.held.bytes += n;
        true
    }

    fn drop_content(&mut self, why: Unchecked) {
        self.unchecked = Some(why);
        self.head = Vec::new();
        self.body = Vec::new();
        self.subject = None;
        self.held.budget.release(self.held.bytes);
        self.held.bytes = 0;
    }

    /// One header from the MTA, as raw bytes (names and values need not be UTF-8).
    pub fn push_header(&mut self, name: &[u8], value: &[u8]) {
        self.note_own_header(name);
        let is_subject = name.eq_ignore_ascii_case(b"subject") && self.subject.is_none();
        let extra = if is_subject { value.len() } else { 0 };
        // name + ":" + (space) + value + CRLF, as the rebuilt message will hold it.
        if !self.grow(name.len() + value.len() + 4 + extra + HEADER_OVERHEAD) {
            return;
        }
        self.head.extend_from_slice(name);
        self.head.push(b':');
        if !self.leading_space {
            self.head.push(b' ');
        }
        push_crlf(&mut self.head, value);
        self.head.extend_from_slice(b"\r\n");
        if is_subject {
            let name = String::from_utf8_lossy(name).into_owned();
            self.subject = Some((name, value.to_vec()));
        }
    }

    fn note_own_header(&mut self, name: &[u8]) {
        let is_own = name.len() >= OWN_HEADER_PREFIX.len()
            && name[..OWN_HEADER_PREFIX.len()].eq_ignore_ascii_case(OWN_HEADER_PREFIX.as_bytes());
        if !is_own {
            return;
        }
        if let Some((_, n)) = self
            .own
            .iter_mut()
            .find(|(k, _)| k.as_bytes().eq_ignore_ascii_case(name))
        {
            *n = n.saturating_add(1);
        } else if self.own.len() < MAX_OWN_NAMES && name.len() <= MAX_OWN_NAME_LEN {
            self.own
                .push((String::from_utf8_lossy(name).into_owned(), 1));
        } else {
            self.own_overflow = true;
        }
    }

    /// One body chunk from the MTA.
    pub fn push_body(&mut self, chunk: &[u8]) {
        if self.grow(chunk.len()) {
            self.body.extend_from_slice(chunk);
        }
    }

    /// The inbound `X-Phishprobe-*` headers to delete, as (name, 1-based index among headers of
    /// that name), highest index first so each deletion leaves the earlier positions unchanged.
    /// `None` when there were more distinct such names than can be tracked.
    pub fn own_headers_to_remove(&self) -> Option<Vec<(String, u32)>> {
        if self.own_overflow {
            return None;
        }
        let mut out = Vec::new();
        for (name, count) in &self.own {
            for i in (1..=*count).rev() {
                out.push((name.clone(), i));
            }
        }
        Some(out)
    }

    /// The first Subject header: its name as sent and its value bytes (kept only while the
    /// message is kept).
    pub fn subject(&self) -> Option<(&str, &[u8])> {
        self.subject
            .as_ref()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
    }

    /// Whether values arrive with their leading space.
    pub fn leading_space(&self) -> bool {
        self.leading_space
    }

    /// The message as received (headers, a blank line, the body), with its memory share. The
    /// buffer is left empty; the share goes with the bytes.
    pub fn take(&mut self) -> (Vec<u8>, Reservation) {
        let mut raw = Vec::with_capacity(self.head.len() + 2 + self.body.len());
        raw.append(&mut self.head);
        raw.extend_from_slice(b"\r\n");
        raw.append(&mut self.body);
        self.head = Vec::new();
        self.body = Vec::new();
        let empty = Reservation::empty(self.held.budget.clone());
        (raw, std::mem::replace(&mut self.held, empty))
    }
}

/// Copy `value`, turning each bare LF into CRLF.
fn push_crlf(out: &mut Vec<u8>, value: &[u8]) {
    let mut prev = 0u8;
    for &b in value {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebuilds_the_message_with_crlf_and_the_space_the_mta_stripped() {
        let budget = MemoryBudget::new(1 << 20);
        let mut m = MessageBuffer::new(budget.clone(), 1 << 20, false);
        m.push_header(b"Subject", b"Hello\n\tworld");
        m.push_header(b"From", b"a@b.test");
        m.push_body(b"Body line\r\n");
        let (raw, held) = m.take();
        assert_eq!(
            raw,
            b"Subject: Hello\r\n\tworld\r\nFrom: a@b.test\r\n\r\nBody line\r\n".to_vec()
        );
        assert!(budget.used() > 0 && held.bytes() == budget.used());
        drop(m);
        assert!(budget.used() > 0, "the bytes' share travels with them");
        drop(held);
        assert_eq!(budget.used(), 0, "and is given back with them");
    }

    #[test]
    fn header_bytes_are_kept_as_sent_even_when_not_utf8() {
        let mut m = MessageBuffer::new(MemoryBudget::new(1 << 20), 1 << 20, true);
        m.push_header(b"Subject", b" caf\xe9 \x93\xfa\x96{");
        assert_eq!(
            m.subject(),
            Some(("Subject", &b" caf\xe9 \x93\xfa\x96{"[..]))
        );
        let (raw, _) = m.take();
        assert_eq!(raw, b"Subject: caf\xe9 \x93\xfa\x96{\r\n\r\n".to_vec());
    }

    #[test]
    fn own_headers_are_addressed_per_name_highest_first() {
        let mut m = MessageBuffer::new(MemoryBudget::new(1 << 20), 1 << 20, false);
        for (n, v) in [
            ("X-Phishprobe-Verdict", "genuine"),
            ("Received", "x"),
            ("x-phishprobe-verdict", "genuine"),
            ("X-PHISHPROBE-Findings", "none"),
        ] {
            m.push_header(n.as_bytes(), v.as_bytes());
        }
        assert_eq!(
            m.own_headers_to_remove(),
            Some(vec![
                ("X-Phishprobe-Verdict".to_string(), 2),
                ("X-Phishprobe-Verdict".to_string(), 1),
                ("X-PHISHPROBE-Findings".to_string(), 1),
            ])
        );
    }

    #[test]
    fn too_many_distinct_own_headers_are_reported_not_ignored() {
        let mut m = MessageBuffer::new(MemoryBudget::new(1 << 20), 1 << 20, false);
        for i in 0..=MAX_OWN_NAMES {
            m.push_header(format!("X-Phishprobe-{i}").as_bytes(), b"x");
        }
        assert_eq!(m.own_headers_to_remove(), None);
    }

    #[test]
    fn an_oversized_message_is_dropped_and_counted() {
        let budget = MemoryBudget::new(1 << 20);
        let mut m = MessageBuffer::new(budget.clone(), 200, false);
        m.push_header(b"X-Phishprobe-Verdict", b"genuine");
        m.push_body(&[b'a'; 200]);
        m.push_body(&[b'a'; 200]);
        assert_eq!(m.unchecked, Some(Unchecked::Size));
        assert_eq!(
            budget.used(),
            0,
            "nothing is held for a message that is not checked"
        );
        assert_eq!(
            m.own_headers_to_remove().map(|v| v.len()),
            Some(1),
            "still removed"
        );
        m.push_header(b"X-Phishprobe-Findings", &[b'x'; 10_000]);
        assert_eq!(budget.used(), 0);
        assert_eq!(m.own_headers_to_remove().map(|v| v.len()), Some(2));
    }

    #[test]
    fn the_shared_budget_turns_a_message_away_as_busy() {
        let budget = MemoryBudget::new(1000);
        let mut a = MessageBuffer::new(budget.clone(), 10_000, false);
        let mut b = MessageBuffer::new(budget.clone(), 10_000, false);
        a.push_body(&[0; 800]);
        b.push_body(&[0; 800]);
        assert_eq!(a.unchecked, None);
        assert_eq!(b.unchecked, Some(Unchecked::Busy));
        assert_eq!(budget.used(), 800);
    }
}
