//! Attachment helpers that need no heavy crate: dangerous file types, ZIP member names (from
//! the central directory; nothing is decompressed), links in PDFs (`/URI` actions in the raw
//! file) and QR codes in images (`rqrr` on a downscaled greyscale image).

/// Extensions that run code or open a local web page when double-clicked.
const EXECUTABLE: &[&str] = &[
    "exe",
    "scr",
    "com",
    "pif",
    "bat",
    "cmd",
    "ps1",
    "vbs",
    "vbe",
    "js",
    "jse",
    "wsf",
    "wsh",
    "hta",
    "lnk",
    "msi",
    "msc",
    "jar",
    "cpl",
    "reg",
    "chm",
    "iso",
    "img",
    "vhd",
    "vhdx",
    "one",
    "xll",
    "docm",
    "xlsm",
    "pptm",
    "dotm",
    "xlam",
    "appx",
    "msix",
    "library-ms",
    "url",
    "svgz",
];
/// Extensions that open as a local page in the browser: the classic credential-form carrier.
const PAGE: &[&str] = &["html", "htm", "shtml", "xhtml", "mht", "mhtml", "svg"];
/// Archives whose member names are listed.
const ARCHIVE: &[&str] = &["zip", "jar", "docx", "xlsx"];

/// Word-processor and office documents that carry text and links (read for RTF; listed for
/// the others).
const DOCUMENT: &[&str] = &[
    "rtf", "doc", "dot", "xls", "xlt", "ppt", "pps", "odt", "ods", "odp", "wps", "pages",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Executable,
    Page,
    Document,
    Archive,
    OtherArchive,
    Pdf,
    Image,
    Other,
}

/// Lowercase extension of a file name (the last one: `invoice.pdf.exe` is `exe`).
pub fn extension(name: &str) -> String {
    let n = name.trim().trim_end_matches(['.', ' ']);
    match n.rsplit_once('.') {
        Some((_, e)) if e.len() <= 12 => e.to_ascii_lowercase(),
        _ => String::new(),
    }
}

pub fn kind_of(name: &str, content_type: &str) -> FileKind {
    let ext = extension(name);
    let ct = content_type.to_ascii_lowercase();
    if EXECUTABLE.contains(&ext.as_str()) {
        FileKind::Executable
    } else if PAGE.contains(&ext.as_str()) || ct == "text/html" && !name.is_empty() {
        FileKind::Page
    } else if ARCHIVE.contains(&ext.as_str())
        || ct == "application/zip"
        || ct == "application/x-zip-compressed"
    {
        FileKind::Archive
    } else if matches!(
        ext.as_str(),
        "rar" | "7z" | "gz" | "tgz" | "tar" | "cab" | "ace" | "arj" | "xz" | "bz2"
    ) {
        FileKind::OtherArchive
    } else if DOCUMENT.contains(&ext.as_str())
        || matches!(
            ct.as_str(),
            "application/rtf" | "text/rtf" | "application/msword" | "application/vnd.ms-excel"
        )
    {
        FileKind::Document
    } else if ext == "pdf" || ct == "application/pdf" {
        FileKind::Pdf
    } else if ct.starts_with("image/") || matches!(ext.as_str(), "png" | "jpg" | "jpeg" | "gif") {
        FileKind::Image
    } else {
        FileKind::Other
    }
}

fn u16le(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]) as usize)
}
fn u32le(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_le_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]) as usize)
}

/// Member names of a ZIP file, from its central directory (at most `max`).
/// `None` when no valid central directory is found (corrupt, encrypted container, not a ZIP).
pub fn zip_names(data: &[u8], max: usize) -> Option<Vec<String>> {
    const EOCD: &[u8] = b"PK\x05\x06";
    let search_from = data.len().saturating_sub(22 + 65_535);
    let tail = data.get(search_from..)?;
    let pos = memchr::memmem::rfind(tail, EOCD)? + search_from;
    let count = u16le(data, pos + 10)?;
    let cd_offset = u32le(data, pos + 16)?;
    let mut at = cd_offset;
    let mut names = Vec::new();
    for _ in 0..count.min(max) {
        if data.get(at..at + 4)? != b"PK\x01\x02" {
            break;
        }
        let n = u16le(data, at + 28)?;
        let x = u16le(data, at + 30)?;
        let c = u16le(data, at + 32)?;
        let name = data.get(at + 46..at + 46 + n)?;
        names.push(String::from_utf8_lossy(name).into_owned());
        at = at + 46 + n + x + c;
    }
    Some(names)
}

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

