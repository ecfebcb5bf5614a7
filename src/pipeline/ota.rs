//! A check of an `ota` target: the file's commit feed (GitHub's Atom feed of the commits that
//! touched one path), then, for each commit not recorded yet, oldest first, the file's content
//! at that commit, read as `import` reads a version and recorded like a page change (dated by
//! the commit, its source the collection and commit; classified, facts read, alerted).
//!
//! The first check records the newest commit only, as a baseline (`backfill = true`: every
//! commit in the feed, without mail). Commit ids come from a feed written by someone else: only
//! hexadecimal ids are used to build a content URL.

use std::time::Instant;

use chrono::{DateTime, Utc};

use super::{CheckError, Outcome, Pipeline, analyse, outcome_of, record};
use crate::config::Target;
use crate::extract::ExtractError;
use crate::fetch::{FetchRequest, Fetched};

/// A commit of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// Its id (hexadecimal).
    pub id: String,
    /// When it was made.
    pub at: DateTime<Utc>,
}

/// The commits of a commit feed, newest first (pure). Entries whose id is not a commit id are
/// passed over.
pub fn commits(feed: &[u8]) -> Result<Vec<Commit>, ExtractError> {
    let parsed = feed_rs::parser::parse(feed)
        .map_err(|e| ExtractError::Feed(format!("not a commit feed: {e}")))?;
    let mut out: Vec<Commit> = parsed
        .entries
        .iter()
        .filter_map(|e| {
            let id = e.id.rsplit(['/', ':']).next()?.to_ascii_lowercase();
            let hex = (7..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit());
            let at = e.updated.or(e.published)?;
            hex.then_some(Commit { id, at })
        })
        .collect();
    // newest first, as GitHub lists them; a feed in another order is put in it
    out.sort_by_key(|c| std::cmp::Reverse(c.at));
    Ok(out)
}

/// The commits to record, oldest first: those newer than the newest one recorded; on a first
/// check the newest only, or all of them with `backfill` (pure).
pub fn to_record<'a>(
    commits: &'a [Commit],
    recorded: &[String],
    backfill: bool,
) -> Vec<&'a Commit> {
    let mut new: Vec<&Commit> = commits
        .iter()
        .take_while(|c| !recorded.contains(&c.id))
        .collect();
    if recorded.is_empty() && !backfill {
        new.truncate(1);
    }
    new.reverse();
    new
}

