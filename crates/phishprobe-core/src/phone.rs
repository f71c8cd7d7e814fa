//! Phone numbers: pull them out of text, normalise, parse with the `phonenumber` crate, and
//! answer without false trust.
//!
//! Why the answer is almost always "unknown": caller ID is trivially spoofed (scammers show the
//! brand's real number) and genuine callbacks come from random, recycled numbers that phones
//! may label as fraud. So a number proves nothing in either direction; the report says so every
//! time and tells the person what to do instead. The only things that move the verdict are:
//! - the user's own list marks the number as scam -> suspicious;
//! - the number is premium-rate (calling it costs money: the classic "call 09xx to claim") ->
//!   suspicious.
//!
//! A number the user marked trusted stays unknown ("you marked it trusted, but caller ID can be
//! spoofed"), and a brand's published number is only "a number you can call out to".
//!
//! The `phonenumber` crate can't find a number inside a sentence, fails on full-width digits,
//! can't parse short codes and misreads `011 86 ...` with a US region, so [`normalize`] and
//! [`find_in_text`] do that work first.

use std::sync::OnceLock;

use phonenumber::{PhoneNumber, Type, country::Id};
use regex::Regex;
use serde::Serialize;

use crate::knowledge::Knowledge;
use crate::model::{Finding, Message, Report, ReportBuilder, Severity};

/// Longest input looked at; anything longer is not a phone number (and keeps parsing bounded).
pub const MAX_INPUT: usize = 64;
/// Most digits an E.164 number can have.
pub const MAX_DIGITS: usize = 15;
/// Short codes (SMS short codes, 95xxx service numbers) have 3 to 6 digits.
pub const SHORT_CODE: std::ops::RangeInclusive<usize> = 3..=6;

/// Regions tried, in order, for a number written without a country code when the user gave no
/// region: the marketplaces phishprobe's users mostly sell in or come from.
pub const DEFAULT_REGIONS: &[&str] = &["US", "CN", "GB"];

/// What a piece of text turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneClass {
    /// A valid number for its country.
    Valid,
    /// Parsed, but not a number that can exist (wrong length or range for the country).
    Invalid,
    /// 3-6 digits: an SMS short code or service number; can't be checked.
    ShortCode,
    /// Not a phone number at all (too many digits, letters, nothing to parse).
    NotANumber,
}

/// The parsed facts about one number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhoneInfo {
    /// As written by the user or found in the text.
    pub input: String,
    /// Digits with a leading `+` when international: what was handed to the parser.
    pub normalized: String,
    pub class: PhoneClass,
    pub e164: Option<String>,
    /// ISO 3166 region (`US`, `CN`, `GB`...), when the number belongs to one.
    pub country: Option<String>,
    pub calling_code: Option<u16>,
    /// `mobile`, `toll_free`, `premium_rate`, `voip`, `fixed_line`, ... (see [`type_name`]).
    pub number_type: Option<&'static str>,
}

/// What the user's own local list says about a number (looked up by the caller: the core does
/// no I/O).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserMark {
    Trusted,
    Scam,
}

/// Parse a region code (`us`, `CN`) into the crate's id; `None` if unknown.
pub fn parse_region(code: &str) -> Option<Id> {
    code.trim().to_ascii_uppercase().parse().ok()
}

/// Stable snake-case name of a number type.
pub fn type_name(t: Type) -> &'static str {
    match t {
        Type::FixedLine => "fixed_line",
        Type::Mobile => "mobile",
        Type::FixedLineOrMobile => "fixed_line_or_mobile",
        Type::TollFree => "toll_free",
        Type::PremiumRate => "premium_rate",
        Type::SharedCost => "shared_cost",
        Type::PersonalNumber => "personal_number",
        Type::Voip => "voip",
        Type::Pager => "pager",
        Type::Uan => "uan",
        Type::Emergency => "emergency",
        Type::Voicemail => "voicemail",
        Type::ShortCode => "short_code",
        Type::StandardRate => "standard_rate",
        Type::Carrier => "carrier",
        Type::NoInternational => "no_international",
        Type::Unknown => "unknown",
    }
}

/// Plain words for a type name, English and Chinese.
fn type_words(name: &str) -> (&'static str, &'static str) {
    match name {
        "fixed_line" => ("landline", "固定电话"),
        "mobile" => ("mobile", "手机"),
        "fixed_line_or_mobile" => ("landline or mobile", "固定电话或手机"),
        "toll_free" => ("toll-free", "免费电话"),
        "premium_rate" => (
            "premium-rate (calling it costs you money)",
            "付费声讯号码（拨打会扣费）",
        ),
        "shared_cost" => ("shared-cost", "分摊费用号码"),
        "personal_number" => ("personal (forwarding) number", "个人转接号码"),
        "voip" => (
            "internet (VoIP) number, easy for anyone to get",
            "网络电话（VoIP），任何人都能轻易申请",
        ),
        "pager" => ("pager", "寻呼机"),
        "uan" => ("company number", "企业统一号码"),
        "voicemail" => ("voicemail access", "语音信箱"),
        _ => ("unknown type", "类型未知"),
    }
}

