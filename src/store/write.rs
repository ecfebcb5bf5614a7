//! The write side of the store: one transaction per check, success or failure, with the
//! mail it queues; snapshot retention; compression of raw pages.

use super::VersionId;
use std::io::Write;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{ItemNote, NewMail, Store, StoreError, outbox, ts};
use crate::classify::Severity;

/// Renders the alert mail of a new version, given its id (known only inside the transaction).
pub type AlertFn<'a> = &'a (dyn Fn(VersionId) -> Vec<NewMail> + Sync);

/// The outcome of a successful check, to be written in one transaction.
#[derive(Clone)]
pub struct Observation<'a> {
    /// Target id.
    pub target: &'a str,
    /// Target URL.
    pub url: &'a str,
    /// When the check ran.
    pub at: DateTime<Utc>,
    /// How long it took.
    pub duration: Duration,
    /// Validators the server sent (kept when `None` after a 304).
    pub etag: Option<&'a str>,
    /// Validators the server sent.
    pub last_modified: Option<&'a str>,
    /// The raw page, when one was fetched.
    pub snapshot: Option<Snapshot<'a>>,
    /// The new version, when the text changed.
    pub version: Option<NewVersion<'a>>,
    /// The known version the page flipped back to, when it did.
    pub seen: Option<VersionId>,
    /// The extraction settings the page was read with (when it was read, not skipped).
    pub extract_key: Option<&'a str>,
    /// The alert for a new version, queued with it.
    pub alert: Option<AlertFn<'a>>,
    /// The recovery mail, queued when the target had failed at least this many times in a row.
    pub recovery: Option<(u32, Vec<NewMail>)>,
    /// Raw snapshots kept for the target (`None`: every one); versions are always kept.
    pub keep_snapshots: Option<usize>,
}

/// A failed check.
#[derive(Debug, Clone, Copy)]
pub struct Failure<'a> {
    /// Target id.
    pub target: &'a str,
    /// Target URL.
    pub url: &'a str,
    /// When.
    pub at: DateTime<Utc>,
    /// How long it took.
    pub duration: Duration,
    /// Why.
    pub error: &'a str,
}

/// A raw page to keep.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot<'a> {
    /// The URL after redirects.
    pub url: &'a str,
    /// `Content-Type`.
    pub content_type: Option<&'a str>,
    /// The body as fetched.
    pub body: &'a [u8],
    /// The body's identity: `blake3:` and the hex digest. (Snapshots stored by earlier builds
    /// hold a plain SHA-256 hex, which never equals the new form.)
    pub hash: &'a str,
    /// The HTTP status.
    pub status: Option<u16>,
    /// The response header block as received (framing of a compressed transfer left out).
    pub headers: Option<&'a str>,
    /// The request line and header block as sent.
    pub request: Option<&'a str>,
}

/// A new version's text and what the diff and classifier said of it.
#[derive(Debug, Clone, Copy)]
pub struct NewVersion<'a> {
    /// The extracted text.
    pub text: &'a str,
    /// sha256 of the text, hex.
    pub hash: &'a str,
    /// Sentences added since the previous version.
    pub added: usize,
    /// Sentences removed since the previous version.
    pub removed: usize,
    /// Whether AI-training terms moved.
    pub ai_relevant: bool,
    /// "none" | "low" | "medium" | "high".
    pub severity: Severity,
    /// Matched terms.
    pub matched_terms: &'a [String],
    /// Feeds: the items new in this version.
    pub new_items: &'a [ItemNote],
    /// The language the page declared (or the target's, for an import).
    pub language: Option<&'a str>,
    /// Where it came from (see `VersionMeta::source`).
    pub source: Option<&'a str>,
    /// Pages: the facts of the text, with the fingerprint of the rules that read them, and the
    /// change to it told in plain words.
    pub facts: Option<(
        &'a str,
        &'a crate::facts::Facts,
        &'a crate::facts::summary::Plain,
    )>,
}

/// What [`Store::record`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// A new version with this id.
    Version(VersionId),
    /// No new version: the text equals the latest one (possibly recorded meanwhile by another
    /// process sharing the database).
    Unchanged(Option<VersionId>),
}

