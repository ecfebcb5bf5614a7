//! Step 6 of a check: one transaction records what it found (the target's state and log, the
//! raw snapshot, a new version) together with the mail it owes (alerts, a recovery), so a
//! change is never recorded without its alert.
//!
//! A page that was read writes a compressed snapshot (and maybe a version and mail): that goes
//! to the blocking pool. Otherwise only the target's state and log move, in place
//! ([`SharedStore::quick`]).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::follow::ArticleQuotes;
use super::{Analysis, Settings, item_alerts};
use crate::config::Target;
use crate::fetch::Page;
use crate::notify;
use crate::store::{
    NewVersion, Observation, Recorded, SharedStore, Snapshot, Store, StoreFailure, TargetState,
    VersionId,
};

/// What one check found, to be written.
pub(super) struct Write {
    pub target: Target,
    pub state: TargetState,
    /// The page read (`None`: 304 or byte-identical).
    pub page: Option<Page>,
    pub analysis: Option<Analysis>,
    /// Sentences quoted from linked articles (`follow_links`).
    pub quotes: Vec<ArticleQuotes>,
    /// Whether the change is mailed at once.
    pub wants_alert: bool,
    pub at: DateTime<Utc>,
    pub duration: Duration,
    /// Where a new version comes from (`None`: the page's final URL).
    pub source: Option<String>,
}

/// Writes it; returns what was recorded and hands the analysis back for the report.
pub(super) async fn record(
    store: &SharedStore,
    settings: &Arc<Settings>,
    w: Write,
) -> Result<(Recorded, Option<Analysis>), StoreFailure> {
    let settings = Arc::clone(settings);
    let recovery = (w.state.consecutive_failures >= settings.alerts.on_failure_after).then(|| {
        let mails = notify::recovery_mails(&w.target, &w.at.to_rfc3339(), &settings.email);
        (settings.alerts.on_failure_after, mails)
    });
    let previous_meta = w
        .state
        .last_version
        .as_ref()
        .map(|v| (v.id, v.recorded_at.clone()));
    let page_read = w.page.is_some();
    // the fingerprint of the rules that read the facts (compiled only if facts were read)
    let fingerprint = match w.analysis.as_ref().and_then(|a| a.facts.as_ref()) {
        Some(_) => settings.fact_rules().fingerprint.clone(),
        None => String::new(),
    };
    let Write {
        target,
        page,
        mut analysis,
        quotes,
        wants_alert,
        at,
        duration,
        source,
        ..
    } = w;
    let write = move |s: &mut Store| {
        let target = &target;
        let (t_id, t_url) = (target.id.to_string(), target.url.to_string());
        let recorded_at = crate::store::timestamp(at);
        let alert = |version_id: VersionId| match (&analysis, &previous_meta) {
            (Some(a), Some((old_id, old_at))) if wants_alert => notify::change_mails(
                &notify::ChangeEvent {
                    target,
                    old: (*old_id, old_at),
                    new: (version_id, &recorded_at),
                    change: a.change.as_ref(),
                    verdict: &a.verdict,
                    items: item_alerts(&a.items, &quotes),
                    plain: &a.plain,
                },
                &settings.email,
            ),
            _ => Vec::new(),
        };
        let notes = analysis
            .as_ref()
            .map(Analysis::item_notes)
            .unwrap_or_default();
        let source = source
            .clone()
            .or_else(|| page.as_ref().map(|p| p.final_url.to_string()));
        let version = analysis.as_ref().filter(|a| a.changed).map(|a| NewVersion {
            source: source.as_deref(),
            text: &a.text,
            hash: &a.text_hash,
            added: a.change.as_ref().map_or(0, |c| c.added),
            removed: a.change.as_ref().map_or(0, |c| c.removed),
            ai_relevant: a.verdict.ai_relevant,
            severity: a.verdict.severity,
            matched_terms: &a.verdict.matched_terms,
            new_items: &notes,
            facts: a
                .facts
                .as_ref()
                .map(|f| (fingerprint.as_str(), f, &a.plain)),
            language: a.language.as_deref(),
        });
        let snapshot = page.as_ref().zip(analysis.as_ref()).map(|(p, a)| Snapshot {
            url: p.final_url.as_str(),
            content_type: p.content_type.as_deref(),
            body: &p.body,
            hash: &a.raw_hash,
            status: Some(p.status),
            headers: Some(&p.response_headers),
            request: Some(&p.request),
        });
        let recorded = s.record(&Observation {
            target: &t_id,
            url: &t_url,
            at,
            duration,
            etag: page.as_ref().and_then(|p| p.etag.as_deref()),
            last_modified: page.as_ref().and_then(|p| p.last_modified.as_deref()),
            snapshot,
            version,
            seen: analysis.as_ref().and_then(|a| a.seen),
            extract_key: analysis.as_ref().map(|_| target.extract_key.as_str()),
            alert: Some(&alert),
            recovery: recovery.clone(),
            keep_snapshots: target.keep_snapshots,
        })?;
        // taken only once the record is written: a busy first try leaves it for the next
        Ok((recorded, analysis.take()))
    };
    if page_read {
        store.call(write).await
    } else {
        store.quick(write).await
    }
}
