//! The site's I/O shell: reads what a [`Route`] needs from the watchlist and the store, and
//! renders it with the pure pages. `report --out` renders every route of [`Site::routes`];
//! `serve` renders the route a request names.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::pages::{Notifications, TargetRow};
use super::{ChangeData, Doc, Route, RuleCache, change, facts, pages};
use crate::atom::{self, Scope};
use crate::classify::classify;
use crate::config::{Target, Watchlist};
use crate::store::{ChangeQuery, Store, StoreError, VersionMeta};
use crate::views::{self, FactSource};

/// How many changes the overview lists, and a feed carries.
const RECENT: usize = 20;
const FEED: usize = 500;
/// How many notifications the outbox page lists.
const OUTBOX: usize = 200;

/// A rendered page or feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// HTML or Atom.
    pub body: String,
    /// Its media type.
    pub content_type: &'static str,
    /// Feeds: when their newest entry was recorded (RFC 3339).
    pub modified: Option<String>,
}

impl Page {
    fn html(body: String) -> Self {
        Self {
            body,
            content_type: "text/html; charset=utf-8",
            modified: None,
        }
    }
}

/// The pages of one watchlist's history in one store.
pub struct Site<'a> {
    wl: &'a Watchlist,
    store: &'a Store,
    now: DateTime<Utc>,
    facts: FactSource<'a>,
    /// Each language's classification rules, compiled for the first change page that needs them.
    rules: &'a RuleCache,
}

impl<'a> Site<'a> {
    /// The site of `wl`'s targets in `store`, as of `now` (next runs), its change pages
    /// classified with `rules`.
    pub fn new(
        wl: &'a Watchlist,
        store: &'a Store,
        now: DateTime<Utc>,
        rules: &'a RuleCache,
    ) -> Self {
        Self {
            wl,
            store,
            now,
            facts: FactSource::new(wl),
            rules,
        }
    }

