//! A small, single-pass HTML scanner: visible text (hidden elements dropped, so text split by
//! `font-size:0` or `display:none` spans reads as the recipient sees it), the title, links with
//! their displayed text, forms and password fields, frames, images (source, alt text) and
//! script or meta-refresh redirects.
//!
//! It builds no DOM: mail HTML is parsed once per message and most of it is tables and inline
//! styles, so a tokenizer is several times faster than a full HTML5 tree builder and needs no
//! allocation per node. It never fails: malformed markup degrades to text.

use std::borrow::Cow;

/// Most elements kept open at once; deeper nesting is treated as flat (bounded memory).
const MAX_STACK: usize = 256;
/// Most links, images, forms collected from one document.
const MAX_ITEMS: usize = 500;
/// Most characters of link text kept per link.
const MAX_LINK_TEXT: usize = 300;

/// A hyperlink and the text the reader sees for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Link {
    /// The `href` as written.
    pub href: String,
    /// Visible text of the anchor (and alt text of images inside it).
    pub text: String,
}

/// A form: where it posts and whether it asks for a password.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    /// Where the form sends what is typed (`action`, empty for the page itself).
    pub action: String,
    /// Password inputs inside the form.
    pub password_fields: usize,
}

/// Everything the email checks need from one HTML document.
#[derive(Debug, Clone, Default)]
pub struct HtmlDoc {
    /// The `<title>`.
    pub title: String,
    /// Visible text, hidden elements removed, block elements separated by newlines.
    pub text: String,
    /// Text inside hidden elements (kept for diagnostics, capped).
    pub hidden_text_len: usize,
    /// Anchors and image-map areas.
    pub links: Vec<Link>,
    /// Forms.
    pub forms: Vec<Form>,
    /// Password inputs anywhere (also outside a form).
    pub password_fields: usize,
    /// Sources of frames, embeds and objects.
    pub iframes: Vec<String>,
    /// Images: (source, alt text).
    pub images: Vec<(String, String)>,
    /// URLs a script or meta refresh sends the reader to (or "(computed)" when not literal).
    pub redirects: Vec<String>,
}

fn is_void(tag: &str) -> bool {
    matches!(
        tag,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
            | "keygen"
    )
}

fn is_block(tag: &str) -> bool {
    matches!(
        tag,
        "p" | "div"
            | "br"
            | "tr"
            | "td"
            | "th"
            | "li"
            | "ul"
            | "ol"
            | "table"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "hr"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "blockquote"
            | "center"
            | "title"
            | "body"
            | "dt"
            | "dd"
            | "pre"
            | "form"
    )
}

/// Whether an inline style hides its element's text: `display:none`, `visibility:hidden`, a
/// zero or tiny font size, a zero `max-height` or a zero-sized box with `overflow:hidden`,
/// `opacity:0`.
pub fn style_hides(style: &str) -> bool {
    let s = squeezed_lowercase(style);
    let seen = StyleSeen::of(&s);
    if seen.has(StyleWord::DisplayNone) || seen.has(StyleWord::VisibilityHidden) {
        return true;
    }
    // `line-height:0` alone does not hide text; only font size or max-height with overflow.
    let font_size_hides = seen
        .values_after(StyleWord::FontSize, &s)
        .any(|v| is_zero_length(v) || v.starts_with("0.") || v.starts_with("1px"));
    if font_size_hides {
        return true;
    }
    if seen.has(StyleWord::OverflowHidden)
        && seen
            .values_after(StyleWord::MaxHeight, &s)
            .any(is_zero_length)
    {
        return true;
    }
    (seen.has(StyleWord::OpacityZeroSemicolon) || s.ends_with("opacity:0"))
        || (seen.has(StyleWord::WidthZero)
            && seen.has(StyleWord::HeightZero)
            && seen.has(StyleWord::OverflowHidden))
}

/// Whether a style value starts with a bare `0` (`0`, `0px`, `0;`), not `05` or `0.5`.
fn is_zero_length(v: &str) -> bool {
    v.strip_prefix('0')
        .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_digit() || c == '.'))
}

