//! Translation lags: raised once each (with the mail that says so), resolved when the lagging
//! language records a version again.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{NewMail, Store, StoreError, VersionId, outbox, ts};

/// A lag to raise.
pub struct NewLag {
    /// Its key (the key of its mail too).
    pub key: String,
    /// The target that did not follow.
    pub lagging: String,
    /// The target that changed.
    pub leading: String,
    /// The leading change.
    pub version: VersionId,
    /// When it changed.
    pub changed_at: String,
    /// The rows that say so.
    pub mails: Vec<NewMail>,
}

impl Store {
    /// Whether some lag is still open.
    pub fn has_open_lags(&self) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM lag WHERE resolved_at IS NULL)",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// Raises the lags not raised before (queuing their mail in the same transaction) and
    /// resolves the open ones whose language has recorded a version since. Returns how many
    /// were raised and how many resolved.
    pub fn record_lags(
        &mut self,
        lags: &[NewLag],
        now: DateTime<Utc>,
    ) -> Result<(usize, usize), StoreError> {
        let path = self.path.clone();
        let sqlite = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sqlite)?;
        let mut raised = 0;
        for l in lags {
            let new = tx
                .execute(
                    "INSERT OR IGNORE INTO lag (key, lagging, leading, version_id, changed_at, raised_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![l.key, l.lagging, l.leading, l.version, l.changed_at, ts(now)],
                )
                .map_err(sqlite)?;
            if new == 1 {
                outbox::enqueue(&tx, &l.mails, None, None, now).map_err(sqlite)?;
                raised += 1;
            }
        }
        let resolved = tx
            .execute(
                "UPDATE lag SET resolved_at = ?1 WHERE resolved_at IS NULL AND EXISTS (
                     SELECT 1 FROM version v JOIN target t ON t.id = v.target_id
                      WHERE t.key = lag.lagging AND v.recorded_at > lag.changed_at)",
                [ts(now)],
            )
            .map_err(sqlite)?;
        tx.commit().map_err(sqlite)?;
        Ok((raised, resolved))
    }
}

/// The lags resolved after `since` (RFC 3339; everything when `None`), as "lagging caught up
/// with leading's change of DATE".
pub(super) fn resolved_since(
    conn: &rusqlite::Connection,
    since: Option<&str>,
) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT lagging, leading, changed_at FROM lag
          WHERE resolved_at IS NOT NULL AND (?1 IS NULL OR resolved_at > ?1) ORDER BY resolved_at",
    )?;
    let rows = stmt.query_map([since], |r| {
        let (lagging, leading, at): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        Ok(format!(
            "{lagging} caught up with the change of {} in {leading}",
            at.get(..10).unwrap_or(&at)
        ))
    })?;
    rows.collect()
}