/// Map full-width and other decimal digits to ASCII, keep `+`, drop separators; `None` if the
/// text holds anything else (letters, `$`...) or is too long.
///
/// International prefixes become `+`: `00` everywhere, `011` only for North American regions
/// (elsewhere `011...` can be a national area code, e.g. Sheffield `0114`).
pub fn normalize(input: &str, region: Option<&str>) -> Option<String> {
    if input.len() > MAX_INPUT * 4 {
        return None;
    }
    let mut out = String::with_capacity(input.len());
    for c in input.trim().chars() {
        let c = match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or('0'),
            '＋' => '+',
            _ => c,
        };
        match c {
            '0'..='9' => out.push(c),
            '+' if out.is_empty() => out.push('+'),
            ' '
            | '-'
            | '.'
            | '('
            | ')'
            | '/'
            | '\u{a0}'
            | '\u{2010}'..='\u{2015}'
            | '\u{3000}'
            | '（'
            | '）'
            | '－'
            | '\t' => {}
            _ => return None,
        }
    }
    if out.is_empty() || out == "+" {
        return None;
    }
    let nanp = matches!(
        region.map(|r| r.to_ascii_uppercase()).as_deref(),
        None | Some("US" | "CA")
    );
    if let Some(rest) = out.strip_prefix("00") {
        out = format!("+{rest}");
    } else if let Some(rest) = out.strip_prefix("011").filter(|r| nanp && r.len() >= 7) {
        out = format!("+{rest}");
    }
    Some(out)
}

fn digit_count(s: &str) -> usize {
    s.bytes().filter(u8::is_ascii_digit).count()
}

fn parse_one(region: Option<Id>, n: &str) -> Option<PhoneNumber> {
    phonenumber::parse(region, n).ok()
}

/// Parse one number. `region` is the user's region for numbers without a country code; with
/// none, [`DEFAULT_REGIONS`] are tried in order and the first valid reading wins.
pub fn analyze(input: &str, region: Option<&str>) -> PhoneInfo {
    analyze_keep(input, region).0
}

/// What a text check needs about a number it found: the facts of [`analyze`] with no region,
/// and whether the number is premium-rate in it or, written without a country code, in any of
/// the [`DEFAULT_REGIONS`] — the same answer as calling `analyze(n, Some(r))` for each region,
/// without parsing again what [`analyze`] already parsed.
///
/// Why that is the same: a number without `+` normalises the same way for every default
/// region (only the North American `011` prefix depends on the region, and it would have
/// produced a `+`); regions tried before the chosen one parsed as invalid (so they have no
/// type); the chosen region's type is the one already known; only the regions after it are
/// parsed here (none when no region gave a valid number: each was invalid alone too).
pub fn analyze_for_text(input: &str) -> (PhoneInfo, bool) {
    let (info, tried) = analyze_keep(input, None);
    if info.number_type == Some("premium_rate") {
        return (info, true);
    }
    if info.normalized.starts_with('+') {
        return (info, false);
    }
    let Tried::Regions { valid_at: Some(i) } = tried else {
        // Not parsed (not a number, a short code, wrong length) or invalid in every region:
        // the same in each region alone.
        return (info, false);
    };
    let norm = info.normalized.clone();
    let premium = DEFAULT_REGIONS.iter().skip(i + 1).any(|r| {
        parse_one(parse_region(r), &norm)
            .and_then(|p| valid_facts(&p))
            .is_some_and(|(t, _)| t == Type::PremiumRate)
    });
    (info, premium)
}

/// How far [`analyze_keep`] got with the default regions.
enum Tried {
    /// Stopped before parsing, or parsed with a `+` or an explicit region.
    Other,
    /// Parsed with the default regions; the index of the first that gave a valid number.
    Regions { valid_at: Option<usize> },
}

fn analyze_keep(input: &str, region: Option<&str>) -> (PhoneInfo, Tried) {
    let shown: String = input.chars().take(MAX_INPUT).collect();
    let mut info = PhoneInfo {
        input: shown,
        normalized: String::new(),
        class: PhoneClass::NotANumber,
        e164: None,
        country: None,
        calling_code: None,
        number_type: None,
    };
    let Some(norm) = normalize(input, region) else {
        return (info, Tried::Other);
    };
    info.normalized = norm.chars().take(MAX_INPUT).collect();
    let digits = digit_count(&norm);
    if !norm.starts_with('+') && SHORT_CODE.contains(&digits) {
        info.class = PhoneClass::ShortCode;
        info.number_type = Some("short_code");
        return (info, Tried::Other);
    }
    if !(7..=MAX_DIGITS + 2).contains(&digits) {
        return (info, Tried::Other);
    }
    let defaults = !norm.starts_with('+') && region.is_none();
    let regions: Vec<Option<Id>> = if norm.starts_with('+') {
        vec![None]
    } else if let Some(r) = region {
        match parse_region(r) {
            Some(id) => vec![Some(id)],
            None => return (info, Tried::Other),
        }
    } else {
        DEFAULT_REGIONS.iter().map(|r| parse_region(r)).collect()
    };
    let mut first: Option<PhoneNumber> = None;
    let mut chosen: Option<(PhoneNumber, Type, Option<Id>)> = None;
    let mut valid_at = None;
    for (i, r) in regions.into_iter().enumerate() {
        if let Some(p) = parse_one(r, &norm) {
            if let Some((t, id)) = valid_facts(&p) {
                chosen = Some((p, t, id));
                valid_at = Some(i);
                break;
            }
            if first.is_none() {
                first = Some(p);
            }
        }
    }
    let tried = if defaults {
        Tried::Regions { valid_at }
    } else {
        Tried::Other
    };
    let (p, facts) = match (chosen, first) {
        (Some((p, t, id)), _) => (p, Some((t, id))),
        (None, Some(p)) => (p, None),
        (None, None) => return (info, tried),
    };
    info.class = if facts.is_some() {
        PhoneClass::Valid
    } else {
        PhoneClass::Invalid
    };
    info.calling_code = Some(p.code().value());
    if let Some((t, id)) = facts {
        // What `p.format().mode(Mode::E164)` writes (`+`, country code, national number),
        // without the formatter's search for a national display format it then ignores.
        info.e164 = Some(format!("+{}{}", p.country().code(), p.national()));
        info.country = id.map(|id| id.as_ref().to_string());
        info.number_type = Some(type_name(t));
    }
    (info, tried)
}

