//! Reading one number: normalise what was written (full-width digits, international
//! prefixes), parse it with the `phonenumber` crate (the user's region, or the default
//! regions in turn) and classify it.

use phonenumber::{PhoneNumber, Type, country::Id};

use super::metadata::valid_facts;
use super::{DEFAULT_REGIONS, MAX_DIGITS, MAX_INPUT, PhoneClass, PhoneInfo, SHORT_CODE};

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

/// Parse a region code (`us`, `CN`) into the crate's id; `None` if unknown.
pub fn parse_region(code: &str) -> Option<Id> {
    code.trim().to_ascii_uppercase().parse().ok()
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

pub(super) fn digit_count(s: &str) -> usize {
    s.bytes().filter(u8::is_ascii_digit).count()
}

pub(super) fn parse_one(region: Option<Id>, n: &str) -> Option<PhoneNumber> {
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
pub(super) enum Tried {
    /// Stopped before parsing, or parsed with a `+` or an explicit region.
    Other,
    /// Parsed with the default regions; the index of the first that gave a valid number.
    Regions { valid_at: Option<usize> },
}

pub(super) fn analyze_keep(input: &str, region: Option<&str>) -> (PhoneInfo, Tried) {
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

/// The key under which the user's list stores a number: E.164 when it parses, else the
/// normalised digits (so `+1 (888) 280-4331` and `18882804331` are the same entry).
pub fn list_key(input: &str, region: Option<&str>) -> Option<String> {
    let info = analyze(input, region);
    info.e164
        .or_else(|| (!info.normalized.is_empty()).then_some(info.normalized))
}
