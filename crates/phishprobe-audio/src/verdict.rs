//! From a transcript to the verdict model: the text check over what was reliably heard.
//!
//! The words are judged exactly as `phishprobe text` judges typed words, so a call and its
//! typed notes get the same answer. What the audio adds: each finding says when it was heard,
//! the report says the words are a machine transcript, and a recording with no reliable
//! speech is `unknown` with that reason instead of a reassuring empty result.

use phishprobe_core::text::{self, TextAnalysis, TextRules};
use phishprobe_core::{Finding, Knowledge, Message, Report, ReportBuilder, Severity};

use crate::transcript::{Transcript, clock};

/// Reports with less than this share of the speech heard reliably carry `audio.unreliable`.
const MIN_RELIABLE_SHARE: f64 = 0.5;

/// The report and, when there were words to judge, the text analysis behind it.
pub struct AudioVerdict {
    /// The verdict model, with the audio findings (machine transcript, unreliable speech,
    /// notes about the file) added to the text check's.
    pub report: Report,
    /// The text check's analysis of the reliable words; `None` when none were heard, so
    /// callers can tell "judged and harmless" from "nothing to judge".
    pub analysis: Option<TextAnalysis>,
}

fn info(code: &str, en: String, zh: String, evidence: String) -> Finding {
    Finding::new(code, Severity::Info, Message::new(en, zh), evidence)
}

/// Judge a transcript. `input` is what the report shows as its input (the file name).
pub fn judge(
    knowledge: &Knowledge,
    rules: &TextRules,
    input: &str,
    t: &Transcript,
) -> AudioVerdict {
    let words = t.reliable_text();
    let (mut report, analysis) = if words.trim().is_empty() {
        let mut b = ReportBuilder::new(input);
        let heard = t.segments.len();
        b.push(info(
            "audio.no_speech",
            format!(
                "No speech could be recognised reliably ({heard} doubtful segments, {:.0} s of sound that might be speech). Nothing can be judged from it: unknown is not \"safe\".",
                t.speech_seconds
            ),
            format!(
                "未能可靠识别出任何语音（{heard} 个存疑片段，约 {:.0} 秒可能是语音的声音）。无法据此判断：“未知”不等于“安全”。",
                t.speech_seconds
            ),
            String::new(),
        ));
        (b.build(), None)
    } else {
        let a = text::analyze(knowledge, rules, &words);
        let mut r = text::report_from(input, &a);
        for f in &mut r.findings {
            if let Some(seg) = t.find(&f.evidence) {
                f.evidence = format!("{} [{}–{}]", f.evidence, clock(seg.start), clock(seg.end));
            }
        }
        (r, Some(a))
    };
    report.findings.push(info(
        "audio.machine_transcript",
        format!(
            "The words were recognised by a machine ({}), not typed by a person: names, brands and numbers may be misheard. Listen to the recording before acting on a detail.",
            t.model
        ),
        format!(
            "这些文字由语音识别（{}）自动生成，并非人工录入：人名、品牌和数字可能听错。依据细节行动前请回听录音。",
            t.model
        ),
        format!("{} segments, {:.0} s of speech", t.segments.len(), t.speech_seconds),
    ));
    let (ok, all) = t.coverage();
    if all > 0.0 && ok / all < MIN_RELIABLE_SHARE {
        report.findings.push(info(
            "audio.unreliable",
            format!(
                "Only {:.0}% of the speech was recognised reliably; the rest is left out of the verdict. A poor line can hide what was asked.",
                100.0 * ok / all
            ),
            format!(
                "只有 {:.0}% 的语音被可靠识别，其余部分未计入判断。线路质量差可能掩盖对方索要的内容。",
                100.0 * ok / all
            ),
            t.segments
                .iter()
                .filter_map(|s| s.unreliable_reason.as_ref().map(|r| format!("[{}] {r}", clock(s.start))))
                .take(5)
                .collect::<Vec<_>>()
                .join("; "),
        ));
    }
    for note in &t.notes {
        report.findings.push(info(
            "audio.input_note",
            format!("About the recording: {note}."),
            format!("关于录音：{note}。"),
            note.clone(),
        ));
    }
    AudioVerdict { report, analysis }
}

/// The JSON fields an audio report has beyond the verdict model: those of `text --json`
/// (`disclosure`, `scam_likelihood`, `lang`, `urls`, `phones`) and `transcript`.
pub fn json_extras(v: &AudioVerdict, t: &Transcript) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::{Value, json};
    let mut m = match &v.analysis {
        Some(a) => a.json_fields(),
        // No words were judged: the same fields, saying so.
        None => serde_json::Map::from_iter([
            ("disclosure".to_string(), Value::Bool(false)),
            ("scam_likelihood".to_string(), json!(0)),
            ("lang".to_string(), json!("unknown")),
            ("urls".to_string(), json!([])),
            ("phones".to_string(), json!([])),
        ]),
    };
    m.insert(
        "transcript".into(),
        serde_json::to_value(t).unwrap_or(Value::Null),
    );
    m
}

/// The transcript as readable lines, marked as machine-made, unreliable segments flagged.
pub fn transcript_lines(t: &Transcript, zh: bool) -> String {
    let mut s = String::new();
    s.push_str(if zh {
        "  机器转写（自动语音识别，可能有误）：\n"
    } else {
        "  Machine transcript (speech recognition; words may be misheard):\n"
    });
    if t.segments.is_empty() {
        s.push_str(if zh {
            "    （无语音）\n"
        } else {
            "    (no speech)\n"
        });
    }
    for seg in &t.segments {
        let mark = if seg.reliable {
            ""
        } else if zh {
            "  ［存疑，未计入］"
        } else {
            "  [doubtful, not judged]"
        };
        s.push_str(&format!(
            "    [{} – {}] {}{mark}\n",
            clock(seg.start),
            clock(seg.end),
            seg.text
        ));
    }
    s
}
