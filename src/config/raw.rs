//! The raw layer of `watchlist.toml`: serde types that mirror the file one to one.
//!
//! Every table denies unknown keys and every value that later validation can reject keeps its
//! span, so that an error points at the exact line and column. Nothing here is interpreted:
//! [`super::parse`] turns these into the checked [`super::Watchlist`].

use serde::Deserialize;
use toml::Spanned;

/// `[store]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStore {
    pub path: Option<Spanned<String>>,
    /// Raw snapshots kept per target; versions are always kept.
    pub keep_snapshots: Option<Spanned<RawKeep>>,
}

/// `keep_snapshots`: a number, or `"all"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawKeep {
    /// The newest this many.
    Count(u64),
    /// `"all"`.
    Word(String),
}

/// `[defaults]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDefaults {
    pub schedule: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
    pub user_agent: Option<Spanned<String>>,
    pub max_body: Option<Spanned<String>>,
    pub min_chars: Option<Spanned<u64>>,
    pub concurrency: Option<Spanned<u64>>,
    pub retries: Option<Spanned<u64>>,
    pub retry_backoff: Option<Spanned<String>>,
    pub max_retry_after: Option<Spanned<String>>,
    pub jitter: Option<Spanned<String>>,
    pub host_delay: Option<Spanned<String>>,
}

/// One `[[target]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTarget {
    pub id: Spanned<String>,
    pub name: Option<String>,
    /// Pages and feeds: what is fetched (an `ota` target's is its commit feed, built).
    pub url: Option<Spanned<String>>,
    /// `ota`: the versions repository, `OWNER/REPO`.
    pub repository: Option<Spanned<String>>,
    /// `ota`: the document's file in it.
    pub path: Option<Spanned<String>>,
    /// `ota`: the branch (default `main`).
    pub branch: Option<String>,
    /// `ota`: record every commit on the first check (without mail), not the latest only.
    pub backfill: Option<bool>,
    pub kind: Option<Spanned<String>>,
    pub select: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub remove: Vec<Spanned<String>>,
    pub schedule: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
    pub max_body: Option<Spanned<String>>,
    pub min_chars: Option<Spanned<u64>>,
    pub user_agent: Option<Spanned<String>>,
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Feeds: fetch the article of an AI-relevant item and quote it.
    pub follow_links: Option<Spanned<bool>>,
    /// Feeds: let `follow_links` reach private and loopback addresses (an intranet feed).
    pub follow_private: Option<Spanned<bool>>,
    /// Feeds: keep at most this many (newest) items.
    pub max_items: Option<Spanned<u64>>,
    /// Raw snapshots kept for this target (a number or `"all"`; default `[store]`'s).
    pub keep_snapshots: Option<Spanned<RawKeep>>,
    /// Who the document covers ("global", "EU/EEA/CH"): the row name of the facts matrix.
    pub region: Option<Spanned<String>>,
    /// The language asked for (BCP 47, default "en").
    pub language: Option<Spanned<String>>,
    /// Targets that are one document in several languages share this key.
    pub document: Option<Spanned<String>>,
}

/// One `[[fact_rule]]`: a user fact rule, or an override of a built-in one by id.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFactRule {
    pub id: Spanned<String>,
    pub fact: Option<Spanned<String>>,
    pub value: Option<Spanned<String>>,
    pub terms: Option<Spanned<Vec<String>>>,
    pub regex: Option<Spanned<Vec<String>>>,
    pub with: Option<Spanned<Vec<Vec<String>>>>,
    pub except: Option<Spanned<Vec<String>>>,
    pub unless: Option<Spanned<Vec<String>>>,
    pub near: Option<Spanned<Vec<String>>>,
    pub enabled: Option<bool>,
}

/// One `[[rule]]`: a user rule, or an override of a built-in one by id.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub id: Spanned<String>,
    pub severity: Option<Spanned<String>>,
    pub description: Option<String>,
    pub ai: Option<bool>,
    pub kind: Option<Spanned<String>>,
    pub terms: Option<Spanned<Vec<String>>>,
    pub regex: Option<Spanned<Vec<String>>>,
    pub with: Option<Spanned<Vec<Vec<String>>>>,
    pub except: Option<Spanned<Vec<String>>>,
    pub enabled: Option<bool>,
    /// The language whose text the rule reads (default: every language).
    pub language: Option<Spanned<String>>,
}

/// `[email]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEmail {
    pub smtp_host: Option<Spanned<String>>,
    pub smtp_port: Option<Spanned<u16>>,
    pub security: Option<Spanned<String>>,
    pub username: Option<Spanned<String>>,
    pub password_file: Option<Spanned<String>>,
    pub ca_file: Option<Spanned<String>>,
    pub from: Option<Spanned<String>>,
    pub to: Option<Spanned<Vec<Spanned<String>>>>,
    pub digest_to: Option<Spanned<Vec<Spanned<String>>>>,
    pub timeout: Option<Spanned<String>>,
    /// Cap on the changed-sentence text of one alert, in characters.
    pub max_body: Option<Spanned<u64>>,
}

/// `[alerts]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAlerts {
    pub min_severity: Option<Spanned<String>>,
    pub on_failure_after: Option<Spanned<u32>>,
    pub announcements: Option<bool>,
    /// How long another language of a document may take to follow an AI-relevant change.
    pub translation_lag: Option<Spanned<String>>,
}

/// `[digest]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDigest {
    pub schedule: Option<Spanned<String>>,
    pub send_empty: Option<bool>,
}
