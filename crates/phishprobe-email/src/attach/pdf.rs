//! PDF files: link actions and active content, from the raw bytes.

/// Links in a PDF: the string operands of `/URI` actions, plus whether the file carries
/// `/Launch` or `/JavaScript` actions. Only uncompressed dictionaries are read (link
/// annotations usually are; object streams are not inflated: a documented limit).
pub struct PdfScan {
    /// Targets of `/URI` actions.
    pub uris: Vec<String>,
    /// The file carries a `/Launch` action (starts a program).
    pub launch: bool,
    /// The file carries `/JavaScript`.
    pub javascript: bool,
}

/// Scan a PDF for link actions (at most `max` of them) and active content.
pub fn pdf_scan(data: &[u8], max: usize) -> PdfScan {
    let mut uris = Vec::new();
    let finder = memchr::memmem::Finder::new(b"/URI");
    for p in finder.find_iter(data) {
        if uris.len() >= max {
            break;
        }
        let rest = data.get(p + 4..).unwrap_or(&[]);
        let rest = &rest[..rest.len().min(4096)];
        let skip = rest.iter().take_while(|c| c.is_ascii_whitespace()).count();
        let rest = &rest[skip..];
        if rest.first() == Some(&b'(') {
            let mut out = Vec::new();
            let mut esc = false;
            for &c in &rest[1..] {
                if esc {
                    out.push(c);
                    esc = false;
                } else if c == b'\\' {
                    esc = true;
                } else if c == b')' {
                    break;
                } else {
                    out.push(c);
                }
            }
            let s = String::from_utf8_lossy(&out).trim().to_string();
            if !s.is_empty() && !uris.contains(&s) {
                uris.push(s);
            }
        }
    }
    PdfScan {
        uris,
        launch: memchr::memmem::find(data, b"/Launch").is_some(),
        javascript: memchr::memmem::find(data, b"/JavaScript").is_some(),
    }
}
