//! Pipeline: the one place that chains fetch -> extract -> store -> diff -> classify.
//!
//! [`Pipeline::check`] runs one target through every stage and always returns a
//! [`CheckReport`]: a failure at any stage is reported (and counted in the store) but never
//! written as a version, never replaces the last good one and never stops other targets.
//! [`Pipeline::check_all`] runs many within the concurrency bound, reporting in watchlist order.
//!
//! `analyse` holds the pure stages; `follow` fetches feed items' articles.
//!
//! Blocking work (HTML parsing, SQLite) runs on tokio's blocking pool: a page read is parsed,
//! compared and judged in one blocking call, so its DOM lives and dies there and no page
//! outlives its check. The short store calls (the state read, the record of a page that was not
//! read again, a failure) run in place ([`SharedStore::quick`]): a thread hand-off costs more
//! than they do.

mod analyse;
pub use probe::probe;
mod follow;
mod ota;
mod outcome;
mod probe;
mod record;

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use futures_util::StreamExt;
use tracing::Instrument;

use crate::classify::{RuleSets, Verdict};
use crate::config::{Alerts, Email, Kind, Target, Watchlist};
use crate::facts::{FactRuleSpec, FactRules};
use crate::fetch::{FetchError, FetchRequest, Fetched, Fetcher, Page, RetryPolicy};
use crate::notify;
use crate::store::{Failure, Recorded, SharedStore, StoreFailure, TargetState, VersionId};
pub use analyse::{Analysis, ItemVerdict};
pub use outcome::{CheckError, CheckReport, Outcome, Status};

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
    /// Classification rules, per language.
    pub rules: RuleSets,
    /// Recipients and caps of mail.
    pub email: Email,
    /// When mail is queued.
    pub alerts: Alerts,
    /// The fact rules, compiled the first time a page's text changes.
    facts: Arc<OnceLock<FactRules>>,
    fact_specs: Arc<Vec<FactRuleSpec>>,
}

impl Settings {
    /// The settings of a watchlist with rules already compiled.
    pub fn new(wl: &Watchlist, rules: RuleSets) -> Self {
        Self {
            retry: wl.retry,
            rules,
            email: wl.email.clone(),
            alerts: wl.alerts,
            facts: Arc::default(),
            fact_specs: Arc::new(wl.fact_rules.clone()),
        }
    }

    /// The fact rules (compiled on first use: most checks find nothing new).
    pub fn fact_rules(&self) -> &FactRules {
        self.facts.get_or_init(|| {
            // Every spec compiled when the watchlist was loaded: the set cannot fail.
            FactRules::from_specs(self.fact_specs.to_vec())
                .unwrap_or_else(|e| unreachable!("fact rules validated at load compile: {e}"))
        })
    }
}

impl From<&Watchlist> for Settings {
    /// The settings of a watchlist, its rules compiled now.
    fn from(wl: &Watchlist) -> Self {
        Self::new(wl, wl.rule_sets())
    }
}