/// `p.is_valid()`, and for a valid number `(p.number_type(..), p.country().id())`, from one
/// metadata lookup instead of three.
///
/// Why: each of those calls resolves the number's region again (for `+1`, trying the North
/// American regions one by one) and classifies it again, and every metadata regex the
/// `phonenumber` crate runs goes through a global mutex and hashes the whole pattern text; it
/// was most of the cost of a short message with a number in it.
///
/// The same answer: with no leading zeros in the national number, `is_valid` and `metadata`
/// resolve the region from the same digits, `is_valid` is "the type is not unknown", and
/// [`number_type_of`] is the crate's classification step for step. Numbers with leading zeros
/// (Italian landlines), where the crate feeds the two different strings, take the crate's own
/// calls.
fn valid_facts(p: &PhoneNumber) -> Option<(Type, Option<Id>)> {
    let db = &phonenumber::metadata::DATABASE;
    if p.national().zeros() != 0 {
        if !p.is_valid() {
            return None;
        }
        return Some((p.number_type(db), p.country().id()));
    }
    let national = p.national().value().to_string();
    let meta = metadata_of(db, p.code().value(), &national)?;
    let t = number_type_of(meta, &national);
    if t == Type::Unknown {
        return None;
    }
    Some((t, meta.id().parse().ok()))
}

/// The `phonenumber` crate's (private) `validator::number_type`, through its public API: the
/// same descriptors tried in the same order (matched by [`desc_match`]).
fn number_type_of(meta: &phonenumber::Metadata, value: &str) -> Type {
    let d = meta.descriptors();
    let is =
        |x: Option<&phonenumber::metadata::Descriptor>| x.is_some_and(|x| desc_match(x, value));
    if !desc_match(d.general(), value) {
        return Type::Unknown;
    }
    for (desc, t) in [
        (d.premium_rate(), Type::PremiumRate),
        (d.toll_free(), Type::TollFree),
        (d.shared_cost(), Type::SharedCost),
        (d.voip(), Type::Voip),
        (d.personal_number(), Type::PersonalNumber),
        (d.pager(), Type::Pager),
        (d.uan(), Type::Uan),
        (d.voicemail(), Type::Voicemail),
    ] {
        if is(desc) {
            return t;
        }
    }
    if is(d.fixed_line()) {
        let same = d.fixed_line().map(|x| x.national_number().as_str())
            == d.mobile().map(|x| x.national_number().as_str());
        if same || is(d.mobile()) {
            return Type::FixedLineOrMobile;
        }
        return Type::FixedLine;
    }
    if is(d.mobile()) {
        return Type::Mobile;
    }
    Type::Unknown
}

/// `PhoneNumber::metadata`: the crate's (private) `validator::source_for` and the lookup after
/// it, step for step, with the regexes matched by [`starts_at_0`].
fn metadata_of<'d>(
    db: &'d phonenumber::metadata::Database,
    code: u16,
    national: &str,
) -> Option<&'d phonenumber::Metadata> {
    let regions = db.region(&code)?;
    if let [only] = regions.as_slice() {
        if *only == "001" {
            return db.by_code(&code).and_then(|m| m.into_iter().next());
        }
        let id: Id = only.parse().ok()?;
        return db.by_id(id.as_ref());
    }
    for region in regions {
        let meta = db.by_id(region)?;
        let here = match meta.leading_digits() {
            Some(pattern) => starts_at_0(pattern.as_str(), national, || {
                pattern.find(national).is_some_and(|m| m.start() == 0)
            }),
            None => number_type_of(meta, national) != Type::Unknown,
        };
        if here {
            let id: Id = region.parse().ok()?;
            return db.by_id(id.as_ref());
        }
    }
    None
}

/// `Descriptor::is_match`, with the regex matched by [`starts_at_0`].
fn desc_match(d: &phonenumber::metadata::Descriptor, value: &str) -> bool {
    let lengths = d.possible_length();
    if !lengths.is_empty() && !lengths.contains(&(value.len() as u16)) {
        return false;
    }
    let re = d.national_number();
    starts_at_0(re.as_str(), value, || {
        re.find(value).is_some_and(|m| m.start() == 0)
    })
}