/// The style words [`style_hides`] looks for, in the order of [`STYLE_WORDS`].
#[derive(Clone, Copy)]
enum StyleWord {
    DisplayNone,
    VisibilityHidden,
    OverflowHidden,
    OpacityZeroSemicolon,
    WidthZero,
    HeightZero,
    FontSize,
    MaxHeight,
}

const STYLE_WORDS: [&str; 8] = [
    "display:none",
    "visibility:hidden",
    "overflow:hidden",
    "opacity:0;",
    "width:0",
    "height:0",
    "font-size:",
    "max-height:",
];

/// Where the style words occur in one squeezed style, found in one pass: mail HTML puts a
/// style on nearly every element, and a search per word was a few percent of a message's time.
/// Overlapping, so `height:0` inside `max-height:0` counts, as a substring search would.
struct StyleSeen {
    /// Per word, the byte offsets just after each occurrence.
    ends: [Vec<usize>; STYLE_WORDS.len()],
}

impl StyleSeen {
    fn of(s: &str) -> StyleSeen {
        static WORDS: std::sync::LazyLock<Option<aho_corasick::AhoCorasick>> =
            std::sync::LazyLock::new(|| aho_corasick::AhoCorasick::new(STYLE_WORDS).ok());
        let mut ends: [Vec<usize>; STYLE_WORDS.len()] = Default::default();
        match WORDS.as_ref() {
            Some(ac) => {
                for m in ac.find_overlapping_iter(s) {
                    if let Some(e) = ends.get_mut(m.pattern().as_usize()) {
                        e.push(m.end());
                    }
                }
            }
            // Cannot happen with eight short words; stay exact with one search per word.
            None => {
                for (word, e) in STYLE_WORDS.iter().zip(ends.iter_mut()) {
                    e.extend(s.match_indices(word).map(|(i, w)| i + w.len()));
                }
            }
        }
        StyleSeen { ends }
    }

    fn has(&self, w: StyleWord) -> bool {
        self.ends.get(w as usize).is_some_and(|e| !e.is_empty())
    }

    /// The text after each occurrence of `w` in `s`.
    fn values_after<'s>(
        &self,
        w: StyleWord,
        s: &'s str,
    ) -> impl Iterator<Item = &'s str> + use<'s, '_> {
        self.ends
            .get(w as usize)
            .into_iter()
            .flatten()
            .filter_map(move |&e| s.get(e..))
    }
}

