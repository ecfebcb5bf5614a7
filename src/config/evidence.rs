//! `[evidence]`: the time-stamping authorities that stamp each new chain head (RFC 3161), and
//! the CA certificate(s) their tokens are checked against.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::Validator;

/// `[evidence]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvidence {
    pub tsa: Option<Spanned<Vec<Spanned<String>>>>,
    pub tsa_ca_file: Option<Spanned<String>>,
}

/// Trusted timestamps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    /// The authorities' URLs (none: no timestamps).
    pub tsa: Vec<String>,
    /// PEM certificates a token's signer must be (or be issued by), resolved against the
    /// watchlist's folder.
    pub tsa_ca_file: Option<PathBuf>,
}

impl Validator<'_> {
    pub(super) fn evidence(&mut self, raw: Option<RawEvidence>, base: &Path) -> Evidence {
        let raw = raw.unwrap_or_default();
        let mut tsa = Vec::new();
        for u in raw.tsa.iter().flat_map(|l| l.get_ref()) {
            match url::Url::parse(u.get_ref()) {
                Ok(url) if matches!(url.scheme(), "http" | "https") => tsa.push(url.to_string()),
                _ => self.err(
                    u.span().start,
                    "evidence.tsa",
                    format!(
                        "{:?} is not an http(s) URL of a time-stamping authority",
                        u.get_ref()
                    ),
                ),
            }
        }
        let tsa_ca_file = raw.tsa_ca_file.as_ref().map(|f| base.join(f.get_ref()));
        match (&raw.tsa, &raw.tsa_ca_file, &tsa_ca_file) {
            (Some(list), None, _) if !list.get_ref().is_empty() => self.err(
                list.span().start,
                "evidence.tsa",
                "needs tsa_ca_file: the CA certificate(s), PEM, that its tokens are checked against",
            ),
            (_, Some(raw), Some(path)) if !path.is_file() => self.err(
                raw.span().start,
                "evidence.tsa_ca_file",
                format!("{} is not a readable file", path.display()),
            ),
            _ => {}
        }
        Evidence { tsa, tsa_ca_file }
    }
}
