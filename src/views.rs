//! Views: the objects that `--json` commands print, one per line, and that the HTTP API serves
//! as arrays: one serialisation for both, built here from the watchlist and the store.
//!
//! `status --json` ↔ `/api/v1/targets` ([`StatusLine`]), `history --json` ↔
//! `/api/v1/targets/{id}/versions` ([`VersionMeta`]), `show --json` ↔ `…/versions/{v}`
//! ([`crate::store::Version`]), `changes --json` ↔ `/api/v1/changes` ([`ChangeRow`]),
//! `facts --json` ↔ `/api/v1/facts` ([`FactLine`]), `outbox --json` ↔ `/api/v1/outbox`
//! ([`crate::store::Mail`]).

use std::cell::OnceCell;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::config::{Target, Watchlist};
use crate::facts::{self, Fact, FactRules, Facts, NOT_STATED};
use crate::store::{Store, StoreError, TargetStatus, VersionId, VersionMeta};

#[cfg(doc)]
use crate::store::ChangeRow;

/// One target's state: a line of `status --json`, an element of `/api/v1/targets`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusLine {
    /// What the store knows of it.
    #[serde(flatten)]
    pub status: TargetStatus,
    /// When its schedule next falls (before jitter), if it is enabled.
    pub next_run: Option<String>,
    /// The document it is a language of.
    pub document: String,
    /// The language it is read in.
    pub language: String,
}

/// Every target of the watchlist (languages of one document together) with its state.
pub fn status_lines(
    wl: &Watchlist,
    store: &Store,
    now: DateTime<Utc>,
) -> Result<Vec<StatusLine>, StoreError> {
    let known = store.statuses()?;
    Ok(wl
        .by_document()
        .into_iter()
        .map(|t| {
            let status = known
                .iter()
                .find(|s| s.target == t.id.as_str())
                .cloned()
                .unwrap_or_else(|| TargetStatus {
                    target: t.id.to_string(),
                    url: t.url.to_string(),
                    last_checked_at: None,
                    last_result: None,
                    last_change_at: None,
                    consecutive_failures: 0,
                    last_error: None,
                });
            StatusLine {
                status,
                next_run: t
                    .enabled
                    .then(|| t.schedule.next_after(now))
                    .flatten()
                    .map(crate::store::timestamp),
                document: t.document.clone(),
                language: t.language.clone(),
            }
        })
        .collect())
}

/// The fact rules in force, compiled only when a version's stored facts were read by other
/// rules (compiling takes tens of milliseconds; stored facts usually match), and fingerprinted
/// only when a stored fingerprint is compared.
pub struct FactSource<'a> {
    wl: &'a Watchlist,
    fingerprint: OnceCell<String>,
    compiled: OnceCell<FactRules>,
}

impl<'a> FactSource<'a> {
    /// The watchlist's fact rules, not yet compiled.
    pub fn new(wl: &'a Watchlist) -> Self {
        Self {
            wl,
            fingerprint: OnceCell::new(),
            compiled: OnceCell::new(),
        }
    }

    /// The fingerprint of the rules in force (what stored facts are compared with).
    pub fn fingerprint(&self) -> &str {
        self.fingerprint
            .get_or_init(|| facts::rules::fingerprint(&self.wl.fact_rules))
    }

    /// The compiled rules.
    pub fn rules(&self) -> &FactRules {
        self.compiled.get_or_init(|| self.wl.fact_rules())
    }

    /// `stored` facts when these rules read them, else `text` read now.
    pub fn facts(&self, stored: Option<(String, Facts)>, text: impl FnOnce() -> String) -> Facts {
        match stored {
            Some((fingerprint, f)) if fingerprint == self.fingerprint() => f,
            _ => facts::read(&text(), self.rules()),
        }
    }
}