/// `style` without whitespace, ASCII letters lowercased. Mail HTML puts a style on nearly
/// every element, so the common all-ASCII case goes byte by byte instead of char by char.
fn squeezed_lowercase(style: &str) -> String {
    if style.is_ascii() {
        let mut bytes = Vec::with_capacity(style.len());
        bytes.extend(
            style
                .bytes()
                .filter(|&b| !char::from(b).is_whitespace())
                .map(|b| b.to_ascii_lowercase()),
        );
        // ASCII in, ASCII out: always valid UTF-8.
        return String::from_utf8(bytes).unwrap_or_default();
    }
    style
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Decode the entities mail HTML uses: numeric ones and the common named ones.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        let tail = &rest[p..];
        let end = tail
            .char_indices()
            .take(12)
            .find(|&(_, c)| c == ';')
            .map(|(i, _)| i);
        let decoded = end.and_then(|e| {
            let ent = &tail[1..e];
            let c = if let Some(num) = ent.strip_prefix('#') {
                let v = if let Some(h) = num.strip_prefix(['x', 'X']) {
                    u32::from_str_radix(h, 16).ok()
                } else {
                    num.parse::<u32>().ok()
                };
                v.and_then(char::from_u32)
            } else {
                named_entity(ent)
            };
            c.map(|c| (c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &tail[len..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "shy" => '\u{00AD}',
        "zwnj" => '\u{200C}',
        "zwj" => '\u{200D}',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "rsquo" => '’',
        "lsquo" => '‘',
        "ldquo" => '“',
        "rdquo" => '”',
        "euro" => '€',
        "middot" => '·',
        "bull" => '•',
        "auml" => 'ä',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "Auml" => 'Ä',
        "Ouml" => 'Ö',
        "Uuml" => 'Ü',
        "szlig" => 'ß',
        "eacute" => 'é',
        "egrave" => 'è',
        "aacute" => 'á',
        "oacute" => 'ó',
        "iacute" => 'í',
        "uacute" => 'ú',
        "ccedil" => 'ç',
        "atilde" => 'ã',
        "otilde" => 'õ',
        "ntilde" => 'ñ',
        _ => return None,
    })
}

/// Attributes of one tag, names lowercased, values entity-decoded.
/// One attribute: its name lowercased and its value with entities decoded, borrowed from the
/// tag when nothing had to change (most attributes of most mail: no allocation per attribute).
type Attr<'a> = (Cow<'a, str>, Cow<'a, str>);

fn parse_attrs(s: &str) -> Vec<Attr<'_>> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() && out.len() < 64 {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        let ns = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'/' {
            i += 1;
        }
        if ns == i {
            i += 1;
            continue;
        }
        let raw_name = s.get(ns..i).unwrap_or("");
        let name = if raw_name.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(raw_name.to_ascii_lowercase())
        } else {
            Cow::Borrowed(raw_name)
        };
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = Cow::Borrowed("");
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let vs = i + 1;
                i = vs;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
                value = decoded(s.get(vs..i).unwrap_or(""));
                i += 1;
            } else {
                let vs = i;
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                value = decoded(s.get(vs..i).unwrap_or(""));
            }
        }
        out.push((name, value));
    }
    out
}

fn attr<'a>(attrs: &'a [Attr<'_>], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n.as_ref() == name)
        .map(|(_, v)| v.trim())
}

/// [`decode_entities`], borrowing when there is no entity to decode.
fn decoded(s: &str) -> Cow<'_, str> {
    if s.contains('&') {
        Cow::Owned(decode_entities(s))
    } else {
        Cow::Borrowed(s)
    }
}

fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// The URL in a meta refresh `content` (`0; url=https://...`).
fn refresh_url(content: &str) -> Option<String> {
    let p = find_ci(content, "url")?;
    let rest = content[p + 3..].trim_start();
    let rest = rest.strip_prefix('=')?.trim();
    let rest = rest.trim_matches(|c| c == '\'' || c == '"');
    (!rest.is_empty()).then(|| rest.to_string())
}

/// Literal URLs a script sends the page to (`window.location = "..."`, `location.replace(...)`).
pub fn script_redirects(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    for key in [
        "location.href",
        "location.replace",
        "location.assign",
        "window.location",
        "document.location",
        "top.location",
        "window.open",
    ] {
        let mut start = 0;
        while let Some(p) = script.get(start..).and_then(|s| s.find(key)) {
            let at = start + p + key.len();
            let tail: String = script[at..].chars().take(400).collect();
            let lit = tail
                .find(['"', '\'', '`'])
                .and_then(|q| {
                    let qc = tail[q..].chars().next()?;
                    let body = &tail[q + 1..];
                    let e = body.find(qc)?;
                    Some(body[..e].to_string())
                })
                .filter(|u| u.contains("//") || u.starts_with('/') || u.contains('.'));
            let directly = tail.trim_start().starts_with(['=', '(']);
            if directly {
                out.push(lit.unwrap_or_else(|| "(computed)".to_string()));
            }
            start = at;
            if out.len() >= 8 {
                return out;
            }
        }
    }
    out
}

