//! The outbox and digests: mail rows written with what they report, then delivered and marked.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

use super::{Store, StoreError, ts};

/// A message to queue, for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    /// alert | digest | incident | recovery | test.
    pub kind: &'static str,
    /// What it is about; (key, recipient) is unique, so queuing twice is harmless.
    pub key: String,
    /// The stable Message-ID (without angle brackets).
    pub message_id: String,
    /// One address (for a channel: `channel:<id>`).
    pub recipient: String,
    /// The `[[channel]]` it goes through (`None`: mail through `[email]`).
    pub channel: Option<String>,
    /// Subject line (already free of control characters), for the outbox listing.
    pub subject: String,
    /// What happened, as JSON (`notify::event::Event`): the message is rendered from it when
    /// the row is delivered. Stored once per `key`.
    pub event: String,
}

/// A queued message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mail {
    /// Row id.
    pub id: i64,
    /// alert | digest | incident | recovery | test.
    pub kind: String,
    /// Stable Message-ID.
    pub message_id: String,
    /// Recipient.
    pub recipient: String,
    /// The `[[channel]]` it goes through (`None`: mail through `[email]`).
    pub channel: Option<String>,
    /// Subject.
    pub subject: String,
    /// Plain-text part.
    #[serde(skip)]
    pub text: String,
    /// HTML part.
    #[serde(skip)]
    pub html: String,
    /// The event it reports (rows queued before events have their bodies rendered instead).
    #[serde(skip)]
    pub event_id: Option<i64>,
    /// The event, as JSON.
    #[serde(skip)]
    pub event: Option<String>,
    /// When queued.
    pub created_at: String,
    /// pending | sent | failed.
    pub status: String,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// The last delivery error.
    pub last_error: Option<String>,
    /// When it went out.
    pub sent_at: Option<String>,
}

/// What a digest covers: everything recorded after the previous digest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct DigestMaterial {
    /// Versions with a predecessor (changes), oldest first: (target key, target url, meta).
    pub changes: Vec<(String, String, super::VersionMeta)>,
    /// Targets recorded for the first time.
    pub new_targets: Vec<String>,
    /// Targets failing now: (key, url, failures in a row, last error).
    pub failing: Vec<(String, String, i64, String)>,
    /// Targets that failed since the last digest and have recovered.
    pub recovered: Vec<String>,
    /// Translation lags resolved since the last digest.
    #[serde(default)]
    pub caught_up: Vec<String>,
    /// High-water marks to store with the digest.
    pub last_version_id: i64,
    /// High-water mark of the check log.
    pub last_check_id: i64,
}

impl DigestMaterial {
    /// Whether there is nothing to report.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
            && self.caught_up.is_empty()
            && self.new_targets.is_empty()
            && self.failing.is_empty()
            && self.recovered.is_empty()
    }
}

/// Queues mail inside a caller's transaction.
pub(super) fn enqueue(
    tx: &Transaction<'_>,
    mails: &[NewMail],
    target_id: Option<i64>,
    version_id: Option<super::VersionId>,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    for m in mails {
        super::execute(
            tx,
            "INSERT OR IGNORE INTO event (kind, key, payload, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![m.kind, m.key, m.event, ts(at)],
        )?;
        super::execute(tx,
            "INSERT OR IGNORE INTO outbox (kind, key, message_id, recipient, target_id, version_id, subject,
                                           body_text, body_html, created_at, next_attempt_at, event_id, channel)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, '', '', ?8, ?8, (SELECT id FROM event WHERE key = ?2), ?9)",
            params![m.kind, m.key, m.message_id, m.recipient, target_id, version_id, m.subject, ts(at), m.channel],
        )?;
    }
    Ok(())
}

const MAIL_COLUMNS: &str = "id, kind, message_id, recipient, subject, body_text, body_html, created_at, status, attempts, last_error, sent_at, event_id, (SELECT payload FROM event WHERE event.id = outbox.event_id), channel";

fn mail(r: &rusqlite::Row<'_>) -> rusqlite::Result<Mail> {
    Ok(Mail {
        id: r.get(0)?,
        kind: r.get(1)?,
        message_id: r.get(2)?,
        recipient: r.get(3)?,
        subject: r.get(4)?,
        text: r.get(5)?,
        html: r.get(6)?,
        created_at: r.get(7)?,
        status: r.get(8)?,
        attempts: r.get(9)?,
        last_error: r.get(10)?,
        sent_at: r.get(11)?,
        event_id: r.get(12)?,
        event: r.get(13)?,
        channel: r.get(14)?,
    })
}

