//! Forms in the message, HTML attachments, and attached files: programs, archives holding
//! them, disguised names, PDFs that start programs, a message that is only an attachment.

use phishprobe_core::{ReportBuilder, Severity};

use super::facts::MessageFacts;
use super::{ATTACHMENT_ONLY_TEXT, EmailChecker};
use crate::AttachmentInfo;
use crate::finding;
use crate::normalize::mark_non_ascii;
use phishprobe_core::unicode::{is_combining_mark, is_invisible};

impl EmailChecker<'_> {
    /// HTML bodies with forms; HTML attachments analysed like pages.
    pub(super) fn weigh_forms_and_pages(&self, f: &MessageFacts, b: &mut ReportBuilder) {
        let (g, primary) = (&f.parts, f.primary);
        for h in &g.htmls {
            if h.password_fields > 0 {
                b.push(finding(
                    "email.password_form",
                    Severity::Critical,
                    "The email itself contains a password field: genuine services never ask for a password inside an email.",
                    "邮件本身包含密码输入框：正规服务从不在邮件里索取密码。",
                    h.forms.first().map(|f| f.action.clone()).unwrap_or_default(),
                ));
            } else if !h.forms.is_empty() {
                b.push(finding(
                    "email.form_in_body",
                    if primary.is_some() {
                        Severity::Low
                    } else {
                        Severity::Info
                    },
                    "The email contains a form that sends what you type to a web server.",
                    "邮件中包含一个表单，会把你输入的内容发送到网络服务器。",
                    h.forms
                        .first()
                        .map(|f| f.action.clone())
                        .unwrap_or_default(),
                ));
            }
        }
        for (name, p) in &g.pages {
            let action = p
                .forms
                .iter()
                .map(|f| f.action.as_str())
                .find(|a| !a.is_empty())
                .unwrap_or("");
            if p.password_fields > 0 {
                b.push(finding(
                    "email.attachment_credential_form",
                    Severity::Critical,
                    format!("The attachment {name} is a web page asking for a password; what you type goes to {}.", if action.is_empty() { "a script" } else { action }),
                    format!("附件 {name} 是一个索要密码的网页；你输入的内容会发送到 {}。", if action.is_empty() { "一段脚本" } else { action }),
                    format!("{name} → {action}"),
                ));
            } else if !p.redirects.is_empty() {
                b.push(finding(
                    "email.attachment_redirect",
                    Severity::High,
                    format!("The attachment {name} is a web page that immediately sends you to another site."),
                    format!("附件 {name} 是一个会立即把你转到其他网站的网页。"),
                    format!("{name} → {}", p.redirects.first().map(String::as_str).unwrap_or("")),
                ));
            } else {
                b.push(finding(
                    "email.attachment_html",
                    Severity::Medium,
                    format!("The attachment {name} opens as a web page on your computer, a common way to deliver fake sign-in pages."),
                    format!("附件 {name} 会在你的电脑上作为网页打开，这是投递假登录页面的常见方式。"),
                    name.clone(),
                ));
            }
        }
    }

    /// The attached files.
    pub(super) fn weigh_attachments(
        &self,
        f: &MessageFacts,
        b: &mut ReportBuilder,
        brand_sender: bool,
    ) {
        let (g, text_chars, forward) = (&f.parts, f.text_chars, f.forward);
        if !g.dangerous.is_empty() {
            b.push(finding(
                "email.dangerous_attachment",
                Severity::High,
                "The message carries a file that runs code or opens a local web page when opened (program, script, disk image, shortcut).",
                "邮件携带的文件一打开就会运行代码或打开本地网页（程序、脚本、磁盘映像、快捷方式）。",
                g.dangerous.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
            ));
        }
        // Nothing to read but an attached document: the lure sits where filters do not look.
        let documents: Vec<&AttachmentInfo> = g
            .attachments
            .iter()
            .filter(|a| {
                matches!(
                    a.kind.as_str(),
                    "pdf" | "page" | "document" | "archive" | "otherarchive" | "executable"
                )
            })
            .collect();
        if text_chars < ATTACHMENT_ONLY_TEXT
            && !forward
            && !brand_sender
            && let Some(a) = documents.first()
        {
            b.push(finding(
                "email.attachment_only",
                Severity::Medium,
                "The message says next to nothing and hands you an attached document to open: the real content is kept where mail filters do not look.",
                "邮件几乎没有正文，只让你打开附件里的文档：真正的内容被藏在邮件过滤器看不到的地方。",
                a.name.clone(),
            ));
        }
        // Invisible or direction-changing characters in a file name hide its real type
        // ("invoice\u{202E}fdp.exe" shows as "invoiceexe.pdf").
        if let Some(a) = g.attachments.iter().find(|a| {
            a.name.chars().any(|c| {
                is_invisible(c) || (is_combining_mark(c) && !('\u{0300}'..='\u{036F}').contains(&c))
            }) || a.name.contains('\u{034F}')
        }) {
            b.push(finding(
                "email.attachment_name_disguised",
                Severity::Medium,
                "An attachment's name hides invisible or direction-changing characters, a trick to disguise what the file really is.",
                "附件名称中藏有不可见或改变方向的字符，这是掩盖文件真实类型的手法。",
                mark_non_ascii(&a.name).unwrap_or_else(|| a.name.clone()),
            ));
        }
        if let Some(p) = g.pdf_active.first() {
            b.push(finding(
                "email.pdf_launch",
                Severity::High,
                "An attached PDF tries to start a program when opened.",
                "附带的 PDF 试图在打开时启动程序。",
                p.clone(),
            ));
        }
    }
}
