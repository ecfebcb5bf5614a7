//! Translation lag: when one language of a document changes its AI wording and another
//! language of the same document records no change within `[alerts] translation_lag`, one
//! mail says so (either way round: English leading, or a language that moved alone); the lag
//! is resolved, and the digest says so, when that language records a version again.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::event::{About, Event, LagEvent};
use crate::config::{Target, Watchlist};
use crate::store::{NewLag, SharedStore, StoreFailure, VersionMeta};

/// A language that has not followed another's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lag {
    /// The target that did not follow.
    pub lagging: String,
    /// The target that changed.
    pub leading: String,
    /// The leading version (an AI-relevant change).
    pub version: crate::store::VersionId,
    /// When it was recorded.
    pub changed_at: String,
}

fn at(v: &VersionMeta) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(&v.recorded_at)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// The lags of one document now (pure): for each AI-relevant change of one language at least
/// `lag` old, each other language that was watched before it and has recorded no version since
/// `lag` before it.
pub fn find(histories: &[(&str, &[VersionMeta])], lag: Duration, now: DateTime<Utc>) -> Vec<Lag> {
    let Ok(lag) = chrono::Duration::from_std(lag) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (leading, versions) in histories {
        for v in versions.iter().skip(1).filter(|v| v.ai_relevant) {
            let Some(t) = at(v) else { continue };
            if now < t + lag {
                continue;
            }
            for (other, theirs) in histories.iter().filter(|(o, _)| o != leading) {
                let watched_before = theirs.first().and_then(at).is_some_and(|f| f <= t);
                let followed = theirs.iter().skip(1).filter_map(at).any(|a| a >= t - lag);
                if watched_before && !followed {
                    out.push(Lag {
                        lagging: (*other).to_string(),
                        leading: (*leading).to_string(),
                        version: v.id,
                        changed_at: v.recorded_at.clone(),
                    });
                }
            }
        }
    }
    out
}

/// "14 days", "36 hours", else humantime's form.
fn for_people(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        s if s % 86_400 == 0 => format!("{} day{}", s / 86_400, if s == 86_400 { "" } else { "s" }),
        s if s % 3_600 == 0 => format!("{} hour{}", s / 3_600, if s == 3_600 { "" } else { "s" }),
        _ => humantime::format_duration(d).to_string(),
    }
}

fn about(t: &Target) -> About {
    About {
        target: t.id.to_string(),
        name: t.name.clone(),
        url: t.url.to_string(),
    }
}

/// Finds the lags of every document watched in several languages, raises the new ones (with
/// their mail, once each) and resolves those that caught up.
pub async fn evaluate(
    store: &SharedStore,
    wl: &Watchlist,
    now: DateTime<Utc>,
) -> Result<(usize, usize), StoreFailure> {
    let pages: Vec<&Target> = wl.targets.iter().filter(|t| t.kind.has_text()).collect();
    let mut documents: Vec<&str> = pages.iter().map(|t| t.document.as_str()).collect();
    documents.sort_unstable();
    documents.dedup();
    let mut lags: Vec<NewLag> = Vec::new();
    let multilingual = documents
        .iter()
        .any(|d| pages.iter().filter(|t| t.document == *d).count() > 1);
    if !multilingual {
        return Ok((0, 0));
    }
    for doc in documents {
        let group: Vec<&Target> = pages
            .iter()
            .copied()
            .filter(|t| t.document == doc)
            .collect();
        if group.len() < 2 {
            continue;
        }
        let mut histories = Vec::new();
        for t in &group {
            let id = t.id.to_string();
            histories.push((id.clone(), store.call(move |s| s.history(&id)).await?));
        }
        let views: Vec<(&str, &[VersionMeta])> = histories
            .iter()
            .map(|(id, h)| (id.as_str(), h.as_slice()))
            .collect();
        for l in find(&views, wl.alerts.translation_lag, now) {
            let (Some(lagging), Some(leading)) = (
                group.iter().find(|t| t.id.as_str() == l.lagging),
                group.iter().find(|t| t.id.as_str() == l.leading),
            ) else {
                continue;
            };
            let event = Event::Lag(LagEvent {
                lagging: about(lagging),
                lagging_language: lagging.language.clone(),
                leading: about(leading),
                leading_language: leading.language.clone(),
                changed_at: l.changed_at.clone(),
                after: for_people(wl.alerts.translation_lag),
            });
            let key = format!("lag:{}:{}:v{}", l.lagging, l.leading, l.version);
            let mails = super::routed("lag", &key, &event, &wl.email.to, &wl.email, None);
            lags.push(NewLag {
                key,
                lagging: l.lagging,
                leading: l.leading,
                version: l.version,
                changed_at: l.changed_at,
                mails,
            });
        }
    }
    // nothing to raise and nothing open: no write (the daemon evaluates this often)
    if lags.is_empty() && !store.call(|s| s.has_open_lags()).await? {
        return Ok((0, 0));
    }
    store.call(move |s| s.record_lags(&lags, now)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(id: i64, at: &str, ai: bool) -> VersionMeta {
        let sev = crate::classify::Severity::High;
        VersionMeta::sample(id, &format!("{at}T00:00:00.000Z"), ai, sev)
    }

    #[test]
    fn a_language_that_does_not_follow_in_time_lags_and_one_that_does_does_not() {
        let lag = Duration::from_secs(14 * 86_400);
        let now = |d: &str| {
            DateTime::parse_from_rfc3339(&format!("{d}T00:00:00Z"))
                .unwrap()
                .with_timezone(&Utc)
        };
        let en = [v(1, "2025-10-01", false), v(3, "2025-11-03", true)];
        let de = [v(2, "2025-10-01", false)];
        let fr = [v(4, "2025-10-01", false), v(5, "2025-11-10", true)];
        let late = [v(6, "2025-11-04", false)]; // watched only after the change
        let docs = [
            ("en", &en[..]),
            ("de", &de[..]),
            ("fr", &fr[..]),
            ("late", &late[..]),
        ];
        // not yet due
        assert!(find(&docs, lag, now("2025-11-10")).is_empty());
        let got = find(&docs, lag, now("2025-11-18"));
        let pairs: Vec<(&str, &str)> = got
            .iter()
            .map(|l| (l.lagging.as_str(), l.leading.as_str()))
            .collect();
        // de never followed English; fr followed within 14 days; `late` was not watched yet
        assert_eq!(pairs, [("de", "en")]);
        // fr's change followed English's within the window: it is no lead of its own for en
        let got = find(&docs, lag, now("2025-11-25"));
        assert!(!got.iter().any(|l| l.lagging == "en"));
        // a language that moves alone: English lags German
        let en = [v(1, "2025-10-01", false)];
        let de = [v(2, "2025-10-01", false), v(7, "2025-11-20", true)];
        let alone = [("en", &en[..]), ("de", &de[..])];
        let got = find(&alone, lag, now("2025-12-05"));
        assert_eq!(
            got.iter()
                .map(|l| (l.lagging.as_str(), l.leading.as_str()))
                .collect::<Vec<_>>(),
            [("en", "de")]
        );
    }
}
