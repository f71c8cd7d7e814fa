//! `--verify-auth`: check DKIM signatures, SPF for the connecting client, DMARC and ARC
//! ourselves with mail-auth (feature `verify-auth`, on by default), instead of trusting the
//! receiving server's Authentication-Results header.
//!
//! DNS answers come either from the system resolver ([`Verifier::live`], 3 s per query, 10 s
//! per message) or from a record file ([`Verifier::offline`], [`DnsRecords`]): every name the
//! file does not list is answered "does not exist", so an offline check never touches the
//! network and a missing record is a definite answer (DMARC walks up to the parent domains and
//! would otherwise report a temporary error). The tests use the offline mode with mail they
//! signed themselves (`resources/auth/`).
//!
//! SPF needs the SMTP client's address, HELO name and envelope sender, which a stored message
//! only has in its trace headers: the topmost `Received-SPF` (`client-ip=`, `helo=`,
//! `envelope-from=`), then Microsoft's "sender IP is" comment in Authentication-Results, then
//! the first Received line (from the top) whose client address is public; the envelope sender
//! falls back to Return-Path. Without a client address SPF is reported as `none`.
//!
//! The results become an [`AuthSummary`] (authserv-id `phishprobe-verify`) that replaces the
//! header-based one in the weighing: the same brand-alignment rules apply.

use std::net::IpAddr;

use crate::auth::{AuthResult, AuthSummary};

/// The authserv-id shown for results phishprobe verified itself.
pub const VERIFIED_ID: &str = "phishprobe-verify";

/// What SPF needs from the message's trace headers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    /// The SMTP client address, from the trace headers.
    pub client_ip: Option<IpAddr>,
    /// The client's HELO name.
    pub helo: String,
    /// The envelope sender (Return-Path).
    pub mail_from: String,
}

fn public_ip(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => {
            let o = v.octets();
            !(v.is_private()
                || v.is_loopback()
                || v.is_link_local()
                || v.is_unspecified()
                || v.is_broadcast()
                || o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v) => {
            let s = v.segments();
            !(v.is_loopback()
                || v.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80)
        }
    }
}

/// The value of `key=` in a `Received-SPF` header (`client-ip=1.2.3.4;`).
fn kv<'a>(h: &'a str, key: &str) -> Option<&'a str> {
    let lower = h.to_ascii_lowercase();
    let p = lower.find(&format!("{key}="))?;
    let v = h.get(p + key.len() + 1..)?;
    let v = v.trim_start_matches('"');
    let end = v.find([';', ' ', '"', '\r', '\n', ')']).unwrap_or(v.len());
    v.get(..end).filter(|s| !s.is_empty())
}

/// First `[address]` (or bare address in parentheses) of a Received line's from-clause.
fn received_client(h: &str) -> Option<(IpAddr, String)> {
    let t = h.trim_start();
    let from = t.strip_prefix("from").or_else(|| t.strip_prefix("FROM"))?;
    let by = from.find(" by ").unwrap_or(from.len());
    let clause = &from[..by];
    let helo = clause.split_whitespace().next().unwrap_or("").to_string();
    let mut rest = clause;
    while let Some(p) = rest.find('[') {
        let tail = &rest[p + 1..];
        let e = tail.find(']')?;
        let lit = tail[..e]
            .trim_start_matches("IPv6:")
            .trim_start_matches("ipv6:");
        if let Ok(ip) = lit.parse::<IpAddr>() {
            return Some((ip, helo));
        }
        rest = &tail[e..];
    }
    None
}

