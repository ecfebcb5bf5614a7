//! The bearer token: checked on every request when `[http] token_file` is set, by header
//! (`Authorization: Bearer …`) or by the cookie the login form sets (HttpOnly,
//! SameSite=Strict). Comparisons are constant-time (HMAC verification); the cookie holds a
//! MAC derived from the token, never the token.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The cookie's name.
pub const COOKIE: &str = "policywatch_session";

/// The token, and what a valid cookie holds.
#[derive(Clone)]
pub struct Auth {
    token: String,
}

fn mac(key: &str) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    Hmac::<Sha256>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|e| unreachable!("HMAC accepts any key length: {e}"))
}

impl Auth {
    /// Guards with `token`.
    pub fn new(token: String) -> Self {
        Self { token }
    }

    /// Whether `presented` is the token.
    pub fn token_matches(&self, presented: &str) -> bool {
        let mut m = mac(&self.token);
        m.update(b"token:");
        m.update(presented.as_bytes());
        let mut expected = mac(&self.token);
        expected.update(b"token:");
        expected.update(self.token.as_bytes());
        m.verify_slice(&expected.finalize().into_bytes()).is_ok()
    }

    /// The cookie value a login sets.
    pub fn session(&self) -> String {
        let mut m = mac(&self.token);
        m.update(b"policywatch session v1");
        hex::encode(m.finalize().into_bytes())
    }

    /// Whether a cookie value is a session of this token.
    pub fn session_matches(&self, value: &str) -> bool {
        let Ok(bytes) = hex::decode(value) else {
            return false;
        };
        let mut m = mac(&self.token);
        m.update(b"policywatch session v1");
        m.verify_slice(&bytes).is_ok()
    }

    /// Whether a request's headers carry the token or a session.
    pub fn allows(&self, headers: &axum::http::HeaderMap) -> bool {
        use axum::http::header::{AUTHORIZATION, COOKIE as COOKIE_HEADER};
        let bearer = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|t| self.token_matches(t.trim()));
        bearer
            || headers
                .get_all(COOKIE_HEADER)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .filter_map(|c| c.trim().split_once('='))
                .any(|(name, value)| name == COOKIE && self.session_matches(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_token_and_its_session_pass() {
        let a = Auth::new("correct horse battery staple".into());
        assert!(a.token_matches("correct horse battery staple"));
        assert!(!a.token_matches("correct horse battery stapl"));
        assert!(!a.token_matches(""));
        assert!(a.session_matches(&a.session()));
        assert!(!a.session().contains("horse"));
        let other = Auth::new("another long token, not this".into());
        assert!(!a.session_matches(&other.session()));
        assert!(!a.session_matches("zz"));
        let mut h = axum::http::HeaderMap::new();
        assert!(!a.allows(&h));
        h.insert(
            "cookie",
            format!("x=1; {COOKIE}={}", a.session()).parse().unwrap(),
        );
        assert!(a.allows(&h));
        let mut h = axum::http::HeaderMap::new();
        h.insert(
            "authorization",
            "Bearer correct horse battery staple".parse().unwrap(),
        );
        assert!(a.allows(&h));
        h.insert("authorization", "Basic Y29ycmVjdA==".parse().unwrap());
        assert!(!a.allows(&h));
    }
}
