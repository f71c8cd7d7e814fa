//! The MIME walk: texts, HTML bodies, attachments and the links inside them, read once.

use std::collections::HashSet;

use mail_parser::{Message, MimeHeaders, PartType};

use super::EmailChecker;
use super::util::cut;
use crate::attach::{self, FileKind};
use crate::auth::AuthSummary;
use crate::html::{self, HtmlDoc};
use crate::{AttachmentInfo, LinkSource};

/// A link as found: (URL, where it was found, the text shown for it).
pub(crate) type RawLink = (String, LinkSource, String);

/// Everything read from the MIME tree before weighing.
#[derive(Default)]
pub(crate) struct MimeContent {
    pub(crate) texts: Vec<String>,
    pub(crate) htmls: Vec<HtmlDoc>,
    /// HTML attachments (analysed like pages).
    pub(crate) pages: Vec<(String, HtmlDoc)>,
    pub(crate) links: Vec<RawLink>,
    pub(crate) attachments: Vec<AttachmentInfo>,
    pub(crate) attachment_texts: Vec<String>,
    pub(crate) notes: Vec<String>,
    pub(crate) parts_seen: usize,
    pub(crate) qr_done: usize,
    pub(crate) dangerous: Vec<String>,
    pub(crate) pdf_active: Vec<String>,
    /// Text of document attachments (RTF): the lure when the body is empty.
    pub(crate) doc_texts: Vec<(String, String)>,
    /// Results of `--verify-auth`, used instead of the Authentication-Results headers.
    pub(crate) verified: Option<AuthSummary>,
}

impl EmailChecker<'_> {
    /// Walk the MIME tree (nested messages included, depth- and count-capped).
    pub(super) fn gather(&self, m: &Message<'_>, depth: usize, g: &mut MimeContent) {
        if depth > self.opts.max_depth {
            g.notes.push(format!(
                "nested messages deeper than {} were not analysed",
                self.opts.max_depth
            ));
            return;
        }
        let attach_ids: HashSet<u32> = m.attachments.iter().copied().collect();
        for (idx, part) in m.parts.iter().enumerate() {
            g.parts_seen += 1;
            if g.parts_seen > self.opts.max_parts {
                if g.parts_seen == self.opts.max_parts + 1 {
                    g.notes.push(format!(
                        "more than {} MIME parts: the rest were skipped",
                        self.opts.max_parts
                    ));
                }
                return;
            }
            let name = part.attachment_name().unwrap_or("").to_string();
            let ctype = part
                .content_type()
                .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")).to_lowercase())
                .unwrap_or_default();
            let is_attachment = !name.is_empty()
                || part
                    .content_disposition()
                    .is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"))
                || attach_ids.contains(&(idx as u32))
                    && !matches!(part.body, PartType::Text(_) | PartType::Html(_));
            if part.is_encoding_problem {
                g.notes.push(format!(
                    "part {idx} could not be decoded cleanly (bad encoding or charset)"
                ));
            }
            match &part.body {
                PartType::Text(t) => {
                    let t = cut(t, self.opts.max_part_bytes);
                    if is_attachment && !name.is_empty() {
                        let kind = attach::kind_of(&name, &ctype);
                        self.note_attachment(g, &name, &ctype, t.len(), kind, Vec::new());
                        if kind == FileKind::Page
                            || t.trim_start().starts_with('<')
                                && attach::extension(&name).starts_with("htm")
                        {
                            let doc = html::scan(t);
                            g.pages.push((name.clone(), doc));
                        } else if kind == FileKind::Document && t.starts_with("{\\rtf") {
                            let (text, links) = attach::rtf_text(t.as_bytes(), t.len());
                            for u in links {
                                g.links.push((u, LinkSource::Attachment, String::new()));
                            }
                            if g.doc_texts.len() < 8 {
                                g.doc_texts.push((name.clone(), text));
                            }
                        } else {
                            g.attachment_texts.push(t.to_string());
                        }
                    } else {
                        g.texts.push(t.to_string());
                    }
                }
                PartType::Html(h) => {
                    let h = cut(h, self.opts.max_part_bytes);
                    let doc = html::scan(h);
                    if is_attachment && !name.is_empty() {
                        self.note_attachment(g, &name, &ctype, h.len(), FileKind::Page, Vec::new());
                        g.pages.push((name.clone(), doc));
                    } else {
                        g.htmls.push(doc);
                    }
                }
                PartType::Binary(b) | PartType::InlineBinary(b) => {
                    self.binary(g, &name, &ctype, b);
                }
                PartType::Message(inner) => {
                    // A forwarded or attached message: its text and links count as the body's.
                    if let Some(s) = inner.subject() {
                        g.attachment_texts.push(s.to_string());
                    }
                    self.gather(inner, depth + 1, g);
                }
                PartType::Multipart(_) => {}
            }
        }
    }

    fn note_attachment(
        &self,
        g: &mut MimeContent,
        name: &str,
        ctype: &str,
        size: usize,
        kind: FileKind,
        inside: Vec<String>,
    ) {
        if g.attachments.len() >= 200 {
            return;
        }
        g.attachments.push(AttachmentInfo {
            name: cut(name, 200).to_string(),
            content_type: cut(ctype, 100).to_string(),
            size,
            kind,
            inside,
        });
        if kind == FileKind::Executable {
            g.dangerous.push(name.to_string());
        }
    }

    fn binary(&self, g: &mut MimeContent, name: &str, ctype: &str, data: &[u8]) {
        let kind = attach::kind_of(name, ctype);
        let mut inside = Vec::new();
        match kind {
            FileKind::Archive => {
                if let Some(names) = attach::zip_names(data, 500) {
                    for n in &names {
                        let k = attach::kind_of(n, "");
                        if matches!(k, FileKind::Executable | FileKind::Page) {
                            g.dangerous.push(format!("{name} → {n}"));
                        }
                    }
                    inside = names.into_iter().take(50).collect();
                }
            }
            FileKind::Pdf => {
                let s = attach::pdf_scan(data, 50);
                for u in &s.uris {
                    g.links.push((u.clone(), LinkSource::Pdf, String::new()));
                }
                if s.launch {
                    g.pdf_active.push(format!("{name}: /Launch"));
                }
                inside = s.uris;
            }
            FileKind::Image
                if g.qr_done < self.opts.max_qr_images
                    && (2_000..=8 << 20).contains(&data.len()) =>
            {
                g.qr_done += 1;
                for t in attach::qr_texts(data) {
                    if t.contains("://") || t.starts_with("www.") {
                        g.links.push((t.clone(), LinkSource::Qr, String::new()));
                    }
                    inside.push(format!("QR: {}", cut(&t, 300)));
                }
            }
            FileKind::Document
                if attach::extension(name) == "rtf" || data.starts_with(b"{\\rtf") =>
            {
                let (text, links) = attach::rtf_text(data, self.opts.max_part_bytes);
                for u in &links {
                    g.links
                        .push((u.clone(), LinkSource::Attachment, String::new()));
                }
                inside = links;
                if g.doc_texts.len() < 8 {
                    g.doc_texts.push((name.to_string(), text));
                }
            }
            FileKind::Page => {
                let text =
                    String::from_utf8_lossy(&data[..data.len().min(self.opts.max_part_bytes)]);
                g.pages.push((name.to_string(), html::scan(&text)));
            }
            _ => {}
        }
        let inline_image = kind == FileKind::Image && name.is_empty();
        if !inline_image || !inside.is_empty() {
            self.note_attachment(g, name, ctype, data.len(), kind, inside);
        }
    }
}