/// Most metadata regexes kept compiled here (the metadata holds a few thousand; a text touches
/// a few dozen countries at most).
const MAX_FAST_REGEXES: usize = 4096;

/// Whether the leftmost match of the metadata regex `src` in `value` starts at 0: what the
/// crate tests with `re.find(value)` (`slow`), without its regex cache.
///
/// Why: the crate's `CachedRegex` looks every regex up by its whole pattern text in one global
/// LRU behind a mutex (SipHash over hundreds of bytes, a list update) on every match; that
/// bookkeeping cost more than the matching. Here each pattern is compiled once, with the
/// options the crate uses (`ignore_whitespace`, its size limits), and found by the address of
/// its text in the static database (never freed, so an address always means the same
/// pattern); readers share a lock. A pattern that fails to compile here, or one beyond
/// [`MAX_FAST_REGEXES`], goes through the crate as before.
fn starts_at_0(src: &str, value: &str, slow: impl FnOnce() -> bool) -> bool {
    type Fast = std::sync::RwLock<rustc_hash::FxHashMap<(usize, usize), Option<Regex>>>;
    static FAST: OnceLock<Fast> = OnceLock::new();
    let key = (src.as_ptr() as usize, src.len());
    let fast = FAST.get_or_init(Default::default);
    if let Ok(map) = fast.read()
        && let Some(compiled) = map.get(&key)
    {
        return match compiled {
            Some(r) => r.find(value).is_some_and(|m| m.start() == 0),
            None => slow(),
        };
    }
    let compiled = regex::RegexBuilder::new(src)
        .ignore_whitespace(true)
        .size_limit(10 * (1 << 20))
        .dfa_size_limit(2 * (1 << 20))
        .build()
        .ok();
    let hit = match &compiled {
        Some(r) => r.find(value).is_some_and(|m| m.start() == 0),
        None => slow(),
    };
    if let Ok(mut map) = fast.write()
        && map.len() < MAX_FAST_REGEXES
    {
        map.entry(key).or_insert(compiled);
    }
    hit
}

fn number_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        // A run of digits with single separators, optionally led by + or an opening bracket.
        Regex::new(r"(?:\+|＋)?[\(（]?[0-9０-９](?:[0-9０-９]|[ \-\.\)\(（）/－]{1,2}[0-9０-９])+")
            .unwrap_or_else(|_| Regex::new("$^").unwrap_or_else(|_| unreachable!()))
    })
}

/// The English half of the short-code pattern ("text STOP to 87066").
const SHORT_CODE_EN: &str =
    r"(?i)\b(?:text|txt|sms|send|reply|call|dial)\b[^0-9\n]{0,24}?\b([0-9]{3,6})\b";
/// The Chinese half ("回复TD到10086").
const SHORT_CODE_ZH: &str = r"(?:发送|回复|拨打|致电|发短信)[^0-9\n]{0,8}?([0-9]{3,6})(?:[^0-9]|$)";

fn short_code_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(&format!("{SHORT_CODE_EN}|{SHORT_CODE_ZH}"))
            .unwrap_or_else(|_| Regex::new("$^").unwrap_or_else(|_| unreachable!()))
    })
}

fn short_code_zh_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(SHORT_CODE_ZH)
            .unwrap_or_else(|_| Regex::new("$^").unwrap_or_else(|_| unreachable!()))
    })
}

/// The English half anchored at a word already found (see [`short_codes`]).
fn short_code_en_anchored_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)\A(?:text|txt|sms|send|reply|call|dial)\b[^0-9\n]{0,24}?\b([0-9]{3,6})\b")
            .unwrap_or_else(|_| Regex::new("$^").unwrap_or_else(|_| unreachable!()))
    })
}

/// A Unicode word character, as the regex engine's `\b` sees it.
fn is_word_char(c: char) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"\A\w\z")
            .unwrap_or_else(|_| Regex::new("$^").unwrap_or_else(|_| unreachable!()))
    });
    let mut buf = [0u8; 4];
    re.is_match(c.encode_utf8(&mut buf))
}

/// Where the English short-code words start in `text` (any ASCII case), in order.
///
/// A plain (non-overlapping) search is enough: a word it skips starts strictly inside one it
/// reported, right after an ASCII letter, where the regex's leading `\b` cannot hold.
fn english_short_code_words(text: &str) -> Vec<usize> {
    static AC: OnceLock<Option<aho_corasick::AhoCorasick>> = OnceLock::new();
    let ac = AC.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(["text", "txt", "sms", "send", "reply", "call", "dial"])
            .ok()
    });
    let Some(ac) = ac else {
        return Vec::new();
    };
    ac.find_iter(text).map(|m| m.start()).collect()
}

/// Longest span the English half can match from its first letter: a word (5 bytes), up to 24
/// characters of gap (4 bytes each), 6 digits; plus the character after it, which its final
/// `\b` looks at.
const SHORT_CODE_EN_SPAN: usize = 5 + 24 * 4 + 6 + 4;