impl Store {
    /// Writes a successful check: snapshot (if new), version (if the text changed), validators,
    /// state and log, all in one transaction.
    pub fn record(&mut self, obs: &Observation<'_>) -> Result<Recorded, StoreError> {
        let path = self.path.clone();
        let sqlite = sqlite_error(&path);
        let keep = obs.keep_snapshots;
        // the chain's hash of the raw body, before the write lock is taken
        let body_sha = obs.snapshot.map(|s| super::chain::sha256_hex(s.body));
        let (tx, target_id) = self.begin(obs.target, obs.url)?;
        let latest: Option<(VersionId, String)> = super::query_row(
            &tx,
            "SELECT id, hash FROM version WHERE target_id = ?1 ORDER BY id DESC LIMIT 1",
            [target_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(sqlite)?;
        let first = latest.is_none();
        let mut snapshot_id = None;
        if let Some(s) = obs.snapshot {
            let last: Option<String> = super::query_row(
                &tx,
                "SELECT hash FROM snapshot WHERE target_id = ?1 ORDER BY id DESC LIMIT 1",
                [target_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(sqlite)?;
            if last.as_deref() != Some(s.hash) {
                let body = compress(s.body)
                    .map_err(|e| sqlite(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
                super::execute(
                    &tx,
                    "INSERT INTO snapshot (target_id, fetched_at, url, content_type, hash, size, body, status, headers, request)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    params![target_id, ts(obs.at), s.url, s.content_type, s.hash, s.body.len() as i64, body,
                            s.status, s.headers, s.request],
                )
                .map_err(sqlite)?;
                snapshot_id = Some(tx.last_insert_rowid());
                if let Some(keep) = keep {
                    prune_snapshots(&tx, target_id, keep).map_err(sqlite)?;
                }
            }
        }
        let recorded = match obs.version {
            Some(v) if latest.as_ref().map(|(_, h)| h.as_str()) != Some(v.hash) => {
                let terms = serde_json::to_string(v.matched_terms).unwrap_or_else(|_| "[]".into());
                let new_items = serde_json::to_string(v.new_items).unwrap_or_else(|_| "[]".into());
                super::execute(
                    &tx,
                    "INSERT INTO version (target_id, snapshot_id, recorded_at, hash, size, text, added, removed,
                                          ai_relevant, severity, matched_terms, new_items)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                    params![
                        target_id,
                        snapshot_id,
                        ts(obs.at),
                        v.hash,
                        v.text.len() as i64,
                        v.text,
                        v.added as i64,
                        v.removed as i64,
                        v.ai_relevant,
                        v.severity.as_str(),
                        terms,
                        new_items
                    ],
                )
                .map_err(sqlite)?;
                let id = VersionId(tx.last_insert_rowid());
                if v.language.is_some() || v.source.is_some() {
                    super::execute(
                        &tx,
                        "UPDATE version SET language = ?2, source = ?3 WHERE id = ?1",
                        params![id, v.language, v.source],
                    )
                    .map_err(sqlite)?;
                }
                if let Some((rules, facts, plain)) = v.facts {
                    super::facts::insert(&tx, id, rules, facts, plain).map_err(sqlite)?;
                }
                Recorded::Version(id)
            }
            _ => Recorded::Unchanged(obs.seen.or(latest.map(|(id, _)| id))),
        };
        let seen = match recorded {
            Recorded::Version(id) => Some(id),
            Recorded::Unchanged(_) => obs.seen,
        };
        // the observation joins the target's chain: a raw page stored, a version recorded
        let new_version = match recorded {
            Recorded::Version(id) => Some(id),
            Recorded::Unchanged(_) => None,
        };
        if snapshot_id.is_some() || new_version.is_some() {
            let entry = super::chain::observed(
                obs.at,
                obs.url,
                snapshot_id.zip(obs.snapshot.as_ref()),
                body_sha.as_deref().filter(|_| snapshot_id.is_some()),
                obs.version.map(|v| (new_version, v.hash)),
            );
            super::chain::append(&tx, target_id, &entry).map_err(sqlite)?;
        }
        if let Recorded::Version(id) = recorded
            && let Some(alert) = obs.alert
        {
            outbox::enqueue(&tx, &alert(id), Some(target_id), Some(id), obs.at).map_err(sqlite)?;
        }
        if let Some((threshold, mails)) = &obs.recovery {
            let failures: u32 = super::query_row(
                &tx,
                "SELECT consecutive_failures FROM target WHERE id = ?1",
                [target_id],
                |r| r.get(0),
            )
            .map_err(sqlite)?;
            if failures >= *threshold {
                outbox::enqueue(&tx, mails, Some(target_id), None, obs.at).map_err(sqlite)?;
            }
        }
        let (status, version_id) = match recorded {
            Recorded::Version(id) if first => ("new", Some(id)),
            Recorded::Version(id) => ("changed", Some(id)),
            Recorded::Unchanged(_) => ("unchanged", None),
        };
        super::execute(
            &tx,
            "UPDATE target SET etag = coalesce(?2, etag), last_modified = coalesce(?3, last_modified),
                    consecutive_failures = 0, last_error = NULL, last_checked_at = ?4, last_success_at = ?4,
                    last_change_at = CASE WHEN ?5 THEN ?4 ELSE last_change_at END,
                    seen_version_id = coalesce(?6, seen_version_id),
                    extract_key = coalesce(?7, extract_key)
             WHERE id = ?1",
            params![target_id, obs.etag, obs.last_modified, ts(obs.at), version_id.is_some(), seen, obs.extract_key],
        )
        .map_err(sqlite)?;
        log_check(
            &tx,
            target_id,
            obs.at,
            status,
            version_id,
            None,
            obs.duration,
        )
        .map_err(sqlite)?;
        tx.commit().map_err(sqlite)?;
        Ok(recorded)
    }

    /// Writes a failed check: the failure count and error move, nothing else does. The incident
    /// mail is queued when the count reaches its threshold, so once per incident.
    /// Returns the number of failures in a row.
    pub fn record_failure(
        &mut self,
        failure: &Failure<'_>,
        incident: Option<(u32, Vec<NewMail>)>,
    ) -> Result<u32, StoreError> {
        let Failure {
            target,
            url,
            at,
            duration,
            error,
        } = *failure;
        let path = self.path.clone();
        let sqlite = sqlite_error(&path);
        let (tx, target_id) = self.begin(target, url)?;
        let failures: u32 = super::query_row(
            &tx,
            "UPDATE target SET consecutive_failures = consecutive_failures + 1, last_error = ?2,
                    last_checked_at = ?3
             WHERE id = ?1 RETURNING consecutive_failures",
            params![target_id, error, ts(at)],
            |r| r.get(0),
        )
        .map_err(sqlite)?;
        log_check(&tx, target_id, at, "failed", None, Some(error), duration).map_err(sqlite)?;
        if let Some((threshold, mails)) = incident
            && failures == threshold
        {
            outbox::enqueue(&tx, &mails, Some(target_id), None, at).map_err(sqlite)?;
        }
        tx.commit().map_err(sqlite)?;
        Ok(failures)
    }
}

/// Maps SQLite errors of one write to the store's error, naming the database.
fn sqlite_error(path: &std::path::Path) -> impl Fn(rusqlite::Error) -> StoreError + Copy + '_ {
    move |source| StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

/// Deletes a target's raw snapshots beyond the newest `keep`, unlinking their versions first.
fn prune_snapshots(
    tx: &rusqlite::Transaction<'_>,
    target_id: i64,
    keep: usize,
) -> rusqlite::Result<()> {
    // Found through the (target_id, id) index alone; usually there is nothing to prune.
    let oldest_kept: Option<i64> = super::query_row(
        tx,
        "SELECT id FROM snapshot WHERE target_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2",
        params![target_id, keep.saturating_sub(1) as i64],
        |r| r.get(0),
    )
    .optional()?;
    let Some(oldest_kept) = oldest_kept else {
        return Ok(());
    };
    // Only this target's versions, through their index: never a scan of every version's page.
    super::execute(
        tx,
        "UPDATE version SET snapshot_id = NULL WHERE target_id = ?1 AND snapshot_id < ?2",
        params![target_id, oldest_kept],
    )?;
    super::execute(
        tx,
        "DELETE FROM snapshot WHERE target_id = ?1 AND id < ?2",
        params![target_id, oldest_kept],
    )?;
    Ok(())
}

impl Store {
    /// Opens a check's write transaction (immediate: it will write) and makes sure its target
    /// has a row, whose id it returns.
    fn begin(
        &mut self,
        target: &str,
        url: &str,
    ) -> Result<(rusqlite::Transaction<'_>, i64), StoreError> {
        let sqlite = sqlite_error(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite)?;
        let target_id = upsert_target(&tx, target, url).map_err(sqlite)?;
        Ok((tx, target_id))
    }
}

fn upsert_target(tx: &rusqlite::Transaction<'_>, key: &str, url: &str) -> rusqlite::Result<i64> {
    super::query_row(
        tx,
        "INSERT INTO target (key, url) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET url = excluded.url RETURNING id",
        params![key, url],
        |r| r.get(0),
    )
}

fn log_check(
    tx: &rusqlite::Transaction<'_>,
    target_id: i64,
    at: DateTime<Utc>,
    status: &str,
    version_id: Option<VersionId>,
    error: Option<&str>,
    duration: Duration,
) -> rusqlite::Result<()> {
    super::execute(
        tx,
        "INSERT INTO check_log (target_id, checked_at, status, version_id, error, duration_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            target_id,
            ts(at),
            status,
            version_id,
            error,
            duration.as_millis() as i64
        ],
    )?;
    Ok(())
}

/// Deflate at its fastest level: on the LinkedIn fixture pages it shrinks a raw snapshot 4.25x
/// at about 290 MB/s, a fraction of the default level's CPU (which was a quarter of a whole
/// check-now). zlib-rs would be twice as fast (4.75x at 640 MB/s), but it allocates its ~300 KB
/// state as one block above glibc's mmap threshold: the load bench's peak RSS rose by 3.7 MB
/// with a fresh state per snapshot, and the idle daemon's by 0.9 MB with one kept per thread.
pub(super) fn compress(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::fast(),
    );
    enc.write_all(body)?;
    enc.finish()
}