impl Store {
    /// Queues mail that reports nothing stored (a test message).
    pub fn enqueue(&mut self, mails: &[NewMail], at: DateTime<Utc>) -> Result<(), StoreError> {
        let path = self.path.clone();
        let sqlite = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sqlite)?;
        enqueue(&tx, mails, None, None, at).map_err(sqlite)?;
        tx.commit().map_err(sqlite)
    }

    /// Pending mail due at `now` and not claimed by a sender, oldest first.
    pub fn due_mail(&self, now: DateTime<Utc>) -> Result<Vec<Mail>, StoreError> {
        let sql = format!(
            "SELECT {MAIL_COLUMNS} FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?1
               AND (claimed_until IS NULL OR claimed_until <= ?1) ORDER BY id"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt.query_map([ts(now)], mail).map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Claims the oldest pending mail due at `now` that no other sender holds, until `until`:
    /// one atomic statement, so of two senders racing for a row exactly one gets it. A claim
    /// ends when the row is marked sent or failed, or when `until` passes (the claimer died).
    ///
    /// `channel` picks the rows of one channel (`None`: mail through `[email]`), so that each
    /// channel is delivered on its own and a slow one holds up no other.
    pub fn claim_mail(
        &mut self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        claimer: &str,
        channel: Option<&str>,
    ) -> Result<Option<Mail>, StoreError> {
        let sql = format!(
            "UPDATE outbox SET claimed_until = ?2, claimed_by = ?3 WHERE id = (
                 SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?1
                   AND (claimed_until IS NULL OR claimed_until <= ?1) AND channel IS ?4
                 ORDER BY id LIMIT 1)
             RETURNING {MAIL_COLUMNS}"
        );
        self.conn
            .query_row(&sql, params![ts(now), ts(until), claimer, channel], mail)
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Fails for good the pending rows of channels no longer in the watchlist (`known`: the
    /// channels there), so that they are shown rather than kept forever.
    pub fn fail_orphan_rows(&mut self, known: &[String]) -> Result<usize, StoreError> {
        let list = serde_json::to_string(known).unwrap_or_else(|_| "[]".into());
        // a read first: the courier calls this every round, and most rounds there is nothing
        let orphans: bool = self
            .conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM outbox WHERE status = 'pending' AND channel IS NOT NULL
                   AND channel NOT IN (SELECT value FROM json_each(?1)))",
                [&list],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        if !orphans {
            return Ok(0);
        }
        self.conn
            .execute(
                "UPDATE outbox SET status = 'failed',
                        last_error = 'channel ' || channel || ' is no longer in the watchlist'
                 WHERE status = 'pending' AND channel IS NOT NULL
                   AND channel NOT IN (SELECT value FROM json_each(?1))",
                [list],
            )
            .map_err(|e| self.err(e))
    }

    /// Every queued mail, newest first (at most `limit`).
    pub fn mail_log(&self, limit: usize) -> Result<Vec<Mail>, StoreError> {
        let sql = format!("SELECT {MAIL_COLUMNS} FROM outbox ORDER BY id DESC LIMIT ?1");
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([limit as i64], mail)
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Releases every claim `claimer` holds (a sender stopping before it finished): those rows
    /// are due again at once instead of when their lease ends.
    pub fn release_claims(&mut self, claimer: &str) -> Result<usize, StoreError> {
        self.conn
            .execute(
                "UPDATE outbox SET claimed_until = NULL, claimed_by = NULL WHERE claimed_by = ?1",
                [claimer],
            )
            .map_err(|e| self.err(e))
    }

    /// Releases the claims of senders that are gone (`alive` says, from the process id that
    /// starts a claimer's name, whether it still runs): a sender killed mid-delivery leaves its
    /// rows due at once rather than when their lease ends. A claim whose process id lives on
    /// (or was reused) keeps its lease: a row is never sent twice at once. Returns how many.
    pub fn release_dead_claims(
        &mut self,
        alive: &dyn Fn(u32) -> bool,
    ) -> Result<usize, StoreError> {
        let claimers: Vec<String> = {
            let mut stmt = self
                .conn
                .prepare("SELECT DISTINCT claimed_by FROM outbox WHERE claimed_by IS NOT NULL")
                .map_err(|e| self.err(e))?;
            let rows = stmt.query_map([], |r| r.get(0)).map_err(|e| self.err(e))?;
            rows.collect::<Result<_, _>>().map_err(|e| self.err(e))?
        };
        let mut released = 0;
        for claimer in claimers {
            let pid = claimer
                .split('-')
                .next()
                .and_then(|p| p.parse::<u32>().ok());
            if pid.is_some_and(|pid| !alive(pid)) {
                released += self.release_claims(&claimer)?;
            }
        }
        Ok(released)
    }

    /// Makes every pending mail due at `now` (its backoff forgotten); returns how many were
    /// waiting. Rows another sender holds keep their claim.
    pub fn retry_now(&mut self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        self.conn
            .execute(
                "UPDATE outbox SET next_attempt_at = ?1 WHERE status = 'pending' AND next_attempt_at > ?1",
                [ts(now)],
            )
            .map_err(|e| self.err(e))
    }

    /// Number of pending mails.
    pub fn pending_mail(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM outbox WHERE status = 'pending'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// Number of notifications given up on.
    pub fn failed_mail(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM outbox WHERE status = 'failed'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// Marks a mail delivered.
    pub fn mail_sent(&mut self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?2, attempts = attempts + 1, last_error = NULL,
                        claimed_until = NULL, claimed_by = NULL WHERE id = ?1",
                params![id, ts(at)],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Records a failed attempt: `retry_at` keeps it pending, `None` fails it for good.
    pub fn mail_failed(
        &mut self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let (status, next) = match retry_at {
            Some(at) => ("pending", Some(ts(at))),
            None => ("failed", None),
        };
        self.conn
            .execute(
                "UPDATE outbox SET status = ?2, attempts = attempts + 1, last_error = ?3,
                        next_attempt_at = coalesce(?4, next_attempt_at), claimed_until = NULL, claimed_by = NULL WHERE id = ?1",
                params![id, status, error, next],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Everything recorded since the last digest.
    pub fn digest_material(&self) -> Result<DigestMaterial, StoreError> {
        let e = |e| self.err(e);
        let (since_version, since_check): (i64, i64) = self
            .conn
            .query_row(
                "SELECT last_version_id, last_check_id FROM digest ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(e)?
            .unwrap_or((0, 0));
        let mut m = DigestMaterial {
            last_version_id: self
                .conn
                .query_row("SELECT coalesce(max(id), 0) FROM version", [], |r| r.get(0))
                .map_err(e)?,
            last_check_id: self
                .conn
                .query_row("SELECT coalesce(max(id), 0) FROM check_log", [], |r| {
                    r.get(0)
                })
                .map_err(e)?,
            ..DigestMaterial::default()
        };
        let last_digest: Option<String> = self
            .conn
            .query_row(
                "SELECT created_at FROM digest ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(e)?;
        m.caught_up = super::lag::resolved_since(&self.conn, last_digest.as_deref()).map_err(e)?;
        let sql = format!(
            "SELECT t.key, t.url, {cols},
                    EXISTS (SELECT 1 FROM version p WHERE p.target_id = v.target_id AND p.id < v.id)
             FROM version v JOIN target t ON t.id = v.target_id
             WHERE v.id > ?1 AND v.id <= ?2 ORDER BY v.id",
            cols = super::read::META_COLUMNS
        );
        let mut stmt = self.conn.prepare(&sql).map_err(e)?;
        let mut rows = stmt
            .query(params![since_version, m.last_version_id])
            .map_err(e)?;
        while let Some(r) = rows.next().map_err(e)? {
            let (key, url): (String, String) = (r.get(0).map_err(e)?, r.get(1).map_err(e)?);
            let meta = super::read::meta_at(r, 2).map_err(e)?;
            if r.get::<_, bool>(2 + super::read::META_WIDTH).map_err(e)? {
                m.changes.push((key, url, meta));
            } else {
                m.new_targets.push(key);
            }
        }
        let mut stmt = self
            .conn
            .prepare("SELECT key, url, consecutive_failures, coalesce(last_error, '') FROM target WHERE consecutive_failures > 0 ORDER BY key")
            .map_err(e)?;
        m.failing = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .map_err(e)?
            .collect::<Result<_, _>>()
            .map_err(e)?;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT t.key FROM target t WHERE t.consecutive_failures = 0 AND EXISTS (
                     SELECT 1 FROM check_log c WHERE c.target_id = t.id AND c.status = 'failed'
                     AND c.id > ?1 AND c.id <= ?2) ORDER BY t.key",
            )
            .map_err(e)?;
        m.recovered = stmt
            .query_map(params![since_check, m.last_check_id], |r| r.get(0))
            .map_err(e)?
            .collect::<Result<_, _>>()
            .map_err(e)?;
        Ok(m)
    }

    /// Records a digest and queues its mail, in one transaction.
    pub fn record_digest(
        &mut self,
        material: &DigestMaterial,
        mails: &[NewMail],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let sqlite = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sqlite)?;
        super::execute(
            &tx,
            "INSERT INTO digest (created_at, last_version_id, last_check_id) VALUES (?1, ?2, ?3)",
            params![ts(at), material.last_version_id, material.last_check_id],
        )
        .map_err(sqlite)?;
        enqueue(&tx, mails, None, None, at).map_err(sqlite)?;
        tx.commit().map_err(sqlite)
    }
}