/// The English half's match starting exactly at `at` (a found word), with its digits.
fn english_short_code_at(text: &str, at: usize) -> Option<(usize, &str)> {
    // The leading `\b`: the word's first letter is a word character, so the one before it
    // must not be.
    let before = text.get(..at).and_then(|b| b.chars().next_back());
    if before.is_some_and(is_word_char) {
        return None;
    }
    let mut end = (at + SHORT_CODE_EN_SPAN).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let window = text.get(at..end)?;
    let c = short_code_en_anchored_re().captures(window)?;
    let whole = c.get(0)?;
    let digits = c.get(1)?;
    Some((at + whole.end(), digits.as_str()))
}

/// Short codes in `text`, in order: the captures of [`short_code_re`], found faster.
///
/// That regex's English half uses Unicode word boundaries, which send the regex engine to its
/// slow fallback (a PikeVM over the whole text) on any text with a non-ASCII character: every
/// Chinese message, and it cost 80 % of a mixed English/Chinese stream. So on such text:
/// - the Chinese half runs alone (it has no word boundary: plain lazy DFA);
/// - the English half is tried only where one of its words starts (one Aho-Corasick pass),
///   anchored there, on a window as long as its longest match;
/// - the two are merged as the combined regex's iterator does: leftmost match first (the two
///   halves can never start at the same place: one starts with a Latin letter, the other with
///   a Chinese character), the next search starting where the last match ended.
///
/// Under Unicode case folding the English words have one non-ASCII spelling, with U+017F `ſ`
/// for `s`; a text holding it goes to the combined regex, as does plain ASCII text (where the
/// combined regex is fast).
fn short_codes(text: &str) -> Vec<&str> {
    // Both halves end in three to six ASCII digits: without such a run there is nothing to
    // find (the common case, checked in one cheap pass).
    if !text
        .as_bytes()
        .windows(3)
        .any(|w| w.iter().all(u8::is_ascii_digit))
    {
        return Vec::new();
    }
    if text.is_ascii() || text.contains('\u{17f}') {
        return short_code_re()
            .captures_iter(text)
            .filter_map(|c| c.get(1).or_else(|| c.get(2)).map(|m| m.as_str()))
            .collect();
    }
    let words = english_short_code_words(text);
    let zh = short_code_zh_re();
    if words.is_empty() {
        return zh
            .captures_iter(text)
            .filter_map(|c| c.get(1).map(|m| m.as_str()))
            .collect();
    }
    let mut out = Vec::new();
    let mut pos = 0;
    let mut next_word = 0;
    // The next Chinese match at or after `pos` (kept while still ahead of `pos`).
    let mut zh_next: Option<(usize, usize, &str)> = None;
    let mut zh_done = false;
    loop {
        if !zh_done && zh_next.is_none_or(|(start, _, _)| start < pos) {
            zh_next = zh.captures_at(text, pos).and_then(|c| {
                let all = c.get(0)?;
                let d = c.get(1)?;
                Some((all.start(), all.end(), d.as_str()))
            });
            zh_done = zh_next.is_none();
        }
        // The first English match starting at or after `pos`, before the Chinese one.
        let limit = zh_next.map_or(usize::MAX, |(start, _, _)| start);
        let mut en = None;
        while let Some(&at) = words.get(next_word) {
            if at < pos {
                next_word += 1;
                continue;
            }
            if at > limit {
                break;
            }
            next_word += 1;
            if let Some((end, d)) = english_short_code_at(text, at) {
                en = Some((end, d));
                break;
            }
        }
        match (en, zh_next) {
            (Some((end, d)), _) => {
                out.push(d);
                pos = end;
            }
            (None, Some((_, end, d))) => {
                out.push(d);
                pos = end;
                zh_next = None;
            }
            (None, None) => break,
        }
    }
    out
}

/// Phone-number-like strings in free text, in order, without duplicates: 7-17 digit runs with
/// ordinary separators, plus short codes after "text/call/reply ... to". Money (`$1,537.35`),
/// dates (`2024-05-21`), order numbers (`#219-6044388-8470`) and long digit runs are skipped.
pub fn find_in_text(text: &str) -> Vec<String> {
    find_spans_in_text(text)
        .into_iter()
        .filter_map(|r| text.get(r).map(str::to_string))
        .collect()
}

/// Where [`find_in_text`]'s numbers are in `text` (byte ranges, same order): the text check
/// finds numbers in normalised text and cuts what it reports from the original at these places.
pub fn find_spans_in_text(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    let push = |s: &str, out: &mut Vec<std::ops::Range<usize>>| {
        let s = s.trim_end_matches(['-', '.', ' ', '(', '/']).trim();
        let Some(start) = offset_in(text, s) else {
            return;
        };
        if !s.is_empty() && !out.iter().any(|o| text.get(o.clone()) == Some(s)) && out.len() < 50 {
            out.push(start..start + s.len());
        }
    };
    for m in number_re().find_iter(text) {
        let s = m.as_str();
        let before = text.get(..m.start()).and_then(|b| b.chars().next_back());
        let after = text.get(m.end()..).and_then(|a| a.chars().next());
        if matches!(before, Some('$' | '£' | '€' | '¥' | '#' | '￥' | '№'))
            || before.is_some_and(|c| c.is_alphanumeric() && c.is_ascii())
            || matches!(after, Some('%' | '元' | '块' | '万'))
            || after.is_some_and(|c| c.is_ascii_alphanumeric())
        {
            continue;
        }
        let digits = s.chars().filter(|c| c.is_numeric()).count();
        let plus = s.starts_with(['+', '＋']);
        if digits > MAX_DIGITS + 2 {
            // Report absurdly long runs only when they look written as a phone number.
            if plus {
                push(s, &mut out);
            }
            continue;
        }
        if digits < 7 {
            continue;
        }
        if is_date_or_order(s) {
            continue;
        }
        push(s, &mut out);
    }
    for m in short_codes(text) {
        push(m, &mut out);
    }
    out
}

