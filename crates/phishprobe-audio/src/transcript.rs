//! A machine transcript: what was heard, when, and how sure the engine was.

use serde::Serialize;

use crate::SourceInfo;

/// One stretch of recognised speech.
#[derive(Debug, Clone, Serialize)]
pub struct Segment {
    /// Seconds from the start of the recording.
    pub start: f64,
    /// Seconds from the start of the recording, never past the end of its chunk (Whisper's
    /// own times can run to the end of its 30-second window).
    pub end: f64,
    /// The words, trimmed, as Whisper wrote them.
    pub text: String,
    /// Whisper's probability that the window held no speech at all.
    pub no_speech_prob: f32,
    /// Mean probability of the segment's text tokens (0..1).
    pub confidence: f32,
    /// False when the segment looks made up (see [`Segment::judge_reliability`]); such
    /// segments are shown but not judged.
    pub reliable: bool,
    /// Why it is unreliable, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreliable_reason: Option<String>,
}

/// Below this mean token probability a segment is mostly guesses.
const MIN_CONFIDENCE: f32 = 0.35;
/// Whisper's own rule for "nothing was said": a high no-speech probability together with
/// weak tokens (both thresholds are whisper.cpp's defaults for skipping a window).
const NO_SPEECH: f32 = 0.6;
const NO_SPEECH_CONFIDENCE: f32 = 0.55;

impl Segment {
    /// Mark segments that are likely invented: weak tokens, "no speech" windows, and the
    /// subtitle sign-offs Whisper produces from noise (`data/hallucinations.txt`).
    pub fn judge_reliability(&mut self) {
        let reason = if is_known_hallucination(&self.text) {
            Some("a phrase Whisper is known to invent from noise".to_string())
        } else if self.no_speech_prob > NO_SPEECH && self.confidence < NO_SPEECH_CONFIDENCE {
            Some(format!(
                "probably no speech (no-speech probability {:.2}, confidence {:.2})",
                self.no_speech_prob, self.confidence
            ))
        } else if self.confidence < MIN_CONFIDENCE {
            Some(format!("low confidence ({:.2})", self.confidence))
        } else {
            None
        };
        self.reliable = reason.is_none();
        self.unreliable_reason = reason;
    }
}

/// The phrase list, parsed once.
fn hallucinations() -> &'static Vec<String> {
    static LIST: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("../data/hallucinations.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| match l.strip_suffix('*') {
                Some(prefix) => format!("{}*", plain(prefix)),
                None => plain(l),
            })
            .collect()
    })
}

