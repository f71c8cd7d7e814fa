//! The one text normaliser: what the patterns, brand words and mail cues are matched against.
//!
//! Scam texts dodge keyword filters with full-width letters (`ｐａｓｓｗｏｒｄ`), look-alike
//! Cyrillic/Greek letters (`pаsswоrd` with Cyrillic а/о), zero-width characters
//! (`pass\u{200b}word`), emoji between words, combining marks (`Aܿmܿaܿzܿoܿn`) and spaced-out or
//! dotted words (`p a s s w o r d`, `p.a.s.s.w.o.r.d`). One pass undoes these and lowercases,
//! so the patterns (written in lowercase) see one plain form.
//!
//! One implementation serves call, SMS, page and mail text, so a trick undone for one is
//! undone for all (a new invisible character, look-alike letter or fast path lands once), and
//! the uses differ only where a setting of theirs says so. It has two settings, one per use,
//! and shares everything else (the ASCII and CJK fast paths, the invisible-character test
//! [`crate::unicode::is_invisible`], the combining-mark test
//! [`crate::unicode::is_combining_mark`], the one look-alike table
//! [`crate::unicode::lookalike`], which knows that a capital and its small letter may imitate
//! different Latin letters: Greek `Μ` is `m`, `μ` is `u`):
//!
//! - [`normalize`], for call, SMS and page text: compatibility decomposition (NFKD) with every
//!   combining mark dropped (`Müller` -> `muller`), `0` between letters read as `o`
//!   (`bl0cked`), emoji made a space, spaced-out letters joined; it keeps maps from normalised
//!   byte offsets back to the original ([`Normalized::original_range`]), through both passes
//!   (characters, then spaced-out letters joined), because everything reported — links, phone
//!   numbers, evidence snippets — is cut from the characters the person actually received.
//!   The maps only hold the places where the texts differ, so plain ASCII text costs nothing.
//! - [`fold`], for mail (brand words, lure phrases): compatibility composition (NFKC), so
//!   accented letters stay as they are (`Müller` -> `müller`, as the mail's phrase lists in
//!   eight languages are written) and only the marks left over are dropped; digits,
//!   spaced-out letters and emoji stay as they are; `™` and `℠` become a space
//!   (`mcafee™` -> `mcafee `) so the brand word before them stays a word. It keeps no offsets
//!   (nothing the mail reports is cut from folded text) but counts what it had to undo
//!   *inside a word* ([`Folded::tricks`]), which genuine senders never need to do: in Latin,
//!   Greek, Cyrillic and Chinese words, not in the scripts whose ordinary spelling uses marks
//!   and joiners (Hindi, Arabic, Persian, Hebrew, Thai).
//!
//! Normalisation is for matching only; its text is never shown to anyone.

use std::borrow::Cow;

use unicode_normalization::char::decompose_compatible;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};
use unicode_script::{Script, UnicodeScript};

use crate::unicode::{is_combining_mark, is_invisible, lookalike};

/// The settings of one use of the normaliser (the module notes say why each differs).
#[derive(Debug, Clone, Copy)]
struct Form {
    /// Compatibility decomposition, every combining mark dropped (`true`), or compatibility
    /// composition, accented letters kept (`false`).
    decompose: bool,
    /// `0` between two ASCII letters read as `o` (`bl0cked`).
    zero_as_o: bool,
    /// Runs of single letters or digits with one separator between them joined (`p a y p a l`).
    join_spaced: bool,
    /// Emoji and pictographs made a space (`click👉here` -> `click here`).
    emoji_as_space: bool,
    /// `™` and `℠` made a space instead of their compatibility letters (`tm`, `sm`).
    trademark_as_space: bool,
}

impl Form {
    /// Call, SMS and page text ([`normalize`]).
    const TEXT: Form = Form {
        decompose: true,
        zero_as_o: true,
        join_spaced: true,
        emoji_as_space: true,
        trademark_as_space: false,
    };
    /// Mail text ([`fold`]).
    const MAIL: Form = Form {
        decompose: false,
        zero_as_o: false,
        join_spaced: false,
        emoji_as_space: false,
        trademark_as_space: true,
    };