    fn target(&self, id: &crate::config::TargetId) -> Option<&'a Target> {
        self.wl.targets.iter().find(|t| t.id == *id)
    }

    /// The page at `route`, or `None` when there is none (an unknown target or version).
    pub fn render(&self, route: &Route) -> Result<Option<Page>, StoreError> {
        Ok(Some(match route {
            Route::Overview => Page::html(self.overview()?),
            Route::Facts => Page::html(self.facts_page()?),
            Route::Outbox => Page::html(pages::outbox(
                &self.store.mail_log(OUTBOX)?,
                self.notifications()?,
            )),
            Route::Target(id) => {
                let Some(t) = self.target(id) else {
                    return Ok(None);
                };
                let versions = self.store.history(id.as_str())?;
                Page::html(pages::timeline(&doc(t), &versions, t.kind.has_text()))
            }
            Route::Document(id) => {
                let Some(t) = self.target(id) else {
                    return Ok(None);
                };
                let Some(v) = self.store.version(id.as_str(), None)? else {
                    return Ok(None);
                };
                Page::html(pages::document(&doc(t), &v.text))
            }
            Route::Change(id, v) => {
                let Some(t) = self.target(id) else {
                    return Ok(None);
                };
                match self.change(t, *v)? {
                    Some(data) => Page::html(change::change_page(&doc(t), &data)),
                    None => return Ok(None),
                }
            }
            Route::Feed => self.feed(None, false, Scope::All)?,
            Route::AiFeed => self.feed(None, true, Scope::Ai)?,
            Route::TargetFeed(id) => {
                let Some(t) = self.target(id) else {
                    return Ok(None);
                };
                self.feed(
                    Some(t.id.as_str()),
                    false,
                    Scope::Target(t.id.as_str(), &t.name),
                )?
            }
        }))
    }

    /// Every route the pages link to: what `report --out` writes.
    pub fn routes(&self) -> Result<Vec<Route>, StoreError> {
        let mut out = vec![
            Route::Overview,
            Route::Facts,
            Route::Outbox,
            Route::Feed,
            Route::AiFeed,
        ];
        for t in self.wl.by_document() {
            out.push(Route::Target(t.id.clone()));
            out.push(Route::TargetFeed(t.id.clone()));
            let versions = self.store.history(t.id.as_str())?;
            if t.kind.has_text() && !versions.is_empty() {
                out.push(Route::Document(t.id.clone()));
            }
            out.extend(
                versions
                    .iter()
                    .skip(1)
                    .map(|v| Route::Change(t.id.clone(), v.id)),
            );
        }
        Ok(out)
    }

    fn notifications(&self) -> Result<Notifications, StoreError> {
        let count = |n: i64| usize::try_from(n).unwrap_or_default();
        Ok(Notifications {
            pending: count(self.store.pending_mail()?),
            failed: count(self.store.failed_mail()?),
        })
    }

    fn overview(&self) -> Result<String, StoreError> {
        let mut latest: HashMap<String, (VersionMeta, bool)> = self
            .store
            .latest_versions()?
            .into_iter()
            .map(|(id, v, change)| (id, (v, change)))
            .collect();
        let by_id: HashMap<&str, &Target> =
            self.wl.targets.iter().map(|t| (t.id.as_str(), t)).collect();
        let rows: Vec<TargetRow> = views::status_lines(self.wl, self.store, self.now)?
            .into_iter()
            .filter_map(|status| {
                let t = by_id.get(status.status.target.as_str())?;
                Some(TargetRow {
                    doc: doc(t),
                    latest: latest.remove(t.id.as_str()),
                    status,
                })
            })
            .collect();
        let recent = self.store.changes(&ChangeQuery {
            limit: RECENT,
            ..Default::default()
        })?;
        // a target no longer watched keeps its rows in the store, not on the pages
        let recent: Vec<_> = recent
            .into_iter()
            .filter(|c| by_id.contains_key(c.target.as_str()))
            .collect();
        Ok(pages::overview(&rows, self.notifications()?, &recent))
    }

    fn facts_page(&self) -> Result<String, StoreError> {
        let mut docs = Vec::new();
        for t in self.wl.by_document() {
            if !t.kind.has_text() {
                continue;
            }
            let hist = views::fact_history(self.store, t, &self.facts)?;
            let facts = hist
                .into_iter()
                .map(|(m, f)| (m.id, m.recorded_at, f))
                .collect();
            docs.push((doc(t), facts));
        }
        Ok(facts::facts_page(&docs))
    }

    /// Version `v` of `t` and the one before it, compared.
    fn change(
        &self,
        t: &Target,
        v: crate::store::VersionId,
    ) -> Result<Option<ChangeData>, StoreError> {
        let Some(old) = self.store.previous_version(t.id.as_str(), v)? else {
            return Ok(None);
        };
        self.change_between(t, old.meta.id, v)
    }

    /// The page of the change from version `from` to version `to` of `t` (any two of its
    /// versions), or `None` when either is not one of them.
    pub fn change_page_between(
        &self,
        t: &Target,
        from: crate::store::VersionId,
        to: crate::store::VersionId,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .change_between(t, from, to)?
            .map(|data| change::change_page(&doc(t), &data)))
    }

    fn change_between(
        &self,
        t: &Target,
        from: crate::store::VersionId,
        to: crate::store::VersionId,
    ) -> Result<Option<ChangeData>, StoreError> {
        let id = t.id.as_str();
        let Some(new) = self.store.version(id, Some(to))? else {
            return Ok(None);
        };
        let Some(old) = self.store.version(id, Some(from))? else {
            return Ok(None);
        };
        let change = crate::diff::diff(&old.text, &new.text);
        let verdict = classify(&change, &self.rules.get(self.wl, &t.language));
        let plain = if t.kind.has_text() {
            let before = self
                .facts
                .facts(self.store.facts_of(old.meta.id)?, || old.text.clone());
            let after = self
                .facts
                .facts(self.store.facts_of(new.meta.id)?, || new.text.clone());
            crate::facts::summary::Plain::tell(
                &t.name,
                t.region.as_deref(),
                &before,
                &after,
                &verdict,
            )
        } else {
            Default::default()
        };
        Ok(Some(ChangeData {
            old: old.meta,
            new: new.meta,
            change,
            verdict,
            plain,
        }))
    }

    fn feed(
        &self,
        target: Option<&str>,
        ai_only: bool,
        scope: Scope<'_>,
    ) -> Result<Page, StoreError> {
        let changes = self.store.changes(&ChangeQuery {
            target,
            ai_only,
            limit: FEED,
            ..Default::default()
        })?;
        let watched: Vec<_> = changes
            .into_iter()
            .filter(|c| self.wl.targets.iter().any(|t| t.id.as_str() == c.target))
            .collect();
        Ok(Page {
            body: atom::changes_feed(&watched, &|id| self.wl.name_of(id), scope),
            content_type: "application/atom+xml; charset=utf-8",
            modified: watched.first().map(|c| c.version.recorded_at.clone()),
        })
    }
}

/// How the pages name a target.
fn doc(t: &Target) -> Doc {
    Doc {
        id: t.id.to_string(),
        name: if t.language_set || t.language != "en" {
            format!("{} ({})", t.name, t.language)
        } else {
            t.name.clone()
        },
        url: t.url.to_string(),
        region: t.region.clone(),
        language: t.language.clone(),
    }
}
