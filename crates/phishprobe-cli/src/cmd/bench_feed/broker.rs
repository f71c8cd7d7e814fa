//! The NATS server the phases share: one `nats-server` started here on a free loopback port
//! with a throwaway store (so its CPU can be measured), or the one `--nats` names. Apart from
//! the phases because it lives for the whole run and is stopped when the bench is dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

/// The NATS server: started here (its pid gives its CPU) or the one `--nats` names.
pub(super) struct Broker {
    pub(super) url: String,
    child: Option<Child>,
    pub(super) version: String,
}

impl Broker {
    pub(super) fn start(external: Option<&str>, dir: &Path) -> Result<Broker> {
        if let Some(url) = external {
            return Ok(Broker {
                url: url.to_string(),
                child: None,
                version: "external".into(),
            });
        }
        let binary = nats_binary()
            .context("nats-server not found (apt install nats-server, or give --nats URL)")?;
        let port = phishprobe_milter::testing::free_port();
        let store = dir.join("nats");
        let log = std::fs::File::create(dir.join("nats.log")).context("creating the log")?;
        let child = Command::new(&binary)
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(&store)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(30) {
                bail!("nats-server did not listen on port {port}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let version = Command::new(&binary)
            .arg("--version")
            .output()
            .map(|o| {
                let text = String::from_utf8_lossy(&o.stdout);
                text.trim()
                    .trim_start_matches("nats-server:")
                    .trim()
                    .to_string()
            })
            .unwrap_or_default();
        Ok(Broker {
            url: format!("nats://127.0.0.1:{port}"),
            child: Some(child),
            version,
        })
    }

    pub(super) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Debian's `nats-server` (or `PHISHPROBE_NATS_SERVER`), as the tests find it.
pub(super) fn nats_binary() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("PHISHPROBE_NATS_SERVER") {
        return Some(PathBuf::from(path));
    }
    [
        "/usr/sbin/nats-server",
        "/usr/bin/nats-server",
        "/usr/local/bin/nats-server",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}
