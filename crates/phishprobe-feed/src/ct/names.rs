//! DNS names out of a logged certificate: subject CNs and SAN dNSNames, raw, de-duplicated
//! and capped, because one certificate may carry thousands of names (and a hostile one more).

use std::collections::HashSet;

use x509_parser::certificate::TbsCertificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::tile::Signed;

/// Names longer than this are not DNS names (253 characters, allowing for unconverted
/// Unicode); they are dropped and counted rather than carried through the feed.
const MAX_NAME_BYTES: usize = 1024;

/// The names of one certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    /// Distinct names in certificate order (CNs first, then SANs).
    pub names: Vec<String>,
    /// Distinct names left out because of the cap, plus over-long ones.
    pub dropped: usize,
}

/// Parses the certificate (or precertificate TBSCertificate) and collects its names.
pub fn names_of(signed: Signed<'_>, max_names: usize) -> Result<Names, String> {
    match signed {
        Signed::X509(der) => match X509Certificate::from_der(der) {
            Ok((_, cert)) => Ok(collect(&cert.tbs_certificate, max_names)),
            Err(e) => Err(format!("certificate does not parse: {e}")),
        },
        Signed::Precert(der) => match TbsCertificate::from_der(der) {
            Ok((_, tbs)) => Ok(collect(&tbs, max_names)),
            Err(e) => Err(format!("precertificate TBSCertificate does not parse: {e}")),
        },
    }
}

fn collect(tbs: &TbsCertificate<'_>, max_names: usize) -> Names {
    let mut out = Names::default();
    let mut seen = HashSet::new();
    let mut add = |name: &str| {
        if name.len() > MAX_NAME_BYTES {
            out.dropped += 1;
        } else if seen.contains(name) {
        } else if out.names.len() >= max_names {
            // Remember it anyway (bounded by the certificate's size) so repeats of a dropped
            // name are not counted twice.
            seen.insert(name.to_string());
            out.dropped += 1;
        } else {
            seen.insert(name.to_string());
            out.names.push(name.to_string());
        }
    };
    for cn in tbs.subject().iter_common_name() {
        if let Ok(s) = cn.as_str() {
            add(s);
        }
    }
    // A broken SAN extension leaves the CNs; the feed still learns something.
    if let Ok(Some(san)) = tbs.subject_alternative_name() {
        for name in &san.value.general_names {
            if let GeneralName::DNSName(s) = name {
                add(s);
            }
        }
    }
    out
}
