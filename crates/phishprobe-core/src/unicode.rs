//! Unicode look-alike checks for one label: skeletons (TR39), mixed scripts, invisible and
//! combining characters; and the look-alike letters the text normaliser maps to Latin.

use unicode_script::{Script, UnicodeScript};
use unicode_security::MixedScript;

/// Map a label to its TR39 skeleton, lowercased (TR39 maps `0` to capital `O`, so lowercase
/// after skeletonising or `amaz0n` and `amazon` never meet).
///
/// TR39 also maps `m` to `rn` (its prototype); we fold `rn` back to `m` so that skeletons meet
/// the brand tokens as written (`amazon`, not `arnazon`).
pub fn skeleton(label: &str) -> String {
    let s: String = unicode_security::skeleton(label)
        .flat_map(char::to_lowercase)
        .collect();
    if s.contains("rn") {
        s.replace("rn", "m")
    } else {
        s
    }
}

/// ASCII-only folding of the TR39 look-alikes that survive in plain hostnames: digits that
/// look like letters and letter pairs that look like one letter. `None` when nothing changes.
pub fn fold_ascii(token: &str) -> Option<String> {
    let mut out = String::new();
    fold_ascii_into(token, &mut out).then_some(out)
}

/// Whether [`fold_ascii`] would change `token` (`0`, `1`, `rn` or `vv` in it): one scan, no
/// allocation, so the common plain token costs almost nothing.
pub fn needs_fold(token: &str) -> bool {
    let b = token.as_bytes();
    b.iter().enumerate().any(|(i, &c)| match c {
        b'0' | b'1' => true,
        b'r' => b.get(i + 1) == Some(&b'n'),
        b'v' => b.get(i + 1) == Some(&b'v'),
        _ => false,
    })
}

/// [`fold_ascii`] into a reused buffer (cleared first); returns whether anything changed.
/// One left-to-right pass: `0`→`o`, `1`→`l`, `rn`→`m`, `vv`→`w` (the pairs never overlap each
/// other, so this equals replacing them one after another).
pub fn fold_ascii_into(token: &str, out: &mut String) -> bool {
    out.clear();
    if !needs_fold(token) {
        return false;
    }
    let mut rest = token;
    while let Some(c) = rest.chars().next() {
        let two = rest.get(..2);
        let (put, used) = match c {
            '0' => ('o', 1),
            '1' => ('l', 1),
            'r' if two == Some("rn") => ('m', 2),
            'v' if two == Some("vv") => ('w', 2),
            _ => (c, c.len_utf8()),
        };
        out.push(put);
        rest = rest.get(used..).unwrap_or("");
    }
    true
}

/// Whether the label mixes scripts in a way TR39 calls mixed (Latin with Cyrillic, say).
/// Japanese, Chinese and Korean mixes that are normal writing are single-script by TR39.
pub fn is_mixed_script(label: &str) -> bool {
    !label.is_single_script()
}

/// What Chromium-style IDN rules find wrong with one Unicode label, for any name (no brand
/// needed). Each would make a browser show the name as punycode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spoof {
    /// Letters of Latin mixed with Cyrillic or Greek, or any mix TR39 does not allow in one
    /// label ("highly restrictive" profile).
    MixedScript,
    /// Written entirely in Cyrillic or Greek letters that all look like Latin ones (`аррӏе`),
    /// under an ending that does not expect that script.
    WholeScript(&'static str),
    /// A digit or digit look-alike from another script beside ASCII (`੨`, `৪`), or a label of
    /// only such look-alikes.
    DigitLookalike(char),
    /// A character browsers treat as dangerous in names (Katakana middle dot outside Japanese,
    /// middle dot outside `l·l`, dotless i or j, kra, modifier apostrophes, look-alike stops).
    Dangerous(char),
}