/// The AI-relevant items of a feed change, with what their articles said.
fn item_alerts<'a>(
    items: &'a [ItemVerdict],
    quotes: &'a [follow::ArticleQuotes],
) -> Vec<notify::ItemAlert<'a>> {
    items
        .iter()
        .filter(|i| i.verdict.ai_relevant)
        .map(|i| {
            let q = quotes.iter().find(|q| q.link == i.item.link);
            notify::ItemAlert {
                new: i.new,
                title: &i.item.title,
                date: &i.item.date,
                link: &i.item.link,
                verdict: &i.verdict,
                quotes: q.map_or(&[][..], |q| &q.quotes),
                quote_error: q.and_then(|q| q.error.as_deref()),
            }
        })
        .collect()
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
    /// `done` is told of each finished check (for a progress bar).
    pub async fn check_all(
        &self,
        targets: &[&Target],
        concurrency: usize,
        done: &(dyn Fn(&CheckReport) + Sync),
    ) -> Vec<CheckReport> {
        futures_util::stream::iter(targets.iter().map(|t| async move {
            let report = self.check(t).await;
            done(&report);
            report
        }))
        .buffered(concurrency.max(1))
        .collect()
        .await
    }

    /// Checks one target through every stage.
    pub async fn check(&self, target: &Target) -> CheckReport {
        let span = tracing::info_span!("check", target = %target.id, url = %target.url);
        async {
            let started = Instant::now();
            let (outcome, new_items) = match self.run(target, started).await {
                Ok((outcome, new_items)) => {
                    tracing::info!(outcome = ?OutcomeKind(&outcome), "checked");
                    (outcome, new_items)
                }
                Err(error) => {
                    // the span carries id and URL, but a warn-level filter hides info spans
                    tracing::warn!(id = %target.id, url = %target.url, %error, transient = error.is_transient(), "check failed");
                    let consecutive_failures = self
                        .record_failure(target, started, &error)
                        .await
                        .unwrap_or_else(|store_err| {
                            tracing::error!(%store_err, "could not record the failure");
                            0
                        });
                    let failed = Outcome::Failed {
                        error,
                        consecutive_failures,
                    };
                    (failed, None)
                }
            };
            CheckReport {
                target: target.id.clone(),
                name: target.name.clone(),
                url: target.url.to_string(),
                outcome,
                new_items,
            }
        }
        .instrument(span)
        .await
    }

    /// A failed check: counted in the target's state and log (never a version), with the
    /// incident mail once the failures reach `on_failure_after`. Returns the failures in a row.
    async fn record_failure(
        &self,
        target: &Target,
        started: Instant,
        error: &CheckError,
    ) -> Result<u32, StoreFailure> {
        let (id, url, err) = (
            target.id.to_string(),
            target.url.to_string(),
            error.to_string(),
        );
        let duration = started.elapsed();
        let at = crate::clock::now();
        let threshold = self.settings.alerts.on_failure_after;
        let incident = notify::incident_mails(
            target,
            threshold,
            &err,
            &at.to_rfc3339(),
            &self.settings.email,
        );
        self.store
            .quick(move |s| {
                let failure = Failure {
                    target: &id,
                    url: &url,
                    at,
                    duration,
                    error: &err,
                };
                s.record_failure(&failure, Some((threshold, incident.clone())))
            })
            .await
    }

    /// One check, as README's "How a check works" tells it: what is known of the target, a
    /// (conditional) fetch, the byte-identical shortcut, extract + diff + classify, the linked
    /// articles of a feed's AI-relevant items, and one transaction that records it all.
    async fn run(
        &self,
        target: &Target,
        started: Instant,
    ) -> Result<(Outcome, Option<usize>), CheckError> {
        if target.kind == Kind::Ota {
            return self.run_ota(target, started).await;
        }
        let state = self.state(target).await?;
        let page = self.fetch(target, &state).await?;
        let raw_hash = page
            .as_ref()
            .map(|p| analyse::raw_hash(&p.body))
            .unwrap_or_default();
        let page = page.filter(|p| !is_same_page(target, &state, p, &raw_hash));
        let (page, analysis) = match page {
            Some(page) => {
                let (page, analysis) = self.read_and_judge(target, &state, page, raw_hash).await?;
                (Some(page), Some(analysis))
            }
            None => (None, None),
        };
        let analysis = analysis.map(|a| rebaseline_after_import(&state, a));
        let wants_alert = analysis.as_ref().is_some_and(|a| {
            a.changed && notify::wants_alert(&a.verdict, &a.plain, &self.settings.alerts)
        });
        let quotes = match &analysis {
            Some(a) if wants_alert && target.follow_links => {
                follow::quotes(self, target, &a.items).await
            }
            _ => Vec::new(),
        };
        let previous = state.last_version.as_ref().map(|v| v.id);
        let page_read = page.is_some();
        let written = record::Write {
            target: target.clone(),
            state,
            page,
            analysis,
            quotes,
            wants_alert,
            at: crate::clock::now(),
            duration: started.elapsed(),
            source: None,
        };
        let (recorded, analysis) = record::record(&self.store, &self.settings, written).await?;
        Ok(outcome_of(target, previous, page_read, recorded, analysis))
    }

    /// Step 1: the stored state of the target (validators, the last version, failures).
    async fn state(&self, target: &Target) -> Result<TargetState, StoreFailure> {
        let id = target.id.to_string();
        self.store.quick(move |s| s.target_state(&id)).await
    }

    /// Step 2: the page, conditionally fetched (`None`: HTTP 304, the stored version stands).
    async fn fetch(
        &self,
        target: &Target,
        state: &TargetState,
    ) -> Result<Option<Page>, CheckError> {
        let have_version = state.last_version.is_some();
        let request = FetchRequest {
            etag: state.etag.as_deref().filter(|_| have_version),
            last_modified: state.last_modified.as_deref().filter(|_| have_version),
            ..request(target, &target.url)
        };
        match self.fetcher.fetch(&request, &self.settings.retry).await? {
            Fetched::Page(page) => Ok(Some(*page)),
            Fetched::NotModified if have_version => Ok(None),
            Fetched::NotModified => Err(CheckError::Fetch(FetchError::Other(
                "HTTP 304 without a stored version".into(),
            ))),
        }
    }

    /// Step 4: extract, diff and classify, in one blocking task (one thread hand-off per page
    /// read); the previous text is read there too, and only when the text is new.
    async fn read_and_judge(
        &self,
        target: &Target,
        state: &TargetState,
        page: Page,
        raw_hash: String,
    ) -> Result<(Page, Analysis), CheckError> {
        let (t, known) = (target.clone(), state.known.clone());
        let previous_hash = state.last_version.as_ref().map(|p| p.hash.clone());
        let previous_id = state.last_version.as_ref().map(|p| p.id);
        let (store, settings) = (self.store.clone(), Arc::clone(&self.settings));
        tokio::task::spawn_blocking(move || {
            let reading = analyse::read(&page, raw_hash, &t, previous_hash.as_deref(), &known)?;
            let previous_text = match previous_id {
                Some(id) if reading.changed => {
                    store.blocking(|s| s.version(t.id.as_str(), Some(id)))?
                }
                _ => None,
            };
            let rules = settings.rules.get(&t.language);
            let mut analysis = analyse::judge(reading, rules, previous_text.as_ref());
            if t.kind.has_text() && analysis.changed {
                let stored = match &previous_text {
                    Some(p) => store.blocking(|s| s.facts_of(p.meta.id))?,
                    None => None,
                };
                analyse::read_facts(
                    &mut analysis,
                    &t,
                    settings.fact_rules(),
                    previous_text.as_ref(),
                    stored,
                );
            }
            Ok::<_, CheckError>((page, analysis))
        })
        .await
        .map_err(|e| CheckError::Internal(format!("read-and-judge task failed: {e}")))?
    }
}

