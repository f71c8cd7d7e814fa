//! Lines of bounded length from any reader: a feed file with a 2 GB line must not take 2 GB.

use std::io::{self, BufRead};

/// What one read gave: a line, or a line too long to keep (its start, for the error record).
#[derive(Debug, PartialEq, Eq)]
pub enum BoundedLine {
    /// A whole line, without its line ending; invalid UTF-8 replaced.
    Line(String),
    /// A line longer than the limit: skipped to its end; here are its first bytes.
    TooLong {
        /// The first bytes (at most 80), for the error message.
        start: String,
        /// How long the whole line was.
        length: usize,
    },
}

/// Read the next line of at most `max` bytes; `None` at the end of the input.
pub fn read_bounded(reader: &mut impl BufRead, max: usize) -> io::Result<Option<BoundedLine>> {
    let mut kept: Vec<u8> = Vec::new();
    let mut length = 0usize;
    let mut any = false;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        any = true;
        let (chunk, found_end) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], true),
            None => (buf, false),
        };
        length += chunk.len();
        if kept.len() <= max {
            let room = (max + 1).saturating_sub(kept.len());
            kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
        let used = chunk.len() + usize::from(found_end);
        reader.consume(used);
        if found_end {
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    if length > max {
        kept.truncate(80);
        return Ok(Some(BoundedLine::TooLong {
            start: String::from_utf8_lossy(&kept).into_owned(),
            length,
        }));
    }
    if kept.last() == Some(&b'\r') {
        kept.pop();
    }
    Ok(Some(BoundedLine::Line(
        String::from_utf8_lossy(&kept).into_owned(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_skipped_whole_and_the_next_line_survives() {
        let text = format!("short\r\n{}\nafter\nlast", "x".repeat(10_000));
        let mut reader = io::BufReader::with_capacity(64, text.as_bytes());
        let mut got = Vec::new();
        while let Some(line) = read_bounded(&mut reader, 100).unwrap() {
            got.push(line);
        }
        assert_eq!(got.len(), 4);
        assert_eq!(got[0], BoundedLine::Line("short".into()));
        assert!(
            matches!(&got[1], BoundedLine::TooLong { length: 10_000, start } if start.len() == 80)
        );
        assert_eq!(got[2], BoundedLine::Line("after".into()));
        assert_eq!(got[3], BoundedLine::Line("last".into()));
    }
}
