//! Where the speech is: an energy gate that keeps talk and drops silence while decoding.
//!
//! Whisper costs the same per 30-second window whether or not anyone speaks, and it makes up
//! words (YouTube outros, "thank you") in long quiet stretches. Dropping the silence before
//! Whisper bounds the time of a two-hour silent file to decoding it, and splitting at pauses
//! gives Whisper whole phrases instead of words cut in half. The gate is streaming: memory
//! holds the speech kept so far, never the whole recording.

/// How loud a frame must be, and how speech turns into spans.
#[derive(Debug, Clone)]
pub struct GateConfig {
    /// Analysis frame length.
    pub frame_ms: u32,
    /// A frame quieter than this (dBFS) is never speech: hiss, hum, digital silence.
    pub min_db: f32,
    /// A frame must also be this far (dB) above the running noise floor: on a noisy line the
    /// noise itself is well above `min_db`.
    pub above_floor_db: f32,
    /// Quiet kept on each side of a span, so soft word onsets and endings survive.
    pub pad_ms: u32,
    /// A quiet run this long ends a span.
    pub pause_ms: u32,
    /// Longest span; continuous talk is cut at its quietest frame before this.
    pub max_span_ms: u32,
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig {
            frame_ms: 20,
            min_db: -55.0,
            above_floor_db: 8.0,
            pad_ms: 300,
            pause_ms: 600,
            max_span_ms: 25_000,
        }
    }
}

/// How far back the noise floor looks.
const FLOOR_WINDOW_MS: u32 = 10_000;

/// One stretch of speech, at the source's sample rate.
#[derive(Debug, Clone)]
pub struct Span {
    /// Index of its first sample in the whole recording.
    pub start: u64,
    /// Mono samples at the source rate, quiet padding included; resampled only after the gate,
    /// so silence is never resampled.
    pub samples: Vec<f32>,
}

/// The streaming gate: push samples, collect finished spans.
pub struct SpeechGate {
    frame_len: usize,
    pad_frames: usize,
    pause_frames: usize,
    max_span_frames: usize,
    min_db: f32,
    above_floor_db: f32,
    /// Samples of the frame being filled.
    partial: Vec<f32>,
    /// Frames seen so far.
    frames: u64,
    /// Quietest frame levels of the last `floor_frames` frames (a monotonic queue of
    /// (frame index, dB)): the noise floor is its front.
    floor_window: std::collections::VecDeque<(u64, f32)>,
    floor_frames: u64,
    /// The last few quiet frames before a span starts (its leading pad).
    lead: std::collections::VecDeque<Vec<f32>>,
    current: Option<OpenSpan>,
    done: Vec<Span>,
}

struct OpenSpan {
    start_frame: u64,
    samples: Vec<f32>,
    /// Level (dB) of each frame in `samples`, to find the quietest place to cut.
    levels: Vec<f32>,
    quiet_run: usize,
}

/// Level of a frame in dBFS; digital silence is -120.
fn level_db(frame: &[f32]) -> f32 {
    if frame.is_empty() {
        return -120.0;
    }
    let mean_sq = frame.iter().map(|x| x * x).sum::<f32>() / frame.len() as f32;
    (10.0 * (mean_sq + 1e-12).log10()).max(-120.0)
}

impl SpeechGate {
    /// A gate for mono samples at `rate` Hz. Durations in `cfg` become frame counts here, so
    /// the gate behaves the same at 8 kHz and at 48 kHz.
    pub fn new(rate: u32, cfg: &GateConfig) -> Self {
        let frame_len = ((rate as u64 * u64::from(cfg.frame_ms)) / 1000).max(1) as usize;
        let frames_of = |ms: u32| (ms / cfg.frame_ms.max(1)).max(1) as usize;
        SpeechGate {
            frame_len,
            pad_frames: frames_of(cfg.pad_ms),
            pause_frames: frames_of(cfg.pause_ms),
            max_span_frames: frames_of(cfg.max_span_ms),
            min_db: cfg.min_db,
            above_floor_db: cfg.above_floor_db,
            partial: Vec::with_capacity(frame_len),
            frames: 0,
            floor_window: Default::default(),
            floor_frames: u64::from(FLOOR_WINDOW_MS / cfg.frame_ms.max(1)).max(1),
            lead: Default::default(),
            current: None,
            done: Vec::new(),
        }
    }

