//! Where the milter listens, in the notation Postfix and Sendmail use for milters
//! (`inet:HOST:PORT`, Sendmail's `inet:PORT@HOST`, `unix:/path`), and the bound socket.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;

/// A milter socket address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddr {
    /// TCP on an address and port.
    Inet(SocketAddr),
    /// A Unix-domain socket at a path (a stale socket file there is replaced).
    Unix(PathBuf),
}

impl FromStr for ListenAddr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!(
                "{s:?}: expected inet:HOST:PORT (inet:127.0.0.1:11340, inet:[::1]:11340), inet:PORT@HOST or unix:/path"
            )
        };
        if let Some(path) = s.strip_prefix("unix:").or_else(|| s.strip_prefix("local:")) {
            if path.is_empty() || !path.starts_with('/') {
                return Err(format!("{s:?}: a unix socket needs an absolute path"));
            }
            return Ok(ListenAddr::Unix(PathBuf::from(path)));
        }
        let rest = s.strip_prefix("inet:").or_else(|| s.strip_prefix("inet6:"));
        let Some(rest) = rest else {
            return Err(bad());
        };
        if let Some((port, host)) = rest.split_once('@') {
            let ip: IpAddr = host
                .trim_matches(|c| c == '[' || c == ']')
                .parse()
                .map_err(|_| bad())?;
            let port: u16 = port.parse().map_err(|_| bad())?;
            return Ok(ListenAddr::Inet(SocketAddr::new(ip, port)));
        }
        rest.parse::<SocketAddr>()
            .map(ListenAddr::Inet)
            .map_err(|_| bad())
    }
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenAddr::Inet(a) => write!(f, "inet:{a}"),
            ListenAddr::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postfix_and_sendmail_notations() {
        let want = ListenAddr::Inet("127.0.0.1:11340".parse().unwrap());
        assert_eq!("inet:127.0.0.1:11340".parse::<ListenAddr>().unwrap(), want);
        assert_eq!("inet:11340@127.0.0.1".parse::<ListenAddr>().unwrap(), want);
        assert_eq!(
            "inet:[::1]:25".parse::<ListenAddr>().unwrap(),
            ListenAddr::Inet("[::1]:25".parse().unwrap())
        );
        assert_eq!(
            "unix:/run/phishprobe/milter.sock"
                .parse::<ListenAddr>()
                .unwrap(),
            ListenAddr::Unix("/run/phishprobe/milter.sock".into())
        );
        for bad in [
            "127.0.0.1:25",
            "inet:localhost",
            "unix:rel/path",
            "inet:99999@::1",
            "",
        ] {
            assert!(bad.parse::<ListenAddr>().is_err(), "{bad}");
        }
    }
}