/// Byte offset of `part` in `text`, when `part` is a slice of `text` (every match and trim
/// above is one).
fn offset_in(text: &str, part: &str) -> Option<usize> {
    let start = (part.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    (start + part.len() <= text.len()).then_some(start)
}

/// `2024-05-21`, `21.05.2024`, `219-6044388-8470` (Amazon order ids): not phone numbers.
fn is_date_or_order(s: &str) -> bool {
    let groups: Vec<usize> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .map(str::len)
        .collect();
    matches!(groups.as_slice(), [4, 2, 2] | [2, 2, 4] | [3, 7, 7])
}

fn caller_id_finding() -> Finding {
    Finding::new(
        "phone.caller_id_proves_nothing",
        Severity::Info,
        Message::new(
            "A phone number proves nothing either way: caller ID is easy to fake (scammers show real company numbers), and genuine callbacks often come from random numbers that phones label as spam. Don't trust or distrust a call by its number. Hang up, then reach the company yourself through the number or message centre inside its own app or Seller Central, typed in by hand. Never give a password, code or remote access to anyone who called you.",
            "电话号码不能证明任何事：来电显示很容易伪造（骗子会显示真实公司的号码），而真正的回电也常来自被手机标记为骚扰的随机号码。不要凭号码相信或怀疑一个电话。请挂断，然后自己通过该公司官方应用或卖家平台（Seller Central）里的电话或消息中心联系，号码请手动输入。不要把密码、验证码或远程控制权交给任何打来电话的人。",
        ),
        "",
    )
}

/// The profiles' published phone numbers parsed once per knowledge: (brand index, number
/// index, E.164).
struct PublishedPhones(Vec<(usize, usize, String)>);

/// The brand profiles' published numbers that equal this E.164 number: (brand id, label).
///
/// The profiles' numbers are parsed once per knowledge (parsing is the slow part of a text check
/// that mentions a number), then compared as strings.
pub fn published_matches<'a>(knowledge: &'a Knowledge, e164: &str) -> Vec<(&'a str, &'a str)> {
    let PublishedPhones(parsed) = knowledge.derived(|k| {
        let mut v = Vec::new();
        for (bi, b) in k.brands().iter().enumerate() {
            for (pi, p) in b.phone.iter().enumerate() {
                if let Some(e) = analyze(&p.number, Some("US")).e164 {
                    v.push((bi, pi, e));
                }
            }
        }
        PublishedPhones(v)
    });
    let mut out = Vec::new();
    for (bi, pi, e) in parsed {
        if e == e164
            && let Some(b) = knowledge.brand(*bi)
            && let Some(p) = b.phone.get(*pi)
        {
            out.push((b.id.as_str(), p.label.as_str()));
        }
    }
    out
}

