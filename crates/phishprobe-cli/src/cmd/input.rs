//! Reading batch input: one item per line from files or stdin, streamed, with a cap on how
//! much of a line is kept so a 10 MB line cannot blow up memory.

use std::io::{self, BufRead};

/// How many bytes of one line are kept; the rest is skipped and the item marked truncated.
pub const MAX_LINE: usize = 64 * 1024;

/// One input line.
#[derive(Debug, Clone)]
pub struct Line {
    pub text: Result<String, String>,
    /// Original length in bytes when it was longer than [`MAX_LINE`].
    pub truncated_from: Option<usize>,
}

/// Read the next line (without its newline) keeping at most `max` bytes of it; the rest is
/// skipped to the newline. Returns the kept bytes and the line's full length; `None` at end of
/// input. Shared by every line-oriented reader so none can be made to hold a giant line.
pub fn read_capped(r: &mut impl BufRead, max: usize) -> io::Result<Option<(Vec<u8>, usize)>> {
    let mut buf = Vec::new();
    let mut total = 0usize;
    let mut any = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        any = true;
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        let room = max.saturating_sub(buf.len());
        buf.extend_from_slice(chunk.get(..take.min(room)).unwrap_or(&[]));
        total += take;
        r.consume(if done { take + 1 } else { take });
        if done {
            break;
        }
    }
    Ok(any.then_some((buf, total)))
}

/// Read the next line (without its newline), keeping at most `MAX_LINE` bytes.
/// `Ok(None)` at end of input.
pub fn read_line(r: &mut impl BufRead) -> io::Result<Option<Line>> {
    let Some((mut buf, total)) = read_capped(r, MAX_LINE)? else {
        return Ok(None);
    };
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    let truncated_from = (total > MAX_LINE).then_some(total);
    let text = match String::from_utf8(buf) {
        Ok(s) => Ok(s),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            if truncated_from.is_some() && valid + 4 >= MAX_LINE {
                // Cut in the middle of a character by the cap: keep the valid part.
                let mut v = e.into_bytes();
                v.truncate(valid);
                Ok(String::from_utf8(v).unwrap_or_default())
            } else {
                Err(format!(
                    "the line is not valid UTF-8 (bad byte at offset {valid})"
                ))
            }
        }
    };
    Ok(Some(Line {
        text,
        truncated_from,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_capped_and_checked() {
        let mut data = b"a.com\r\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        data.extend_from_slice(b"\n\xff\xfe\nlast");
        let mut r = io::Cursor::new(data);
        let l = read_line(&mut r).unwrap().unwrap();
        assert_eq!(l.text.unwrap(), "a.com");
        let l = read_line(&mut r).unwrap().unwrap();
        assert_eq!(l.text.unwrap().len(), MAX_LINE);
        assert_eq!(l.truncated_from, Some(MAX_LINE + 10));
        assert!(read_line(&mut r).unwrap().unwrap().text.is_err());
        assert_eq!(read_line(&mut r).unwrap().unwrap().text.unwrap(), "last");
        assert!(read_line(&mut r).unwrap().is_none());
    }
}