/// Endings where a whole-script Cyrillic or Greek label is ordinary writing (the country-code
/// and script endings of the countries that write it; Chromium's rule for whole-script
/// confusables). Compared with the ending's Unicode form.
const CYRILLIC_ENDINGS: &[&str] = &[
    "ru",
    "su",
    "ua",
    "by",
    "kz",
    "kg",
    "tj",
    "uz",
    "bg",
    "mk",
    "rs",
    "me",
    "ba",
    "mn",
    "рф",
    "рус",
    "укр",
    "бел",
    "срб",
    "мкд",
    "қаз",
    "мон",
    "бг",
    "москва",
    "дети",
    "сайт",
    "онлайн",
    "орг",
    "ком",
];
const GREEK_ENDINGS: &[&str] = &["gr", "cy", "ελ", "ευ"];

/// Characters browsers refuse to show in names whatever the script around them.
fn is_dangerous(c: char) -> bool {
    matches!(
        c,
        '\u{0131}' // dotless i
            | '\u{0237}' // dotless j
            | '\u{0138}' // kra
            | '\u{02BB}' | '\u{02BC}' | '\u{02B9}' | '\u{02BA}' | '\u{02C2}' | '\u{02C3}'
            | '\u{02C4}' | '\u{02C5}' | '\u{02D0}' // modifier letters that look like punctuation
            | '\u{0589}' | '\u{05C3}' | '\u{05F4}' | '\u{0701}'
            ..='\u{0704}' // look-alike stops and colons
            | '\u{3014}' | '\u{3015}' | '\u{3002}' | '\u{FF0E}' | '\u{FF61}' // ideographic stops and brackets
            | '\u{2027}' | '\u{2024}' | '\u{2044}' | '\u{2215}' | '\u{29F8}' // dot leaders, slashes
    )
}

/// Whether `c` stands for an ASCII digit: a decimal digit of another script, or a character
/// whose TR39 skeleton is an ASCII digit (`੨` looks like `2`).
fn is_digit_lookalike(c: char) -> bool {
    if c.is_ascii() {
        return false;
    }
    if c.is_numeric() {
        return true;
    }
    let mut buf = [0u8; 4];
    let mut sk = unicode_security::skeleton(c.encode_utf8(&mut buf));
    matches!((sk.next(), sk.next()), (Some(d), None) if d.is_ascii_digit())
}

/// The first problem IDN display rules find in `label` (a Unicode label with something
/// non-ASCII in it), judged against its ending `tld` (Unicode form). `None`: it would be shown.
pub fn spoof_check(label: &str, tld: &str) -> Option<Spoof> {
    let mut has_ascii = false;
    let mut lookalike_digit = None;
    let mut only_digitish = true;
    let mut japanese = false;
    for c in label.chars() {
        if c.is_ascii() {
            has_ascii |= c.is_ascii_alphanumeric();
            only_digitish &= c.is_ascii_digit() || c == '-';
            continue;
        }
        if is_dangerous(c) {
            return Some(Spoof::Dangerous(c));
        }
        if is_digit_lookalike(c) {
            lookalike_digit.get_or_insert(c);
        } else {
            only_digitish = false;
        }
        japanese |= matches!(
            c.script(),
            Script::Hiragana | Script::Katakana | Script::Han
        );
    }
    if let Some(d) = lookalike_digit
        && (has_ascii || only_digitish)
    {
        return Some(Spoof::DigitLookalike(d));
    }
    for (i, c) in label.char_indices() {
        match c {
            // Katakana middle dot: only between Japanese characters.
            '\u{30FB}' if !japanese => return Some(Spoof::Dangerous(c)),
            // Middle dot: only in Catalan `l·l`.
            '\u{00B7}' => {
                let before = label.get(..i).and_then(|s| s.chars().last());
                let after = label.get(i + c.len_utf8()..).and_then(|s| s.chars().next());
                if before != Some('l') || after != Some('l') {
                    return Some(Spoof::Dangerous(c));
                }
            }
            _ => {}
        }
    }
    if is_mixed_script(label) || latin_with_cyrillic_or_greek(label) {
        return Some(Spoof::MixedScript);
    }
    // Whole-script confusables: every letter Cyrillic (or Greek) and the skeleton plain Latin.
    let letters = || label.chars().filter(|c| c.is_alphabetic());
    for (script, name, endings) in [
        (Script::Cyrillic, "Cyrillic", CYRILLIC_ENDINGS),
        (Script::Greek, "Greek", GREEK_ENDINGS),
    ] {
        if letters().next().is_some()
            && letters().all(|c| c.script() == script)
            && !endings.contains(&tld)
        {
            let sk = skeleton(label);
            if !sk.is_empty()
                && sk
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Some(Spoof::WholeScript(name));
            }
        }
    }
    None
}

