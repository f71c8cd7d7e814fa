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

mod extract;
mod findings;
mod metadata;
mod parse;

use serde::Serialize;

use crate::knowledge::Knowledge;
use crate::model::{Report, ReportBuilder};

pub use extract::{find_in_text, find_spans_in_text};
use findings::caller_id_finding;
pub use findings::{findings, published_matches};
pub use parse::{analyze, analyze_for_text, list_key, normalize, parse_region, type_name};

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
    /// What the text turned out to be.
    pub class: PhoneClass,
    /// The number in E.164 (`+12065550100`), when it parsed as a number.
    pub e164: Option<String>,
    /// ISO 3166 region (`US`, `CN`, `GB`...), when the number belongs to one.
    pub country: Option<String>,
    /// The country calling code (`1`, `86`), when it parsed.
    pub calling_code: Option<u16>,
    /// `mobile`, `toll_free`, `premium_rate`, `voip`, `fixed_line`, ... (see [`type_name`]).
    pub number_type: Option<&'static str>,
}

/// What the user's own local list says about a number (looked up by the caller: the core does
/// no I/O).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserMark {
    /// The user trusts it (still proves nothing: caller ID can be spoofed).
    Trusted,
    /// The user marked it as a scam number.
    Scam,
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
mod tests;
