//! Store: the only place with SQL. Targets' state, raw snapshots, versions and the check log.
//!
//! SQLite through rusqlite (bundled), in WAL mode with a busy timeout and foreign keys, so a
//! daemon and a `check-now` can share one file. The schema is numbered, append-only migrations
//! (`migrations/`) applied through `PRAGMA user_version`; the file is stamped with an
//! `application_id` so a foreign SQLite database is refused, never silently reused.
//!
//! Every write of one check is one transaction ([`Store::record`], [`Store::record_failure`]):
//! a crash leaves either all of it or none of it. A failure never touches the last version.
//! The store is synchronous; async callers share it through [`SharedStore`], which runs a call
//! on a blocking thread, or in place when the call is short and the store free.

mod chain;
mod facts;
mod lag;
mod outbox;
mod raw;
mod read;
mod shared;
mod stamps;
mod write;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension};
use rusqlite_migration::{M, Migrations};

pub use chain::{Problem, entry_text, sha256_hex};
pub use lag::NewLag;
pub use outbox::{DigestMaterial, Mail, NewMail};
pub use raw::RawResponse;
pub use read::{ChangeQuery, ChangeRow, ItemNote, TargetStatus, Version, VersionMeta};
pub use shared::{SharedStore, StoreFailure};
pub use write::{Failure, NewVersion, Observation, Recorded, Snapshot};

/// 'PWCH': marks a database file as policywatch's.
const APPLICATION_ID: i32 = 0x5057_4348;

static MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("migrations/0001_init.sql")),
    M::up(include_str!("migrations/0002_outbox.sql")),
    M::up(include_str!("migrations/0003_feed_items.sql")),
    M::up(include_str!("migrations/0004_seen_version.sql")),
    M::up(include_str!("migrations/0005_extract_key.sql")),
    M::up(include_str!("migrations/0006_outbox_claim.sql")),
    M::up(include_str!("migrations/0007_events.sql")),
    M::up(include_str!("migrations/0008_facts.sql")),
    M::up(include_str!("migrations/0009_channels.sql")),
    M::up(include_str!("migrations/0010_language.sql")),
    M::up(include_str!("migrations/0011_lags.sql")),
    M::up(include_str!("migrations/0012_evidence.sql")),
    M::up(include_str!("migrations/0013_timestamps.sql")),
    M::up(include_str!("migrations/0014_source.sql")),
];

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused an operation.
    #[error("database {path}: {source}{}", disk_hint(source))]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The SQLite error.
        source: rusqlite::Error,
    },
    /// The schema could not be brought up to date.
    #[error("database {path}: migration failed: {source}")]
    Migration {
        /// The database file.
        path: PathBuf,
        /// What the migration runner said.
        source: rusqlite_migration::Error,
    },
    /// The file is an SQLite database of another program, or a newer policywatch.
    #[error("database {path}: {reason}; refusing to touch it (point --db elsewhere)")]
    Foreign {
        /// The database file.
        path: PathBuf,
        /// What gave it away.
        reason: String,
    },
}

/// SQLite's I/O errors rarely say why; the usual reason on a server is a full disk.
fn disk_hint(e: &rusqlite::Error) -> &'static str {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::SystemIoFailure) => " (is the disk full or failing?)",
        Some(rusqlite::ErrorCode::DiskFull) => " (free some space; nothing was written)",
        _ => "",
    }
}

impl StoreError {
    /// Whether SQLite said the database is busy or locked by another connection.
    pub fn is_busy(&self) -> bool {
        let sqlite = match self {
            Self::Sqlite { source, .. } => Some(source),
            Self::Migration {
                source: rusqlite_migration::Error::RusqliteError { err, .. },
                ..
            } => Some(err),
            _ => None,
        };
        matches!(
            sqlite.and_then(rusqlite::Error::sqlite_error_code),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }
}

/// How long a call waits for another connection's lock before it is "busy".
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// What the pipeline needs to know about a target before checking it.
#[derive(Debug, Clone, Default)]
pub struct TargetState {
    /// `ETag` to echo.
    pub etag: Option<String>,
    /// `Last-Modified` to echo.
    pub last_modified: Option<String>,
    /// The version the page showed at the last successful check (usually the latest), if any;
    /// its text is read only when needed.
    pub last_version: Option<VersionRef>,
    /// The most recent versions' ids and text hashes, newest first (to recognise a page that
    /// flips back to a text it had).
    pub known: Vec<(VersionId, String)>,
    /// The latest raw snapshot: its hash and `Content-Type`.
    pub last_snapshot: Option<(String, Option<String>)>,
    /// The extraction settings the last seen version was made with.
    pub extract_key: Option<String>,
    /// Failures in a row so far.
    pub consecutive_failures: u32,
}

/// A stored version's id (global, increasing): its own type from the database to the CLI, so
/// that it cannot be mixed up with a row id or a count.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct VersionId(pub i64);

impl std::fmt::Display for VersionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl rusqlite::types::ToSql for VersionId {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        self.0.to_sql()
    }
}

