//! RTF documents: visible text and hyperlink targets.

/// Visible text and `HYPERLINK` targets of an RTF document (at most `max` bytes of text).
/// Control words are dropped, `\'hh` and `\uN` escapes decoded, and destinations that hold
/// no visible text (font and colour tables, styles, pictures, metadata, `\*` groups) skipped.
/// Good enough to see the brand and the links a lure document shows; not a renderer.
pub fn rtf_text(data: &[u8], max: usize) -> (String, Vec<String>) {
    const SKIP: &[&[u8]] = &[
        b"fonttbl",
        b"colortbl",
        b"stylesheet",
        b"info",
        b"pict",
        b"themedata",
        b"colorschememapping",
        b"datastore",
        b"latentstyles",
        b"listtable",
        b"listoverridetable",
        b"rsidtbl",
        b"generator",
        b"xmlnstbl",
        b"mmathPr",
        b"object",
        b"header",
        b"footer",
        b"fldinst",
        b"filetbl",
        b"revtbl",
        b"pgdsctbl",
    ];
    let mut text = String::new();
    let mut links = Vec::new();
    // HYPERLINK "url" inside field instructions.
    for p in memchr::memmem::find_iter(data, b"HYPERLINK") {
        if links.len() >= 50 {
            break;
        }
        let rest = data.get(p + 9..).unwrap_or(&[]);
        let rest = &rest[..rest.len().min(2048)];
        if let Some(q) = memchr::memchr(b'"', rest) {
            let body = &rest[q + 1..];
            if let Some(e) = memchr::memchr(b'"', body) {
                let u = String::from_utf8_lossy(&body[..e]).trim().to_string();
                if !u.is_empty() && !links.contains(&u) {
                    links.push(u);
                }
            }
        }
    }
    // Group stack: whether the group's text is skipped.
    let mut stack: Vec<bool> = Vec::new();
    let mut skip = false;
    let mut i = 0;
    let mut uc_skip = 0usize;
    while i < data.len() && text.len() < max {
        let c = data[i];
        match c {
            b'{' => {
                if stack.len() < 512 {
                    stack.push(skip);
                }
                i += 1;
                // `{\*\dest ...}` is an optional destination: never visible text.
                if data.get(i..i + 2) == Some(b"\\*") {
                    skip = true;
                }
            }
            b'}' => {
                skip = stack.pop().unwrap_or(false);
                i += 1;
            }
            b'\\' => {
                i += 1;
                let Some(&n) = data.get(i) else { break };
                if n.is_ascii_alphabetic() {
                    let ws = i;
                    while i < data.len() && data[i].is_ascii_alphabetic() {
                        i += 1;
                    }
                    let word = &data[ws..i];
                    let ns = i;
                    if i < data.len() && data[i] == b'-' {
                        i += 1;
                    }
                    while i < data.len() && data[i].is_ascii_digit() {
                        i += 1;
                    }
                    let param: Option<i32> = std::str::from_utf8(&data[ns..i])
                        .ok()
                        .and_then(|p| p.parse().ok());
                    if data.get(i) == Some(&b' ') {
                        i += 1;
                    }
                    if SKIP.contains(&word) {
                        skip = true;
                    } else if !skip {
                        match word {
                            b"par" | b"line" | b"row" | b"cell" | b"sect" | b"page" => {
                                text.push('\n')
                            }
                            b"tab" => text.push(' '),
                            b"u" => {
                                if let Some(v) = param {
                                    let v = if v < 0 { v + 65536 } else { v };
                                    if let Some(ch) = char::from_u32(v as u32) {
                                        text.push(ch);
                                    }
                                    uc_skip = 1;
                                }
                            }
                            _ => {}
                        }
                    }
                } else if n == b'\'' {
                    let hex = data.get(i + 1..i + 3).unwrap_or(&[]);
                    i += 3;
                    if uc_skip > 0 {
                        uc_skip -= 1;
                    } else if !skip
                        && let Ok(v) =
                            u8::from_str_radix(std::str::from_utf8(hex).unwrap_or("x"), 16)
                    {
                        // Windows-1252 is what RTF writers use for \'hh; Latin-1 is close enough.
                        text.push(char::from(v));
                    }
                } else {
                    // Escaped symbol: \\, \{, \}, \~ (non-breaking space), \- ...
                    if !skip {
                        match n {
                            b'\\' | b'{' | b'}' => text.push(char::from(n)),
                            b'~' => text.push(' '),
                            _ => {}
                        }
                    }
                    i += 1;
                }
            }
            b'\r' | b'\n' => i += 1,
            _ => {
                if uc_skip > 0 {
                    uc_skip -= 1;
                } else if !skip {
                    // Plain RTF text is 7-bit; other bytes are read as Latin-1.
                    text.push(char::from(c));
                }
                i += 1;
            }
        }
    }
    (text, links)
}