/// Latin letters beside Cyrillic or Greek ones: never allowed in one label (Chromium), even
/// where TR39 would call the label single-script.
fn latin_with_cyrillic_or_greek(label: &str) -> bool {
    let (mut latin, mut other) = (false, false);
    for c in label.chars() {
        match c.script() {
            Script::Latin => latin = true,
            Script::Cyrillic | Script::Greek => other = true,
            _ => {}
        }
    }
    latin && other
}

/// Characters that show nothing and are used to split or pad words invisibly: soft hyphens,
/// zero-width spaces and joiners, bidi controls, variation selectors, Hangul fillers, tags.
/// The one table of the workspace: the text normaliser drops them, the host check reports them.
/// Inlined into other crates' character loops.
#[inline]
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{E0000}'..='\u{E0FFF}')
}

/// Characters a reader cannot see or that change how a neighbour looks: the invisible ones
/// ([`is_invisible`]), musical-notation format controls and stacked marks
/// ([`is_stacked_mark`]).
pub fn hidden_chars(s: &str) -> Vec<char> {
    // None of them is ASCII.
    if s.is_ascii() {
        return Vec::new();
    }
    s.chars()
        .filter(|&c| {
            is_invisible(c) || matches!(c, '\u{1D173}'..='\u{1D17A}') || is_stacked_mark(c)
        })
        .collect()
}

/// Combining marks ([`is_combining_mark`]) of the blocks of accents and points that stack on
/// a letter or symbol without spelling anything (Latin, Greek, Cyrillic, Hebrew, Arabic and
/// Syriac marks, the extended and supplementary diacritics, marks for symbols, half marks).
/// The vowel signs of Indic and South-East Asian scripts are marks too, but they spell the
/// word of a name in those scripts, so they are not counted.
fn is_stacked_mark(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}' | '\u{0483}'..='\u{0489}' | '\u{0591}'..='\u{05BD}'
        | '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}' | '\u{0730}'..='\u{074A}'
        | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}'
        | '\u{FE20}'..='\u{FE2F}')
        && is_combining_mark(c)
}

/// Whether `c` is a combining mark (general category M: accents, vowel signs, the marks
/// stacked on letters to break up a word). The one test of the workspace: the normaliser
/// drops them, the mail evidence points them out.
#[inline]
pub fn is_combining_mark(c: char) -> bool {
    unicode_normalization::char::is_combining_mark(c)
}