    /// Feed mono samples, in blocks of any size (frames do not depend on how the decoder cuts
    /// its packets).
    pub fn push(&mut self, mut samples: &[f32]) {
        while !samples.is_empty() {
            let take = (self.frame_len - self.partial.len()).min(samples.len());
            self.partial.extend_from_slice(&samples[..take]);
            samples = &samples[take..];
            if self.partial.len() == self.frame_len {
                let frame =
                    std::mem::replace(&mut self.partial, Vec::with_capacity(self.frame_len));
                self.frame(frame);
            }
        }
    }

    /// Spans finished so far (taken out of the gate).
    pub fn take_spans(&mut self) -> Vec<Span> {
        std::mem::take(&mut self.done)
    }

    /// End of input: close the open span, if any, and return every remaining span.
    pub fn finish(mut self) -> Vec<Span> {
        if !self.partial.is_empty() {
            let frame = std::mem::take(&mut self.partial);
            self.frame(frame);
        }
        if let Some(open) = self.current.take() {
            self.close(open);
        }
        self.done
    }

    /// Samples per analysis frame (for turning frame counts into sample positions).
    fn frame_start(&self, frame: u64) -> u64 {
        frame * self.frame_len as u64
    }

    /// Speech is louder than the quietest moment of the last ten seconds (talk always has
    /// gaps between words, so that minimum is the line's own noise) and louder than
    /// `min_db`. A sound that never dips (a dial tone, hum) becomes the floor within ten
    /// seconds and is dropped.
    fn is_speech(&mut self, index: u64, db: f32) -> bool {
        while self.floor_window.back().is_some_and(|&(_, l)| l >= db) {
            self.floor_window.pop_back();
        }
        self.floor_window.push_back((index, db));
        while self
            .floor_window
            .front()
            .is_some_and(|&(i, _)| i + self.floor_frames <= index)
        {
            self.floor_window.pop_front();
        }
        let floor = self.floor_window.front().map_or(db, |&(_, l)| l);
        db > self.min_db && db > floor + self.above_floor_db
    }

    fn frame(&mut self, frame: Vec<f32>) {
        let db = level_db(&frame);
        let index = self.frames;
        let speech = self.is_speech(index, db);
        self.frames += 1;
        match self.current.as_mut() {
            None if speech => {
                let lead: Vec<Vec<f32>> = self.lead.drain(..).collect();
                let mut samples = Vec::with_capacity(self.frame_len * 64);
                let mut levels = Vec::new();
                for f in &lead {
                    levels.push(level_db(f));
                    samples.extend_from_slice(f);
                }
                samples.extend_from_slice(&frame);
                levels.push(db);
                self.current = Some(OpenSpan {
                    start_frame: index - lead.len() as u64,
                    samples,
                    levels,
                    quiet_run: 0,
                });
            }
            None => {
                self.lead.push_back(frame);
                if self.lead.len() > self.pad_frames {
                    self.lead.pop_front();
                }
            }
            Some(open) => {
                open.samples.extend_from_slice(&frame);
                open.levels.push(db);
                open.quiet_run = if speech { 0 } else { open.quiet_run + 1 };
                if open.quiet_run >= self.pause_frames {
                    if let Some(open) = self.current.take() {
                        self.close(open);
                    }
                } else if open.levels.len() >= self.max_span_frames {
                    self.cut_long_span();
                }
            }
        }
    }

    /// Close a span, keeping `pad_frames` of its trailing quiet.
    fn close(&mut self, mut open: OpenSpan) {
        let extra_quiet = open.quiet_run.saturating_sub(self.pad_frames);
        let keep_frames = open.levels.len() - extra_quiet;
        open.samples.truncate(keep_frames * self.frame_len);
        self.done.push(Span {
            start: self.frame_start(open.start_frame),
            samples: open.samples,
        });
    }