/// Every version of a page target with its facts: stored ones when the rules in force read
/// them, otherwise read now (and not stored: `facts --recompute` does that).
pub fn fact_history(
    store: &Store,
    t: &Target,
    rules: &FactSource<'_>,
) -> Result<Vec<(VersionMeta, Facts)>, StoreError> {
    let mut out = Vec::new();
    let mut stale = 0;
    for (meta, stored) in store.fact_history(t.id.as_str())? {
        let fresh = stored
            .as_ref()
            .is_some_and(|(f, _)| f == rules.fingerprint());
        let facts = if fresh {
            rules.facts(stored, String::new)
        } else {
            stale += 1;
            let text = store
                .version(t.id.as_str(), Some(meta.id))?
                .map(|v| v.text)
                .unwrap_or_default();
            rules.facts(None, || text)
        };
        out.push((meta, facts));
    }
    if stale > 0 {
        tracing::info!(
            target = %t.id,
            versions = stale,
            "facts read now: stored with other rules or none (`policywatch facts --recompute` stores them)"
        );
    }
    Ok(out)
}

/// One fact of one target: a line of `facts --json`, an element of `/api/v1/facts`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FactLine {
    /// Target id.
    pub target: String,
    /// Whom the document covers.
    pub region: Option<String>,
    /// The fact.
    pub fact: Fact,
    /// A string; for `data_categories` an array.
    pub value: serde_json::Value,
    /// The version it was read from.
    pub version: VersionId,
    /// Since when it has had this value.
    pub since: String,
    /// The sentence it was read from.
    pub quote: Option<String>,
    /// Other answers, region wording.
    pub note: String,
}

/// The facts of `hist[idx]`, each with since when it holds.
pub fn fact_lines(t: &Target, hist: &[(VersionMeta, Facts)], idx: usize) -> Vec<FactLine> {
    let Some((meta, now)) = hist.get(idx) else {
        return Vec::new();
    };
    Fact::ALL
        .iter()
        .map(|fact| {
            let value = now.value(*fact);
            let finding = now.get(*fact);
            FactLine {
                target: t.id.to_string(),
                region: t.region.clone(),
                fact: *fact,
                value: json_value(*fact, value),
                version: meta.id,
                since: since(&hist[..=idx], *fact).to_string(),
                quote: finding.and_then(|f| f.quotes.first()).cloned(),
                note: finding.map_or_else(String::new, |f| f.note.clone()),
            }
        })
        .collect()
}

/// When a fact took its current value: the first of the latest run of versions that give it.
pub fn since(hist: &[(VersionMeta, Facts)], fact: Fact) -> &str {
    let Some((last, rest)) = hist.split_last() else {
        return "";
    };
    let value = last.1.value(fact);
    let mut since = last.0.recorded_at.as_str();
    for (meta, f) in rest.iter().rev() {
        if f.value(fact) != value {
            break;
        }
        since = meta.recorded_at.as_str();
    }
    since
}

fn json_value(fact: Fact, value: &str) -> serde_json::Value {
    if fact == Fact::DataCategories && value != NOT_STATED {
        serde_json::Value::from(value.split(',').collect::<Vec<_>>())
    } else {
        serde_json::Value::from(value)
    }
}

/// When a version was recorded.
pub fn recorded(m: &VersionMeta) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(&m.recorded_at)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// A day (`YYYY-MM-DD`, meaning its start or its end) or an RFC 3339 time, as given to
/// `--at`, `--since` and `?since=`.
pub fn parse_time(s: &str, end_of_day: bool) -> Result<DateTime<Utc>, String> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let t = if end_of_day {
            d.and_hms_milli_opt(23, 59, 59, 999)
        } else {
            d.and_hms_milli_opt(0, 0, 0, 0)
        };
        return t
            .map(|t| t.and_utc())
            .ok_or_else(|| format!("{s:?}: not a date"));
    }
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| format!("{s:?}: use YYYY-MM-DD or an RFC 3339 time ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_days_or_rfc3339_and_nothing_else() {
        assert_eq!(
            parse_time("2025-11-03", false).map(crate::store::timestamp),
            Ok("2025-11-03T00:00:00.000Z".to_string())
        );
        assert_eq!(
            parse_time("2025-11-03", true).map(crate::store::timestamp),
            Ok("2025-11-03T23:59:59.999Z".to_string())
        );
        assert_eq!(
            parse_time("2025-11-03T10:00:00+01:00", false).map(crate::store::timestamp),
            Ok("2025-11-03T09:00:00.000Z".to_string())
        );
        for bad in ["yesterday", "2025-13-01", "'; DROP TABLE version; --", ""] {
            assert!(parse_time(bad, false).is_err(), "{bad}");
        }
    }
}