/// Links in a PDF: the string operands of `/URI` actions, plus whether the file carries
/// `/Launch` or `/JavaScript` actions. Only uncompressed dictionaries are read (link
/// annotations usually are; object streams are not inflated: a documented limit).
pub struct PdfScan {
    pub uris: Vec<String>,
    pub launch: bool,
    pub javascript: bool,
}

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

/// Whether an image of `w` x `h` pixels can show a QR code a phone would scan: at least
/// 40 pixels on its short side (21 modules plus quiet zone) and no more than 3:1 wide or tall
/// (a code inside a poster-like image still leaves it roughly square; a banner is not).
pub fn qr_plausible(w: u32, h: u32) -> bool {
    let (short, long) = (w.min(h), w.max(h));
    short >= 40 && long <= short.saturating_mul(3) && u64::from(w) * u64::from(h) <= QR_MAX_PIXELS
}

/// Longest side an image is scanned at: a code that fills a tenth of the picture still gets
/// 3 pixels per module, and the cost of the scan stays flat whatever the photo's size.
const QR_MAX_SIDE: u32 = 800;
/// Pictures above this many pixels (a 16-megapixel photo) are not decoded at all.
const QR_MAX_PIXELS: u64 = 16_000_000;

/// Greyscale copy of `img`, no longer than `max` on either side, by nearest-neighbour
/// sampling straight from the 8-bit buffer: only the sampled pixels are converted (integer
/// BT.601 weights), instead of converting every pixel and then resampling.
fn downscaled_luma(img: &image::DynamicImage, max: u32) -> image::GrayImage {
    use image::DynamicImage as D;
    let (w, h) = (img.width(), img.height());
    let long = w.max(h).max(1);
    let (tw, th) = if long > max {
        (
            (u64::from(w) * u64::from(max) / u64::from(long)).max(1) as u32,
            (u64::from(h) * u64::from(max) / u64::from(long)).max(1) as u32,
        )
    } else {
        (w, h)
    };
    let luma = |r: u8, g: u8, b: u8| -> u8 {
        ((u32::from(r) * 299 + u32::from(g) * 587 + u32::from(b) * 114) / 1000) as u8
    };
    // Source column of each target column and source row of each target row, computed once
    // (nearest neighbour: `x * w / tw`).
    let xs: Vec<u32> = (0..tw)
        .map(|x| ((u64::from(x) * u64::from(w) / u64::from(tw)) as u32).min(w - 1))
        .collect();
    let sample = |pixel: &dyn Fn(u32, u32) -> u8| -> image::GrayImage {
        let mut buf = Vec::with_capacity(tw as usize * th as usize);
        for y in 0..th {
            let sy = ((u64::from(y) * u64::from(h) / u64::from(th)) as u32).min(h - 1);
            buf.extend(xs.iter().map(|&sx| pixel(sx, sy)));
        }
        image::GrayImage::from_raw(tw, th, buf).unwrap_or_else(|| image::GrayImage::new(tw, th))
    };
    match img {
        D::ImageRgb8(b) => sample(&|sx, sy| {
            let p = b.get_pixel(sx, sy).0;
            luma(p[0], p[1], p[2])
        }),
        D::ImageRgba8(b) => sample(&|sx, sy| {
            let p = b.get_pixel(sx, sy).0;
            // Transparent pixels over a white page.
            let a = u32::from(p[3]);
            let v = u32::from(luma(p[0], p[1], p[2]));
            ((v * a + 255 * (255 - a)) / 255) as u8
        }),
        D::ImageLuma8(b) => sample(&|sx, sy| b.get_pixel(sx, sy).0[0]),
        other => {
            let g = other.to_luma8();
            if (tw, th) == (w, h) {
                g
            } else {
                sample(&|sx, sy| g.get_pixel(sx, sy).0[0])
            }
        }
    }
}

