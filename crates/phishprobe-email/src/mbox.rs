//! Streaming mbox reader: one message at a time from any `BufRead`, constant memory apart from
//! the current message (which is capped). Lines starting with `From ` separate messages; the
//! `>From ` quoting of mboxrd is undone.

use std::io::{self, BufRead};

/// Whether the first bytes of a file look like an mbox (a `From ` separator line).
pub fn looks_like_mbox(head: &[u8]) -> bool {
    head.starts_with(b"From ") && head.iter().take(1000).any(|&b| b == b'\n')
}

/// Iterator over the messages of an mbox stream.
pub struct MboxReader<R> {
    inner: R,
    line: Vec<u8>,
    started: bool,
    done: bool,
    max_message: usize,
}

/// One message from an mbox, or why it was cut.
pub struct MboxMessage {
    /// The message, `>From ` quoting undone.
    pub bytes: Vec<u8>,
    /// The message was longer than the cap; only its start is kept.
    pub truncated: bool,
}

impl<R: BufRead> MboxReader<R> {
    /// `max_message`: bytes kept per message; the rest of an oversized message is skipped.
    pub fn new(inner: R, max_message: usize) -> Self {
        MboxReader {
            inner,
            line: Vec::with_capacity(1024),
            started: false,
            done: false,
            max_message,
        }
    }

    /// Read one line (bounded: a line longer than the message cap is read in pieces).
    fn read_line(&mut self) -> io::Result<usize> {
        self.line.clear();
        let limit = (self.max_message as u64).max(4096) + 1;
        let inner: &mut R = &mut self.inner;
        io::Read::take(inner, limit).read_until(b'\n', &mut self.line)
    }
}

impl<R: BufRead> Iterator for MboxReader<R> {
    type Item = io::Result<MboxMessage>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if !self.started {
            // Skip to the first separator.
            loop {
                match self.read_line() {
                    Ok(0) => {
                        self.done = true;
                        return None;
                    }
                    Ok(_) if self.line.starts_with(b"From ") => break,
                    Ok(_) => continue,
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
            }
            self.started = true;
        }
        let mut msg = MboxMessage {
            bytes: Vec::new(),
            truncated: false,
        };
        loop {
            match self.read_line() {
                Ok(0) => {
                    self.done = true;
                    break;
                }
                Ok(_) => {
                    if self.line.starts_with(b"From ") {
                        break;
                    }
                    let mut l: &[u8] = &self.line;
                    // mboxrd: ">From " and ">>From " lose one '>'.
                    if l.starts_with(b">")
                        && l.iter()
                            .skip_while(|&&c| c == b'>')
                            .take(5)
                            .eq(b"From ".iter())
                    {
                        l = &l[1..];
                    }
                    if msg.bytes.len() + l.len() <= self.max_message {
                        msg.bytes.extend_from_slice(l);
                    } else {
                        msg.truncated = true;
                    }
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        Some(Ok(msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_unquotes() {
        let data = b"From a@b Mon Jan 1 00:00:00 2024\nSubject: one\n\n>From here\nbody\nFrom c@d Tue\nSubject: two\n\nx\n";
        let msgs: Vec<_> = MboxReader::new(&data[..], 1 << 20)
            .map(|m| m.unwrap().bytes)
            .collect();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0], b"Subject: one\n\nFrom here\nbody\n");
        assert_eq!(msgs[1], b"Subject: two\n\nx\n");
        assert!(looks_like_mbox(data));
        assert!(!looks_like_mbox(b"Subject: x\n"));
    }

    #[test]
    fn caps_message_size() {
        let mut data = b"From x\nSubject: big\n\n".to_vec();
        data.extend(std::iter::repeat_n(b'a', 10_000));
        data.extend_from_slice(b"\nFrom y\n\nsmall\n");
        let msgs: Vec<_> = MboxReader::new(&data[..], 1000)
            .map(|m| m.unwrap())
            .collect();
        assert_eq!(msgs.len(), 2);
        assert!(msgs[0].truncated);
        assert!(msgs[0].bytes.len() <= 1000);
        assert_eq!(msgs[1].bytes, b"\nsmall\n");
    }
}
