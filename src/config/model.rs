//! The checked watchlist: what the rest of the crate is handed once validation passed.

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::classify::{RuleSet, RuleSpec};
use crate::extract;
use crate::fetch::RetryPolicy;
use crate::schedule::Schedule;

/// The stable id of a target: history hangs on it, so it is restricted to characters that are
/// safe in file names, URLs and mail headers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TargetId(String);

impl TargetId {
    /// Checks an id: 1–64 of `a-z 0-9 . _ -`, starting with a letter or digit.
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(format!(
                "invalid id {s:?}: use 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit"
            ))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TargetId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An HTML page whose selected text is versioned.
    Page,
    /// An RSS, Atom or JSON feed whose items are versioned.
    Feed,
    /// A document followed through an Open Terms Archive versions repository: each commit of
    /// its file is a version.
    Ota,
    /// A page's list of article links (`select`: the items), followed as a feed.
    Links,
}

impl Kind {
    /// Whether its versions are a document's text (with facts), not a feed's items.
    pub fn has_text(self) -> bool {
        matches!(self, Self::Page | Self::Ota)
    }

    /// Whether its versions are a list of items (a feed, or a page's links).
    pub fn has_items(self) -> bool {
        matches!(self, Self::Feed | Self::Links)
    }
}

/// A checked target.
#[derive(Debug, Clone)]
pub struct Target {
    /// Stable id.
    pub id: TargetId,
    /// Human name, for output and mail.
    pub name: String,
    /// Where it is fetched from.
    pub url: Url,
    /// Page (feeds come later).
    pub kind: Kind,
    /// What text to keep.
    pub rules: extract::Rules,
    /// When the daemon checks it.
    pub schedule: Schedule,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Largest body accepted, in bytes.
    pub max_body: u64,
    /// User-Agent header sent.
    pub user_agent: String,
    /// Disabled targets are kept in the file but never checked.
    pub enabled: bool,
    /// Feeds: fetch the linked article of an AI-relevant item and quote its matches.
    pub follow_links: bool,
    /// Feeds: `follow_links` may reach loopback and private addresses (off by default: whoever
    /// writes the feed chooses its links).
    pub follow_private: bool,
    /// Feeds: the newest items kept.
    pub max_items: usize,
    /// `ota` targets: the repository and file followed.
    pub ota: Option<super::OtaTarget>,
    /// Raw snapshots kept (`None`: every one, for targets whose history is evidence).
    pub keep_snapshots: Option<usize>,
    /// Who the document covers ("global", "EU/EEA/CH"), for the facts matrix.
    pub region: Option<String>,
    /// The language asked for (BCP 47, `en` by default): sent as `Accept-Language`, and a
    /// page that declares another is a failed check.
    pub language: String,
    /// Whether the watchlist names the language: only then is a page that declares another a
    /// failed check (a target without `language` is read as English but never refused, so an
    /// upgrade cannot silence a monitor whose page declares no or another language).
    pub language_set: bool,
    /// The document this target is one language of (its id by default).
    pub document: String,
    /// A digest of everything that shapes the extracted text (kind, selectors, caps): a
    /// byte-identical page is skipped only when this is unchanged too.
    pub extract_key: String,
}

/// A checked watchlist.
#[derive(Debug, Clone)]
pub struct Watchlist {
    /// The file it came from.
    pub path: PathBuf,
    /// The SQLite database, resolved against the watchlist's folder.
    pub store_path: PathBuf,
    /// Checks run at once.
    pub concurrency: usize,
    /// Retry of transient fetch failures.
    pub retry: RetryPolicy,
    /// Random delay added to every scheduled check, so installations do not fetch in step.
    pub jitter: Duration,
    /// Minimum time between two requests to one host.
    pub host_delay: Duration,
    /// Targets in file order.
    pub targets: Vec<Target>,
    /// The file's own `[[rule]]`s (each compiled once when the file was checked), merged with
    /// each language's built-ins by [`Watchlist::rule_set_for`] and [`Watchlist::rule_sets`]
    /// only for commands that classify.
    pub user_rules: Vec<RuleSpec>,
    /// The fact rules: built-ins with the file's `[[fact_rule]]` overrides, as specs (each
    /// compiled once when the file was loaded, so [`Watchlist::fact_rules`] cannot fail).
    pub fact_rules: Vec<crate::facts::FactRuleSpec>,
    /// Where mail goes.
    pub email: super::Email,
    /// When alerts are mailed.
    pub alerts: super::Alerts,
    /// Trusted timestamps of the hash chain (`[evidence]`).
    pub evidence: super::Evidence,
    /// Where `run` serves the web view (`[http]`).
    pub http: super::Http,
    /// When digests are sent.
    pub digest: super::Digest,
}

impl Watchlist {
    /// The rules of one language compiled (English for a language without rules of its own).
    pub fn rule_set_for(&self, language: &str) -> RuleSet {
        // Every user rule compiled when the file was loaded, and the built-ins of every
        // language compile (a unit test says so): the merged set cannot fail.
        RuleSet::compile(crate::classify::rules::merge_for(
            language,
            &self.user_rules,
        ))
        .unwrap_or_else(|e| unreachable!("rules validated at load compile: {e}"))
    }

    /// The rules of every language the targets read, compiled.
    pub fn rule_sets(&self) -> crate::classify::RuleSets {
        crate::classify::RuleSets::build(
            self.targets.iter().map(|t| t.language.as_str()),
            &self.user_rules,
        )
        .unwrap_or_else(|e| unreachable!("rules validated at load compile: {e}"))
    }

    /// The fact rules compiled: only for commands that read facts.
    pub fn fact_rules(&self) -> crate::facts::FactRules {
        // Every user rule compiled when the file was loaded, and the built-ins compile (a unit
        // test says so): the merged set cannot fail.
        crate::facts::FactRules::from_specs(self.fact_rules.clone())
            .unwrap_or_else(|e| unreachable!("fact rules validated at load compile: {e}"))
    }

    /// The targets with the languages of one document together (in the order each document
    /// first appears, English first within it).
    pub fn by_document(&self) -> Vec<&Target> {
        let first = |doc: &str| self.targets.iter().position(|t| t.document == doc);
        let mut out: Vec<(usize, bool, usize, &Target)> = self
            .targets
            .iter()
            .enumerate()
            .map(|(i, t)| (first(&t.document).unwrap_or(i), t.language != "en", i, t))
            .collect();
        out.sort_by_key(|(doc, other, i, _)| (*doc, *other, *i));
        out.into_iter().map(|(.., t)| t).collect()
    }

    /// A target's name, or the id itself for one no longer in the watchlist.
    pub fn name_of(&self, id: &str) -> String {
        self.targets
            .iter()
            .find(|t| t.id.as_str() == id)
            .map_or_else(|| id.to_string(), |t| t.name.clone())
    }

    /// The targets named by `ids` (all enabled ones when empty), or the ids that do not exist.
    pub fn select(&self, ids: &[String]) -> Result<Vec<&Target>, Vec<String>> {
        if ids.is_empty() {
            return Ok(self.targets.iter().filter(|t| t.enabled).collect());
        }
        let unknown: Vec<String> = ids
            .iter()
            .filter(|id| !self.targets.iter().any(|t| t.id.as_str() == id.as_str()))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(unknown);
        }
        Ok(self
            .targets
            .iter()
            .filter(|t| ids.iter().any(|id| id == t.id.as_str()))
            .collect())
    }
}