/// Scan one HTML document. Linear time; output bounded by the caps above.
pub fn scan(html: &str) -> HtmlDoc {
    let mut doc = HtmlDoc::default();
    let mut stack: Vec<(String, bool)> = Vec::new();
    let mut hidden_depth = 0usize;
    let mut in_title = false;
    let mut open_link: Option<Link> = None;
    let mut open_form: Option<usize> = None;
    let mut i = 0usize;
    let b = html.as_bytes();
    doc.text.reserve(html.len() / 3);
    while i < b.len() {
        let Some(rel) = memchr::memchr(b'<', &b[i..]) else {
            push_text(
                &mut doc,
                &html[i..],
                hidden_depth > 0,
                in_title,
                &mut open_link,
            );
            break;
        };
        let lt = i + rel;
        if lt > i {
            push_text(
                &mut doc,
                &html[i..lt],
                hidden_depth > 0,
                in_title,
                &mut open_link,
            );
        }
        let rest = &html[lt..];
        if rest.starts_with("<!--") {
            i = match rest.find("-->") {
                Some(e) => lt + e + 3,
                None => b.len(),
            };
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            i = match memchr::memchr(b'>', &b[lt..]) {
                Some(e) => lt + e + 1,
                None => b.len(),
            };
            continue;
        }
        let closing = rest.starts_with("</");
        let name_start = lt + if closing { 2 } else { 1 };
        let mut ne = name_start;
        while ne < b.len() && (b[ne].is_ascii_alphanumeric() || b[ne] == b'-' || b[ne] == b':') {
            ne += 1;
        }
        if ne == name_start {
            // Not a tag ("a < b"): literal text.
            push_text(&mut doc, "<", hidden_depth > 0, in_title, &mut open_link);
            i = lt + 1;
            continue;
        }
        let tag = html[name_start..ne].to_ascii_lowercase();
        let gt = tag_end(b, ne);
        let attrs_src = html.get(ne..gt.saturating_sub(1).max(ne)).unwrap_or("");
        i = gt;
        if closing {
            if tag == "title" {
                in_title = false;
            }
            if tag == "a"
                && let Some(l) = open_link.take()
                && doc.links.len() < MAX_ITEMS
            {
                doc.links.push(l);
            }
            if tag == "form" {
                open_form = None;
            }
            if let Some(pos) = stack.iter().rposition(|(t, _)| *t == tag) {
                for (_, h) in stack.drain(pos..) {
                    if h {
                        hidden_depth = hidden_depth.saturating_sub(1);
                    }
                }
            }
            if is_block(&tag) {
                push_sep(&mut doc, hidden_depth > 0);
            }
            continue;
        }
        let attrs = parse_attrs(attrs_src);
        let hides = attr(&attrs, "style").is_some_and(style_hides)
            || attrs.iter().any(|(n, _)| n.as_ref() == "hidden")
            || attr(&attrs, "aria-hidden") == Some("true")
                && attr(&attrs, "style").is_some_and(|s| s.contains("display"));
        if is_block(&tag) {
            push_sep(&mut doc, hidden_depth > 0);
        }
        match tag.as_str() {
            "script" | "style" | "textarea" | "noscript" | "xmp" => {
                let close = format!("</{tag}");
                let body_end = find_ci(&html[i..], &close).map_or(b.len(), |p| i + p);
                if tag == "script" {
                    doc.redirects.extend(script_redirects(&html[i..body_end]));
                    doc.redirects.truncate(16);
                }
                i = match memchr::memchr(b'>', &b[body_end..]) {
                    Some(e) => body_end + e + 1,
                    None => b.len(),
                };
                continue;
            }
            "title" => {
                in_title = true;
            }
            _ => element(&mut doc, &tag, &attrs, &mut open_link, &mut open_form),
        }
        let self_closing = attrs_src.trim_end().ends_with('/');
        if !is_void(&tag) && !self_closing && stack.len() < MAX_STACK {
            if hides {
                hidden_depth += 1;
            }
            stack.push((tag, hides));
        }
    }
    if let Some(l) = open_link.take()
        && doc.links.len() < MAX_ITEMS
    {
        doc.links.push(l);
    }
    let t = doc.title.trim().to_string();
    doc.title = t;
    doc
}