    fn sign_as_space(&self, c: char) -> bool {
        self.trademark_as_space && matches!(c, '\u{2122}' | '\u{2120}')
    }
}

/// What one pass records besides the text: the way back to the source ([`OffsetMap`], for
/// [`normalize`]) or the tricks undone inside words ([`Tricks`], for [`fold`]). Each hook has
/// a default that records nothing, so a pass pays only for what its record keeps.
trait Record {
    /// Whether [`Record::piece`] keeps anything (finding a piece compares the output with the
    /// source for each character that is not ASCII or CJK).
    const PIECES: bool = false;
    /// Source bytes `src_start..src_end` became `out_start..out_end` of the output.
    fn piece(&mut self, _out_start: usize, _out_end: usize, _src_start: usize, _src_end: usize) {}
    /// A run of ASCII characters, copied lowercased.
    fn ascii(&mut self, _run: &[u8]) {}
    /// A run of CJK ideographs, copied as they are (letters without case or look-alikes).
    fn cjk(&mut self) {}
    /// An invisible character, dropped.
    fn invisible(&mut self) {}
    /// A combining mark, dropped.
    fn mark(&mut self, _c: char) {}
    /// Any other character, given with whether it was a look-alike mapped to Latin.
    fn visible(&mut self, _c: char, _mapped: bool) {}
}

/// One place where a text was rewritten: source bytes `src_start..src_end` became
/// `out_start..out_end` of the result (empty when a character was dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    out_start: usize,
    out_end: usize,
    src_start: usize,
    src_end: usize,
}

/// The way back from a rewritten text to its source. Between the pieces the two texts advance
/// together byte for byte (ASCII lowercased or `0` read as `o` keeps its length), so an offset
/// there moves by the piece before it.
#[derive(Debug, Clone, Default)]
struct OffsetMap {
    /// In order of `out_start` (and of `src_start`).
    pieces: Vec<Piece>,
}

impl Record for OffsetMap {
    const PIECES: bool = true;

    fn piece(&mut self, out_start: usize, out_end: usize, src_start: usize, src_end: usize) {
        self.push(out_start, out_end, src_start, src_end);
    }
}

impl OffsetMap {
    fn push(&mut self, out_start: usize, out_end: usize, src_start: usize, src_end: usize) {
        self.pieces.push(Piece {
            out_start,
            out_end,
            src_start,
            src_end,
        });
    }

    /// Source offset where the text starting at `pos` comes from: the start of a rewritten
    /// piece that `pos` falls in, and past dropped characters at `pos` (a quote does not
    /// begin with an invisible character).
    fn start(&self, pos: usize) -> usize {
        let idx = self.pieces.partition_point(|p| p.out_start <= pos);
        match idx.checked_sub(1).and_then(|i| self.pieces.get(i)) {
            None => pos,
            Some(p) if pos < p.out_end => p.src_start,
            Some(p) => p.src_end + (pos - p.out_end),
        }
    }

    /// Source offset where the text ending at `pos` ends: the end of a rewritten piece that
    /// `pos` falls in, and before dropped characters at `pos`.
    fn end(&self, pos: usize) -> usize {
        let idx = self.pieces.partition_point(|p| p.out_start < pos);
        match idx.checked_sub(1).and_then(|i| self.pieces.get(i)) {
            None => pos,
            Some(p) if pos <= p.out_end => p.src_end,
            Some(p) => p.src_end + (pos - p.out_end),
        }
    }
}

/// The normalised text plus the way back to the original.
#[derive(Debug, Clone)]
pub struct Normalized<'a> {
    /// The text as given; evidence is cut from it.
    pub original: &'a str,
    /// What the patterns, link and number finders match against. Never shown to anyone.
    pub text: String,
    /// First pass (characters): its output -> `original`.
    chars: OffsetMap,
    /// Second pass (spaced-out letters joined), when it changed anything: `text` -> the first
    /// pass's output.
    joined: Option<OffsetMap>,
}

