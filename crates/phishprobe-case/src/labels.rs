//! The words around the findings — verdicts, severities, scores, input names — in English and
//! Chinese, shared by the CLI's readable output and the HTML report so `--lang zh` translates
//! every label, not only the messages.

use phishprobe_core::{Lang, Severity, Verdict};

/// A verdict for people: `PHISHING` / `钓鱼`.
pub fn verdict_word(v: Verdict, lang: Lang) -> String {
    match lang {
        Lang::En => v.as_str().to_uppercase(),
        Lang::Zh => v.as_zh().to_string(),
    }
}

/// A verdict as stored in the history (`"phishing"`), for people; an unknown word is shown
/// as it is.
pub fn stored_verdict_word(v: &str, lang: Lang) -> String {
    match serde_json::from_value::<Verdict>(serde_json::Value::String(v.to_string())) {
        Ok(v) => match lang {
            Lang::En => v.as_str().to_string(),
            Lang::Zh => v.as_zh().to_string(),
        },
        Err(_) => v.to_string(),
    }
}

/// A severity for people: `high` / `高`.
pub fn severity_word(s: Severity, lang: Lang) -> &'static str {
    match lang {
        Lang::En => s.as_str(),
        Lang::Zh => match s {
            Severity::Info => "信息",
            Severity::Low => "低",
            Severity::Medium => "中",
            Severity::High => "高",
            Severity::Critical => "严重",
        },
    }
}

/// The name of a report's 0–100 `score`: the summed weight of every finding (requests for
/// secrets included), capped at 100. Named "risk score" everywhere so it cannot be confused
/// with the text check's scam-wording score.
pub fn risk_score(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "risk score",
        Lang::Zh => "风险分",
    }
}

/// The name of the text check's `scam_likelihood`: the weight of the scam-script cues alone
/// (urgency, threats, pretexts), without the requests for secrets.
pub fn scam_wording_score(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "scam-wording score",
        Lang::Zh => "诈骗话术分",
    }
}

/// "brand" / "品牌".
pub fn brand(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "brand",
        Lang::Zh => "品牌",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_labels_are_chinese() {
        for s in [
            Severity::Info,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ] {
            assert!(!severity_word(s, Lang::Zh).is_ascii(), "{s:?}");
            assert_eq!(severity_word(s, Lang::En), s.as_str());
        }
        assert_eq!(stored_verdict_word("phishing", Lang::Zh), "钓鱼");
        assert_eq!(stored_verdict_word("weird", Lang::Zh), "weird");
    }
}