/// What an opening tag other than a script, style or title adds to the document: links,
/// forms and password fields, frames, images (and their alt text inside a link), refreshes.
fn element(
    doc: &mut HtmlDoc,
    tag: &str,
    attrs: &[Attr<'_>],
    open_link: &mut Option<Link>,
    open_form: &mut Option<usize>,
) {
    match tag {
        "a" | "area" => {
            if let Some(l) = open_link.take()
                && doc.links.len() < MAX_ITEMS
            {
                doc.links.push(l);
            }
            if let Some(h) = attr(attrs, "href") {
                let l = Link {
                    href: h.to_string(),
                    text: attr(attrs, "title").unwrap_or("").chars().take(0).collect(),
                };
                if tag == "area" {
                    if doc.links.len() < MAX_ITEMS {
                        doc.links.push(l);
                    }
                } else {
                    *open_link = Some(l);
                }
            }
        }
        "form" if doc.forms.len() < MAX_ITEMS => {
            doc.forms.push(Form {
                action: attr(attrs, "action").unwrap_or("").to_string(),
                password_fields: 0,
            });
            *open_form = Some(doc.forms.len() - 1);
        }
        "input" if attr(attrs, "type").is_some_and(|t| t.eq_ignore_ascii_case("password")) => {
            doc.password_fields += 1;
            if let Some(f) = open_form.and_then(|k| doc.forms.get_mut(k)) {
                f.password_fields += 1;
            }
        }
        "iframe" | "frame" | "embed" | "object" => {
            if let Some(s) = attr(attrs, "src").or_else(|| attr(attrs, "data"))
                && doc.iframes.len() < MAX_ITEMS
            {
                doc.iframes.push(s.to_string());
            }
        }
        "img" => {
            if doc.images.len() < MAX_ITEMS {
                doc.images.push((
                    attr(attrs, "src").unwrap_or("").to_string(),
                    attr(attrs, "alt").unwrap_or("").to_string(),
                ));
            }
            if let (Some(l), Some(alt)) = (open_link.as_mut(), attr(attrs, "alt"))
                && l.text.len() < MAX_LINK_TEXT
            {
                l.text.push_str(alt);
            }
        }
        "meta" => {
            if attr(attrs, "http-equiv").is_some_and(|v| v.eq_ignore_ascii_case("refresh"))
                && let Some(u) = attr(attrs, "content").and_then(refresh_url)
            {
                doc.redirects.push(u);
            }
        }
        _ => {}
    }
}

/// Index just past the `>` closing a tag that starts before `from`, honouring quotes.
fn tag_end(b: &[u8], from: usize) -> usize {
    let mut i = from;
    let mut quote: Option<u8> = None;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => {
                // Only treat as a quote when it opens an attribute value (after `=`).
                let prev = b[..i].iter().rev().find(|x| !x.is_ascii_whitespace());
                if prev == Some(&b'=') {
                    quote = Some(c);
                }
            }
            None if c == b'>' => return i + 1,
            None => {}
        }
        i += 1;
        if i - from > 64 * 1024 {
            // A runaway attribute: stop at the next '>' regardless of quotes.
            return memchr::memchr(b'>', &b[from..]).map_or(b.len(), |p| from + p + 1);
        }
    }
    b.len()
}

fn push_sep(doc: &mut HtmlDoc, hidden: bool) {
    if !hidden && !doc.text.ends_with('\n') && !doc.text.is_empty() {
        doc.text.push('\n');
    }
}

