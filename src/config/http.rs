//! `[http]`: where `run` serves the read-only web view and API, and the token that guards it.
//!
//! Loopback needs no token. Any other address is refused at load without `token_file`: the
//! history and the notification log would be readable by anyone who can reach the port.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::Validator;

/// `[http]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttp {
    pub listen: Option<Spanned<String>>,
    pub token_file: Option<Spanned<String>>,
}

/// Where the web view is served.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Http {
    /// The address `run` serves on (`None`: `run` does not serve).
    pub listen: Option<SocketAddr>,
    /// The bearer token's file (a relative name is looked up in `$CREDENTIALS_DIRECTORY`).
    pub token_file: Option<PathBuf>,
}

/// The default address of `policywatch serve`.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Why serving on `addr` is refused without a token, if it is.
pub fn needs_token(addr: SocketAddr, token: Option<&std::path::Path>) -> Option<String> {
    (!addr.ip().is_loopback() && token.is_none()).then(|| {
        format!(
            "{addr} is not a loopback address: set [http] token_file (a bearer token) so that only those who hold it can read the history, or listen on 127.0.0.1"
        )
    })
}

/// Parses an address to listen on.
pub fn parse_listen(s: &str) -> Result<SocketAddr, String> {
    s.parse().map_err(|e| {
        format!("invalid address {s:?} ({e}): use an IP and a port, such as 127.0.0.1:8080 or [::1]:8080")
    })
}

impl Validator<'_> {
    pub(super) fn http(&mut self, raw: Option<RawHttp>) -> Http {
        let raw = raw.unwrap_or_default();
        let token_file = raw.token_file.as_ref().and_then(|t| {
            if t.get_ref().trim().is_empty() {
                self.err(t.span().start, "http.token_file", "must not be empty");
                None
            } else {
                Some(PathBuf::from(t.get_ref()))
            }
        });
        let listen = raw
            .listen
            .as_ref()
            .and_then(|l| match parse_listen(l.get_ref()) {
                Ok(addr) => {
                    if let Some(why) = needs_token(addr, token_file.as_deref()) {
                        self.err(l.span().start, "http.listen", why);
                    }
                    Some(addr)
                }
                Err(e) => {
                    self.err(l.span().start, "http.listen", e);
                    None
                }
            });
        Http { listen, token_file }
    }
}

impl Http {
    /// The bearer token, read from `token_file` (`None` when there is none). A token shorter
    /// than 16 characters is refused: it could be guessed.
    pub fn token(&self) -> Result<Option<String>, String> {
        let Some(file) = &self.token_file else {
            return Ok(None);
        };
        let token = super::channel::read_secret_file(file, "[http] token")?;
        if token.chars().count() < 16 {
            return Err(format!(
                "the [http] token in {} is shorter than 16 characters: use a long random one (openssl rand -hex 32)",
                file.display()
            ));
        }
        Ok(Some(token))
    }
}