impl rusqlite::types::FromSql for VersionId {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        i64::column_result(value).map(Self)
    }
}

/// A version as a check needs it: no text, and none of the columns stored after it (reading
/// those walks the text's overflow pages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRef {
    /// Version id.
    pub id: VersionId,
    /// When it was recorded (RFC 3339, UTC).
    pub recorded_at: String,
    /// sha256 of the text, hex.
    pub hash: String,
}

/// An open database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// How times are stored and shown: RFC 3339, UTC, milliseconds.
pub fn timestamp(at: DateTime<Utc>) -> String {
    ts(at)
}

fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Store {
    /// Frees the connection's page cache (SQLite's `shrink_memory`).
    pub fn release_memory(&self) -> Result<(), StoreError> {
        self.conn
            .execute_batch("PRAGMA shrink_memory")
            .map_err(|e| self.err(e))
    }

    /// Runs `f` with SQLite told not to wait for locks: a lock held elsewhere is an
    /// immediate "busy" error (see [`StoreError::is_busy`]).
    fn without_waiting<R>(
        &mut self,
        f: &mut impl FnMut(&mut Store) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        self.conn
            .busy_timeout(Duration::ZERO)
            .map_err(|e| self.err(e))?;
        let done = f(self);
        self.conn
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| self.err(e))?;
        done
    }

    /// Opens (creating if needed) the database and brings its schema up to date.
    ///
    /// Two processes opening a new database at once (a daemon starting while `status` runs) can
    /// meet SQLite's lock-upgrade deadlock, which it reports as busy at once rather than waiting,
    /// or both try to create the schema; the open is retried for a few seconds in those cases.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        // A device or FIFO (`--db /dev/null`) is no database, and SQLite would create its
        // journal beside it (`/dev/null-journal`).
        if let Ok(m) = std::fs::metadata(path)
            && !m.is_file()
        {
            return Err(StoreError::Foreign {
                path: path.to_path_buf(),
                reason: "not a regular file".into(),
            });
        }
        let mut tries = 0;
        loop {
            match Self::open_once(path) {
                // Busy: another connection holds the lock. A failed migration: another process
                // was migrating the same new file at the same moment (its tables now exist); a
                // second look finds the schema current. A real migration error repeats.
                Err(e)
                    if (e.is_busy() || matches!(e, StoreError::Migration { .. })) && tries < 50 =>
                {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(100));
                }
                other => return other,
            }
        }
    }

    fn open_once(path: &Path) -> Result<Self, StoreError> {
        let sqlite = |source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(sqlite)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sqlite)?;
        // A foreign or corrupt file fails here, on its first read.
        // One statement, so one snapshot: read apart, another process could commit its new
        // schema in between and the file would look foreign.
        let (app_id, tables): (i32, i64) = conn
            .query_row(
                "SELECT (SELECT application_id FROM pragma_application_id),
                        (SELECT count(*) FROM sqlite_schema WHERE type = 'table')",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(sqlite)?;
        if app_id != APPLICATION_ID && (app_id != 0 || tables > 0) {
            return Err(StoreError::Foreign {
                path: path.to_path_buf(),
                reason: format!(
                    "not a policywatch database (application_id {app_id:#x}, {tables} tables)"
                ),
            });
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sqlite)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sqlite)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(sqlite)?;
        // Each check reads one target's rows; a small page cache keeps the daemon small.
        conn.pragma_update(None, "cache_size", -512)
            .map_err(sqlite)?;
        let migrations = Migrations::from_slice(MIGRATIONS);
        migrations
            .to_latest(&mut conn)
            .map_err(|source| match source {
                rusqlite_migration::Error::MigrationDefinition(_)
                | rusqlite_migration::Error::SpecifiedSchemaVersion(_) => StoreError::Foreign {
                    path: path.to_path_buf(),
                    reason: format!("schema is newer than this policywatch understands ({source})"),
                },
                source => StoreError::Migration {
                    path: path.to_path_buf(),
                    source,
                },
            })?;
        if app_id == 0 {
            conn.pragma_update(None, "application_id", APPLICATION_ID)
                .map_err(sqlite)?;
        }
        let mut store = Self {
            conn,
            path: path.to_path_buf(),
        };
        // a database from before the hash chain: what it holds is chained, once
        let chained = store.chain_existing()?;
        if chained > 0 {
            tracing::warn!(
                "database {}: {chained} stored observations chained (once; `policywatch verify` checks them from now on)",
                path.display()
            );
        }
        Ok(store)
    }

    /// Opens a database that [`Store::open`] created, for reading only (`PRAGMA query_only`:
    /// SQLite refuses any write through it). In WAL mode it reads beside a daemon's writes
    /// without waiting for them. A file of another program, or of another schema, is refused.
    pub fn reader(path: &Path) -> Result<Self, StoreError> {
        let sqlite = |source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
            | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
            | rusqlite::OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags).map_err(sqlite)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sqlite)?;
        conn.pragma_update(None, "query_only", true)
            .map_err(sqlite)?;
        conn.pragma_update(None, "cache_size", -512)
            .map_err(sqlite)?;
        let (app_id, version): (i32, i64) = conn
            .query_row(
                "SELECT (SELECT application_id FROM pragma_application_id),
                        (SELECT user_version FROM pragma_user_version)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(sqlite)?;
        if app_id != APPLICATION_ID || usize::try_from(version).ok() != Some(MIGRATIONS.len()) {
            return Err(StoreError::Foreign {
                path: path.to_path_buf(),
                reason: format!(
                    "not a policywatch database of this version (application_id {app_id:#x}, schema {version}, expected {})",
                    MIGRATIONS.len()
                ),
            });
        }
        Ok(Self {
            conn,
            path: path.to_path_buf(),
        })
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// The state of a target (default for one never checked).
    pub fn target_state(&self, target: &str) -> Result<TargetState, StoreError> {
        // One read transaction for all these reads (each would otherwise take and drop its own
        // WAL read lock, a few syscalls apiece), through the statement cache.
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let conn: &Connection = &tx;
        let row = query_row(
            conn,
            "SELECT id, etag, last_modified, consecutive_failures, seen_version_id, extract_key
                 FROM target WHERE key = ?1",
            [target],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get::<_, u32>(3)?,
                    r.get::<_, Option<VersionId>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            },
        )
        .optional()
        .map_err(|e| self.err(e))?;
        let Some((id, etag, last_modified, consecutive_failures, seen, extract_key)) = row else {
            return Ok(TargetState::default());
        };
        let last_snapshot = query_row(
            conn,
            "SELECT hash, content_type FROM snapshot WHERE target_id = ?1 ORDER BY id DESC LIMIT 1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(|e| self.err(e))?;
        let version_ref = |r: &rusqlite::Row<'_>| {
            Ok(VersionRef {
                id: r.get(0)?,
                recorded_at: r.get(1)?,
                hash: r.get(2)?,
            })
        };
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, recorded_at, hash FROM version WHERE target_id = ?1 ORDER BY id DESC LIMIT 10",
            )
            .map_err(|e| self.err(e))?;
        let recent = stmt
            .query_map([id], version_ref)
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        // The version last seen is nearly always the newest; an older one is read by id (and a
        // missing one falls back to the newest).
        let seen_version = match seen {
            None => None,
            Some(v) => match recent.iter().find(|r| r.id == v) {
                Some(r) => Some(r.clone()),
                None => query_row(
                    conn,
                    "SELECT id, recorded_at, hash FROM version WHERE id = ?1 AND target_id = ?2",
                    rusqlite::params![v, id],
                    version_ref,
                )
                .optional()
                .map_err(|e| self.err(e))?,
            },
        };
        Ok(TargetState {
            etag,
            last_modified,
            known: recent.iter().map(|r| (r.id, r.hash.clone())).collect(),
            last_version: seen_version.or_else(|| recent.first().cloned()),
            last_snapshot,
            extract_key,
            consecutive_failures,
        })
    }
}

#[cfg(test)]
mod tests;

/// `execute` through the connection's statement cache: a check runs the same few statements
/// every time, and parsing them again each time was a visible part of a check's CPU.
pub(super) fn execute(
    conn: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(p)
}

/// `query_row` through the statement cache (see [`execute`]).
pub(super) fn query_row<T>(
    conn: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
    f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.prepare_cached(sql)?.query_row(p, f)
}