/// Mail text folded for matching ([`fold`]), with what was undone inside words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Folded {
    /// Lowercase, look-alikes mapped to Latin, invisible characters and marks removed.
    pub text: String,
    /// Invisible or combining characters found between two letters (after a Latin, Greek,
    /// Cyrillic or Chinese one).
    pub hidden_in_word: usize,
    /// Greek/Cyrillic look-alikes found next to Latin letters (a mixed-script word).
    pub lookalikes_in_word: usize,
}

impl Folded {
    /// Whether the text used a trick to hide words (invisible characters or look-alikes inside a word).
    pub fn tricks(&self) -> bool {
        self.hidden_in_word > 0 || self.lookalikes_in_word > 0
    }
}

/// The counts of [`Folded`] as a pass goes: invisible characters and marks between two letters,
/// look-alikes in a word that also has Latin letters.
#[derive(Debug, Default)]
struct Tricks {
    hidden_in_word: usize,
    lookalikes_in_word: usize,
    /// Whether the last character kept was a letter of a watched script (see
    /// [`hides_in_word`]): only there is a hidden character inside a word a trick.
    prev_letter: bool,
    /// Dropped characters since that letter; they count if a letter follows.
    pending_hidden: usize,
    /// Whether the current word has Latin letters.
    word_latin: bool,
    /// Look-alikes in the current word; they count if it has Latin letters.
    word_lookalikes: usize,
}

impl Tricks {
    fn end_word(&mut self) {
        if self.word_latin && self.word_lookalikes > 0 {
            self.lookalikes_in_word += self.word_lookalikes;
        }
        self.word_latin = false;
        self.word_lookalikes = 0;
    }

    fn kept(&mut self, letter: bool) {
        if letter && self.pending_hidden > 0 {
            self.hidden_in_word += self.pending_hidden;
        }
        self.pending_hidden = 0;
    }
}

impl Record for Tricks {
    fn ascii(&mut self, run: &[u8]) {
        let (Some(&first), Some(&last)) = (run.first(), run.last()) else {
            return;
        };
        if self.word_lookalikes > 0 {
            for &b in run {
                self.visible(char::from(b), false);
            }
            return;
        }
        // No look-alike waits in the current word, so the words that end inside the run count
        // nothing: what matters is the letter after hidden characters, the last word's Latin
        // letters and the last character (the same as character by character, in one scan).
        self.kept(first.is_ascii_alphabetic());
        match run.iter().rposition(|b| !b.is_ascii_alphanumeric()) {
            Some(p) => {
                self.word_latin = run
                    .get(p + 1..)
                    .is_some_and(|w| w.iter().any(u8::is_ascii_alphabetic));
            }
            None => self.word_latin |= run.iter().any(u8::is_ascii_alphabetic),
        }
        self.prev_letter = last.is_ascii_alphabetic();
    }

    fn cjk(&mut self) {
        self.kept(true);
        self.prev_letter = true;
    }

    fn invisible(&mut self) {
        if self.prev_letter {
            self.pending_hidden += 1;
        }
    }

    fn mark(&mut self, c: char) {
        // An ordinary accent on a letter (NFKC leaves a few decomposed) is no trick.
        if self.prev_letter && !is_latin_diacritic(c) {
            self.pending_hidden += 1;
        }
    }

    fn visible(&mut self, c: char, mapped: bool) {
        let letter = c.is_alphabetic();
        self.kept(letter);
        let watched = letter && (mapped || hides_in_word(c));
        if mapped {
            self.word_lookalikes += 1;
        } else {
            if is_latin_letter(c) {
                self.word_latin = true;
            }
            if !letter && !c.is_numeric() {
                self.end_word();
            }
        }
        self.prev_letter = watched;
    }
}

/// Whether an invisible character or a mark after the letter `c` hides a word: in the scripts
/// the brand words and lures are written in (Latin, the Greek and Cyrillic its look-alikes
/// come from, Chinese). In Devanagari, Arabic, Hebrew, Thai and the other scripts that write
/// vowels and joins as marks and joiners (U+200C in Persian), they are ordinary spelling.
fn hides_in_word(c: char) -> bool {
    matches!(
        c.script(),
        Script::Latin | Script::Greek | Script::Cyrillic | Script::Han
    )
}

fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || ('\u{00C0}'..='\u{024F}').contains(&c)
}

/// Combining accents in the Latin "combining diacritical marks" block that ordinary
/// languages use (é written as e + U+0301); NFKC composes most of them already.
fn is_latin_diacritic(c: char) -> bool {
    ('\u{0300}'..='\u{036F}').contains(&c) && c != '\u{034F}'
}

/// CJK Unified Ideographs (U+4E00..U+9FFF), the bulk of Chinese text.
fn is_cjk_ideograph(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// Emoji and pictographs: replaced by a space so `click👉here` stays two words.
fn is_emoji(c: char) -> bool {
    matches!(c,
        '\u{2190}'..='\u{21ff}' | '\u{2300}'..='\u{23ff}' | '\u{2460}'..='\u{24ff}'
        | '\u{25a0}'..='\u{27bf}' | '\u{2900}'..='\u{297f}' | '\u{2b00}'..='\u{2bff}'
        | '\u{1f000}'..='\u{1faff}' | '\u{20e3}')
}

/// The one pass over `src`: ASCII runs lowercased in one go, CJK ideographs copied, every
/// other character through [`push_char`]. What it undoes is told to `rec`.
fn pass<R: Record>(src: &str, form: &Form, rec: &mut R) -> String {
    let mut out = String::with_capacity(src.len());
    let bytes = src.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // A run of ASCII: copied and lowercased in one go (same length: no map entry).
        let run = bytes.get(i..).map_or(&[][..], |r| {
            r.get(..r.iter().position(|b| !b.is_ascii()).unwrap_or(r.len()))
                .unwrap_or(r)
        });
        if !run.is_empty() {
            rec.ascii(run);
            let base = out.len();
            out.push_str(src.get(i..i + run.len()).unwrap_or(""));
            if let Some(lowered) = out.get_mut(base..) {
                lowered.make_ascii_lowercase();
            }
            if form.zero_as_o {
                zero_as_o(&mut out, base, bytes, i, run.len());
            }
            i += run.len();
            continue;
        }
        let Some(c) = src.get(i..).and_then(|r| r.chars().next()) else {
            break;
        };
        if is_cjk_ideograph(c) {
            // CJK Unified Ideographs: no decomposition, no case, no look-alike mapping; the
            // bulk of Chinese text takes this short path (same output as the long one), a run
            // at a time.
            let run_len = src.get(i..).map_or(0, |r| {
                r.char_indices()
                    .find(|&(_, d)| !is_cjk_ideograph(d))
                    .map_or(r.len(), |(k, _)| k)
            });
            rec.cjk();
            out.push_str(src.get(i..i + run_len).unwrap_or(""));
            i += run_len.max(c.len_utf8());
            continue; // same length: no map entry
        }
        let before = out.len();
        push_char(c, form, &mut out, rec);
        let end = i + c.len_utf8();
        // Anything but an unchanged copy is a piece of the map, so that offsets inside a
        // rewritten character never land inside the original one.
        if R::PIECES && out.get(before..) != src.get(i..end) {
            rec.piece(before, out.len(), i, end);
        }
        i = end;
    }
    out
}

/// `bl0cked`, `acc0unt`: a zero between letters is the letter o, in the ASCII run
/// `bytes[i..i + len]` just copied to `out[base..]`. (The byte before a zero is never an `o`
/// made here: that one is followed by a letter, not a zero.)
fn zero_as_o(out: &mut String, base: usize, bytes: &[u8], i: usize, len: usize) {
    for k in 0..len {
        if bytes.get(i + k) == Some(&b'0')
            && (base + k)
                .checked_sub(1)
                .and_then(|p| out.as_bytes().get(p))
                .is_some_and(u8::is_ascii_alphabetic)
            && bytes.get(i + k + 1).is_some_and(u8::is_ascii_alphabetic)
        {
            out.replace_range(base + k..base + k + 1, "o");
        }
    }
}

