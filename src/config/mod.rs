//! `watchlist.toml`: load, validate, and hand the rest of the crate checked values.
//!
//! Two layers, as ripgrep and lychee do it: `raw` mirrors the file with serde (unknown keys
//! are errors, spans kept), and [`load`] turns it into a [`Watchlist`] whose URLs, schedules,
//! durations, sizes and CSS selectors are already parsed. Every problem is collected, not just
//! the first, each with file, line, column and key. Secrets never live here.

mod channel;
mod email;
mod error;
mod evidence;
mod http;
mod model;
mod ota;
mod raw;
mod rules;
mod target;
mod values;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::DeserializeOwned;
use sha2::Digest as _;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

pub use channel::{Channel, ChannelKind};
pub use email::{Alerts, Digest, Email, Security, Smtp, Transport};
use error::Locator;
pub use error::{ConfigError, ConfigErrors};
pub use evidence::Evidence;
pub use http::{DEFAULT_LISTEN, Http, needs_token, parse_listen};
pub use model::{Kind, Target, TargetId, Watchlist};
pub use ota::{OtaBases, OtaTarget};
use raw::{RawAlerts, RawDefaults, RawDigest, RawEmail, RawFactRule, RawRule, RawStore, RawTarget};

use crate::extract;
use crate::fetch::RetryPolicy;
use crate::schedule::Schedule;

/// Raw pages kept per target by default: LinkedIn's markup changes on every request, so an
/// unbounded history of raw pages would grow by megabytes a day.
const DEFAULT_KEEP_SNAPSHOTS: usize = 20;
const DEFAULT_SCHEDULE: &str = "17 */6 * * *";
const DEFAULT_USER_AGENT: &str = concat!(
    "policywatch/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/policywatch/policywatch)"
);

/// Reads and validates a watchlist file, reporting every problem found.
pub fn load(path: &Path) -> Result<Watchlist, ConfigErrors> {
    let bytes = std::fs::read(path).map_err(|e| {
        ConfigErrors(vec![Locator::whole(
            path,
            format!("cannot read the watchlist: {e}"),
        )])
    })?;
    let src = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let loc = Locator {
                file: path,
                src: &lossy,
            };
            return Err(ConfigErrors(vec![loc.at(
                valid,
                None,
                "the file is not valid UTF-8",
            )]));
        }
    };
    parse(path, &src)
}

/// Validates watchlist text that came from `path` (used by [`load`] and by tests).
pub fn parse(path: &Path, src: &str) -> Result<Watchlist, ConfigErrors> {
    let loc = Locator { file: path, src };
    let (root, syntax) = DeTable::parse_recoverable(src);
    if !syntax.is_empty() {
        let errs = syntax
            .into_iter()
            .map(|e| {
                loc.at(
                    e.span().map_or(0, |s| s.start),
                    None,
                    e.message().to_string(),
                )
            })
            .collect();
        return Err(ConfigErrors(errs));
    }
    let mut v = Validator {
        loc,
        errors: Vec::new(),
    };
    let wl = v.watchlist(path, root.into_inner());
    if v.errors.is_empty() {
        Ok(wl)
    } else {
        v.errors.sort_by_key(|e| (e.line, e.column));
        Err(ConfigErrors(v.errors))
    }
}

struct Validator<'a> {
    loc: Locator<'a>,
    errors: Vec<ConfigError>,
}

