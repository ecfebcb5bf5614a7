//! Read side of the store: versions and history, for the pipeline and the CLI.

use super::VersionId;
use crate::classify::Severity;
use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::{Store, StoreError};

/// A stored version, with its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Version {
    /// Its metadata.
    #[serde(flatten)]
    pub meta: VersionMeta,
    /// The extracted text.
    pub text: String,
}

/// A stored version's metadata, as `history` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct VersionMeta {
    /// Version id (global, increasing).
    pub id: VersionId,
    /// When it was recorded (RFC 3339, UTC).
    pub recorded_at: String,
    /// Bytes of text.
    pub size: i64,
    /// sha256 of the text, hex.
    pub hash: String,
    /// Sentences added since the previous version.
    pub added: i64,
    /// Sentences removed since the previous version.
    pub removed: i64,
    /// Whether AI-training terms moved.
    pub ai_relevant: bool,
    /// Severity of the change.
    pub severity: Severity,
    /// Terms that matched.
    pub matched_terms: Vec<String>,
    /// Feeds: the items new in this version.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub new_items: Vec<ItemNote>,
    /// Pages: the change in at most three plain sentences (empty when none was told).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    /// Pages: the most important fact that moved, as a headline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headline: Option<String>,
    /// The language the page declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Where it came from: the final URL of a direct fetch, `ota:OWNER/REPO@COMMIT` for an
    /// Open Terms Archive commit, `import:FILE` for an imported file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

#[cfg(test)]
impl VersionMeta {
    /// A version for tests: its id, when it was recorded, whether it is AI-relevant, how much.
    pub fn sample(id: i64, recorded_at: &str, ai_relevant: bool, severity: Severity) -> Self {
        Self {
            id: VersionId(id),
            recorded_at: recorded_at.to_string(),
            size: 1,
            hash: String::new(),
            added: 1,
            removed: 0,
            ai_relevant,
            severity,
            matched_terms: vec![],
            new_items: vec![],
            summary: String::new(),
            headline: None,
            language: None,
            source: None,
        }
    }
}

/// A feed item new in a version, as the digest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ItemNote {
    /// Title.
    pub title: String,
    /// Link.
    pub link: String,
    /// Date, as the feed gave it.
    pub date: String,
    /// Whether it touches AI-training terms.
    pub ai_relevant: bool,
    /// Its severity.
    pub severity: Severity,
}

pub(super) const META_COLUMNS: &str = "v.id, v.recorded_at, v.size, v.hash, v.added, v.removed, v.ai_relevant, v.severity, v.matched_terms, v.new_items,
     (SELECT json_extract(f.plain, '$.summary') FROM version_facts f WHERE f.version_id = v.id),
     (SELECT json_extract(f.plain, '$.headline') FROM version_facts f WHERE f.version_id = v.id),
     v.language, v.source";

/// How many columns [`META_COLUMNS`] spans.
pub(super) const META_WIDTH: usize = 14;

fn meta(r: &Row<'_>) -> rusqlite::Result<VersionMeta> {
    meta_at(r, 0)
}

/// Reads [`META_COLUMNS`] starting at column `at`.
pub(super) fn meta_at(r: &Row<'_>, at: usize) -> rusqlite::Result<VersionMeta> {
    let terms: String = r.get(at + 8)?;
    Ok(VersionMeta {
        id: r.get(at)?,
        recorded_at: r.get(at + 1)?,
        size: r.get(at + 2)?,
        hash: r.get(at + 3)?,
        added: r.get(at + 4)?,
        removed: r.get(at + 5)?,
        ai_relevant: r.get(at + 6)?,
        severity: r.get::<_, String>(at + 7)?.parse().map_err(|e: String| {
            rusqlite::Error::FromSqlConversionFailure(at + 7, rusqlite::types::Type::Text, e.into())
        })?,
        matched_terms: serde_json::from_str(&terms).unwrap_or_default(),
        new_items: serde_json::from_str(&r.get::<_, String>(at + 9)?).unwrap_or_default(),
        summary: r.get::<_, Option<String>>(at + 10)?.unwrap_or_default(),
        headline: r.get(at + 11)?,
        language: r.get(at + 12)?,
        source: r.get(at + 13)?,
    })
}