/// Texts of the QR codes in an image (PNG, JPEG, GIF). Large images are downscaled first so
/// one picture costs at most a few milliseconds; undecodable images give nothing.
pub fn qr_texts(data: &[u8]) -> Vec<String> {
    use image::ImageReader;
    // The header alone says whether the picture can hold a scannable code: a QR code is
    // square, so banners, spacer lines and tiny icons are skipped without decoding pixels
    // (most of the cost of image-heavy newsletters).
    let Ok(probe) = ImageReader::new(std::io::Cursor::new(data)).with_guessed_format() else {
        return Vec::new();
    };
    let Ok((w, h)) = probe.into_dimensions() else {
        return Vec::new();
    };
    if !qr_plausible(w, h) {
        return Vec::new();
    }
    let Ok(reader) = ImageReader::new(std::io::Cursor::new(data)).with_guessed_format() else {
        return Vec::new();
    };
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(8000);
    limits.max_image_height = Some(8000);
    limits.max_alloc = Some(128 * 1024 * 1024);
    let mut reader = reader;
    reader.limits(limits);
    let Ok(img) = reader.decode() else {
        return Vec::new();
    };
    // Logos and spacer pixels cannot hold a QR code.
    if img.width() < 21 || img.height() < 21 {
        return Vec::new();
    }
    let luma = downscaled_luma(&img, QR_MAX_SIDE);
    drop(img);
    let mut prepared = rqrr::PreparedImage::prepare(luma);
    let mut out = Vec::new();
    for grid in prepared.detect_grids().into_iter().take(4) {
        if let Ok((_, text)) = grid.decode() {
            out.push(text);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(kind_of("invoice.pdf.exe", ""), FileKind::Executable);
        assert_eq!(kind_of("Payment.HTM", ""), FileKind::Page);
        assert_eq!(kind_of("a.zip", ""), FileKind::Archive);
        assert_eq!(kind_of("scan.pdf", ""), FileKind::Pdf);
        assert_eq!(kind_of("review.RTF", ""), FileKind::Document);
        assert_eq!(kind_of("logo", "image/png"), FileKind::Image);
        assert_eq!(extension("noext"), "");
    }

    #[test]
    fn zip_central_directory() {
        // A stored (uncompressed) one-file zip, written by hand.
        let name = b"invoice.js";
        let mut z = Vec::new();
        z.extend_from_slice(b"PK\x03\x04");
        z.extend_from_slice(&[
            20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ]);
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&[0, 0]);
        z.extend_from_slice(name);
        let cd = z.len();
        z.extend_from_slice(b"PK\x01\x02");
        z.extend_from_slice(&[0u8; 24]);
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&[0u8; 16]);
        z.extend_from_slice(name);
        let cd_len = z.len() - cd;
        z.extend_from_slice(b"PK\x05\x06");
        z.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
        z.extend_from_slice(&(cd_len as u32).to_le_bytes());
        z.extend_from_slice(&(cd as u32).to_le_bytes());
        z.extend_from_slice(&[0, 0]);
        assert_eq!(zip_names(&z, 100).unwrap(), ["invoice.js"]);
        assert!(zip_names(b"not a zip", 10).is_none());
        // Truncated central directory does not panic.
        let _ = zip_names(&z[..z.len() - 3], 10);
        let mut bad = z.clone();
        let l = bad.len();
        bad[l - 6] = 0xff;
        let _ = zip_names(&bad, 10);
    }

    #[test]
    fn rtf_text_and_links() {
        let rtf = br#"{\rtf1\ansi{\fonttbl{\f0 Arial;}}{\*\generator Riched20;}\pard Your Am\'e1zon account{\field{\*\fldinst HYPERLINK "https://evil.example/pay"}{\fldrslt click \u8212? here}}\par locked\}}"#;
        let (t, l) = rtf_text(rtf, 10_000);
        assert!(t.contains("Your Am\u{e1}zon account"), "{t:?}");
        assert!(t.contains("click \u{2014} here"), "{t:?}");
        assert!(t.contains("locked}"), "{t:?}");
        assert!(!t.contains("Arial") && !t.contains("Riched"), "{t:?}");
        assert_eq!(l, ["https://evil.example/pay"]);
        let bad: [&[u8]; 6] = [b"{\\rtf1 {{{{", b"\\", b"\\'", b"\\u-", b"}}}}", b""];
        for b in bad {
            let _ = rtf_text(b, 100);
        }
    }

    #[test]
    fn pdf_links() {
        let pdf = b"%PDF-1.4\n1 0 obj << /Type /Annot /A << /S /URI /URI (https://evil.example/a\\)b) >> >>\nendobj /JavaScript";
        let s = pdf_scan(pdf, 10);
        assert_eq!(s.uris, ["https://evil.example/a)b"]);
        assert!(s.javascript);
        assert!(!s.launch);
    }

    #[test]
    fn qr_shape_filter() {
        assert!(qr_plausible(200, 200));
        assert!(qr_plausible(600, 900));
        assert!(!qr_plausible(600, 90));
        assert!(!qr_plausible(1, 1));
        assert!(!qr_plausible(30, 30));
    }

    #[test]
    fn qr_garbage_is_empty() {
        assert!(qr_texts(b"\x89PNG garbage").is_empty());
        assert!(qr_texts(&[]).is_empty());
    }
}