impl Validator<'_> {
    fn err(&mut self, offset: usize, key: &str, message: impl Into<String>) {
        let e = self.loc.at(offset, Some(key.to_string()), message);
        self.errors.push(e);
    }

    /// Deserializes one table of the document; a type error or unknown key is reported with the
    /// key it sits under.
    ///
    /// serde stops at the first error, so the offending key is dropped and the table tried again:
    /// every bad key of a table is reported, and the rest still reaches semantic validation.
    fn section<T: DeserializeOwned>(
        &mut self,
        path: &str,
        mut value: Spanned<DeValue<'_>>,
    ) -> Option<T> {
        let mut dropped: Vec<String> = Vec::new();
        loop {
            let table_keys: Vec<(String, std::ops::Range<usize>)> = match value.get_ref() {
                DeValue::Table(t) => t
                    .iter()
                    .map(|(k, v)| (k.get_ref().to_string(), k.span().start..v.span().end))
                    .collect(),
                _ => Vec::new(),
            };
            let e = match T::deserialize(ValueDeserializer::from(value.clone())) {
                Ok(v) => return Some(v),
                Err(e) => e,
            };
            let msg = e.message().trim().to_string();
            if dropped
                .iter()
                .any(|k| msg == format!("missing field `{k}`"))
            {
                return None; // already reported as a bad value
            }
            let at = e.span().map_or(0, |s| s.start);
            let bad_key = table_keys
                .iter()
                .find(|(_, span)| span.contains(&at))
                .map(|(k, _)| k.clone());
            let key = bad_key
                .as_ref()
                .map_or_else(|| path.to_string(), |k| format!("{path}.{k}"));
            self.err(at, &key, msg);
            match (bad_key, value.get_mut()) {
                (Some(k), DeValue::Table(t)) if dropped.len() < 64 => {
                    let kept: DeTable<'_> = std::mem::take(t)
                        .into_iter()
                        .filter(|(name, _)| name.get_ref().as_ref() != k.as_str())
                        .collect();
                    *t = kept;
                    dropped.push(k);
                }
                _ => return None,
            }
        }
    }

    /// An array of tables (`[[target]]`, `[[rule]]`), each deserialized on its own so that one
    /// bad table does not hide the others; named `key[1]`, `key[2]`… in errors.
    fn tables<T: DeserializeOwned>(
        &mut self,
        key: &str,
        value: Spanned<DeValue<'_>>,
    ) -> Vec<(String, T)> {
        let span = value.span();
        let DeValue::Array(items) = value.into_inner() else {
            self.err(span.start, key, format!("expected [[{key}]] tables"));
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let name = format!("{key}[{}]", i + 1);
            if let Some(t) = self.section::<T>(&name, item.clone()) {
                out.push((name, t));
            }
        }
        out
    }

    fn watchlist(&mut self, path: &Path, root: DeTable<'_>) -> Watchlist {
        let mut store = RawStore::default();
        let mut defaults = RawDefaults::default();
        let mut targets = Vec::new();
        let mut rules = Vec::new();
        let mut fact_rules = Vec::new();
        let mut channels = Vec::new();
        let (mut email, mut alerts, mut digest) =
            (None::<RawEmail>, None::<RawAlerts>, None::<RawDigest>);
        let mut http = None::<http::RawHttp>;
        let mut evidence = None::<evidence::RawEvidence>;
        let mut ota = None::<ota::RawOta>;
        for (key, value) in root {
            match key.get_ref().as_ref() {
                "store" => store = self.section("store", value).unwrap_or_default(),
                "defaults" => defaults = self.section("defaults", value).unwrap_or_default(),
                "email" => email = self.section("email", value),
                "alerts" => alerts = self.section("alerts", value),
                "digest" => digest = self.section("digest", value),
                "http" => http = self.section("http", value),
                "evidence" => evidence = self.section("evidence", value),
                "ota" => ota = self.section("ota", value),
                "target" => targets = self.tables::<RawTarget>("target", value),
                "rule" => rules = self.tables::<RawRule>("rule", value),
                "fact_rule" => fact_rules = self.tables::<RawFactRule>("fact_rule", value),
                "channel" => channels = self.tables::<channel::RawChannel>("channel", value),
                other => {
                    let msg = format!(
                        "unknown key `{other}`, expected one of `store`, `defaults`, `target`, `rule`, `fact_rule`, `channel`, `email`, `alerts`, `digest`, `http`, `evidence`, `ota`"
                    );
                    self.err(key.span().start, other, msg);
                }
            }
        }

        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let store_path = match store.path {
            Some(p) if p.get_ref().trim().is_empty() => {
                self.err(p.span().start, "store.path", "must not be empty");
                PathBuf::new()
            }
            Some(p) => base.join(p.get_ref()),
            None => base.join("policywatch.db"),
        };
        let keep_snapshots = store
            .keep_snapshots
            .as_ref()
            .map_or(Some(DEFAULT_KEEP_SNAPSHOTS), |k| {
                self.keep(k, "store.keep_snapshots")
            });
        let mut d = self.defaults(&defaults);
        d.ota = self.ota_bases(ota);
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut out = Vec::new();
        for (name, raw) in targets {
            if let Some(prev) = seen.get(raw.id.get_ref()) {
                let msg = format!(
                    "duplicate id {:?} (first used in target[{prev}])",
                    raw.id.get_ref()
                );
                self.err(raw.id.span().start, &format!("{name}.id"), msg);
                continue;
            }
            seen.insert(raw.id.get_ref().clone(), out.len() + 1);
            let keep = raw.keep_snapshots.as_ref().map_or(keep_snapshots, |k| {
                self.keep(k, &format!("{name}.keep_snapshots"))
            });
            if let Some(mut t) = self.target(&name, raw, &d) {
                t.keep_snapshots = keep;
                out.push(t);
            }
        }
        if out.is_empty() && seen.is_empty() && self.errors.is_empty() {
            self.errors.push(Locator::whole(
                path,
                "no [[target]] defined: add at least one",
            ));
        }
        let user_rules = self.rules(rules);
        let user_fact_rules = self.fact_rules(fact_rules);
        let fact_rules = crate::facts::rules::merge(&user_fact_rules);
        let mut email = self.email(email, &store_path, &base);
        let alerts = self.alerts(alerts);
        email.channels = self.channels(channels, alerts.min_severity);
        let digest = self.digest(digest);
        let http = self.http(http);
        let evidence = self.evidence(evidence, &base);
        Watchlist {
            http,
            evidence,
            path: path.to_path_buf(),
            email,
            alerts,
            digest,
            store_path,
            concurrency: d.concurrency,
            retry: d.retry,
            jitter: d.jitter,
            host_delay: d.host_delay,
            targets: out,
            user_rules,
            fact_rules,
        }
    }

    /// `keep_snapshots`: `Some(n)` for the newest n, `None` for `"all"`.
    fn keep(&mut self, k: &toml::Spanned<raw::RawKeep>, key: &str) -> Option<usize> {
        match k.get_ref() {
            raw::RawKeep::Count(0) => {
                self.err(
                    k.span().start,
                    key,
                    "must be at least 1 (versions are always kept), or \"all\"",
                );
                Some(DEFAULT_KEEP_SNAPSHOTS)
            }
            raw::RawKeep::Count(n) => Some(usize::try_from(*n).unwrap_or(usize::MAX)),
            raw::RawKeep::Word(w) if w == "all" => None,
            raw::RawKeep::Word(w) => {
                self.err(
                    k.span().start,
                    key,
                    format!("{w:?}: use a number of snapshots or \"all\""),
                );
                Some(DEFAULT_KEEP_SNAPSHOTS)
            }
        }
    }

    fn defaults(&mut self, raw: &RawDefaults) -> Defaults {
        let schedule = self
            .schedule("defaults.schedule", raw.schedule.as_ref())
            .unwrap_or_else(default_schedule);
        let concurrency = match &raw.concurrency {
            Some(c) if *c.get_ref() == 0 || *c.get_ref() > 64 => {
                self.err(
                    c.span().start,
                    "defaults.concurrency",
                    "must be between 1 and 64",
                );
                4
            }
            Some(c) => *c.get_ref() as usize,
            None => 4,
        };
        let retries = match &raw.retries {
            Some(r) if *r.get_ref() > 10 => {
                self.err(r.span().start, "defaults.retries", "must be at most 10");
                2
            }
            Some(r) => *r.get_ref() as u32,
            None => 2,
        };
        let retry = RetryPolicy {
            retries,
            backoff: self.duration(
                "defaults.retry_backoff",
                raw.retry_backoff.as_ref(),
                Duration::from_secs(2),
            ),
            max_retry_after: self.duration(
                "defaults.max_retry_after",
                raw.max_retry_after.as_ref(),
                Duration::from_secs(120),
            ),
        };
        Defaults {
            schedule,
            timeout: self.duration(
                "defaults.timeout",
                raw.timeout.as_ref(),
                Duration::from_secs(30),
            ),
            user_agent: self.user_agent(
                "defaults.user_agent",
                raw.user_agent.as_ref(),
                DEFAULT_USER_AGENT,
            ),
            max_body: self.size("defaults.max_body", raw.max_body.as_ref(), 5_000_000),
            min_chars: raw
                .min_chars
                .as_ref()
                .map_or(200, |m| *m.get_ref() as usize),
            concurrency,
            retry,
            jitter: self.delay(
                "defaults.jitter",
                raw.jitter.as_ref(),
                Duration::from_secs(60),
            ),
            host_delay: self.delay(
                "defaults.host_delay",
                raw.host_delay.as_ref(),
                Duration::from_secs(1),
            ),
            // set from `[ota]` by the watchlist
            ota: OtaBases {
                feed_base: url::Url::parse("https://github.com")
                    .unwrap_or_else(|e| unreachable!("{e}")),
                raw_base: url::Url::parse("https://raw.githubusercontent.com")
                    .unwrap_or_else(|e| unreachable!("{e}")),
            },
        }
    }
}

fn default_schedule() -> Schedule {
    // Invariant: the built-in default is a valid crontab line (covered by a unit test).
    Schedule::parse(DEFAULT_SCHEDULE).unwrap_or_else(|e| unreachable!("default schedule: {e}"))
}

struct Defaults {
    schedule: Schedule,
    timeout: Duration,
    user_agent: String,
    max_body: u64,
    min_chars: usize,
    concurrency: usize,
    retry: RetryPolicy,
    jitter: Duration,
    host_delay: Duration,
    ota: OtaBases,
}

#[cfg(test)]
mod tests;