/// One character that is neither ASCII nor a CJK ideograph.
fn push_char<R: Record>(c: char, form: &Form, out: &mut String, rec: &mut R) {
    if is_invisible(c) {
        rec.invisible();
    } else if form.emoji_as_space && is_emoji(c) {
        rec.visible(c, false);
        if !out.ends_with(' ') {
            out.push(' ');
        }
    } else if form.sign_as_space(c) {
        rec.visible(' ', false);
        out.push(' ');
    } else if form.decompose {
        decompose_compatible(c, |d| push_letter(d, out, rec));
    } else {
        // Composed already ([`compose`]).
        push_letter(c, out, rec);
    }
}

/// One character of the compatibility form: marks dropped, look-alikes mapped, lowercase.
fn push_letter<R: Record>(c: char, out: &mut String, rec: &mut R) {
    if c.is_ascii() {
        rec.visible(c, false);
        out.push(c.to_ascii_lowercase());
    } else if is_combining_mark(c) {
        rec.mark(c);
    } else if let Some(l) = lookalike(c) {
        rec.visible(c, true);
        out.push(l);
    } else {
        rec.visible(c, false);
        out.extend(c.to_lowercase());
    }
}

/// Normalise `text` for call, SMS and page patterns: compatibility decomposition (full-width,
/// ligatures), combining marks, zero-width characters and emoji removed, look-alikes mapped to
/// Latin, lowercase, then spaced-out words joined.
pub fn normalize(text: &str) -> Normalized<'_> {
    let form = &Form::TEXT;
    let mut chars = OffsetMap::default();
    let out = pass(text, form, &mut chars);
    let mut n = Normalized {
        original: text,
        text: out,
        chars,
        joined: None,
    };
    if form.join_spaced
        && let Some((joined, map)) = join_spaced_letters(&n.text)
    {
        n.text = joined;
        n.joined = Some(map);
    }
    n
}

/// Fold mail text `s` for matching brand words and lure phrases: compatibility composition,
/// invisible characters and left-over marks removed, look-alikes mapped to Latin, lowercase;
/// with the count of what was undone inside words. Linear in the input; allocation bounded by
/// the input size.
pub fn fold(s: &str) -> Folded {
    let form = &Form::MAIL;
    let src = compose(s, form);
    let mut tricks = Tricks::default();
    let text = pass(&src, form, &mut tricks);
    tricks.end_word();
    Folded {
        text,
        hidden_in_word: tricks.hidden_in_word,
        lookalikes_in_word: tricks.lookalikes_in_word,
    }
}

/// `s` in compatibility composition (NFKC), `™` and `℠` made spaces first when the form says
/// so (NFKC would spell them as letters and glue them to the word before).
///
/// Most mail text is already in NFKC form (plain ASCII, ordinary accented letters; `™` and
/// `℠` are not): a quick check (no allocation, no reordering buffer) skips the normaliser for
/// it, which is most of the cost of folding a long body.
fn compose<'a>(s: &'a str, form: &Form) -> Cow<'a, str> {
    if s.is_ascii() || is_nfkc_quick(s.chars()) == IsNormalized::Yes {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| if form.sign_as_space(c) { ' ' } else { c })
            .nfkc()
            .collect(),
    )
}

fn is_sep(b: u8) -> bool {
    matches!(b, b' ' | b'.' | b'-' | b'_' | b'*' | b'/' | b'|')
}