/// The SMTP envelope as the trace headers tell it (see the module notes), from raw headers
/// in message order (topmost first).
pub fn envelope<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Envelope {
    let mut env = Envelope::default();
    let mut received: Option<(IpAddr, String)> = None;
    let mut ar_ip: Option<IpAddr> = None;
    let mut return_path = String::new();
    for (name, value) in headers.into_iter().take(500) {
        let value = &value[..value.len().min(4096)];
        if name.eq_ignore_ascii_case("Received-SPF") && env.client_ip.is_none() {
            env.client_ip = kv(value, "client-ip").and_then(|v| v.parse().ok());
            env.helo = kv(value, "helo").unwrap_or("").to_string();
            env.mail_from = kv(value, "envelope-from")
                .unwrap_or("")
                .trim_matches(['<', '>'])
                .to_string();
        } else if name.eq_ignore_ascii_case("Authentication-Results") && ar_ip.is_none() {
            if let Some(p) = value.find("sender IP is ") {
                let v = &value[p + 13..];
                let e = v.find([')', ' ', ';']).unwrap_or(v.len());
                ar_ip = v[..e].parse().ok();
            }
        } else if name.eq_ignore_ascii_case("Received") && received.is_none() {
            if let Some((ip, helo)) = received_client(value)
                && public_ip(&ip)
            {
                received = Some((ip, helo));
            }
        } else if name.eq_ignore_ascii_case("Return-Path") && return_path.is_empty() {
            return_path = value.trim().trim_matches(['<', '>']).to_string();
        }
    }
    if env.client_ip.is_none() {
        env.client_ip = ar_ip.or(received.as_ref().map(|r| r.0));
    }
    if env.helo.is_empty()
        && let Some((_, h)) = &received
    {
        env.helo = h.trim_matches(['(', ')', '[', ']']).to_string();
    }
    if env.mail_from.is_empty() {
        env.mail_from = return_path;
    }
    env
}

#[cfg(feature = "verify-auth")]
mod imp {
    use std::collections::HashMap;
    use std::hash::Hash;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    use std::sync::Arc;
    use std::time::Duration;

    use mail_auth::common::parse::TxtRecordParser;
    use mail_auth::common::verify::DomainKey;
    use mail_auth::dmarc::Dmarc;
    use mail_auth::dmarc::verify::DmarcParameters;
    use mail_auth::hickory_resolver::config::{ResolverConfig, ResolverOpts};
    use mail_auth::hickory_resolver::proto::op::ResponseCode;
    use mail_auth::spf::Spf;
    use mail_auth::spf::verify::SpfParameters;
    use mail_auth::{
        AuthenticatedMessage, DkimResult, DmarcResult, DnsError, DnssecStatus, Error, MX,
        MessageAuthenticator, Parameters, RecordSet, ResolverCache, SpfResult, Txt,
    };

    use super::{AuthResult, AuthSummary, Envelope, VERIFIED_ID, envelope};

    /// A read-only DNS record cache (what `mail-auth` looks records up in): names it lists
    /// answer with their records, every other name answers "does not exist" (TXT) or "no
    /// addresses" (A, AAAA, MX, PTR).
    pub struct RecordCache<K, V> {
        map: HashMap<K, V>,
        missing: V,
    }