/// A request for `url` with `target`'s limits, identity and language, without validators.
fn request<'a>(target: &'a Target, url: &'a url::Url) -> FetchRequest<'a> {
    FetchRequest {
        url,
        etag: None,
        last_modified: None,
        timeout: target.timeout,
        max_body: target.max_body,
        user_agent: &target.user_agent,
        accept_language: Some(&target.language),
        public_only: false,
    }
}

/// Step 3: byte-identical to the last page read with the same extraction settings, so the
/// text cannot differ and the page is not parsed again (exact: any byte, header or selector
/// change reads it).
fn is_same_page(target: &Target, state: &TargetState, page: &Page, raw_hash: &str) -> bool {
    let same = state.last_version.is_some()
        && state.extract_key.as_deref() == Some(target.extract_key.as_str())
        && state
            .last_snapshot
            .as_ref()
            .is_some_and(|(hash, content_type)| {
                *content_type == page.content_type && hash == raw_hash
            });
    if same {
        tracing::debug!("byte-identical page: not parsed again");
    }
    same
}

/// After an import the stored text came from Markdown, not from this page's HTML: the first
/// live version re-baselines (recorded, not judged, never alerted).
fn rebaseline_after_import(state: &TargetState, mut a: Analysis) -> Analysis {
    if state.extract_key.as_deref() == Some(crate::import::IMPORTED_KEY) {
        a.verdict = Verdict::default();
        a.items.clear();
        a.plain = Default::default();
    }
    a
}

/// Step 7: how the check ended, and a feed's count of new items.
fn outcome_of(
    target: &Target,
    previous: Option<VersionId>,
    page_read: bool,
    recorded: Recorded,
    analysis: Option<Analysis>,
) -> (Outcome, Option<usize>) {
    match recorded {
        Recorded::Version(version) => {
            let Some(previous) = previous else {
                return (Outcome::New { version }, analysis.and_then(|a| a.new_items));
            };
            let (change, verdict, new_items, plain) = match analysis {
                Some(a) => (a.change, a.verdict, a.new_items, a.plain),
                None => (None, Verdict::default(), None, Default::default()),
            };
            let changed = Outcome::Changed {
                version,
                previous,
                change,
                verdict,
                plain,
            };
            (changed, new_items)
        }
        Recorded::Unchanged(version) => {
            let new_items = analysis
                .and_then(|a| a.new_items)
                .or(target.kind.has_items().then_some(0));
            if page_read {
                (Outcome::Unchanged { version }, new_items)
            } else {
                (Outcome::NotModified { version }, new_items)
            }
        }
    }
}

/// An outcome in a log line: its kind and version, not its whole diff.
struct OutcomeKind<'a>(&'a Outcome);

impl std::fmt::Debug for OutcomeKind<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Outcome::New { version } => write!(f, "new v{version}"),
            Outcome::Changed { version, .. } => write!(f, "changed v{version}"),
            Outcome::Unchanged { version } => write!(f, "unchanged {version:?}"),
            Outcome::NotModified { version } => write!(f, "not modified {version:?}"),
            Outcome::Failed { error, .. } => write!(f, "failed: {error}"),
        }
    }
}