/// Findings about one number (without the caller-ID explanation, which a report adds once).
pub fn findings(
    knowledge: &Knowledge,
    info: &PhoneInfo,
    mark: Option<UserMark>,
) -> (Vec<Finding>, Option<String>) {
    let mut f = Vec::new();
    let mut brand = None;
    let ev = if let Some(e) = &info.e164 {
        e.clone()
    } else {
        info.input.clone()
    };
    match info.class {
        PhoneClass::ShortCode => f.push(Finding::new(
            "phone.short_code",
            Severity::Info,
            Message::new(
                "This is a short code (3-6 digits), used for bulk or service text messages. Short codes can't be checked; judge the message by what it asks you to do.",
                "这是短号码（3到6位），用于群发或服务短信。短号码无法核查；请根据短信要求您做什么来判断。",
            ),
            ev.clone(),
        )),
        PhoneClass::NotANumber => f.push(Finding::new(
            "phone.not_a_number",
            Severity::Info,
            Message::new(
                "This is not a valid phone number (wrong number of digits or characters that don't belong in a number).",
                "这不是有效的电话号码（位数不对或含有不属于号码的字符）。",
            ),
            ev.clone(),
        )),
        PhoneClass::Invalid => f.push(Finding::new(
            "phone.invalid",
            Severity::Info,
            Message::new(
                "This number can't exist in the numbering plan it seems to belong to; a call showing it had a faked caller ID.",
                "该号码在其所属的编号规则中不存在；显示此号码的来电使用了伪造的来电显示。",
            ),
            ev.clone(),
        )),
        PhoneClass::Valid => {
            let t = info.number_type.unwrap_or("unknown");
            let (en, zh) = type_words(t);
            let country = info.country.as_deref().unwrap_or("?");
            f.push(Finding::new(
                "phone.parsed",
                Severity::Info,
                Message::new(
                    format!("Number {ev}: country {country}, {en}."),
                    format!("号码 {ev}：国家/地区 {country}，{zh}。"),
                ),
                format!("{ev} {country} {t}"),
            ));
            if t == "premium_rate" {
                f.push(Finding::new(
                    "phone.premium_rate",
                    Severity::Medium,
                    Message::new(
                        "This is a premium-rate number: calling or texting it costs you money. \"Call now to claim your prize\" messages use them.",
                        "这是付费声讯号码：拨打或发短信会扣费。“立即致电领奖”之类的骗局常用这种号码。",
                    ),
                    ev.clone(),
                ));
            }
            for (id, label) in published_matches(knowledge, &ev) {
                brand.get_or_insert_with(|| id.to_string());
                f.push(Finding::new(
                    "phone.brand_published",
                    Severity::Info,
                    Message::new(
                        format!("This is a number the brand publishes ({label}). It is a number you can call OUT to; a call or text that shows it proves nothing, because caller ID can be faked."),
                        format!("这是该品牌公布的号码（{label}）。它只是您可以主动拨出的号码；显示该号码的来电或短信不能证明任何事，因为来电显示可以伪造。"),
                    ),
                    ev.clone(),
                ));
            }
        }
    }
    match mark {
        Some(UserMark::Scam) => f.push(Finding::new(
            "phone.user_marked_scam",
            Severity::Medium,
            Message::new(
                "You marked this number as scam in your local list.",
                "您已在本地号码列表中把该号码标记为诈骗。",
            ),
            ev.clone(),
        )),
        Some(UserMark::Trusted) => f.push(Finding::new(
            "phone.user_marked_trusted",
            Severity::Info,
            Message::new(
                "You marked this number as trusted, but caller ID can be spoofed: a call showing it may still be someone else. Trust it only when you dialled it yourself.",
                "您已把该号码标记为可信，但来电显示可以伪造：显示此号码的来电仍可能是别人。只有您自己拨出时才可信。",
            ),
            ev.clone(),
        )),
        None => {}
    }
    (f, brand)
}

/// The key under which the user's list stores a number: E.164 when it parses, else the
/// normalised digits (so `+1 (888) 280-4331` and `18882804331` are the same entry).
pub fn list_key(input: &str, region: Option<&str>) -> Option<String> {
    let info = analyze(input, region);
    info.e164
        .or_else(|| (!info.normalized.is_empty()).then_some(info.normalized))
}

/// Verdict for one number (see the module notes for why it is nearly always unknown).
pub fn check(
    knowledge: &Knowledge,
    input: &str,
    region: Option<&str>,
    mark: Option<UserMark>,
) -> Report {
    let info = analyze(input, region);
    check_info(knowledge, &info, mark)
}

