//! Checks of single values of the watchlist: URLs, selectors, schedules, durations, sizes and
//! user agents. Each reports a problem at the value's position and returns a usable fallback, so
//! that validation can go on and report every problem.

use std::time::Duration;

use toml::Spanned;
use url::Url;

use super::Validator;
use crate::extract;
use crate::schedule::Schedule;

impl Validator<'_> {
    pub(super) fn url(&mut self, key: &str, raw: &Spanned<String>) -> Option<Url> {
        match Url::parse(raw.get_ref()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Some(u),
            Ok(u) => {
                let msg = format!(
                    "unsupported URL {:?}: only http and https are fetched",
                    u.as_str()
                );
                self.err(raw.span().start, key, msg);
                None
            }
            Err(e) => {
                self.err(
                    raw.span().start,
                    key,
                    format!("invalid URL {:?}: {e}", raw.get_ref()),
                );
                None
            }
        }
    }

    pub(super) fn selectors(
        &mut self,
        key: &str,
        raw: Option<&[Spanned<String>]>,
    ) -> Vec<extract::CssSelector> {
        let mut out = Vec::new();
        for s in raw.unwrap_or_default() {
            match extract::CssSelector::parse(s.get_ref()) {
                Ok(sel) => out.push(sel),
                Err(m) => self.err(s.span().start, key, m),
            }
        }
        out
    }

    pub(super) fn schedule(
        &mut self,
        key: &str,
        raw: Option<&Spanned<String>>,
    ) -> Option<Schedule> {
        let raw = raw?;
        Schedule::parse(raw.get_ref())
            .map_err(|m| self.err(raw.span().start, key, format!("{m} in {:?}", raw.get_ref())))
            .ok()
    }

    pub(super) fn duration(
        &mut self,
        key: &str,
        raw: Option<&Spanned<String>>,
        default: Duration,
    ) -> Duration {
        let Some(raw) = raw else { return default };
        match humantime::parse_duration(raw.get_ref()) {
            Ok(d) if !d.is_zero() => d,
            Ok(_) => {
                self.err(raw.span().start, key, "must be longer than zero");
                default
            }
            Err(e) => {
                let msg = format!(
                    "invalid duration {:?} ({e}): write it like \"30s\" or \"2m\"",
                    raw.get_ref()
                );
                self.err(raw.span().start, key, msg);
                default
            }
        }
    }

    /// A duration that may be zero (`"0s"` turns a delay off).
    pub(super) fn delay(
        &mut self,
        key: &str,
        raw: Option<&Spanned<String>>,
        default: Duration,
    ) -> Duration {
        match raw {
            Some(r)
                if r.get_ref()
                    .trim()
                    .trim_end_matches(|c: char| c.is_alphabetic())
                    == "0" =>
            {
                Duration::ZERO
            }
            other => self.duration(key, other, default),
        }
    }

    pub(super) fn size(&mut self, key: &str, raw: Option<&Spanned<String>>, default: u64) -> u64 {
        let Some(raw) = raw else { return default };
        match raw.get_ref().trim().parse::<bytesize::ByteSize>() {
            Ok(b) if b.as_u64() >= 1024 => b.as_u64(),
            Ok(_) => {
                self.err(raw.span().start, key, "must be at least 1KB");
                default
            }
            Err(_) => {
                let msg = format!(
                    "invalid size {:?}: write it like \"5MB\" or \"512KiB\"",
                    raw.get_ref()
                );
                self.err(raw.span().start, key, msg);
                default
            }
        }
    }

    pub(super) fn user_agent(
        &mut self,
        key: &str,
        raw: Option<&Spanned<String>>,
        default: &str,
    ) -> String {
        let Some(raw) = raw else {
            return default.to_string();
        };
        let ua = raw.get_ref();
        if ua.trim().is_empty() || ua.chars().any(|c| c.is_control()) {
            self.err(
                raw.span().start,
                key,
                "must be non-empty text without control characters",
            );
            return default.to_string();
        }
        ua.clone()
    }
}