fn push_text(doc: &mut HtmlDoc, raw: &str, hidden: bool, in_title: bool, link: &mut Option<Link>) {
    let t = decoded(raw);
    if in_title {
        if doc.title.len() < 1000 {
            doc.title.push_str(&t);
        }
        return;
    }
    if hidden {
        doc.hidden_text_len += t.len();
        return;
    }
    // Collapse runs of whitespace (HTML rendering does the same); the words between are
    // copied whole.
    let mut last_space = doc.text.ends_with([' ', '\n']) || doc.text.is_empty();
    let mut word_start: Option<usize> = None;
    for (i, c) in t.char_indices() {
        if c.is_whitespace() {
            if let Some(w) = word_start.take() {
                doc.text.push_str(&t[w..i]);
                last_space = false;
            }
            if !last_space {
                doc.text.push(' ');
                last_space = true;
            }
        } else if word_start.is_none() {
            word_start = Some(i);
        }
    }
    if let Some(w) = word_start {
        doc.text.push_str(&t[w..]);
    }
    if let Some(l) = link.as_mut()
        && l.text.len() < MAX_LINK_TEXT
    {
        let add = t.split_whitespace().collect::<Vec<_>>().join(" ");
        if !l.text.is_empty() && !add.is_empty() {
            l.text.push(' ');
        }
        l.text.push_str(&add);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_spans_do_not_split_words() {
        let d = scan(
            r#"<p>Your Am<span style="font-size:0px">xq</span>azon acc<span style="display: none">zz</span>ount</p>"#,
        );
        assert!(d.text.contains("Your Amazon account"), "{:?}", d.text);
    }

    #[test]
    fn links_forms_and_redirects() {
        let d = scan(
            r#"<html><head><title>Sign in &amp; verify</title>
            <meta http-equiv="refresh" content="0; URL='https://evil.example/x'">
            <script>window.location.href = "https://evil.example/go";</script></head>
            <body><a href="https://t.example/c?u=1">www.amazon.com</a>
            <form action="https://collect.example/p.php"><input type=text name=u><input type="password" name=p></form>
            <img src="https://img.example/logo.png" alt="Amazon"><iframe src="https://frame.example/"></iframe></body></html>"#,
        );
        assert_eq!(d.title, "Sign in & verify");
        assert_eq!(d.links.len(), 1);
        assert_eq!(d.links[0].text, "www.amazon.com");
        assert_eq!(d.forms[0].action, "https://collect.example/p.php");
        assert_eq!(d.forms[0].password_fields, 1);
        assert!(d.redirects.iter().any(|r| r == "https://evil.example/x"));
        assert!(d.redirects.iter().any(|r| r == "https://evil.example/go"));
        assert_eq!(d.images[0].1, "Amazon");
        assert_eq!(d.iframes, ["https://frame.example/"]);
        assert!(!d.text.contains("window.location"));
    }

    #[test]
    fn garbage_does_not_panic() {
        for s in [
            "<",
            "<a",
            "<a href='x",
            "</",
            "<!--",
            "<script>",
            "&#xFFFFFFFF;",
            "<a href=\"é\">ü</a",
            "<<<>>>",
        ] {
            let _ = scan(s);
        }
        let deep = "<div>".repeat(10_000);
        let d = scan(&deep);
        assert!(d.text.is_empty());
    }

    #[test]
    fn styles_that_hide() {
        for hides in [
            "display: none",
            "DISPLAY:NONE !important",
            "visibility:hidden",
            "font-size:0",
            "font-size: 0px; color: red",
            "font-size:0.5px",
            "font-size:0 ; x",
            "color:red;font-size:1px",
            "font-size:12px;font-size:0",
            "max-height:0;overflow:hidden",
            "overflow: hidden; max-height: 0px",
            "opacity:0; color:red",
            "color:red;opacity:0",
            "width:0;height:0;overflow:hidden",
            "max-width:0;max-height:0px;overflow:hidden",
        ] {
            assert!(style_hides(hides), "{hides}");
        }
        for shows in [
            "",
            "color:red",
            "font-size:10px",
            "font-size:01px",
            "line-height:0",
            "max-height:0",
            "max-height:05px;overflow:hidden",
            "opacity:0.5",
            "width:0;height:10px;overflow:hidden",
            "width:0;height:0",
            "display:block",
        ] {
            assert!(!style_hides(shows), "{shows}");
        }
    }

    #[test]
    fn whitespace_collapses_across_text_pieces() {
        let d = scan("<p>  Your\t\n account &amp;\u{a0}\u{3000}more </p><p>next\u{2003}word</p>");
        assert_eq!(d.text, "Your account & more \nnext word\n");
    }

    #[test]
    fn entities() {
        assert_eq!(decode_entities("a&amp;b&#65;&#x42;&bogus;"), "a&bAB&bogus;");
    }
}
