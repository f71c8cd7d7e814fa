//! Errors about the data files (brand profiles, lists, patterns): always name the file and line.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DataError {
    #[error("{file}:{line}: {message}")]
    Syntax {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{file}: {what}")]
    Invalid { file: String, what: String },
}

impl DataError {
    /// Turn a TOML error into one that names the file and the 1-based line.
    pub fn from_toml(file: &str, text: &str, err: &toml::de::Error) -> Self {
        let line = err
            .span()
            .map(|s| text.get(..s.start).map_or(0, |t| t.matches('\n').count()) + 1)
            .unwrap_or(0);
        DataError::Syntax {
            file: file.to_string(),
            line,
            message: err.message().to_string(),
        }
    }
}