impl Pipeline {
    /// One check of an `ota` target.
    pub(super) async fn run_ota(
        &self,
        target: &Target,
        started: Instant,
    ) -> Result<(Outcome, Option<usize>), CheckError> {
        let Some(ota) = target.ota.clone() else {
            return Err(CheckError::Internal(
                "an ota target without its repository".into(),
            ));
        };
        let state = self.state(target).await?;
        let feed = self.fetch(target, &state).await?;
        let mut commits = match &feed {
            Some(page) => commits(&page.body)?,
            None => Vec::new(),
        };
        // a feed is someone else's: at most `max_items` commits are read per check
        commits.truncate(target.max_items);
        let id = target.id.to_string();
        let prefix = ota.source("");
        // the commits already read: those recorded as versions, and the newest one read (its
        // text may have equalled the version before, leaving no version of its own)
        let (sources, read) = self
            .store
            .call(move |s| Ok((s.sources(&id)?, s.ota_commit(&id)?)))
            .await?;
        let recorded: Vec<String> = read
            .into_iter()
            .chain(
                sources
                    .iter()
                    .filter_map(|s| s.strip_prefix(&prefix).map(str::to_string)),
            )
            .collect();
        let first = recorded.is_empty();
        let pending = to_record(&commits, &recorded, ota.backfill);
        let (etag, last_modified) = feed
            .as_ref()
            .map_or((None, None), |p| (p.etag.clone(), p.last_modified.clone()));
        let mut last = None;
        for commit in &pending {
            let state = self.state(target).await?;
            let url = ota.raw_url(&commit.id);
            let request = FetchRequest {
                accept_language: None,
                ..super::request(target, &url)
            };
            let Fetched::Page(page) = self.fetcher.fetch(&request, &self.settings.retry).await?
            else {
                return Err(CheckError::Internal(format!(
                    "{url}: HTTP 304 to a request without validators"
                )));
            };
            let mut page = *page;
            // the target's validators are its commit feed's, not the file's
            page.etag.clone_from(&etag);
            page.last_modified.clone_from(&last_modified);
            let raw_hash = analyse::raw_hash(&page.body);
            let (page, analysis) = self.read_and_judge(target, &state, page, raw_hash).await?;
            // a backfill is history: recorded and classified, never mailed
            let wants_alert = !(first && ota.backfill)
                && analysis.changed
                && crate::notify::wants_alert(
                    &analysis.verdict,
                    &analysis.plain,
                    &self.settings.alerts,
                );
            let previous = state.last_version.as_ref().map(|v| v.id);
            let written = record::Write {
                target: target.clone(),
                state,
                page: Some(page),
                analysis: Some(analysis),
                quotes: Vec::new(),
                wants_alert,
                at: commit.at,
                duration: started.elapsed(),
                source: Some(ota.source(&commit.id)),
            };
            let (recorded, analysis) = record::record(&self.store, &self.settings, written).await?;
            let (id, sha) = (target.id.to_string(), commit.id.clone());
            self.store
                .call(move |s| s.set_ota_commit(&id, &sha))
                .await?;
            last = Some(outcome_of(target, previous, true, recorded, analysis));
        }
        if let Some(outcome) = last {
            return Ok(outcome);
        }
        // no new commit: the check is logged, the last version stands
        let previous = state.last_version.as_ref().map(|v| v.id);
        let page_read = feed.is_some();
        let written = record::Write {
            target: target.clone(),
            state,
            page: None,
            analysis: None,
            quotes: Vec::new(),
            wants_alert: false,
            at: crate::clock::now(),
            duration: started.elapsed(),
            source: None,
        };
        let (recorded, analysis) = record::record(&self.store, &self.settings, written).await?;
        Ok(outcome_of(target, previous, page_read, recorded, analysis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut xml = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><id>tag:github.com,2008:/x/commits/main</id><title>Recent Commits</title><updated>2025-11-03T00:00:00Z</updated>",
        );
        for (id, at) in entries {
            xml.push_str(&format!(
                "<entry><id>tag:github.com,2008:Grit::Commit/{id}</id><link type=\"text/html\" rel=\"alternate\" href=\"https://github.com/x/commit/{id}\"/><title>Record new changes</title><updated>{at}</updated></entry>"
            ));
        }
        xml.push_str("</feed>");
        xml.into_bytes()
    }

    #[test]
    fn commits_are_read_newest_first_and_odd_ids_are_passed_over() {
        let c = commits(&feed(&[
            ("aaaaaaa1", "2025-09-23T06:13:39Z"),
            ("bbbbbbb2", "2025-11-03T18:13:28Z"),
            ("../../etc/passwd", "2025-12-01T00:00:00Z"),
        ]))
        .unwrap();
        let ids: Vec<&str> = c.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["bbbbbbb2", "aaaaaaa1"]);
        assert!(commits(b"<html>not a feed</html>").is_err());
    }

    #[test]
    fn only_commits_newer_than_the_recorded_ones_are_taken_oldest_first() {
        let c = commits(&feed(&[
            ("c3c3c3c", "2025-11-20T00:00:00Z"),
            ("b2b2b2b", "2025-11-03T00:00:00Z"),
            ("a1a1a1a", "2025-09-23T00:00:00Z"),
        ]))
        .unwrap();
        let ids = |v: Vec<&Commit>| v.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(to_record(&c, &[], false)), ["c3c3c3c"]);
        assert_eq!(
            ids(to_record(&c, &[], true)),
            ["a1a1a1a", "b2b2b2b", "c3c3c3c"]
        );
        assert_eq!(
            ids(to_record(&c, &["a1a1a1a".into()], false)),
            ["b2b2b2b", "c3c3c3c"]
        );
        assert!(to_record(&c, &["c3c3c3c".into()], false).is_empty());
    }
}
