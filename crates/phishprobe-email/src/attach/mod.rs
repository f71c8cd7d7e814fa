//! Attachment readers: dangerous file types here; one reader per format beside it: ZIP member
//! names ([`zip_names`], from the central directory; nothing is decompressed), RTF text and
//! links ([`rtf_text`]), links in PDFs ([`pdf_scan`], `/URI` actions in the raw file) and QR
//! codes in images ([`qr_texts`], `rqrr` on a downscaled greyscale image). HTML attachments
//! are read by [`crate::html`].

mod pdf;
mod qr;
mod rtf;
mod zip;

pub use pdf::{PdfScan, pdf_scan};
pub use qr::{qr_plausible, qr_texts};
pub use rtf::rtf_text;
pub use zip::zip_names;

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

/// What an attached file is, from its name and content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// A program, script, disk image, shortcut or macro document.
    Executable,
    /// A web page (HTML, SVG, MHT).
    Page,
    /// An office or RTF document.
    Document,
    /// A ZIP archive (members are listed).
    Archive,
    /// Another archive format (not opened).
    OtherArchive,
    /// A PDF file.
    Pdf,
    /// A picture (PNG, JPEG, GIF: read for QR codes).
    Image,
    /// Anything else.
    Other,
}

impl FileKind {
    /// The name used in JSON and tables (`executable`, `otherarchive`, `pdf`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Executable => "executable",
            FileKind::Page => "page",
            FileKind::Document => "document",
            FileKind::Archive => "archive",
            FileKind::OtherArchive => "otherarchive",
            FileKind::Pdf => "pdf",
            FileKind::Image => "image",
            FileKind::Other => "other",
        }
    }
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// Lowercase extension of a file name (the last one: `invoice.pdf.exe` is `exe`).
pub fn extension(name: &str) -> String {
    let n = name.trim().trim_end_matches(['.', ' ']);
    match n.rsplit_once('.') {
        Some((_, e)) if e.len() <= 12 => e.to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// What a file is, from its name (extension, also a double one) and content type.
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
