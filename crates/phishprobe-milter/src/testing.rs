//! Test fixtures shared by this crate's tests, the CLI's tests and the benchmark: a throwaway
//! Postfix with its configuration, queue and Maildir in a temporary folder, and a small SMTP
//! client. Not for production use.
//!
//! The Postfix needs root (`postfix start`) and Debian's `postfix` package installed with no
//! system configuration. Without them [`TempPostfix::start_or_skip`] skips, unless
//! `PHISHPROBE_REQUIRE_POSTFIX=1` (set by CI), which turns a missing Postfix into a failure.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1 (bound and released; fine for tests on one machine).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// A running throwaway Postfix. Stopped and removed when dropped.
pub struct TempPostfix {
    dir: PathBuf,
    /// The SMTP address it accepts mail on.
    pub smtp: SocketAddr,
}

/// The services a minimal Postfix needs, none chrooted (the folder is not a chroot).
const MASTER_CF: &str = "\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
";

impl TempPostfix {
    /// Start a Postfix whose smtpd uses the milter at `milter` (`inet:127.0.0.1:PORT`, or
    /// `None` for no milter), or `None` when Postfix cannot run here and it is not required.
    /// `extra` are further `main.cf` lines (`name = value`).
    pub fn start_or_skip(milter: Option<&str>, extra: &[&str]) -> Option<TempPostfix> {
        let required = std::env::var("PHISHPROBE_REQUIRE_POSTFIX").is_ok_and(|v| v == "1");
        match TempPostfix::start(milter, extra) {
            Ok(p) => Some(p),
            Err(e) if required => panic!("PHISHPROBE_REQUIRE_POSTFIX=1 but Postfix failed: {e}"),
            Err(e) => {
                eprintln!("skipping: no usable Postfix ({e})");
                None
            }
        }
    }

    /// Start a Postfix (see [`TempPostfix::start_or_skip`]); `Err` says why it could not.
    pub fn start(milter: Option<&str>, extra: &[&str]) -> Result<TempPostfix, String> {
        if !Path::new("/usr/sbin/postfix").exists() {
            return Err("/usr/sbin/postfix is missing (apt-get install postfix)".into());
        }
        let uid = Command::new("id")
            .arg("-u")
            .output()
            .map_err(|e| e.to_string())?;
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            return Err("postfix start needs root".into());
        }
        let dir = unique_dir()?;
        let port = free_port();
        let smtp: SocketAddr = ([127, 0, 0, 1], port).into();
        let p = TempPostfix { dir, smtp };
        p.write_config(milter, extra)?;
        p.postfix(&["start"])?;
        // smtpd answers once master has bound the port.
        let started = Instant::now();
        while TcpStream::connect(smtp).is_err() {
            if started.elapsed() > Duration::from_secs(20) {
                return Err(format!("Postfix did not listen on {smtp}:\n{}", p.log()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(p)
    }

    fn write_config(&self, milter: Option<&str>, extra: &[&str]) -> Result<(), String> {
        let d = &self.dir;
        for sub in ["conf", "queue", "data", "mail"] {
            std::fs::create_dir_all(d.join(sub)).map_err(|e| e.to_string())?;
        }
        chown(&d.join("data"), "postfix:postfix")?;
        chown(&d.join("mail"), "nobody:nogroup")?;
        let master = format!(
            "{}:{} inet n - n - - smtpd\n{MASTER_CF}",
            self.smtp.ip(),
            self.smtp.port()
        );
        let dir = d.display();
        let milters = milter.unwrap_or("");
        let mut main = format!(
            "compatibility_level = 3.6
queue_directory = {dir}/queue
data_directory = {dir}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.phishprobe.test
mydomain = phishprobe.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
maillog_file = {dir}/maillog
maillog_file_prefixes = {dir}
virtual_mailbox_domains = example.test
virtual_mailbox_base = {dir}/mail
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 100
virtual_mailbox_limit = 0
message_size_limit = 67108864
smtpd_milters = {milters}
non_smtpd_milters =
milter_default_action = tempfail
milter_protocol = 6
milter_connect_timeout = 2s
milter_command_timeout = 10s
milter_content_timeout = 30s
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
default_process_limit = 100
alias_maps =
alias_database =
local_recipient_maps =
biff = no
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
"
        );
        for line in extra {
            main.push_str(line);
            main.push('\n');
        }
        std::fs::write(d.join("conf/main.cf"), main).map_err(|e| e.to_string())?;
        std::fs::write(d.join("conf/master.cf"), master).map_err(|e| e.to_string())
    }

    /// Run `postfix -c DIR ARGS`.
    pub fn postfix(&self, args: &[&str]) -> Result<(), String> {
        let conf = self.dir.join("conf");
        let out = Command::new("/usr/sbin/postfix")
            .arg("-c")
            .arg(&conf)
            .args(args)
            .output()
            .map_err(|e| format!("postfix {args:?}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "postfix {args:?} failed: {}{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                self.log()
            ))
        }
    }

    /// Change `main.cf` settings (`name=value`) and reload.
    pub fn reconfigure(&self, settings: &[&str]) -> Result<(), String> {
        let conf = self.dir.join("conf");
        let out = Command::new("/usr/sbin/postconf")
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .args(settings)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        self.postfix(&["reload"])
    }

    /// Postfix's log so far (it writes errors nowhere else).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("maillog")).unwrap_or_default()
    }

    /// Messages delivered to the Maildir, in no particular order.
    pub fn delivered(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.dir.join("mail/inbox").join(sub)) {
                out.extend(entries.flatten().map(|e| e.path()));
            }
        }
        out
    }