/// The Latin letter a Greek or Cyrillic letter (or one of a few other letters) looks like, as
/// written: the one look-alike table of the workspace, mapped by the text normaliser in both
/// its forms and pointed out in mail sender lines.
///
/// Case matters, because the capital and the small letter often imitate different Latin
/// letters: Greek `Μ` is `m` but `μ` is `u`, `Η` is `h` but `η` is `n`, `Ν` is `n` but `ν` is
/// `v`, `Υ` is `y` but `υ` is `u`. A capital whose small letter is listed but which looks like
/// no Latin letter itself (Greek `Γ`, `Σ`, `Ω`, Cyrillic `Г`, `П`) is not listed, and the
/// normaliser only lowercases it. Mapped in any text: the pattern files and brand words are
/// Latin and Chinese, so a Russian or Greek word turning into Latin gibberish costs nothing, and
/// the mail counts a look-alike as a trick only inside a word that also has Latin letters.
pub fn lookalike(c: char) -> Option<char> {
    Some(match c {
        // Greek capitals
        'Α' => 'a',
        'Β' => 'b',
        'Ϲ' => 'c',
        'Ε' => 'e',
        'Η' => 'h',
        'Ι' | 'Ί' => 'i',
        'Κ' => 'k',
        'Μ' => 'm',
        'Ν' => 'n',
        'Ο' | 'Ό' => 'o',
        'Ρ' => 'p',
        'Τ' => 't',
        'Χ' => 'x',
        'Υ' => 'y',
        'Ζ' => 'z',
        // Greek small letters
        'α' => 'a',
        'β' => 'b',
        'ϲ' | 'ς' => 'c',
        'ε' => 'e',
        'ι' | 'ί' => 'i',
        'κ' => 'k',
        'η' => 'n',
        'ο' | 'ό' | 'σ' => 'o',
        'ρ' => 'p',
        'τ' => 't',
        'μ' | 'υ' => 'u',
        'ν' => 'v',
        'ω' => 'w',
        'χ' => 'x',
        'γ' => 'y',
        // Cyrillic capitals
        'А' => 'a',
        'В' => 'b',
        'С' => 'c',
        'Ԁ' => 'd',
        'Е' | 'Ё' | 'Ҽ' => 'e',
        'Н' | 'Һ' => 'h',
        'І' | 'Ї' | 'Ӏ' => 'i',
        'Ј' => 'j',
        'К' => 'k',
        'М' => 'm',
        'О' => 'o',
        'Р' => 'p',
        'Ԛ' => 'q',
        'Ѕ' => 's',
        'Т' => 't',
        'Ѵ' => 'v',
        'Ш' | 'Ԝ' => 'w',
        'Х' => 'x',
        'У' | 'Ү' => 'y',
        // Cyrillic small letters
        'а' => 'a',
        'в' => 'b',
        'с' => 'c',
        'ԁ' => 'd',
        'е' | 'ё' | 'ҽ' => 'e',
        'н' | 'һ' => 'h',
        'і' | 'ї' | 'ӏ' => 'i',
        'ј' => 'j',
        'к' => 'k',
        'м' => 'm',
        'п' => 'n',
        'о' => 'o',
        'р' => 'p',
        'ԛ' => 'q',
        'г' => 'r',
        'ѕ' => 's',
        'т' => 't',
        'ѵ' => 'v',
        'ш' | 'ԝ' => 'w',
        'х' => 'x',
        'у' | 'ү' => 'y',
        // Latin letters that pass for another (dotless i, script g, small capital z) and
        // the script small l (NFKC and NFKD make it `l` already).
        'ı' => 'i',
        'ɡ' => 'g',
        'ᴢ' => 'z',
        'ℓ' => 'l',
        _ => return None,
    })
}

/// "U+0430 (Cyrillic)" for an evidence line: the code point, its script, and what it is when
/// it shows nothing or stacks on its neighbour ("U+200B (zero-width)", "U+073F (Syriac,
/// combining mark)"). The one description of a character, for host names and mail alike.
pub fn describe_char(c: char) -> String {
    let script = c.script();
    let script = (!matches!(script, Script::Common | Script::Inherited | Script::Unknown))
        .then(|| script.full_name());
    match (script, hidden_kind(c)) {
        (Some(s), Some(k)) => format!("U+{:04X} ({s}, {k})", c as u32),
        (Some(s), None) | (None, Some(s)) => format!("U+{:04X} ({s})", c as u32),
        (None, None) => format!("U+{:04X}", c as u32),
    }
}

/// What an invisible character ([`is_invisible`]) or combining mark is, in a word or two.
fn hidden_kind(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => "zero-width",
        '\u{061C}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}' => "bidi control",
        '\u{180B}'..='\u{180D}'
        | '\u{180F}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{E0100}'..='\u{E01EF}' => "variation selector",
        '\u{E0000}'..='\u{E007F}' => "tag character",
        '\u{00AD}' => "soft hyphen",
        c if is_combining_mark(c) => "combining mark",
        c if is_invisible(c) => "invisible",
        _ => return None,
    })
}