    /// Continuous talk reached the longest span: cut at the quietest frame of its last 40 %
    /// and go on with the rest as a new span.
    fn cut_long_span(&mut self) {
        let Some(mut open) = self.current.take() else {
            return;
        };
        let n = open.levels.len();
        let from = n * 6 / 10;
        let cut = (from..n)
            .min_by(|&a, &b| open.levels[a].total_cmp(&open.levels[b]))
            .unwrap_or(n)
            .max(1);
        let rest_samples = open
            .samples
            .split_off((cut * self.frame_len).min(open.samples.len()));
        let rest_levels = open.levels.split_off(cut.min(open.levels.len()));
        let rest_start = open.start_frame + cut as u64;
        self.done.push(Span {
            start: self.frame_start(open.start_frame),
            samples: open.samples,
        });
        self.current = Some(OpenSpan {
            start_frame: rest_start,
            samples: rest_samples,
            levels: rest_levels,
            quiet_run: open.quiet_run,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 8_000;

    fn tone(secs: f32, amp: f32) -> Vec<f32> {
        (0..(RATE as f32 * secs) as usize)
            .map(|i| (i as f32 * 300.0 * std::f32::consts::TAU / RATE as f32).sin() * amp)
            .collect()
    }

    fn gate(parts: &[Vec<f32>]) -> Vec<Span> {
        let mut g = SpeechGate::new(RATE, &GateConfig::default());
        for p in parts {
            // Odd block sizes: frames must not depend on how the decoder cuts packets.
            for block in p.chunks(333) {
                g.push(block);
            }
        }
        g.finish()
    }

    #[test]
    fn silence_keeps_nothing() {
        assert!(gate(&[vec![0.0; RATE as usize * 60]]).is_empty());
    }

    #[test]
    fn a_tone_that_never_dips_is_not_speech_for_long() {
        let spans = gate(&[tone(60.0, 0.3)]);
        let kept: usize = spans.iter().map(|s| s.samples.len()).sum();
        assert!(
            kept <= 12 * RATE as usize,
            "kept {} s of a steady tone",
            kept / RATE as usize
        );
    }

    #[test]
    fn two_phrases_apart_are_two_spans_with_their_times() {
        let spans = gate(&[
            tone(1.0, 0.0),
            tone(2.0, 0.3),
            tone(3.0, 0.0),
            tone(1.0, 0.3),
        ]);
        assert_eq!(spans.len(), 2, "{spans:?}");
        let secs = |s: u64| s as f32 / RATE as f32;
        // Each starts up to the lead pad (0.3 s) before its sound, never after it.
        assert!(
            (0.68..=1.0).contains(&secs(spans[0].start)),
            "{}",
            secs(spans[0].start)
        );
        assert!(
            (5.68..=6.0).contains(&secs(spans[1].start)),
            "{}",
            secs(spans[1].start)
        );
        let len0 = spans[0].samples.len() as f32 / RATE as f32;
        assert!((2.0..=2.7).contains(&len0), "first span {len0} s");
    }

    #[test]
    fn speech_over_a_noisy_line_is_found() {
        // Constant hiss at -30 dBFS (above min_db), speech 20 dB louder in the middle.
        let mut seed = 7u32;
        let mut noise = |n: usize| -> Vec<f32> {
            (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    ((seed >> 16) as f32 / 32_768.0 - 1.0) * 0.055
                })
                .collect()
        };
        let mut talk = tone(2.0, 0.3);
        for (t, n) in talk.iter_mut().zip(noise(16_000)) {
            *t += n;
        }
        let spans = gate(&[noise(40_000), talk, noise(40_000)]);
        assert_eq!(spans.len(), 1, "{spans:?}");
        let secs = spans[0].samples.len() as f32 / RATE as f32;
        assert!((2.0..=3.0).contains(&secs), "span {secs} s");
    }

    #[test]
    fn continuous_talk_is_cut_below_the_longest_span() {
        // Syllables: 4 per second, each fading to near silence for a moment (no pause long
        // enough to end a span).
        let talk: Vec<f32> = tone(60.0, 0.3)
            .iter()
            .enumerate()
            .map(|(i, x)| {
                x * ((i as f32 * 4.0 * std::f32::consts::PI / RATE as f32)
                    .sin()
                    .abs())
            })
            .collect();
        let spans = gate(&[talk]);
        assert!(spans.len() >= 3, "{}", spans.len());
        let mut next = 0u64;
        for s in &spans {
            assert!(s.samples.len() <= 25 * RATE as usize);
            assert_eq!(s.start, next, "spans of continuous talk must be contiguous");
            next = s.start + s.samples.len() as u64;
        }
        assert_eq!(next, 60 * RATE as u64);
    }
}