/// Join runs of at least four single ASCII letters or digits separated by one separator
/// (`p a s s w o r d`, `c.o.d.e`), with the map back to `s` (each dropped separator is a
/// piece). Returns `None` when there is nothing to join (the common case: one quick scan, no
/// allocation).
fn join_spaced_letters(s: &str) -> Option<(String, OffsetMap)> {
    const MIN_RUN: usize = 4;
    let b = s.as_bytes();
    let single = |i: usize| -> bool {
        b.get(i).is_some_and(|c| c.is_ascii_alphanumeric())
            && (i == 0 || !b.get(i - 1).is_some_and(|c| c.is_ascii_alphanumeric()))
            && !b.get(i + 1).is_some_and(|c| c.is_ascii_alphanumeric())
    };
    // Find runs: positions of single letters each followed by exactly one separator.
    let mut runs: Vec<(usize, usize)> = Vec::new(); // (start, end) byte ranges in s
    let alnum = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_alphanumeric());
    let mut i = 0;
    while i < b.len() {
        // Most bytes are in longer words or are spaces: skip them without the full test.
        if !alnum(i) || alnum(i + 1) {
            i += 1;
            continue;
        }
        if single(i) {
            let start = i;
            let mut count = 1;
            let mut j = i;
            while b.get(j + 1).is_some_and(|&c| is_sep(c)) && single(j + 2) {
                j += 2;
                count += 1;
            }
            if count >= MIN_RUN {
                runs.push((start, j + 1));
            }
            i = j + 1;
        } else {
            i += 1;
        }
    }
    if runs.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    let mut map = OffsetMap::default();
    let mut last = 0;
    for (start, end) in runs {
        out.push_str(s.get(last..start)?);
        for (k, &c) in b.get(start..end)?.iter().enumerate() {
            if is_sep(c) {
                map.push(out.len(), out.len(), start + k, start + k + 1);
            } else {
                out.push(c as char);
            }
        }
        last = end;
    }
    out.push_str(s.get(last..)?);
    Some((out, map))
}

impl<'a> Normalized<'a> {
    /// The original byte range behind the normalised range `start..end`: on character
    /// boundaries of the original, never outside it, never reversed.
    pub fn original_range(&self, start: usize, end: usize) -> (usize, usize) {
        let (s1, e1) = match &self.joined {
            Some(j) => (j.start(start), j.end(end)),
            None => (start, end),
        };
        let len = self.original.len();
        let mut a = self.chars.start(s1).min(len);
        let mut z = self.chars.end(e1).clamp(a, len);
        while a > 0 && !self.original.is_char_boundary(a) {
            a -= 1;
        }
        while z < len && !self.original.is_char_boundary(z) {
            z += 1;
        }
        (a, z)
    }