    impl<K: Hash + Eq, V: Clone> ResolverCache<K, V> for RecordCache<K, V> {
        fn get<Q>(&self, name: &Q) -> Option<V>
        where
            K: std::borrow::Borrow<Q>,
            Q: Hash + Eq + ?Sized,
        {
            Some(
                self.map
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| self.missing.clone()),
            )
        }
        fn remove<Q>(&self, _: &Q) -> Option<V>
        where
            K: std::borrow::Borrow<Q>,
            Q: Hash + Eq + ?Sized,
        {
            None
        }
        fn insert(&self, _: K, _: V, _: std::time::Instant) {}
    }

    fn set<T>(v: Vec<T>) -> RecordSet<T> {
        RecordSet {
            rrset: Arc::from(v.into_boxed_slice()),
            dnssec_status: DnssecStatus::Indeterminate,
        }
    }

    /// DNS records for offline verification, one per line:
    /// `name TXT "text"`, `name A 192.0.2.1`, `name AAAA 2001:db8::1`, `name MX 10 host`,
    /// `192.0.2.1 PTR host`. `#` starts a comment. TXT records are parsed by their name:
    /// `_dmarc.` names as DMARC, `._domainkey.` names as DKIM keys, others as SPF.
    pub struct DnsRecords {
        txt: RecordCache<Box<str>, Txt>,
        mx: RecordCache<Box<str>, RecordSet<MX>>,
        a: RecordCache<Box<str>, RecordSet<Ipv4Addr>>,
        aaaa: RecordCache<Box<str>, RecordSet<Ipv6Addr>>,
        ptr: RecordCache<IpAddr, RecordSet<Box<str>>>,
    }

    fn fqdn(n: &str) -> Box<str> {
        let n = n.trim().to_ascii_lowercase();
        if n.ends_with('.') {
            n.into()
        } else {
            format!("{n}.").into()
        }
    }

    impl DnsRecords {
        /// Parse a record file; errors name the line.
        pub fn parse(text: &str) -> Result<DnsRecords, String> {
            let not_found =
                Txt::Error(Error::Dns(DnsError::RecordNotFound(ResponseCode::NXDomain)));
            let mut txt: HashMap<Box<str>, Txt> = HashMap::new();
            let mut mx: HashMap<Box<str>, Vec<MX>> = HashMap::new();
            let mut a: HashMap<Box<str>, Vec<Ipv4Addr>> = HashMap::new();
            let mut aaaa: HashMap<Box<str>, Vec<Ipv6Addr>> = HashMap::new();
            let mut ptr: HashMap<IpAddr, Vec<Box<str>>> = HashMap::new();
            for (no, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let bad = |what: &str| format!("line {}: {what}: {line}", no + 1);
                let mut it = line.splitn(3, char::is_whitespace);
                let (Some(name), Some(kind), Some(value)) = (it.next(), it.next(), it.next())
                else {
                    return Err(bad("expected `name TYPE value`"));
                };
                let value = value.trim();
                match kind.to_ascii_uppercase().as_str() {
                    "TXT" => {
                        // Quoted strings are joined (long DKIM keys are split into several).
                        let joined: String = if value.starts_with('"') {
                            value.split('"').skip(1).step_by(2).collect()
                        } else {
                            value.to_string()
                        };
                        let key = fqdn(name);
                        let rec = joined.as_bytes();
                        let parsed: Txt = if key.starts_with("_dmarc.") {
                            Dmarc::parse(rec)
                                .map(Txt::from)
                                .map_err(|e| bad(&e.to_string()))?
                        } else if key.contains("._domainkey.") {
                            DomainKey::parse(rec)
                                .map(Txt::from)
                                .map_err(|e| bad(&e.to_string()))?
                        } else {
                            Spf::parse(rec)
                                .map(Txt::from)
                                .map_err(|e| bad(&e.to_string()))?
                        };
                        txt.insert(key, parsed);
                    }
                    "A" => a
                        .entry(fqdn(name))
                        .or_default()
                        .push(value.parse().map_err(|_| bad("bad IPv4 address"))?),
                    "AAAA" => aaaa
                        .entry(fqdn(name))
                        .or_default()
                        .push(value.parse().map_err(|_| bad("bad IPv6 address"))?),
                    "MX" => {
                        let (pref, host) = value
                            .split_once(char::is_whitespace)
                            .ok_or_else(|| bad("expected `MX preference host`"))?;
                        let preference = pref.parse().map_err(|_| bad("bad MX preference"))?;
                        mx.entry(fqdn(name)).or_default().push(MX {
                            exchanges: vec![fqdn(host)].into_boxed_slice(),
                            preference,
                        });
                    }
                    "PTR" => ptr
                        .entry(
                            name.parse()
                                .map_err(|_| bad("PTR name must be an address"))?,
                        )
                        .or_default()
                        .push(fqdn(value)),
                    other => return Err(bad(&format!("unknown record type {other}"))),
                }
            }
            Ok(DnsRecords {
                txt: RecordCache {
                    map: txt,
                    missing: not_found,
                },
                mx: RecordCache {
                    map: mx.into_iter().map(|(k, v)| (k, set(v))).collect(),
                    missing: set(Vec::new()),
                },
                a: RecordCache {
                    map: a.into_iter().map(|(k, v)| (k, set(v))).collect(),
                    missing: set(Vec::new()),
                },
                aaaa: RecordCache {
                    map: aaaa.into_iter().map(|(k, v)| (k, set(v))).collect(),
                    missing: set(Vec::new()),
                },
                ptr: RecordCache {
                    map: ptr.into_iter().map(|(k, v)| (k, set(v))).collect(),
                    missing: set(Vec::new()),
                },
            })
        }
    }

    /// Verifies messages; build once, share across threads.
    pub struct Verifier {
        rt: tokio::runtime::Runtime,
        auth: MessageAuthenticator,
        records: Option<DnsRecords>,
        timeout: Duration,
    }

    fn runtime() -> Result<tokio::runtime::Runtime, String> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the DNS runtime: {e}"))
    }

    impl Verifier {
        /// DNS through the system's resolver configuration (`/etc/resolv.conf`).
        pub fn live() -> Result<Verifier, String> {
            let rt = runtime()?;
            let auth = {
                let _g = rt.enter();
                let (config, mut opts) =
                    mail_auth::hickory_resolver::system_conf::read_system_conf()
                        .map_err(|e| format!("cannot read the system DNS configuration: {e}"))?;
                opts.timeout = Duration::from_secs(3);
                opts.attempts = 1;
                MessageAuthenticator::new(config, opts)
                    .map_err(|e| format!("cannot set up the DNS resolver: {e}"))?
            };
            Ok(Verifier {
                rt,
                auth,
                records: None,
                timeout: Duration::from_secs(10),
            })
        }

        /// DNS answered only from `records` (no network at all).
        pub fn offline(records: DnsRecords) -> Result<Verifier, String> {
            let rt = runtime()?;
            let auth = {
                let _g = rt.enter();
                // No name servers: a name the store does not answer fails at once.
                MessageAuthenticator::new(
                    ResolverConfig::from_parts(None, Vec::new(), Vec::new()),
                    ResolverOpts::default(),
                )
                .map_err(|e| format!("cannot set up the offline resolver: {e}"))?
            };
            Ok(Verifier {
                rt,
                auth,
                records: Some(records),
                timeout: Duration::from_secs(10),
            })
        }

        /// Verify one raw message. `None` when mail-auth cannot read its headers.
        pub fn verify(&self, raw: &[u8]) -> Option<AuthSummary> {
            let msg = AuthenticatedMessage::parse(raw)?;
            let env = envelope(msg.headers.iter().filter_map(|(n, v)| {
                Some((std::str::from_utf8(n).ok()?, std::str::from_utf8(v).ok()?))
            }));
            let fut = self.run(&msg, &env);
            let r = self
                .rt
                .block_on(async { tokio::time::timeout(self.timeout, fut).await });
            Some(r.unwrap_or_else(|_| AuthSummary {
                authserv_id: VERIFIED_ID.into(),
                results: vec![AuthResult {
                    method: "dkim".into(),
                    result: "temperror".into(),
                    domain: String::new(),
                    brand_aligned: false,
                    ..Default::default()
                }],
            }))
        }

        async fn run(&self, msg: &AuthenticatedMessage<'_>, env: &Envelope) -> AuthSummary {
            let r = self.records.as_ref();
            macro_rules! params {
                ($p:expr) => {
                    Parameters {
                        params: $p,
                        cache_txt: r.map(|r| &r.txt),
                        cache_mx: r.map(|r| &r.mx),
                        cache_ptr: r.map(|r| &r.ptr),
                        cache_ipv4: r.map(|r| &r.a),
                        cache_ipv6: r.map(|r| &r.aaaa),
                    }
                };
            }
            let mut results = Vec::new();
            let dkim = self.auth.verify_dkim(params!(msg)).await;
            for d in dkim.iter().take(8) {
                results.push(AuthResult {
                    method: "dkim".into(),
                    result: dkim_word(d.result()).into(),
                    domain: d
                        .signature()
                        .map(|s| s.d.to_ascii_lowercase())
                        .unwrap_or_default(),
                    brand_aligned: false,
                    ..Default::default()
                });
            }
            if dkim.is_empty() {
                results.push(AuthResult {
                    method: "dkim".into(),
                    result: "none".into(),
                    ..Default::default()
                });
            }
            let mail_from_domain = env
                .mail_from
                .rsplit_once('@')
                .map(|(_, d)| d.to_string())
                .unwrap_or_else(|| env.helo.clone());
            let spf = match env.client_ip {
                Some(ip) => {
                    let helo = if env.helo.is_empty() {
                        mail_from_domain.as_str()
                    } else {
                        env.helo.as_str()
                    };
                    let sender = if env.mail_from.is_empty() {
                        format!("postmaster@{helo}")
                    } else {
                        env.mail_from.clone()
                    };
                    self.auth
                        .verify_spf(params!(SpfParameters::verify_mail_from(
                            ip,
                            helo,
                            VERIFIED_ID,
                            &sender
                        )))
                        .await
                }
                None => mail_auth::SpfOutput::default(),
            };
            results.push(AuthResult {
                method: "spf".into(),
                result: spf_word(spf.result()).into(),
                domain: spf.domain().to_ascii_lowercase(),
                brand_aligned: false,
                ..Default::default()
            });
            let dmarc = self
                .auth
                .verify_dmarc(params!(DmarcParameters::new(
                    msg,
                    &dkim,
                    &mail_from_domain,
                    &spf
                )))
                .await;
            if !dmarc.domain().is_empty() {
                results.push(AuthResult {
                    method: "dmarc".into(),
                    result: dmarc_word(&dmarc.result()).into(),
                    domain: dmarc.domain().to_ascii_lowercase(),
                    brand_aligned: false,
                    policy: match dmarc.policy() {
                        mail_auth::dmarc::Policy::None => "none",
                        mail_auth::dmarc::Policy::Quarantine => "quarantine",
                        mail_auth::dmarc::Policy::Reject => "reject",
                        mail_auth::dmarc::Policy::Unspecified => "",
                    }
                    .into(),
                    ..Default::default()
                });
            }
            if !msg.as_headers.is_empty() || !msg.ams_headers.is_empty() {
                let arc = self.auth.verify_arc(params!(msg)).await;
                results.push(AuthResult {
                    method: "arc".into(),
                    result: dkim_word(arc.result()).into(),
                    domain: String::new(),
                    brand_aligned: false,
                    ..Default::default()
                });
            }
            AuthSummary {
                authserv_id: VERIFIED_ID.into(),
                results,
            }
        }
    }

    /// A changed body is "neutral" in mail-auth's terms; RFC 8601 readers (and people)
    /// call a signature whose body hash does not match a failed one.
    fn dkim_word(r: &DkimResult) -> &'static str {
        match r {
            DkimResult::Pass => "pass",
            DkimResult::Neutral(Error::Dkim(mail_auth::dkim::DkimError::FailedBodyHashMatch)) => {
                "fail"
            }
            DkimResult::Neutral(_) => "neutral",
            DkimResult::Fail(_) => "fail",
            DkimResult::PermError(_) => "permerror",
            DkimResult::TempError(_) => "temperror",
            DkimResult::None => "none",
        }
    }

    fn spf_word(r: SpfResult) -> &'static str {
        match r {
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::Neutral => "neutral",
            SpfResult::TempError => "temperror",
            SpfResult::PermError => "permerror",
            SpfResult::None => "none",
        }
    }

    /// DMARC passes when aligned DKIM or aligned SPF passed; a published policy with neither
    /// is a fail (mail-auth's own ranking).
    fn dmarc_word(r: &DmarcResult) -> &'static str {
        match r {
            DmarcResult::Pass => "pass",
            DmarcResult::Fail(_) => "fail",
            DmarcResult::PermError(_) => "permerror",
            DmarcResult::TempError(_) => "temperror",
            DmarcResult::None => "none",
        }
    }
}

