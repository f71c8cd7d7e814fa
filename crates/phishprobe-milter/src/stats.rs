//! Counters an admin watches: messages, verdicts, actions, tempfails, connections, and the time
//! spent checking. Shown in Prometheus' text format on an optional metrics address and as one
//! summary line when the milter stops.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const VERDICTS: [&str; 5] = ["genuine", "unknown", "suspicious", "phishing", "unchecked"];
const ACTIONS: [&str; 7] = [
    "header",
    "tag",
    "quarantine",
    "reject",
    "discard",
    "tempfail",
    "accept",
];
const REASONS: [&str; 6] = ["size", "excluded", "not-email", "deadline", "busy", "error"];

/// All counters; shared by every connection.
#[derive(Debug, Default)]
pub struct Stats {
    messages: AtomicU64,
    verdicts: [AtomicU64; VERDICTS.len()],
    actions: [AtomicU64; ACTIONS.len()],
    unchecked: [AtomicU64; REASONS.len()],
    connections: AtomicU64,
    connections_refused: AtomicU64,
    protocol_errors: AtomicU64,
    check_micros: AtomicU64,
}

fn bump(counters: &[AtomicU64], names: &[&str], name: &str) {
    if let Some(i) = names.iter().position(|n| *n == name) {
        counters[i].fetch_add(1, Ordering::Relaxed);
    }
}

impl Stats {
    /// One message answered: its verdict, the action and, when unchecked, why.
    pub fn message(&self, verdict: &str, action: &str, unchecked: Option<&str>, took: Duration) {
        self.messages.fetch_add(1, Ordering::Relaxed);
        bump(&self.verdicts, &VERDICTS, verdict);
        bump(&self.actions, &ACTIONS, action);
        if let Some(reason) = unchecked {
            bump(&self.unchecked, &REASONS, reason);
        }
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.check_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// A connection accepted (`true`) or closed at once because of the connection limit.
    pub fn connection(&self, accepted: bool) {
        let c = if accepted {
            &self.connections
        } else {
            &self.connections_refused
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection ended by a protocol error, an oversized packet or the idle timeout.
    pub fn protocol_error(&self) {
        self.protocol_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Messages answered so far.
    pub fn messages(&self) -> u64 {
        self.messages.load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition of every counter.
    pub fn prometheus(&self) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, rows: Vec<(String, String)>| {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n"));
            for (labels, v) in rows {
                out.push_str(&format!("{name}{labels} {v}\n"));
            }
        };
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed).to_string();
        let one = |c: &AtomicU64| vec![(String::new(), load(c))];
        let labelled = |label: &str, names: &[&str], cs: &[AtomicU64]| {
            names
                .iter()
                .zip(cs)
                .map(|(n, c)| (format!("{{{label}=\"{n}\"}}"), load(c)))
                .collect::<Vec<_>>()
        };
        counter(
            "phishprobe_milter_messages_total",
            "Messages answered.",
            one(&self.messages),
        );
        counter(
            "phishprobe_milter_verdicts_total",
            "Messages by verdict (unchecked: no verdict).",
            labelled("verdict", &VERDICTS, &self.verdicts),
        );
        counter(
            "phishprobe_milter_actions_total",
            "Messages by action taken.",
            labelled("action", &ACTIONS, &self.actions),
        );
        counter(
            "phishprobe_milter_unchecked_total",
            "Messages without a verdict, by reason (deadline, busy and error follow the failure policy).",
            labelled("reason", &REASONS, &self.unchecked),
        );
        counter(
            "phishprobe_milter_connections_total",
            "Milter connections accepted.",
            one(&self.connections),
        );
        counter(
            "phishprobe_milter_connections_refused_total",
            "Milter connections closed at once: the connection limit was reached.",
            one(&self.connections_refused),
        );
        counter(
            "phishprobe_milter_protocol_errors_total",
            "Connections ended by a malformed or oversized packet or the idle timeout.",
            one(&self.protocol_errors),
        );
        counter(
            "phishprobe_milter_answer_seconds_total",
            "Time from the end of a message to the milter's answer, summed.",
            vec![(
                String::new(),
                format!(
                    "{:.6}",
                    self.check_micros.load(Ordering::Relaxed) as f64 / 1e6
                ),
            )],
        );
        out
    }

    /// One line for the log when the milter stops.
    pub fn summary(&self) -> String {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut parts = vec![format!("messages={}", load(&self.messages))];
        for (n, c) in VERDICTS.iter().zip(&self.verdicts) {
            parts.push(format!("{n}={}", load(c)));
        }
        for (n, c) in ACTIONS.iter().zip(&self.actions) {
            parts.push(format!("{n}={}", load(c)));
        }
        parts.push(format!("connections={}", load(&self.connections)));
        parts.push(format!("refused={}", load(&self.connections_refused)));
        parts.push(format!("protocol_errors={}", load(&self.protocol_errors)));
        parts.join(" ")
    }
}

/// Serve `GET /metrics` (any path, in fact) in Prometheus' text format until the task is
/// dropped. Four requests at a time, each with 5 s and 8 KiB; anything else is closed.
pub async fn serve_metrics(listener: TcpListener, stats: std::sync::Arc<Stats>) {
    // A few scrapers at once; more wait, so the endpoint cannot use up file descriptors the
    // milter needs.
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(4));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let Ok((mut stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let stats = stats.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let mut buf = [0u8; 8192];
            let mut got = 0;
            let read = async {
                while got < buf.len() {
                    match stream.read(&mut buf[got..]).await {
                        Ok(0) | Err(_) => return false,
                        Ok(n) => got += n,
                    }
                    if buf[..got].windows(4).any(|w| w == b"\r\n\r\n") {
                        return true;
                    }
                }
                false
            };
            if !matches!(
                tokio::time::timeout(Duration::from_secs(5), read).await,
                Ok(true)
            ) {
                return;
            }
            let body = stats.prometheus();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(body.as_bytes()).await;
            let _ = stream.shutdown().await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_show_in_prometheus_text() {
        let s = Stats::default();
        s.message("phishing", "quarantine", None, Duration::from_millis(3));
        s.message(
            "unchecked",
            "tempfail",
            Some("deadline"),
            Duration::from_millis(10),
        );
        s.connection(true);
        s.connection(false);
        let text = s.prometheus();
        for line in [
            "phishprobe_milter_messages_total 2",
            "phishprobe_milter_verdicts_total{verdict=\"phishing\"} 1",
            "phishprobe_milter_actions_total{action=\"tempfail\"} 1",
            "phishprobe_milter_unchecked_total{reason=\"deadline\"} 1",
            "phishprobe_milter_connections_refused_total 1",
            "phishprobe_milter_answer_seconds_total 0.013000",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
        assert!(s.summary().starts_with("messages=2 "));
    }
}
