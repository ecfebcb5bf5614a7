//! Errors of the watchlist, each pointing at a file, a line, a column and a key.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in a watchlist file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The watchlist file.
    pub file: PathBuf,
    /// 1-based line, or 0 when the problem concerns the whole file (unreadable, say).
    pub line: usize,
    /// 1-based column in characters.
    pub column: usize,
    /// The key concerned, as a dotted path (`target[2].schedule`), when there is one.
    pub key: Option<String>,
    /// What is wrong, short and lowercase.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if let Some(key) = &self.key {
            write!(f, ": {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found in one watchlist, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Turns byte offsets into line/column positions of one source text.
pub(crate) struct Locator<'a> {
    pub file: &'a Path,
    pub src: &'a str,
}

impl Locator<'_> {
    /// An error at byte `offset` of the source.
    pub fn at(
        &self,
        offset: usize,
        key: Option<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        let offset = offset.min(self.src.len());
        let before = self.src.get(..offset).unwrap_or(self.src);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before
            .get(line_start..)
            .map_or(1, |s| s.chars().count() + 1);
        ConfigError {
            file: self.file.to_path_buf(),
            line,
            column,
            key,
            message: message.into(),
        }
    }

    /// An error about the whole file.
    pub fn whole(file: &Path, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: file.to_path_buf(),
            line: 0,
            column: 0,
            key: None,
            message: message.into(),
        }
    }
}