#[cfg(feature = "verify-auth")]
pub use imp::{DnsRecords, Verifier};

/// Without the `verify-auth` feature: the same API, answering that verification is missing.
#[cfg(not(feature = "verify-auth"))]
mod off {
    use crate::auth::AuthSummary;

    pub struct DnsRecords;
    impl DnsRecords {
        pub fn parse(_: &str) -> Result<DnsRecords, String> {
            Err("this build has no --verify-auth (feature verify-auth is off)".into())
        }
    }
    pub struct Verifier;
    impl Verifier {
        pub fn live() -> Result<Verifier, String> {
            Err("this build has no --verify-auth (feature verify-auth is off)".into())
        }
        pub fn offline(_: DnsRecords) -> Result<Verifier, String> {
            Self::live()
        }
        pub fn verify(&self, _: &[u8]) -> Option<AuthSummary> {
            None
        }
    }
}

#[cfg(not(feature = "verify-auth"))]
pub use off::{DnsRecords, Verifier};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_from_trace_headers() {
        let h = [
            (
                "Received",
                "from mx.internal (localhost [127.0.0.1]) by mx.receiver.example",
            ),
            (
                "Received",
                "from mail.sender.example (mail.sender.example [192.0.2.55]) by mx.receiver.example with ESMTPS",
            ),
            ("Return-Path", "<bounce@sender.example>"),
        ];
        let e = envelope(h);
        assert_eq!(e.client_ip, Some("192.0.2.55".parse().unwrap()));
        assert_eq!(e.helo, "mail.sender.example");
        assert_eq!(e.mail_from, "bounce@sender.example");
        let spf = [(
            "Received-SPF",
            "pass (receiver: domain of a@b.example designates 198.51.100.7 as permitted sender) client-ip=198.51.100.7; envelope-from=\"a@b.example\"; helo=out.b.example;",
        )];
        let e = envelope(spf);
        assert_eq!(e.client_ip, Some("198.51.100.7".parse().unwrap()));
        assert_eq!(e.helo, "out.b.example");
        assert_eq!(e.mail_from, "a@b.example");
        assert_eq!(envelope([("Subject", "x")]), Envelope::default());
    }
}