    /// Queue ids in the given queue (`hold`, `deferred`, `active`, `incoming`, `maildrop`).
    pub fn queued(&self, queue: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![self.dir.join("queue").join(queue)];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if let Some(name) = p.file_name() {
                    out.push(name.to_string_lossy().into_owned());
                }
            }
        }
        out
    }

    /// Messages anywhere in the queue except hold (still on their way).
    pub fn in_flight(&self) -> usize {
        ["incoming", "active", "deferred", "maildrop"]
            .iter()
            .map(|q| self.queued(q).len())
            .sum()
    }

    /// Wait until `done(self)` holds or `limit` passes; `true` if it held.
    pub fn wait_for(&self, limit: Duration, done: impl Fn(&TempPostfix) -> bool) -> bool {
        let started = Instant::now();
        loop {
            if done(self) {
                return true;
            }
            if started.elapsed() > limit {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The folder holding everything.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for TempPostfix {
    fn drop(&mut self) {
        let _ = self.postfix(&["stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn unique_dir() -> Result<PathBuf, String> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!(
        "phishprobe-postfix-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
    Ok(d)
}

fn chown(path: &Path, owner: &str) -> Result<(), String> {
    let ok = Command::new("chown")
        .arg(owner)
        .arg(path)
        .status()
        .map_err(|e| e.to_string())?
        .success();
    if ok {
        Ok(())
    } else {
        Err(format!("chown {owner} {} failed", path.display()))
    }
}

/// One SMTP reply: the code and the text of its last line.
#[derive(Debug, Clone)]
pub struct Reply {
    /// 250, 451, 550, ...
    pub code: u16,
    /// The reply text (all lines joined by newlines).
    pub text: String,
}

/// A small blocking SMTP client for tests: one connection, several transactions.
pub struct Smtp {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Smtp {
    /// Connect, read the greeting and say EHLO.
    pub fn connect(addr: SocketAddr) -> io::Result<Smtp> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(10))?;
        stream.set_read_timeout(Some(Duration::from_secs(120)))?;
        // Commands are small writes waiting for replies: without it, each may sit out the
        // server's delayed ACK (~40 ms), and that would be measured as Postfix's time.
        stream.set_nodelay(true)?;
        let writer = stream.try_clone()?;
        let mut s = Smtp {
            reader: BufReader::new(stream),
            writer,
        };
        let greeting = s.reply()?;
        if greeting.code != 220 {
            return Err(io::Error::other(format!("greeting: {greeting:?}")));
        }
        let ehlo = s.command("EHLO client.phishprobe.test")?;
        if ehlo.code != 250 {
            return Err(io::Error::other(format!("EHLO: {ehlo:?}")));
        }
        Ok(s)
    }

    fn reply(&mut self) -> io::Result<Reply> {
        let mut text = Vec::new();
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "server closed the connection",
                ));
            }
            let line = line.trim_end();
            let code = line
                .get(..3)
                .and_then(|c| c.parse::<u16>().ok())
                .ok_or_else(|| io::Error::other(format!("bad reply line {line:?}")))?;
            text.push(line.get(4..).unwrap_or("").to_string());
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(Reply {
                    code,
                    text: text.join("\n"),
                });
            }
        }
    }

    /// Send one command line and read its reply.
    pub fn command(&mut self, line: &str) -> io::Result<Reply> {
        let mut buf = Vec::with_capacity(line.len() + 2);
        buf.extend_from_slice(line.as_bytes());
        buf.extend_from_slice(b"\r\n");
        self.writer.write_all(&buf)?;
        self.reply()
    }

    /// One transaction. Returns the first reply that is not a success (after an RSET, so the
    /// connection can go on), or the reply to the end of data.
    pub fn send(&mut self, from: &str, to: &[&str], message: &[u8]) -> io::Result<Reply> {
        let r = self.command(&format!("MAIL FROM:<{from}>"))?;
        if r.code != 250 {
            return self.reset_with(r);
        }
        for rcpt in to {
            let r = self.command(&format!("RCPT TO:<{rcpt}>"))?;
            if r.code != 250 {
                return self.reset_with(r);
            }
        }
        let r = self.command("DATA")?;
        if r.code != 354 {
            return self.reset_with(r);
        }
        self.data(message)
    }

    /// After a 354 reply to DATA: send the message and read the reply to its end.
    pub fn data(&mut self, message: &[u8]) -> io::Result<Reply> {
        let mut data = dot_stuffed(message);
        data.extend_from_slice(b".\r\n");
        self.writer.write_all(&data)?;
        self.reply()
    }

    fn reset_with(&mut self, r: Reply) -> io::Result<Reply> {
        // After a 421 the server may already have closed; the first reply is what counts.
        let _ = self.command("RSET");
        Ok(r)
    }

    /// Say QUIT.
    pub fn quit(mut self) {
        let _ = self.command("QUIT");
    }
}

/// The message with CRLF line ends, leading dots doubled, and a final line end.
pub fn dot_stuffed(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 40 + 2);
    for line in message.split_inclusive(|&b| b == b'\n') {
        let body = line
            .strip_suffix(b"\n")
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .unwrap_or(line);
        if body.first() == Some(&b'.') {
            out.push(b'.');
        }
        out.extend_from_slice(body);
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_stuffing_and_line_ends() {
        assert_eq!(
            dot_stuffed(b"a\n.b\r\n..c\nlast"),
            b"a\r\n..b\r\n...c\r\nlast\r\n".to_vec()
        );
    }
}