    /// The original characters behind the normalised range `start..end`: what links, numbers
    /// and evidence are cut from.
    pub fn original_slice(&self, start: usize, end: usize) -> &'a str {
        let (a, z) = self.original_range(start, end);
        self.original.get(a..z).unwrap_or("")
    }

    /// Evidence for the normalised range `start..end`: the original text behind it, trimmed
    /// and cut to 160 characters.
    pub fn evidence(&self, start: usize, end: usize) -> String {
        let s = self.original_slice(start, end).trim();
        if s.chars().count() > 160 {
            let mut t: String = s.chars().take(157).collect();
            t.push_str("...");
            t
        } else {
            s.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_tricks() {
        assert_eq!(normalize("ＰＡＳＳＷＯＲＤ").text, "password");
        assert_eq!(normalize("pаsswоrd").text, "password"); // Cyrillic а, о
        assert_eq!(normalize("pass\u{200b}word").text, "password");
        assert_eq!(normalize("p a s s w o r d please").text, "password please");
        assert_eq!(normalize("p.a.s.s.w.o.r.d").text, "password");
        assert_eq!(normalize("click👉here").text, "click here");
        assert_eq!(
            normalize("A\u{73f}m\u{73f}a\u{73f}z\u{73f}o\u{73f}n").text,
            "amazon"
        );
        assert_eq!(normalize("验证码，请勿泄露").text, "验证码,请勿泄露");
        // The CJK short path gives what the full path (decomposition, case, look-alikes) does.
        // So does the mail fold's: ideographs are NFKC already and count as letters.
        for c in '\u{4e00}'..='\u{9fff}' {
            assert!(!is_invisible(c) && !is_emoji(c) && c.is_alphabetic());
            for form in [&Form::TEXT, &Form::MAIL] {
                let mut full = String::new();
                push_char(c, form, &mut full, &mut OffsetMap::default());
                assert_eq!(pass(&c.to_string(), form, &mut OffsetMap::default()), full);
            }
            assert_eq!(compose(&c.to_string(), &Form::MAIL), c.to_string());
        }
        // Ordinary short words are not joined.
        assert_eq!(normalize("i am a cat").text, "i am a cat");
        assert_eq!(normalize("BL0CKED 2024 a0").text, "blocked 2024 a0");
    }

    #[test]
    fn evidence_quotes_the_original() {
        let n = normalize("请提供您的ＰＡＳＳＷＯＲＤ，谢谢");
        let s = n.text.find("password").unwrap();
        assert_eq!(n.evidence(s, s + 8), "ＰＡＳＳＷＯＲＤ");
        let n = normalize("Hello WORLD");
        assert_eq!(n.evidence(6, 11), "WORLD");
        // Each trick: the normalised word quotes the characters as received. Invisible
        // characters inside the word are part of it; at its ends they are left out.
        for (text, word, quoted) in [
            ("your passw0rd now", "password", "passw0rd"),
            ("your pаsswоrd now", "password", "pаsswоrd"),
            ("your ραssword now", "password", "ραssword"),
            ("your ｐａｓｓｗｏｒｄ now", "password", "ｐａｓｓｗｏｒｄ"),
            ("your 𝗽𝗮𝘀𝘀𝘄𝗼𝗿𝗱 now", "password", "𝗽𝗮𝘀𝘀𝘄𝗼𝗿𝗱"),
            (
                "\u{200b}pass\u{200b}word\u{200b}",
                "password",
                "pass\u{200b}word",
            ),
            (
                "pa\u{301}ss\u{301}word!",
                "password",
                "pa\u{301}ss\u{301}word",
            ),
            ("your p a s s w o r d please", "password", "p a s s w o r d"),
            ("your p.a.s.s.w.o.r.d please", "password", "p.a.s.s.w.o.r.d"),
            ("then 1 8 0 0 5 5 5 and", "1800555", "1 8 0 0 5 5 5"),
            (
                "ｐ ａ ｓ ｓ ｗ ｏ ｒ ｄ",
                "password",
                "ｐ ａ ｓ ｓ ｗ ｏ ｒ ｄ",
            ),
        ] {
            let n = normalize(text);
            let s = n
                .text
                .find(word)
                .unwrap_or_else(|| panic!("{text:?}: {:?}", n.text));
            assert_eq!(n.evidence(s, s + word.len()), quoted, "{text:?}");
        }
        // A piece of an expanded character (㎏ -> "kg") quotes the whole character.
        let n = normalize("5㎏ bag");
        let g = n.text.find('g').unwrap();
        assert_eq!(n.original_slice(g, g + 1), "㎏");
    }

    /// Every range of the normalised text maps inside the original, on its character
    /// boundaries, in order: no panic and no reversed range whatever is asked.
    #[test]
    fn every_range_maps_into_the_original() {
        for text in [
            "ｐ ａ ｓ ｓ 👉 A\u{73f}m\u{73f}a ㎏ ﷺ \u{200b}\u{200b}x y z w 验证码 ﬁle",
            "a.b.c.d \u{3000}Ｔ Ｅ Ｓ Ｔ é\u{301}\u{302} 0o0 a0b",
        ] {
            let n = normalize(text);
            let bounds: Vec<usize> = (0..=n.text.len())
                .filter(|&i| n.text.is_char_boundary(i))
                .collect();
            let mut last = (0, 0);
            for &a in &bounds {
                for &z in bounds.iter().filter(|&&z| z >= a) {
                    let (oa, oz) = n.original_range(a, z);
                    assert!(oa <= oz && oz <= text.len(), "{text:?} {a}..{z}");
                    assert!(text.is_char_boundary(oa) && text.is_char_boundary(oz));
                    if z == a {
                        assert!(oa >= last.0, "{text:?}: starts go back at {a}");
                        last = (oa, oz);
                    }
                }
            }
            // Both texts start and end with characters that are kept.
            assert_eq!(n.original_range(0, n.text.len()), (0, text.len()));
        }
    }

    #[test]
    fn fold_undoes_combining_marks_and_lookalikes() {
        let f = fold("Aܿmܿaܿzܿoܿn");
        assert_eq!(f.text, "amazon");
        assert!(f.hidden_in_word >= 5);
        let g = fold("\u{0391}mazon Support");
        assert_eq!(g.text, "amazon support");
        assert_eq!(g.lookalikes_in_word, 1);
        let z = fold("Ama\u{200B}zon");
        assert_eq!(z.text, "amazon");
        assert!(z.tricks());
        assert_eq!(fold("𝗔𝗺𝗮𝘇𝗼𝗻").text, "amazon");
        assert_eq!(fold("Mcafee™ Support").text, "mcafee  support");
    }

    #[test]
    fn fold_counts_tricks_inside_words_only() {
        let f = fold("Café Müller – Sicherheitsprüfung ❗️");
        assert!(!f.tricks(), "{f:?}");
        let r = fold("Привет мир");
        assert!(!r.tricks(), "all-Cyrillic words are not look-alikes: {r:?}");
        // Scripts that spell with marks and joiners: Hindi, Persian (U+200C), Arabic with
        // vowel signs, Thai, pointed Hebrew.
        for text in [
            "नमस्ते, आपका ऑर्डर भेज दिया गया है",
            "سلام، سفارش\u{200c}های شما ارسال شد",
            "مَرْحَبًا بِكُمْ",
            "สวัสดีครับ ขอบคุณที่สั่งซื้อ",
            "שָׁלוֹם עֲלֵיכֶם",
        ] {
            let f = fold(text);
            assert_eq!(f.hidden_in_word, 0, "{text}");
        }
        // Across ASCII runs: the look-alike waits for the word's Latin letters, the hidden
        // characters for the next letter.
        for (text, hidden, looks) in [
            ("pаypal", 0, 1),
            ("\u{0430}pple and more", 0, 1),
            ("\u{0430}1 2", 0, 0),
            ("x\u{0430}-y", 0, 1),
            ("a\u{200b}\u{200b}b c\u{200b} d", 2, 0),
            ("a\u{200b}1b", 0, 0),
            ("e\u{301}x a\u{73f}b", 1, 0),
            ("ab\u{0430} cd", 0, 1),
            ("\u{0430}\u{0431} cd", 0, 0),
            // Hidden after a watched letter still counts, whatever the mark's own script.
            ("am\u{0610}azon", 1, 0),
            ("pay\u{0e31}pal", 1, 0),
            ("亚\u{200b}马逊", 1, 0),
            ("б\u{200b}в", 1, 0),
            ("nh\u{1ea5}\u{200b}t", 1, 0),
            // ... and not after a letter of a script that spells with them.
            ("क\u{200b}ख", 0, 0),
        ] {
            let f = fold(text);
            assert_eq!(
                (f.hidden_in_word, f.lookalikes_in_word),
                (hidden, looks),
                "{text:?}"
            );
        }
    }

    #[test]
    fn both_forms_map_lookalikes_by_case() {
        for (text, both) in [
            ("\u{039C}icrosoft", "microsoft"),
            ("\u{0397}ello", "hello"),
            ("\u{039D}etflix", "netflix"),
            ("\u{03A5}ahoo", "yahoo"),
            ("ama\u{03B6}on", "ama\u{03B6}on"),
            ("a\u{03BC}azon", "auazon"),
            ("\u{03B7}etflix", "netflix"),
            ("\u{043F}aypal", "naypal"),
            ("\u{0433}eddit", "reddit"),
            ("\u{03A3}ale", "\u{03C3}ale"),
            ("\u{041F}aypal", "\u{043F}aypal"),
        ] {
            assert_eq!(fold(text).text, both, "{text}");
            assert_eq!(normalize(text).text, both, "{text}");
        }
    }

    #[test]
    fn the_two_forms_differ() {
        // What the mail form does differently (the module notes): each input gives two texts.
        for (text, mail, core) in [
            ("Müller", "müller", "muller"),
            ("bl0cked", "bl0cked", "blocked"),
            ("p a y p a l", "p a y p a l", "paypal"),
            ("click👉here", "click👉here", "click here"),
            ("mcafee™", "mcafee ", "mcafeetm"),
        ] {
            assert_eq!(fold(text).text, mail, "{text}");
            assert_eq!(normalize(text).text, core, "{text}");
        }
    }
}
