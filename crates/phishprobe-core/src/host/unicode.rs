//! Unicode look-alike checks for one label: skeletons (TR39), mixed scripts, invisible and
//! combining characters.

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

/// Characters a reader cannot see or that change how a neighbour looks.
pub fn hidden_chars(s: &str) -> Vec<char> {
    // None of them is ASCII.
    if s.is_ascii() {
        return Vec::new();
    }
    s.chars()
        .filter(|&c| {
            matches!(c,
                '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}'
                | '\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}')
                || is_combining(c)
        })
        .collect()
}

/// Combining marks (general category M*), approximated by the Unicode blocks that hold them.
fn is_combining(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}' | '\u{0483}'..='\u{0489}' | '\u{0591}'..='\u{05BD}'
        | '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}' | '\u{0730}'..='\u{074A}'
        | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}'
        | '\u{FE20}'..='\u{FE2F}')
}

/// "U+0430 (Cyrillic)" for the evidence line.
pub fn describe_char(c: char) -> String {
    let script = c.script();
    if script == Script::Common || script == Script::Inherited || script == Script::Unknown {
        format!("U+{:04X}", c as u32)
    } else {
        format!("U+{:04X} ({})", c as u32, script.full_name())
    }
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
    fn scripts_and_hidden() {
        assert!(is_mixed_script("аmazon"));
        assert!(!is_mixed_script("amazon"));
        assert!(!is_mixed_script("アマゾン"));
        assert_eq!(hidden_chars("am\u{200B}azon"), vec!['\u{200B}']);
        assert_eq!(hidden_chars("a\u{0301}"), vec!['\u{0301}']);
        assert!(point_out("аmazon").contains("U+0430 (Cyrillic) looks like 'a'"));
    }
}
