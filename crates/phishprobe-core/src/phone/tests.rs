use super::extract::*;
use regex::Regex;

use super::metadata::*;
use super::parse::*;
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

/// Every metadata regex the fast path compiles: in ASCII mode it finds the same leftmost match
/// as the Unicode-mode regex the crate builds, on digit strings of every length the metadata
/// uses (random, the descriptors' own examples, and two with a letter or a space inside).
#[test]
fn ascii_mode_metadata_regexes_match_unicode_mode() {
    let db = &phonenumber::metadata::DATABASE;
    let mut patterns: Vec<String> = Vec::new();
    let mut examples: Vec<String> = Vec::new();
    for meta in db.iter() {
        patterns.extend(meta.leading_digits().map(|r| r.as_str().to_string()));
        let ds = meta.descriptors();
        let kinds = [
            ds.fixed_line(),
            ds.mobile(),
            ds.toll_free(),
            ds.premium_rate(),
            ds.shared_cost(),
            ds.personal_number(),
            ds.voip(),
            ds.pager(),
            ds.uan(),
            ds.voicemail(),
        ];
        for d in std::iter::once(ds.general()).chain(kinds.into_iter().flatten()) {
            patterns.push(d.national_number().as_str().to_string());
            examples.extend(d.example().map(str::to_string));
        }
    }
    patterns.sort();
    patterns.dedup();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut values = examples;
    for _ in 0..300 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let len = 1 + (x % 17) as usize;
        values.push(
            (0..len)
                .map(|k| char::from(b'0' + ((x >> ((k * 3) % 60)) % 10) as u8))
                .collect(),
        );
    }
    values.push("12a34".into());
    values.push("0 800".into());
    let (mut ascii, mut checked) = (0usize, 0usize);
    for p in &patterns {
        let unicode = regex::RegexBuilder::new(p)
            .ignore_whitespace(true)
            .size_limit(10 * (1 << 20))
            .build()
            .expect("metadata regex compiles in Unicode mode");
        let Some(fast) = compile_for_ascii(p) else {
            panic!("{p} does not compile");
        };
        ascii += usize::from(!fast.unicode);
        for v in &values {
            let want = unicode.find(v).map(|m| (m.start(), m.end()));
            assert_eq!(
                fast.regex.find(v).map(|m| (m.start(), m.end())),
                want,
                "{p} on {v}"
            );
            checked += 1;
        }
    }
    // The test is about ASCII mode: nearly every pattern must have been compiled in it.
    assert!(
        patterns.len() > 1000 && ascii * 10 > patterns.len() * 9,
        "{ascii} of {} patterns in ASCII mode",
        patterns.len()
    );
    assert!(checked > 100_000, "{checked}");
}

/// A value that is not ASCII never reaches an ASCII-mode regex: the crate's own matcher
/// answers (here a `slow` that says so).
#[test]
fn non_ascii_value_takes_the_crates_path() {
    let src = r"\d{3}";
    assert!(starts_at_0(src, "123", || false));
    // Arabic-Indic digits: a Unicode `\d` matches them, an ASCII one does not.
    assert!(starts_at_0(src, "١٢٣", || true));
    assert!(!starts_at_0(src, "١٢٣", || false));
}