/// Each non-ASCII character of `label` with what it imitates, e.g.
/// `'а' U+0430 (Cyrillic) looks like 'a'`.
pub fn point_out(label: &str) -> String {
    let mut parts = Vec::new();
    for c in label.chars().filter(|c| !c.is_ascii()) {
        let sk = skeleton(&c.to_string());
        let like = if sk.is_ascii() && !sk.is_empty() {
            format!(" looks like '{sk}'")
        } else {
            String::new()
        };
        let entry = format!("'{c}' {}{like}", describe_char(c));
        if !parts.contains(&entry) {
            parts.push(entry);
        }
        if parts.len() >= 8 {
            break;
        }
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skeleton_meets_ascii() {
        assert_eq!(skeleton("аmаzоn"), "amazon");
        assert_eq!(skeleton("amaz0n"), "amazon");
        assert_eq!(skeleton("Αmazon"), "amazon");
    }

    #[test]
    fn folds() {
        assert_eq!(fold_ascii("amaz0n").as_deref(), Some("amazon"));
        assert_eq!(fold_ascii("arnazon").as_deref(), Some("amazon"));
        assert_eq!(fold_ascii("paypa1").as_deref(), Some("paypal"));
        assert_eq!(fold_ascii("shop"), None);
        assert_eq!(fold_ascii("river"), None);
        assert_eq!(fold_ascii("vvvrnn0").as_deref(), Some("wvmno"));
        assert_eq!(fold_ascii("ä1").as_deref(), Some("äl"));
    }

    #[test]
    fn lookalikes_by_case() {
        for (c, l) in [
            ('Μ', 'm'),
            ('μ', 'u'),
            ('Η', 'h'),
            ('η', 'n'),
            ('Ν', 'n'),
            ('ν', 'v'),
            ('Υ', 'y'),
            ('υ', 'u'),
            ('п', 'n'),
            ('г', 'r'),
            ('Н', 'h'),
            ('н', 'h'),
            ('а', 'a'),
            ('А', 'a'),
        ] {
            assert_eq!(lookalike(c), Some(l), "{c}");
        }
        // A capital whose small letter is listed is listed too, unless it looks like no Latin
        // letter.
        let unlike = ['Γ', 'Σ', 'Ω', 'Г', 'П'];
        for c in ('\u{0370}'..='\u{052F}').filter(|c| c.is_uppercase()) {
            let mut small = c.to_lowercase();
            if let (Some(s), None) = (small.next(), small.next())
                && lookalike(s).is_some()
            {
                assert!(
                    lookalike(c).is_some() != unlike.contains(&c),
                    "{c} U+{:04X}",
                    c as u32
                );
            }
        }
        for c in unlike {
            assert_eq!(lookalike(c), None, "{c}");
        }
        assert_eq!(lookalike('a'), None);
        assert_eq!(lookalike('ж'), None);
    }

    #[test]
    fn scripts_and_hidden() {
        assert!(is_mixed_script("аmazon"));
        assert!(!is_mixed_script("amazon"));
        assert!(!is_mixed_script("アマゾン"));
        assert_eq!(hidden_chars("am\u{200B}azon"), vec!['\u{200B}']);
        assert_eq!(hidden_chars("a\u{0301}"), vec!['\u{0301}']);
        // A Devanagari vowel sign spells the word; an unassigned point in a mark block is no mark.
        assert!(hidden_chars("\u{092D}\u{093E}\u{0930}\u{0924}").is_empty());
        assert!(hidden_chars("a\u{20FF}").is_empty());
        assert!(point_out("аmazon").contains("U+0430 (Cyrillic) looks like 'a'"));
        for (c, said) in [
            ('а', "U+0430 (Cyrillic)"),
            ('Α', "U+0391 (Greek)"),
            ('\u{200B}', "U+200B (zero-width)"),
            ('\u{202E}', "U+202E (bidi control)"),
            ('\u{FE0F}', "U+FE0F (variation selector)"),
            ('\u{E0041}', "U+E0041 (tag character)"),
            ('\u{00AD}', "U+00AD (soft hyphen)"),
            ('\u{3164}', "U+3164 (Hangul, invisible)"),
            ('\u{0301}', "U+0301 (combining mark)"),
            ('\u{034F}', "U+034F (combining mark)"),
            ('\u{073F}', "U+073F (Syriac, combining mark)"),
            ('ℓ', "U+2113"),
            ('-', "U+002D"),
        ] {
            assert_eq!(describe_char(c), said);
        }
    }
}
