//! Pipeline: the one place that chains fetch -> extract -> store -> diff -> classify.
//!
//! [`Pipeline::check`] runs one target through every stage and always returns a
//! [`CheckReport`]: a failure at any stage is reported (and counted in the store) but never
//! written as a version, never replaces the last good one and never stops other targets.
//! [`Pipeline::check_all`] runs many within the concurrency bound, reporting in watchlist order.
//!
//! Blocking work (HTML parsing, SQLite) runs on tokio's blocking pool: the parsed DOM lives and
//! dies inside one blocking call, so no page outlives its check.

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use futures_util::StreamExt;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tracing::Instrument;

use crate::classify::{RuleSet, Verdict, classify};
use crate::config::{Alerts, Email, Target, TargetId, Watchlist};
use crate::diff::{self, Change};
use crate::extract;
use crate::fetch::{FetchRequest, Fetched, Fetcher, Page, RetryPolicy};
use crate::notify;
use crate::store::{Failure, NewVersion, Observation, Recorded, SharedStore, Snapshot, Version};

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// First version recorded.
    New,
    /// A new version recorded.
    Changed,
    /// Same text as the latest version (or a 304).
    Unchanged,
    /// Nothing recorded; see the error.
    Failed,
}

/// One target's check, for output.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// Target id.
    pub target: TargetId,
    /// Target name.
    pub name: String,
    /// Target URL.
    pub url: String,
    /// What happened.
    pub status: Status,
    /// The version recorded (new/changed) or current (unchanged).
    pub version: Option<i64>,
    /// The version before it, for a change.
    pub previous: Option<i64>,
    /// The diff, for a change.
    pub change: Option<Change>,
    /// The classifier's verdict on the change.
    pub verdict: Verdict,
    /// Why it failed.
    pub error: Option<String>,
    /// Failures in a row, after this check.
    pub consecutive_failures: u32,
}

/// The stages, wired.
pub struct Pipeline {
    store: SharedStore,
    fetcher: Fetcher,
    settings: Arc<Settings>,
}

/// What the pipeline needs of the watchlist besides the targets.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Retry of transient fetch failures.
    pub retry: RetryPolicy,
    /// Classification rules.
    pub rules: RuleSet,
    /// Recipients and caps of mail.
    pub email: Email,
    /// When mail is queued.
    pub alerts: Alerts,
}

impl From<&Watchlist> for Settings {
    fn from(wl: &Watchlist) -> Self {
        Self {
            retry: wl.retry,
            rules: wl.rules.clone(),
            email: wl.email.clone(),
            alerts: wl.alerts,
        }
    }
}

/// What the pure stages (extract, diff, classify) made of a fetched page.
struct Analysis {
    text: String,
    text_hash: String,
    raw_hash: String,
    /// Whether the text differs from the previous version (or there is none).
    changed: bool,
    change: Option<Change>,
    verdict: Verdict,
}

/// Runs the CPU-bound stages on one page; the parsed DOM lives only inside this call.
fn analyse(
    page: &Page,
    extract_rules: &extract::Rules,
    rules: &RuleSet,
    previous: Option<&Version>,
) -> Result<Analysis, String> {
    let decoded = extract::decode(&page.body, page.content_type.as_deref());
    let text = extract::extract(&decoded, extract_rules).map_err(|e| e.to_string())?;
    let text_hash = sha256(text.as_bytes());
    let changed = previous.is_none_or(|p| p.meta.hash != text_hash);
    let change = previous
        .filter(|_| changed)
        .map(|p| diff::diff(&p.text, &text));
    let verdict = change
        .as_ref()
        .map(|c| classify(c, rules))
        .unwrap_or_default();
    Ok(Analysis {
        raw_hash: sha256(&page.body),
        text,
        text_hash,
        changed,
        change,
        verdict,
    })
}

fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

impl Pipeline {
    /// Wires an open store, a fetcher and the settings.
    pub fn new(store: SharedStore, fetcher: Fetcher, settings: Settings) -> Self {
        Self {
            store,
            fetcher,
            settings: Arc::new(settings),
        }
    }

    /// Checks every target given, at most `concurrency` at once; reports come in input order.
    pub async fn check_all(&self, targets: &[&Target], concurrency: usize) -> Vec<CheckReport> {
        futures_util::stream::iter(targets.iter().map(|t| self.check(t)))
            .buffered(concurrency.max(1))
            .collect()
            .await
    }

    /// Checks one target through every stage.
    pub async fn check(&self, target: &Target) -> CheckReport {
        let span = tracing::info_span!("check", target = %target.id, url = %target.url);
        async {
            let started = Instant::now();
            let mut report = CheckReport {
                target: target.id.clone(),
                name: target.name.clone(),
                url: target.url.to_string(),
                status: Status::Failed,
                version: None,
                previous: None,
                change: None,
                verdict: Verdict::default(),
                error: None,
                consecutive_failures: 0,
            };
            match self.run(target, started, &mut report).await {
                Ok(()) => {
                    tracing::info!(status = ?report.status, version = ?report.version, "checked")
                }
                Err(error) => {
                    // the span carries id and URL, but a warn-level filter hides info spans
                    tracing::warn!(id = %target.id, url = %target.url, %error, "check failed");
                    report.status = Status::Failed;
                    report.version = None;
                    report.change = None;
                    let (id, url) = (target.id.to_string(), target.url.to_string());
                    let err = error.clone();
                    let duration = started.elapsed();
                    let at = Utc::now();
                    let threshold = self.settings.alerts.on_failure_after;
                    let incident = notify::incident_mails(
                        target,
                        threshold,
                        &error,
                        &at.to_rfc3339(),
                        &self.settings.email,
                    );
                    match self
                        .store
                        .call(move |s| {
                            let failure = Failure {
                                target: &id,
                                url: &url,
                                at,
                                duration,
                                error: &err,
                            };
                            s.record_failure(&failure, Some((threshold, incident)))
                        })
                        .await
                    {
                        Ok(n) => report.consecutive_failures = n,
                        Err(store_err) => {
                            tracing::error!(%store_err, "could not record the failure")
                        }
                    }
                    report.error = Some(error);
                }
            }
            report
        }
        .instrument(span)
        .await
    }

