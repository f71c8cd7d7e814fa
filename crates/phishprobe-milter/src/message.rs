//! One message as the MTA hands it over: the envelope, the headers in order, the body bytes,
//! and the memory it holds. The bytes are put back together exactly as received (header
//! names and values as sent, CRLF line ends), so the verdict and its evidence are about the
//! message the recipient would read.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Headers the milter writes itself; inbound copies are removed so a sender cannot pass off
/// its own verdict.
pub const OWN_HEADER_PREFIX: &str = "x-phishprobe-";

/// Message bytes held in memory over all connections, with a ceiling. Each message reserves
/// before it grows and gives its share back when dropped, so a crash of one conversation
/// cannot leak the budget.
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

/// Why a message is not checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unchecked {
    /// Larger than `limits.max_message_bytes`: delivered with `unchecked; reason=size`.
    Size,
    /// The shared memory budget was spent: the failure policy answers (`busy`).
    Busy,
}

/// One header as received.
#[derive(Debug, Clone)]
pub struct ReceivedHeader {
    /// The name as sent (case kept).
    pub name: String,
    /// The value as sent; with the leading-space option, its first byte is the space after `:`.
    pub value: Vec<u8>,
}

/// The message being received on one connection.
#[derive(Debug)]
pub struct MessageBuffer {
    budget: Arc<MemoryBudget>,
    max_bytes: usize,
    reserved: usize,
    /// Size of everything received for this message (counted even when not kept).
    pub size: usize,
    /// Headers in order.
    pub headers: Vec<ReceivedHeader>,
    body: Vec<u8>,
    /// Set when the message will not be checked.
    pub unchecked: Option<Unchecked>,
}

impl MessageBuffer {
    /// An empty message that keeps at most `max_bytes` and draws on `budget`.
    pub fn new(budget: Arc<MemoryBudget>, max_bytes: usize) -> MessageBuffer {
        MessageBuffer {
            budget,
            max_bytes,
            reserved: 0,
            size: 0,
            headers: Vec::new(),
            body: Vec::new(),
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
        if !self.budget.reserve(n) {
            self.drop_content(Unchecked::Busy);
            return false;
        }
        self.reserved += n;
        true
    }

    fn drop_content(&mut self, why: Unchecked) {
        self.unchecked = Some(why);
        self.body = Vec::new();
        // The header names are kept (without values) for the removal of inbound own headers.
        for h in &mut self.headers {
            h.value = Vec::new();
        }
        self.budget.release(self.reserved);
        self.reserved = 0;
    }

    /// One header from the MTA.
    pub fn push_header(&mut self, name: &[u8], value: &[u8]) {
        // name + ": " + value + CRLF, as the rebuilt message will hold it.
        let kept = self.grow(name.len() + value.len() + 4);
        self.headers.push(ReceivedHeader {
            name: String::from_utf8_lossy(name).into_owned(),
            value: if kept { value.to_vec() } else { Vec::new() },
        });
    }

    /// One body chunk from the MTA.
    pub fn push_body(&mut self, chunk: &[u8]) {
        if self.grow(chunk.len()) {
            self.body.extend_from_slice(chunk);
        }
    }

    /// The 1-based position of each inbound `X-Phishprobe-*` header among the headers of the
    /// same name (the milter protocol addresses headers that way), highest first so that each
    /// deletion leaves the earlier positions unchanged.
    pub fn own_headers_to_remove(&self) -> Vec<(String, u32)> {
        let mut seen: Vec<(String, u32)> = Vec::new();
        let mut out = Vec::new();
        for h in &self.headers {
            let lower = h.name.to_ascii_lowercase();
            let n = match seen.iter_mut().find(|(name, _)| *name == lower) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    seen.push((lower.clone(), 1));
                    1
                }
            };
            if lower.starts_with(OWN_HEADER_PREFIX) {
                out.push((h.name.clone(), n));
            }
        }
        out.reverse();
        out
    }

    /// The first `Subject` header's value as sent.
    pub fn subject(&self) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("subject"))
            .map(|h| h.value.as_slice())
    }

    /// The message as received: headers (`Name:` + value, with a space put back when the MTA
    /// stripped it), a blank line, the body; bare LF in folded header values becomes CRLF.
    pub fn raw(&self, values_have_leading_space: bool) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size + 2);
        for h in &self.headers {
            out.extend_from_slice(h.name.as_bytes());
            out.push(b':');
            if !values_have_leading_space {
                out.push(b' ');
            }
            push_crlf(&mut out, &h.value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }
}

impl Drop for MessageBuffer {
    fn drop(&mut self) {
        self.budget.release(self.reserved);
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
        let mut m = MessageBuffer::new(budget.clone(), 1 << 20);
        m.push_header(b"Subject", b"Hello\n\tworld");
        m.push_header(b"From", b"a@b.test");
        m.push_body(b"Body line\r\n");
        assert_eq!(
            m.raw(false),
            b"Subject: Hello\r\n\tworld\r\nFrom: a@b.test\r\n\r\nBody line\r\n".to_vec()
        );
        assert!(budget.used() > 0);
        drop(m);
        assert_eq!(budget.used(), 0, "a dropped message gives its memory back");
    }

    #[test]
    fn own_headers_are_addressed_per_name_highest_first() {
        let mut m = MessageBuffer::new(MemoryBudget::new(1 << 20), 1 << 20);
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
            vec![
                ("X-PHISHPROBE-Findings".to_string(), 1),
                ("x-phishprobe-verdict".to_string(), 2),
                ("X-Phishprobe-Verdict".to_string(), 1),
            ]
        );
    }

    #[test]
    fn an_oversized_message_is_dropped_and_counted() {
        let budget = MemoryBudget::new(1 << 20);
        let mut m = MessageBuffer::new(budget.clone(), 100);
        m.push_header(b"X-Phishprobe-Verdict", b"genuine");
        m.push_body(&[b'a'; 200]);
        m.push_body(&[b'a'; 200]);
        assert_eq!(m.unchecked, Some(Unchecked::Size));
        assert_eq!(
            m.size,
            400 + "X-Phishprobe-Verdict".len() + "genuine".len() + 4
        );
        assert_eq!(
            budget.used(),
            0,
            "nothing is held for a message that is not checked"
        );
        assert_eq!(
            m.own_headers_to_remove().len(),
            1,
            "names kept for the removal"
        );
    }

    #[test]
    fn the_shared_budget_turns_a_message_away_as_busy() {
        let budget = MemoryBudget::new(1000);
        let mut a = MessageBuffer::new(budget.clone(), 10_000);
        let mut b = MessageBuffer::new(budget.clone(), 10_000);
        a.push_body(&[0; 800]);
        b.push_body(&[0; 800]);
        assert_eq!(a.unchecked, None);
        assert_eq!(b.unchecked, Some(Unchecked::Busy));
        assert_eq!(budget.used(), 800);
    }
}
