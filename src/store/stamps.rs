//! Timestamps of chain heads (`stamp`): queued for each configured authority when a target's
//! chain has a new head, retried until granted.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Store, StoreError, ts};

/// A timestamp to ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingStamp {
    /// Row id.
    pub id: i64,
    /// The authority's URL.
    pub tsa: String,
    /// The chain hash to stamp (hex).
    pub imprint: String,
    /// The nonce to send.
    pub nonce: u64,
    /// Attempts so far.
    pub attempts: i64,
}

/// A timestamp as stored, with the entry it stamps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredStamp {
    /// Row id.
    pub id: i64,
    /// The chain entry's row id.
    pub chain_id: i64,
    /// The entry's position in its target's chain.
    pub seq: i64,
    /// The authority's URL.
    pub tsa: String,
    /// The entry's hash, as the chain holds it now.
    pub imprint: String,
    /// The nonce sent.
    pub nonce: u64,
    /// pending | granted.
    pub status: String,
    /// The last error while pending.
    pub last_error: Option<String>,
    /// The response as received.
    pub response: Option<Vec<u8>>,
    /// The token.
    pub token: Option<Vec<u8>>,
    /// When the TSA saw it.
    pub gen_time: Option<String>,
}

impl Store {
    /// Queues a stamp by each of `tsas` for every chain head that has none yet; returns how
    /// many were queued.
    pub fn queue_stamps(
        &mut self,
        tsas: &[String],
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        if tsas.is_empty() {
            return Ok(0);
        }
        let path = self.path.clone();
        let sqlite = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sqlite)?;
        let heads: Vec<i64> = {
            let mut stmt = tx
                .prepare(
                    "SELECT c.id FROM chain c
                     WHERE c.seq = (SELECT max(seq) FROM chain d WHERE d.target_id = c.target_id)
                       AND NOT EXISTS (SELECT 1 FROM stamp s WHERE s.chain_id = c.id)",
                )
                .map_err(sqlite)?;
            let ids = stmt.query_map([], |r| r.get(0)).map_err(sqlite)?;
            ids.collect::<Result<_, _>>().map_err(sqlite)?
        };
        let mut queued = 0;
        for head in heads {
            for tsa in tsas {
                queued += tx
                    .execute(
                        "INSERT OR IGNORE INTO stamp (chain_id, tsa, nonce, next_attempt_at, created_at)
                         VALUES (?1, ?2, ?3, ?4, ?4)",
                        params![head, tsa, rand::random::<u64>().to_string(), ts(now)],
                    )
                    .map_err(sqlite)?;
            }
        }
        tx.commit().map_err(sqlite)?;
        Ok(queued)
    }

    /// The stamps due now, oldest first.
    pub fn due_stamps(&self, now: DateTime<Utc>) -> Result<Vec<PendingStamp>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT s.id, s.tsa, c.hash, s.nonce, s.attempts FROM stamp s JOIN chain c ON c.id = s.chain_id
                 WHERE s.status = 'pending' AND s.next_attempt_at <= ?1 ORDER BY s.id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([ts(now)], |r| {
                Ok(PendingStamp {
                    id: r.get(0)?,
                    tsa: r.get(1)?,
                    imprint: r.get(2)?,
                    nonce: r.get::<_, String>(3)?.parse().unwrap_or_default(),
                    attempts: r.get(4)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Stores a granted stamp.
    pub fn stamp_granted(
        &mut self,
        id: i64,
        response: &[u8],
        token: &[u8],
        gen_time: &str,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE stamp SET status = 'granted', attempts = attempts + 1, last_error = NULL,
                        response = ?2, token = ?3, gen_time = ?4 WHERE id = ?1",
                params![id, response, token, gen_time],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Leaves a stamp pending until `next`, with why it failed.
    pub fn stamp_failed(
        &mut self,
        id: i64,
        error: &str,
        next: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE stamp SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3 WHERE id = ?1",
                params![id, error, ts(next)],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Every stamp of `target`'s chain, in chain order.
    pub fn stamps(&self, target: &str) -> Result<Vec<StoredStamp>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT s.id, c.id, c.seq, s.tsa, c.hash, s.nonce, s.status, s.last_error, s.response, s.token, s.gen_time
                 FROM stamp s JOIN chain c ON c.id = s.chain_id JOIN target t ON t.id = c.target_id
                 WHERE t.key = ?1 ORDER BY c.seq, s.id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([target], |r| {
                Ok(StoredStamp {
                    id: r.get(0)?,
                    chain_id: r.get(1)?,
                    seq: r.get(2)?,
                    tsa: r.get(3)?,
                    imprint: r.get(4)?,
                    nonce: r.get::<_, String>(5)?.parse().unwrap_or_default(),
                    status: r.get(6)?,
                    last_error: r.get(7)?,
                    response: r.get(8)?,
                    token: r.get(9)?,
                    gen_time: r.get(10)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
}