    async fn run(
        &self,
        target: &Target,
        started: Instant,
        report: &mut CheckReport,
    ) -> Result<(), String> {
        let id = target.id.to_string();
        let state = self.store.call(move |s| s.target_state(&id)).await?;
        let have_version = state.last_version.is_some();
        let request = FetchRequest {
            url: &target.url,
            etag: state.etag.as_deref().filter(|_| have_version),
            last_modified: state.last_modified.as_deref().filter(|_| have_version),
            timeout: target.timeout,
            max_body: target.max_body,
            user_agent: &target.user_agent,
        };
        let fetched = self
            .fetcher
            .fetch(&request, &self.settings.retry)
            .await
            .map_err(|e| e.to_string())?;
        let page = match fetched {
            Fetched::Page(page) => Some(page),
            Fetched::NotModified if have_version => None,
            Fetched::NotModified => return Err("HTTP 304 without a stored version".into()),
        };

        let previous = state.last_version;
        let (page, previous, analysis) = match page {
            Some(page) => {
                let extract_rules = target.rules.clone();
                let settings = Arc::clone(&self.settings);
                let (page, previous, analysis) = tokio::task::spawn_blocking(move || {
                    let analysis =
                        analyse(&page, &extract_rules, &settings.rules, previous.as_ref());
                    (page, previous, analysis)
                })
                .await
                .map_err(|e| format!("extract task failed: {e}"))?;
                (Some(page), previous, Some(analysis?))
            }
            None => (None, previous, None),
        };
        let changed = analysis.as_ref().is_some_and(|a| a.changed);
        let (text, text_hash, raw_hash, change, verdict) = match analysis {
            Some(a) => (
                Some(a.text),
                Some(a.text_hash),
                Some(a.raw_hash),
                a.change,
                a.verdict,
            ),
            None => (None, None, None, None, Verdict::default()),
        };
        let terms = verdict.matched_terms.clone();

        let at = Utc::now();
        let duration = started.elapsed();
        let (t_id, t_url) = (target.id.to_string(), target.url.to_string());
        let (added, removed) = change.as_ref().map_or((0, 0), |c| (c.added, c.removed));
        let severity = verdict.severity.as_str();
        let ai_relevant = verdict.ai_relevant;
        let settings = Arc::clone(&self.settings);
        let alert_change = change
            .clone()
            .filter(|_| notify::wants_alert(&verdict, &settings.alerts));
        let alert_verdict = verdict.clone();
        let previous_meta = previous
            .as_ref()
            .map(|v| (v.meta.id, v.meta.recorded_at.clone()));
        let recovery =
            (state.consecutive_failures >= settings.alerts.on_failure_after).then(|| {
                let mails = notify::recovery_mails(target, &at.to_rfc3339(), &settings.email);
                (settings.alerts.on_failure_after, mails)
            });
        let (name, recorded_at) = (target.name.clone(), crate::store::timestamp(at));
        let recorded = self
            .store
            .call(move |s| {
                let alert = |version_id: i64| match (&alert_change, &previous_meta) {
                    (Some(change), Some((old_id, old_at))) => notify::alert_mails(
                        &notify::AlertInput {
                            target: &t_id,
                            name: &name,
                            url: &t_url,
                            old: (*old_id, old_at),
                            new: (version_id, &recorded_at),
                            change,
                            verdict: &alert_verdict,
                            max_body: 0,
                        },
                        &settings.email,
                    ),
                    _ => Vec::new(),
                };
                let snapshot = page
                    .as_ref()
                    .zip(raw_hash.as_deref())
                    .map(|(p, hash)| Snapshot {
                        url: p.final_url.as_str(),
                        content_type: p.content_type.as_deref(),
                        body: &p.body,
                        hash,
                    });
                let version = text
                    .as_deref()
                    .zip(text_hash.as_deref())
                    .filter(|_| changed)
                    .map(|(text, hash)| NewVersion {
                        text,
                        hash,
                        added,
                        removed,
                        ai_relevant,
                        severity,
                        matched_terms: &terms,
                    });
                s.record(&Observation {
                    target: &t_id,
                    url: &t_url,
                    at,
                    duration,
                    etag: page.as_ref().and_then(|p| p.etag.as_deref()),
                    last_modified: page.as_ref().and_then(|p| p.last_modified.as_deref()),
                    snapshot,
                    version,
                    alert: Some(&alert),
                    recovery,
                })
            })
            .await?;

        report.previous = previous.as_ref().map(|v| v.meta.id);
        match recorded {
            Recorded::Version(id) => {
                report.status = if previous.is_some() {
                    Status::Changed
                } else {
                    Status::New
                };
                report.version = Some(id);
                report.change = change;
                report.verdict = verdict;
            }
            Recorded::Unchanged(id) => {
                report.status = Status::Unchanged;
                report.version = id;
            }
        }
        Ok(())
    }
}
