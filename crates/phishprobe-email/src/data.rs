//! The email checker's own data files (`data/email/` at the workspace root): commonly imitated
//! brands without a profile, free-mail domains and lure phrases. Embedded at build time; a
//! folder given at run time replaces any of them, and a file that does not load is an error
//! naming it, never skipped.

use std::collections::HashSet;

use phishprobe_core::DataError;
use serde::Deserialize;

use crate::cues::Lures;

/// The three files, as they are named in `data/email/` and in an override folder.
pub const FILE_NAMES: [&str; 3] = [IMPERSONATED, FREEMAIL, LURES];

const IMPERSONATED: &str = "impersonated.toml";
const FREEMAIL: &str = "freemail.toml";
const LURES: &str = "lures.toml";

const EMBEDDED_IMPERSONATED: &str = include_str!("../../../data/email/impersonated.toml");
const EMBEDDED_FREEMAIL: &str = include_str!("../../../data/email/freemail.toml");
const EMBEDDED_LURES: &str = include_str!("../../../data/email/lures.toml");

#[derive(Debug, Deserialize)]
struct ExtraFile {
    brand: Vec<ExtraBrand>,
}

/// A commonly imitated brand without a full profile (`impersonated.toml`).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ExtraBrand {
    pub(crate) names: Vec<String>,
    pub(crate) domains: Vec<String>,
}

#[derive(Deserialize)]
struct FreemailFile {
    domains: Vec<String>,
}

/// The email checker's data, loaded and parsed once.
#[derive(Debug, Clone)]
pub struct EmailData {
    pub(crate) extras: Vec<ExtraBrand>,
    pub(crate) freemail: HashSet<String>,
    pub(crate) lures: Lures,
}

impl EmailData {
    /// The files embedded in the binary. They are checked by the tests, so a broken one is a
    /// build mistake: it stops here with the file named.
    pub fn embedded() -> EmailData {
        EmailData::from_sources(None, None, None)
            .unwrap_or_else(|e| panic!("embedded data/email: {e}"))
    }

    /// Build from `(file name, TOML)` sources; `None` takes the embedded file. The name is
    /// what an error reports.
    pub fn from_sources(
        impersonated: Option<(&str, &str)>,
        freemail: Option<(&str, &str)>,
        lures: Option<(&str, &str)>,
    ) -> Result<EmailData, DataError> {
        let (name, text) = impersonated.unwrap_or((IMPERSONATED, EMBEDDED_IMPERSONATED));
        let extras = toml::from_str::<ExtraFile>(text)
            .map_err(|e| DataError::from_toml(name, text, &e))?
            .brand;
        let (name, text) = freemail.unwrap_or((FREEMAIL, EMBEDDED_FREEMAIL));
        let freemail = toml::from_str::<FreemailFile>(text)
            .map_err(|e| DataError::from_toml(name, text, &e))?
            .domains
            .into_iter()
            .collect();
        let (name, text) = lures.unwrap_or((LURES, EMBEDDED_LURES));
        let lures = Lures::from_toml(text).map_err(|what| DataError::Invalid {
            file: name.to_string(),
            what,
        })?;
        Ok(EmailData {
            extras,
            freemail,
            lures,
        })
    }

    /// Read the files of `dir` that are there (any of [`FILE_NAMES`]); the others stay the
    /// embedded ones. A file that cannot be read or parsed is an error naming it.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_dir(dir: &std::path::Path) -> Result<EmailData, DataError> {
        let mut texts: Vec<Option<(String, String)>> = Vec::new();
        for file in FILE_NAMES {
            let path = dir.join(file);
            texts.push(match std::fs::read_to_string(&path) {
                Ok(text) => Some((path.display().to_string(), text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    return Err(DataError::Invalid {
                        file: path.display().to_string(),
                        what: e.to_string(),
                    });
                }
            });
        }
        let get = |i: usize| {
            texts
                .get(i)
                .and_then(|t| t.as_ref())
                .map(|(n, t)| (n.as_str(), t.as_str()))
        };
        EmailData::from_sources(get(0), get(1), get(2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_files_load() {
        let data = EmailData::embedded();
        assert!(!data.extras.is_empty());
        assert!(data.freemail.contains("gmail.com"));
    }

    #[test]
    fn a_broken_file_is_an_error_naming_it() {
        let err = EmailData::from_sources(None, Some(("my/freemail.toml", "domains = [1")), None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("my/freemail.toml:1:"), "{err}");
        let err = EmailData::from_sources(None, None, Some(("x/lures.toml", "credential = 3")))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("x/lures.toml"), "{err}");
    }

    #[test]
    fn an_override_replaces_only_its_file() {
        let data = EmailData::from_sources(
            None,
            Some(("freemail.toml", "domains = [\"example-free.test\"]")),
            None,
        )
        .map_err(|e| e.to_string());
        let data = match data {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        };
        assert!(data.freemail.contains("example-free.test"));
        assert!(!data.freemail.contains("gmail.com"));
        assert_eq!(data.extras.len(), EmailData::embedded().extras.len());
    }
}