/// [`check`] for an already-analysed number.
pub fn check_info(knowledge: &Knowledge, info: &PhoneInfo, mark: Option<UserMark>) -> Report {
    let mut b = ReportBuilder::new(info.input.clone());
    let (f, brand) = findings(knowledge, info, mark);
    if let Some(id) = brand {
        b.brand(&id);
    }
    b.extend(f);
    b.push(caller_id_finding());
    b.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_facts_match_the_crate() {
        let db = &phonenumber::metadata::DATABASE;
        let mut inputs: Vec<String> = [
            "+1 650 253 0000",
            "+39 02 3661 8300",
            "+44 7912 345678",
            "+44 909 8790879",
            "+86 10 1234 5678",
            "+86 138 0013 8000",
            "+800 1234 5678",
            "+1 876 555 0123",
            "+1 800 555 0199",
            "+33 6 31 96 65 43",
            "+64 21 387 835",
            "+1 253 0000",
            "+1 268 464 1234",
            "+1 416 555 0100",
            "+7 912 345 67 89",
            "+7 701 234 5678",
            "+44 1624 756789",
            "+262 262 16 1234",
            "+47 51 23 45 67",
            "0114 496 0123",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Pseudo-random digit strings (fixed seed): every prefix shape, valid or not.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..400 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = 7 + (x % 9) as usize;
            let digits: String = (0..len)
                .map(|k| char::from(b'0' + ((x >> (k * 4)) % 10) as u8))
                .collect();
            inputs.push(if x.is_multiple_of(3) {
                format!("+{digits}")
            } else {
                digits
            });
        }
        let mut valid = 0;
        for n in &inputs {
            for r in [None, Some("US"), Some("CN"), Some("GB"), Some("IT")] {
                let Some(p) = parse_one(r.and_then(parse_region), n) else {
                    continue;
                };
                let want = p.is_valid().then(|| (p.number_type(db), p.country().id()));
                valid += usize::from(want.is_some());
                assert_eq!(valid_facts(&p), want, "{n} in {r:?}");
                let national = p.national().value().to_string();
                assert_eq!(
                    metadata_of(db, p.code().value(), &national).map(|m| m.id()),
                    p.metadata(db).map(|m| m.id()),
                    "{n} in {r:?}"
                );
            }
        }
        assert!(valid > 50, "too few valid numbers exercised: {valid}");
    }

    #[test]
    fn normalise_full_width_and_prefixes() {
        assert_eq!(
            normalize("＋８６ １３８-0013-8000", None).as_deref(),
            Some("+8613800138000")
        );
        assert_eq!(
            normalize("011 86 138 0013 8000", Some("US")).as_deref(),
            Some("+8613800138000")
        );
        assert_eq!(
            normalize("0114 496 0000", Some("GB")).as_deref(),
            Some("01144960000")
        );
        assert_eq!(normalize("1-888-FLOWERS", None), None);
        assert_eq!(normalize("", None), None);
    }

    #[test]
    fn e164_is_what_the_formatter_writes() {
        for (n, r) in [
            ("1-888-280-4331", "US"),
            ("011 86 138 0013 8000", "US"),
            ("09058094565", "GB"),
            ("+44 20 7946 0018", "GB"),
            ("+39 06 6982 0000", "US"),
            ("010 1234 5678", "CN"),
        ] {
            let i = analyze(n, Some(r));
            assert_eq!(i.class, PhoneClass::Valid, "{n}");
            let norm = normalize(n, Some(r)).unwrap();
            let region = if norm.starts_with('+') {
                None
            } else {
                parse_region(r)
            };
            let p = phonenumber::parse(region, norm).unwrap();
            assert_eq!(
                i.e164,
                Some(p.format().mode(phonenumber::Mode::E164).to_string()),
                "{n}"
            );
        }
    }

    #[test]
    fn parse_kinds() {
        let i = analyze("1-888-280-4331", None);
        assert_eq!(i.class, PhoneClass::Valid);
        assert_eq!(i.e164.as_deref(), Some("+18882804331"));
        assert_eq!(i.number_type, Some("toll_free"));
        assert_eq!(i.country.as_deref(), Some("US"));
        let i = analyze("011 86 138 0013 8000", Some("US"));
        assert_eq!(i.e164.as_deref(), Some("+8613800138000"));
        assert_eq!(i.country.as_deref(), Some("CN"));
        assert_eq!(i.number_type, Some("mobile"));
        assert_eq!(analyze("87066", None).class, PhoneClass::ShortCode);
        assert_eq!(analyze(&"9".repeat(40), None).class, PhoneClass::NotANumber);
        assert_eq!(
            analyze("09058094565", Some("GB")).number_type,
            Some("premium_rate")
        );
    }

    #[test]
    fn short_code_words_fold_only_to_long_s() {
        // `may_have_english_short_code` relies on this: the only non-ASCII characters that
        // Unicode case folding matches with the letters of its words are `ſ` (s) and `K`
        // (Kelvin sign, k: not among the words' letters).
        let re = Regex::new(r"(?i)[textsmndrplycai]").unwrap();
        let extra: Vec<char> = (0x80..=0x10FFFFu32)
            .filter_map(char::from_u32)
            .filter(|c| re.is_match(&c.to_string()))
            .collect();
        assert_eq!(extra, vec!['\u{17f}']);
    }

    fn short_codes_by_combined_regex(t: &str) -> Vec<&str> {
        short_code_re()
            .captures_iter(t)
            .filter_map(|c| c.get(1).or_else(|| c.get(2)).map(|m| m.as_str()))
            .collect()
    }

    #[test]
    fn short_codes_match_the_combined_regex() {
        for t in [
            "回复TD到10086退订",
            "发送1到12345, call 87066 now",
            "txt MUSIC to 87066 now 回复1到95555",
            "ſms 12345 回复2到95566",
            "拨打 95588 或致电95533",
            "中call 12345 中 call 12345 中xcall 123 CALL\n123 reply回复12345",
            "é text 123 éText 456 sms 1234567 dial 99999 发短信12345678",
        ] {
            assert_eq!(short_codes(t), short_codes_by_combined_regex(t), "{t}");
        }
        // Random mixes of the pieces that matter: words, separators, digit runs, Chinese verbs,
        // word characters of other scripts.
        let pieces = [
            "call",
            "CALL",
            "Text",
            "txt",
            "sms",
            "send",
            "reply",
            "dial",
            " ",
            "  ",
            "\n",
            "-",
            "12",
            "123",
            "12345",
            "123456",
            "1234567",
            "回复",
            "发送",
            "拨打",
            "致电",
            "发短信",
            "到",
            "中",
            "é",
            "x",
            "a",
            ".",
            "，",
            "ſ",
        ];
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..3000 {
            let mut t = String::new();
            for _ in 0..(x % 24) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                t.push_str(pieces[(x % pieces.len() as u64) as usize]);
            }
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            assert_eq!(short_codes(&t), short_codes_by_combined_regex(&t), "{t:?}");
        }
    }

    #[test]
    fn find_numbers_in_sentences() {
        let v = find_in_text(
            "Call 1-888-280-4331 now, order #219-6044388-8470 for $1,537.35 on 2024-05-21",
        );
        assert_eq!(v, vec!["1-888-280-4331"]);
        let v = find_in_text("请拨打（０１０）１２３４５６７８或回复TD到10086");
        assert!(v.iter().any(|s| s.contains("１２３４５６７８")), "{v:?}");
        assert!(v.iter().any(|s| s == "10086"), "{v:?}");
        let v = find_in_text("txt MUSIC to 87066 now");
        assert_eq!(v, vec!["87066"]);
    }
}