/// Lower case, letters, digits and CJK only, single spaces.
fn plain(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '\'' {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The whole segment is one of the known invented phrases (a list line ending in `*` matches
/// every segment that starts with it: subtitle credits name someone different each time).
pub fn is_known_hallucination(text: &str) -> bool {
    let p = plain(text);
    !p.is_empty()
        && hallucinations().iter().any(|h| match h.strip_suffix('*') {
            Some(prefix) => p.starts_with(prefix.trim_end()),
            None => *h == p,
        })
}

/// The segment is made (almost) only of words from the vocabulary hint given to the engine.
/// Whisper sometimes recites its prompt over noise or speech it cannot follow; such words
/// were never said and must not become evidence.
pub fn echoes_prompt(text: &str, prompt: &str) -> bool {
    let mut rest = plain(text);
    let total = rest.chars().filter(|c| c.is_alphanumeric()).count();
    if total == 0 {
        return false;
    }
    let mut terms: Vec<String> = prompt
        .split([',', '，', '.', '。', '、'])
        .map(plain)
        .filter(|t| !t.is_empty())
        .collect();
    // Longest first, so "verification code" goes before a shorter term inside it.
    terms.sort_by_key(|t| std::cmp::Reverse(t.len()));
    for t in &terms {
        rest = rest.replace(t.as_str(), " ");
    }
    let left = rest.chars().filter(|c| c.is_alphanumeric()).count();
    left * 5 <= total
}

/// The whole transcript of one recording.
#[derive(Debug, Clone, Serialize)]
pub struct Transcript {
    /// Always true: these words come from a speech recogniser, not from a person.
    pub machine_transcript: bool,
    /// Model file name (for example `ggml-base-q8_0.bin`).
    pub model: String,
    /// Language asked for (`en`, `zh`) or `auto`.
    pub lang_requested: String,
    /// Language Whisper used or detected.
    pub lang: String,
    /// Every segment heard, reliable or not, in recording order.
    pub segments: Vec<Segment>,
    /// What the decoder found out about the file.
    pub source: SourceInfo,
    /// Seconds of speech that went to the engine (silence is skipped).
    pub speech_seconds: f64,
    /// Wall-clock seconds the engine took.
    pub engine_seconds: f64,
    /// Things the listener should know: truncation, a lying header, skipped packets.
    pub notes: Vec<String>,
}

impl Transcript {
    /// The text that is judged: reliable segments, in order.
    pub fn reliable_text(&self) -> String {
        self.segments
            .iter()
            .filter(|s| s.reliable)
            .map(|s| s.text.trim())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Seconds covered by reliable segments, and by all segments.
    pub fn coverage(&self) -> (f64, f64) {
        let len = |s: &Segment| (s.end - s.start).max(0.0);
        let all: f64 = self.segments.iter().map(len).sum();
        let ok: f64 = self.segments.iter().filter(|s| s.reliable).map(len).sum();
        (ok, all)
    }

    /// Where a piece of judged text was heard: the first reliable segment containing it
    /// (case-insensitive).
    pub fn find(&self, evidence: &str) -> Option<&Segment> {
        let e = evidence.trim().to_lowercase();
        if e.is_empty() {
            return None;
        }
        self.segments
            .iter()
            .filter(|s| s.reliable)
            .find(|s| s.text.to_lowercase().contains(&e))
    }
}

/// `m:ss` (or `h:mm:ss`) for a time in seconds.
pub fn clock(secs: f64) -> String {
    let t = secs.max(0.0).round() as u64;
    if t >= 3600 {
        format!("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
    } else {
        format!("{}:{:02}", t / 60, t % 60)
    }
}

/// Notes drawn from how the recording was read.
pub fn source_notes(
    source: &SourceInfo,
    speech_truncated: bool,
    limits: &crate::Limits,
) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(claimed) = source.claimed_seconds
        && claimed > source.decoded_seconds * 1.5 + 1.0
    {
        notes.push(format!(
            "the header says {} but only {} could be read: the file is cut short or its header is wrong",
            clock(claimed),
            clock(source.decoded_seconds)
        ));
    }
    if source.truncated {
        notes.push(format!(
            "only the first {} of the recording were read",
            clock(limits.max_seconds)
        ));
    }
    if speech_truncated {
        notes.push(format!(
            "only the first {} of speech were transcribed",
            clock(limits.max_speech_seconds)
        ));
    }
    if source.bad_packets > 0 {
        notes.push(format!(
            "{} damaged packets were skipped",
            source.bad_packets
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(text: &str, nsp: f32, conf: f32) -> Segment {
        let mut s = Segment {
            start: 0.0,
            end: 1.0,
            text: text.into(),
            no_speech_prob: nsp,
            confidence: conf,
            reliable: true,
            unreliable_reason: None,
        };
        s.judge_reliability();
        s
    }

    #[test]
    fn subtitle_sign_offs_are_unreliable_whole_sentences_only() {
        assert!(
            !seg(
                " If you have any questions, please leave a comment.",
                0.1,
                0.9
            )
            .reliable
        );
        assert!(!seg("Thanks for watching!", 0.1, 0.9).reliable);
        assert!(
            seg(
                "Thank you for calling Amazon, please read me the code.",
                0.1,
                0.9
            )
            .reliable
        );
    }

    #[test]
    fn prompt_recitals_are_caught_real_sentences_are_not() {
        let en = "Amazon, Prime, AnyDesk, TeamViewer, verification code, gift cards.";
        assert!(echoes_prompt(
            "Amazon, verification code, verification code.",
            en
        ));
        assert!(echoes_prompt(
            "亚马逊，验证码，验证码，验证。",
            "亚马逊，验证码，远程控制。"
        ));
        assert!(!echoes_prompt(
            "Please install AnyDesk and read me the verification code we sent you.",
            en
        ));
        assert!(!echoes_prompt("", en));
    }

    #[test]
    fn subtitle_credits_are_caught_by_prefix() {
        assert!(is_known_hallucination("字幕:J Chong"));
        assert!(is_known_hallucination("Subtitles by someone else entirely"));
        assert!(!is_known_hallucination("Your store subscription is due."));
    }

    #[test]
    fn weak_or_silent_windows_are_unreliable() {
        assert!(!seg("install any desk", 0.9, 0.4).reliable);
        assert!(!seg("install any desk", 0.0, 0.2).reliable);
        assert!(seg("install any desk", 0.9, 0.8).reliable);
    }

    #[test]
    fn clock_reads_like_a_player() {
        assert_eq!(clock(7.4), "0:07");
        assert_eq!(clock(125.0), "2:05");
        assert_eq!(clock(7200.0), "2:00:00");
    }
}
