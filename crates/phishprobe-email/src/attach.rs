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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Executable,
    Page,
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

/// Texts of the QR codes in an image (PNG, JPEG, GIF). Large images are downscaled first so
/// one picture costs at most a few milliseconds; undecodable images give nothing.
pub fn qr_texts(data: &[u8]) -> Vec<String> {
    use image::ImageReader;
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
    let img = if img.width().max(img.height()) > 1000 {
        img.resize(1000, 1000, image::imageops::FilterType::Nearest)
    } else {
        img
    };
    let luma = img.to_luma8();
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
    fn pdf_links() {
        let pdf = b"%PDF-1.4\n1 0 obj << /Type /Annot /A << /S /URI /URI (https://evil.example/a\\)b) >> >>\nendobj /JavaScript";
        let s = pdf_scan(pdf, 10);
        assert_eq!(s.uris, ["https://evil.example/a)b"]);
        assert!(s.javascript);
        assert!(!s.launch);
    }

    #[test]
    fn qr_garbage_is_empty() {
        assert!(qr_texts(b"\x89PNG garbage").is_empty());
        assert!(qr_texts(&[]).is_empty());
    }
}