impl Store {
    /// A target's version `id`, or its latest when `id` is `None`.
    pub fn version(
        &self,
        target: &str,
        id: Option<VersionId>,
    ) -> Result<Option<Version>, StoreError> {
        let sql = format!(
            "SELECT {META_COLUMNS}, v.text FROM version v JOIN target t ON t.id = v.target_id
             WHERE t.key = ?1 AND (?2 IS NULL OR v.id = ?2) ORDER BY v.id DESC LIMIT 1"
        );
        self.conn
            .query_row(&sql, params![target, id], |r| {
                Ok(Version {
                    meta: meta(r)?,
                    text: r.get(META_WIDTH)?,
                })
            })
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The version of a target recorded just before version `id`.
    pub fn previous_version(
        &self,
        target: &str,
        id: VersionId,
    ) -> Result<Option<Version>, StoreError> {
        let sql = format!(
            "SELECT {META_COLUMNS}, v.text FROM version v JOIN target t ON t.id = v.target_id
             WHERE t.key = ?1 AND v.id < ?2 ORDER BY v.id DESC LIMIT 1"
        );
        self.conn
            .query_row(&sql, params![target, id], |r| {
                Ok(Version {
                    meta: meta(r)?,
                    text: r.get(META_WIDTH)?,
                })
            })
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The sources of a target's versions, newest first (those recorded with one).
    pub fn sources(&self, target: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT v.source FROM version v JOIN target t ON t.id = v.target_id
                 WHERE t.key = ?1 AND v.source IS NOT NULL ORDER BY v.id DESC",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([target], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The newest Open Terms Archive commit read for `target`.
    pub fn ota_commit(&self, target: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT ota_commit FROM target WHERE key = ?1",
                [target],
                |r| r.get(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(|e| self.err(e))
    }

    /// Notes the newest Open Terms Archive commit read for `target` (known to the store).
    pub fn set_ota_commit(&mut self, target: &str, commit: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE target SET ota_commit = ?2 WHERE key = ?1",
                params![target, commit],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Every version of a target, oldest first.
    pub fn history(&self, target: &str) -> Result<Vec<VersionMeta>, StoreError> {
        let sql = format!(
            "SELECT {META_COLUMNS} FROM version v JOIN target t ON t.id = v.target_id
             WHERE t.key = ?1 ORDER BY v.id"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt.query_map([target], meta).map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
}

/// A target's state, as `status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetStatus {
    /// Target id.
    pub target: String,
    /// Target URL.
    pub url: String,
    /// When it was last checked.
    pub last_checked_at: Option<String>,
    /// new | changed | unchanged | failed.
    pub last_result: Option<String>,
    /// When a version was last recorded.
    pub last_change_at: Option<String>,
    /// Failures in a row.
    pub consecutive_failures: i64,
    /// The last error, while failing.
    pub last_error: Option<String>,
}

impl Store {
    /// The state of every target ever checked.
    pub fn statuses(&self) -> Result<Vec<TargetStatus>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT t.key, t.url, t.last_checked_at,
                        (SELECT c.status FROM check_log c WHERE c.target_id = t.id ORDER BY c.id DESC LIMIT 1),
                        t.last_change_at, t.consecutive_failures, t.last_error
                 FROM target t ORDER BY t.key",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(TargetStatus {
                    target: r.get(0)?,
                    url: r.get(1)?,
                    last_checked_at: r.get(2)?,
                    last_result: r.get(3)?,
                    last_change_at: r.get(4)?,
                    consecutive_failures: r.get(5)?,
                    last_error: r.get(6)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
}

/// Which recorded changes to list.
#[derive(Debug, Clone, Default)]
pub struct ChangeQuery<'a> {
    /// Only this target's.
    pub target: Option<&'a str>,
    /// Only AI-relevant ones.
    pub ai_only: bool,
    /// Only those recorded at or after this time (RFC 3339, compared as stored).
    pub since: Option<&'a str>,
    /// At most this many, newest first.
    pub limit: usize,
}

/// A recorded change, as `changes --json` prints it and `/api/v1/changes` serves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeRow {
    /// Target id.
    pub target: String,
    /// Target URL.
    pub url: String,
    /// The version recorded (its `added`/`removed` count against the one before).
    #[serde(flatten)]
    pub version: VersionMeta,
}

impl Store {
    /// Recorded changes (versions with a predecessor), newest first.
    pub fn changes(&self, q: &ChangeQuery<'_>) -> Result<Vec<ChangeRow>, StoreError> {
        let sql = format!(
            "SELECT t.key, t.url, {META_COLUMNS} FROM version v JOIN target t ON t.id = v.target_id
             WHERE EXISTS (SELECT 1 FROM version p WHERE p.target_id = v.target_id AND p.id < v.id)
               AND (?1 = 0 OR v.ai_relevant = 1)
               AND (?3 IS NULL OR t.key = ?3)
               AND (?4 IS NULL OR v.recorded_at >= ?4)
             ORDER BY v.id DESC LIMIT ?2"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![q.ai_only, limit, q.target, q.since], |r| {
                Ok(ChangeRow {
                    target: r.get(0)?,
                    url: r.get(1)?,
                    version: meta_at(r, 2)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Every target's latest version, and whether it has an older one: (target id, version,
    /// is a change).
    pub fn latest_versions(&self) -> Result<Vec<(String, VersionMeta, bool)>, StoreError> {
        let sql = format!(
            "SELECT t.key, {META_COLUMNS},
                    EXISTS (SELECT 1 FROM version p WHERE p.target_id = v.target_id AND p.id < v.id)
             FROM target t JOIN version v ON v.id = (SELECT max(id) FROM version WHERE target_id = t.id)
             ORDER BY t.key"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, meta_at(r, 1)?, r.get(1 + META_WIDTH)?))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
}
