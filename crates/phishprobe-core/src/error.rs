//! Errors about the data files (brand profiles, lists, patterns): always name the file and line.

use thiserror::Error;

/// A data file that cannot be used, named so a maintainer can fix it: the core never guesses
/// around bad data.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DataError {
    /// The file is not valid TOML (or not the shape expected), at this line.
    #[error("{file}:{line}: {message}")]
    Syntax {
        /// The file name as given to the loader.
        file: String,
        /// 1-based line of the error (0 when the parser gave no position).
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// The file parses but says something impossible (an unknown id, an empty set).
    #[error("{file}: {what}")]
    Invalid {
        /// The file name as given to the loader.
        file: String,
        /// What is wrong, in words.
        what: String,
    },
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
