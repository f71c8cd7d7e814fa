//! The `phonenumber` crate's validity and type lookups, step for step, without its costly
//! regex cache: what makes a text with a number in it cheap to check.

use std::sync::OnceLock;

use phonenumber::{PhoneNumber, Type, country::Id};
use regex::Regex;

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
pub(super) fn valid_facts(p: &PhoneNumber) -> Option<(Type, Option<Id>)> {
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
pub(super) fn number_type_of(meta: &phonenumber::Metadata, value: &str) -> Type {
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
pub(super) fn metadata_of<'d>(
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
pub(super) fn desc_match(d: &phonenumber::metadata::Descriptor, value: &str) -> bool {
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
pub(super) const MAX_FAST_REGEXES: usize = 4096;

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
///
/// The values are national numbers, ASCII digits, so the patterns are compiled without
/// Unicode classes (see [`compile_for_ascii`]): the same matches on ASCII text, from automata
/// a fraction of the size.
pub(super) fn starts_at_0(src: &str, value: &str, slow: impl FnOnce() -> bool) -> bool {
    type Fast = std::sync::RwLock<rustc_hash::FxHashMap<(usize, usize), Option<Compiled>>>;
    static FAST: OnceLock<Fast> = OnceLock::new();
    let key = (src.as_ptr() as usize, src.len());
    let fast = FAST.get_or_init(Default::default);
    if let Ok(map) = fast.read()
        && let Some(compiled) = map.get(&key)
    {
        return fast_find(compiled.as_ref(), value).unwrap_or_else(slow);
    }
    let compiled = compile_for_ascii(src);
    let hit = fast_find(compiled.as_ref(), value).unwrap_or_else(slow);
    if let Ok(mut map) = fast.write()
        && map.len() < MAX_FAST_REGEXES
    {
        map.entry(key).or_insert(compiled);
    }
    hit
}

/// Whether `compiled`'s leftmost match in `value` starts at 0; `None` when it cannot tell
/// (not compiled, or compiled in ASCII mode and `value` is not ASCII).
fn fast_find(compiled: Option<&Compiled>, value: &str) -> Option<bool> {
    let c = compiled.filter(|c| c.unicode || value.is_ascii())?;
    Some(c.regex.find(value).is_some_and(|m| m.start() == 0))
}

/// A metadata regex compiled here, and whether it has its Unicode classes.
pub(super) struct Compiled {
    pub(super) regex: Regex,
    /// False: compiled in ASCII mode, exact only on ASCII text.
    pub(super) unicode: bool,
}

/// `src` compiled with the crate's options, in ASCII mode where the pattern allows it.
///
/// Why: in Unicode mode every `\d` is any of some 700 decimal digits of all scripts, and the
/// metadata's patterns are mostly `\d{n}` runs; their automata (and the lazy DFAs' caches)
/// took several megabytes once a text touched a few dozen countries. On ASCII text the two
/// modes match the same: each Unicode class restricted to ASCII is its ASCII class. A pattern
/// that could then match invalid UTF-8 (a negated class) is refused by `regex` and is compiled
/// in Unicode mode instead.
pub(super) fn compile_for_ascii(src: &str) -> Option<Compiled> {
    let build = |unicode: bool| {
        regex::RegexBuilder::new(src)
            .ignore_whitespace(true)
            .unicode(unicode)
            .size_limit(10 * (1 << 20))
            .dfa_size_limit(2 * (1 << 20))
            .build()
            .ok()
            .map(|regex| Compiled { regex, unicode })
    };
    build(false).or_else(|| build(true))
}
