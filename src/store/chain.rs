//! The hash chain: one entry per recorded observation (a raw snapshot stored, a version
//! recorded, or both), each carrying the hash of its target's previous entry and its own hash
//! over what was observed. `verify` walks every chain and names the first entry that does not
//! match the rows it vouches for: a text edited, a version deleted, rows swapped, a row
//! inserted without an entry.
//!
//! The entry hash is SHA-256 over, one per line: `policywatch-chain-v1`, the target id, the
//! previous entry's hash (empty for the first), the raw body's SHA-256, the text's SHA-256,
//! the fetch time, the final URL, the HTTP status, the SHA-256 of the response header block
//! (each empty when absent). Any of them changed changes the hash; the next entry's `prev`
//! then no longer matches. An attacker who rewrites the whole chain from an edit onwards is
//! caught only by an anchor kept elsewhere (a trusted timestamp of a later head, an evidence
//! pack handed over): the chain proves order and integrity, not time.

use std::io::Read as _;

use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Store, StoreError, VersionId, ts};

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What one entry vouches for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Observed {
    /// The raw snapshot's row, when one was stored.
    pub snapshot_id: Option<i64>,
    /// The version's row, when one was recorded.
    pub version_id: Option<VersionId>,
    /// When it was fetched (or imported), as stored.
    pub at: String,
    /// The final URL.
    pub url: String,
    /// The HTTP status, when known.
    pub status: Option<u16>,
    /// SHA-256 of the response header block ("" when none was kept).
    pub headers: String,
    /// SHA-256 of the raw body ("" when none).
    pub body_hash: String,
    /// SHA-256 of the extracted text ("" when none).
    pub text_hash: String,
}

/// A chain entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Row id.
    pub id: i64,
    /// Target id.
    pub target: String,
    /// Position in the target's chain, from 1.
    pub seq: i64,
    /// What it vouches for.
    #[serde(flatten)]
    pub observed: Observed,
    /// The previous entry's hash.
    pub prev: String,
    /// Its own hash.
    pub hash: String,
}

/// The text an entry's hash is taken over (pure): `sha256sum` of it is the entry's hash.
pub fn entry_text(target: &str, prev: &str, o: &Observed) -> String {
    let status = o.status.map(|s| s.to_string()).unwrap_or_default();
    format!(
        "policywatch-chain-v1\n{target}\n{prev}\n{}\n{}\n{}\n{}\n{status}\n{}\n",
        o.body_hash, o.text_hash, o.at, o.url, o.headers
    )
}

/// An entry's hash (pure).
pub fn entry_hash(target: &str, prev: &str, o: &Observed) -> String {
    sha256_hex(entry_text(target, prev, o).as_bytes())
}

/// Appends an entry to `target_id`'s chain, in the caller's transaction; returns its hash.
pub(super) fn append(
    tx: &Transaction<'_>,
    target_id: i64,
    o: &Observed,
) -> rusqlite::Result<String> {
    let key: String = tx.query_row("SELECT key FROM target WHERE id = ?1", [target_id], |r| {
        r.get(0)
    })?;
    let last: Option<(i64, String)> = tx
        .query_row(
            "SELECT seq, hash FROM chain WHERE target_id = ?1 ORDER BY seq DESC LIMIT 1",
            [target_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (seq, prev) = last.map_or((1, String::new()), |(s, h)| (s + 1, h));
    let hash = entry_hash(&key, &prev, o);
    tx.execute(
        "INSERT INTO chain (target_id, seq, snapshot_id, version_id, at, url, status, headers, body_hash, text_hash, prev, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            target_id, seq, o.snapshot_id, o.version_id, o.at, o.url, o.status, o.headers,
            o.body_hash, o.text_hash, prev, hash
        ],
    )?;
    Ok(hash)
}

/// A problem `verify` found: (target, where, what is wrong).
pub type Problem = (String, String, String);

/// What `verify` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verified {
    /// Entries that matched.
    pub entries: usize,
    /// Raw bodies checked against their entries (the others were pruned).
    pub bodies: usize,
    /// The first problem of each target whose chain does not hold: (target, entry or row id,
    /// what is wrong).
    pub problems: Vec<Problem>,
}

fn inflate(packed: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(packed.len() * 4);
    flate2::read::DeflateDecoder::new(packed).read_to_end(&mut out)?;
    Ok(out)
}

impl Store {
    /// Every target id the database knows, sorted.
    pub fn target_keys(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT key FROM target ORDER BY key")
            .map_err(|e| self.err(e))?;
        let keys = stmt.query_map([], |r| r.get(0)).map_err(|e| self.err(e))?;
        keys.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Every entry of `target`'s chain, in order.
    pub fn chain(&self, target: &str) -> Result<Vec<Entry>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT c.id, t.key, c.seq, c.snapshot_id, c.version_id, c.at, c.url, c.status, c.headers,
                        c.body_hash, c.text_hash, c.prev, c.hash
                 FROM chain c JOIN target t ON t.id = c.target_id WHERE t.key = ?1 ORDER BY c.seq",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([target], |r| {
                Ok(Entry {
                    id: r.get(0)?,
                    target: r.get(1)?,
                    seq: r.get(2)?,
                    observed: Observed {
                        snapshot_id: r.get(3)?,
                        version_id: r.get(4)?,
                        at: r.get(5)?,
                        url: r.get(6)?,
                        status: r.get(7)?,
                        headers: r.get(8)?,
                        body_hash: r.get(9)?,
                        text_hash: r.get(10)?,
                    },
                    prev: r.get(11)?,
                    hash: r.get(12)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Walks the chains of `targets` (every target when empty).
    pub fn verify(&self, targets: &[String]) -> Result<Verified, StoreError> {
        let all: Vec<String> = if targets.is_empty() {
            self.target_keys()?
        } else {
            targets.to_vec()
        };
        let mut out = Verified::default();
        for target in &all {
            if let Some((at, what)) = self.verify_one(target, &mut out)? {
                out.problems.push((target.clone(), at, what));
            }
        }
        Ok(out)
    }

    /// One target's chain: the first problem, if any.
    fn verify_one(
        &self,
        target: &str,
        out: &mut Verified,
    ) -> Result<Option<(String, String)>, StoreError> {
        let entries = self.chain(target)?;
        let mut prev = String::new();
        let (mut versions, mut snapshots) = (Vec::new(), Vec::new());
        for (i, e) in entries.iter().enumerate() {
            let at = format!("chain entry {} (seq {})", e.id, e.seq);
            if e.seq != i as i64 + 1 || e.prev != prev {
                return Ok(Some((
                    at,
                    "does not follow the entry before it: an entry was deleted, inserted or reordered".into(),
                )));
            }
            if entry_hash(target, &e.prev, &e.observed) != e.hash {
                return Ok(Some((
                    at,
                    "was edited: its hash does not match its fields".into(),
                )));
            }
            if let Some(problem) = self.matches_rows(target, e, out)? {
                return Ok(Some(problem));
            }
            versions.extend(e.observed.version_id);
            snapshots.extend(e.observed.snapshot_id);
            prev.clone_from(&e.hash);
            out.entries += 1;
        }
        // every row of the target is vouched for by an entry
        let rows = |sql: &str| -> Result<Vec<i64>, StoreError> {
            let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
            let ids = stmt
                .query_map([target], |r| r.get(0))
                .map_err(|e| self.err(e))?;
            ids.collect::<Result<_, _>>().map_err(|e| self.err(e))
        };
        for v in rows(
            "SELECT v.id FROM version v JOIN target t ON t.id = v.target_id WHERE t.key = ?1 ORDER BY v.id",
        )? {
            if !versions.contains(&VersionId(v)) {
                return Ok(Some((
                    format!("version {v}"),
                    "is in no chain entry: it was inserted".into(),
                )));
            }
        }
        for s in rows(
            "SELECT s.id FROM snapshot s JOIN target t ON t.id = s.target_id WHERE t.key = ?1 ORDER BY s.id",
        )? {
            if !snapshots.contains(&s) {
                return Ok(Some((
                    format!("snapshot {s}"),
                    "is in no chain entry: it was inserted".into(),
                )));
            }
        }
        Ok(None)
    }

    /// Whether the rows an entry vouches for still say what it says.
    fn matches_rows(
        &self,
        target: &str,
        e: &Entry,
        out: &mut Verified,
    ) -> Result<Option<(String, String)>, StoreError> {
        let o = &e.observed;
        if let Some(v) = o.version_id {
            let row: Option<(String, String, String, String)> = self
                .conn
                .query_row(
                    "SELECT t.key, v.recorded_at, v.hash, v.text FROM version v JOIN target t ON t.id = v.target_id
                     WHERE v.id = ?1",
                    [v],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()
                .map_err(|e| self.err(e))?;
            let at = format!("version {v} (chain entry {})", e.id);
            match row {
                None => return Ok(Some((at, "was deleted".into()))),
                Some((key, recorded, hash, text)) => {
                    if key != target || recorded != o.at {
                        return Ok(Some((at, "was moved: its target or time changed".into())));
                    }
                    if hash != o.text_hash || sha256_hex(text.as_bytes()) != o.text_hash {
                        return Ok(Some((
                            at,
                            "was edited: its text's hash does not match".into(),
                        )));
                    }
                }
            }
        }
        if let Some(s) = o.snapshot_id {
            type Row = (String, String, Vec<u8>, Option<u16>, Option<String>);
            let row: Option<Row> = self
                .conn
                .query_row(
                    "SELECT fetched_at, url, body, status, headers FROM snapshot WHERE id = ?1",
                    [s],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()
                .map_err(|e| self.err(e))?;
            // a missing snapshot was pruned (`keep_snapshots`): its hash stays in the entry
            if let Some((fetched, url, packed, status, headers)) = row {
                let at = format!("snapshot {s} (chain entry {})", e.id);
                let body = inflate(&packed).unwrap_or_default();
                let headers = headers
                    .map(|h| sha256_hex(h.as_bytes()))
                    .unwrap_or_default();
                if fetched != o.at || url != o.url || status != o.status || headers != o.headers {
                    return Ok(Some((
                        at,
                        "was edited: its time, URL, status or headers changed".into(),
                    )));
                }
                if sha256_hex(&body) != o.body_hash {
                    return Ok(Some((
                        at,
                        "was edited: its body's hash does not match".into(),
                    )));
                }
                out.bodies += 1;
            }
        }
        Ok(None)
    }

    /// Chains what a database holds from before the chain existed, once (when it has rows and
    /// no entry). Returns how many entries were written.
    pub(super) fn chain_existing(&mut self) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let sqlite = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        // a read first: every open of a chained database stops here, without a write lock
        let chained: bool = self
            .conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM chain) OR NOT EXISTS (SELECT 1 FROM version)",
                [],
                |r| r.get(0),
            )
            .map_err(sqlite)?;
        if chained {
            return Ok(0);
        }
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sqlite)?;
        let (entries, rows): (i64, i64) = tx
            .query_row(
                "SELECT (SELECT count(*) FROM chain), (SELECT count(*) FROM version) + (SELECT count(*) FROM snapshot)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(sqlite)?;
        if entries > 0 || rows == 0 {
            return Ok(0);
        }
        let targets: Vec<i64> = {
            let mut stmt = tx
                .prepare("SELECT id FROM target ORDER BY id")
                .map_err(sqlite)?;
            let ids = stmt.query_map([], |r| r.get(0)).map_err(sqlite)?;
            ids.collect::<Result<_, _>>().map_err(sqlite)?
        };
        let mut written = 0;
        for target in targets {
            // snapshots (with the version read from each) and versions without one, in time order
            let mut observed: Vec<(String, i64, Observed)> = Vec::new();
            {
                let mut stmt = tx
                    .prepare(
                        "SELECT s.id, s.fetched_at, s.url, s.body, s.status, s.headers,
                                (SELECT v.id FROM version v WHERE v.snapshot_id = s.id),
                                (SELECT v.hash FROM version v WHERE v.snapshot_id = s.id)
                         FROM snapshot s WHERE s.target_id = ?1",
                    )
                    .map_err(sqlite)?;
                let rows = stmt
                    .query_map([target], |r| {
                        let packed: Vec<u8> = r.get(3)?;
                        let headers: Option<String> = r.get(5)?;
                        Ok(Observed {
                            snapshot_id: Some(r.get(0)?),
                            version_id: r.get(6)?,
                            at: r.get(1)?,
                            url: r.get(2)?,
                            status: r.get(4)?,
                            headers: headers
                                .map(|h| sha256_hex(h.as_bytes()))
                                .unwrap_or_default(),
                            body_hash: sha256_hex(&inflate(&packed).unwrap_or_default()),
                            text_hash: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
                        })
                    })
                    .map_err(sqlite)?;
                for o in rows {
                    let o = o.map_err(sqlite)?;
                    observed.push((o.at.clone(), o.snapshot_id.unwrap_or_default(), o));
                }
                let mut stmt = tx
                    .prepare(
                        "SELECT v.id, v.recorded_at, t.url, v.hash FROM version v JOIN target t ON t.id = v.target_id
                         WHERE v.target_id = ?1 AND (v.snapshot_id IS NULL
                               OR NOT EXISTS (SELECT 1 FROM snapshot s WHERE s.id = v.snapshot_id))",
                    )
                    .map_err(sqlite)?;
                let rows = stmt
                    .query_map([target], |r| {
                        Ok(Observed {
                            version_id: Some(r.get(0)?),
                            at: r.get(1)?,
                            url: r.get(2)?,
                            text_hash: r.get(3)?,
                            ..Observed::default()
                        })
                    })
                    .map_err(sqlite)?;
                for o in rows {
                    let o = o.map_err(sqlite)?;
                    observed.push((o.at.clone(), o.version_id.map_or(0, |v| v.0), o));
                }
            }
            observed.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
            for (_, _, o) in &observed {
                append(&tx, target, o).map_err(sqlite)?;
                written += 1;
            }
        }
        tx.commit().map_err(sqlite)?;
        Ok(written)
    }
}

/// What a new observation's entry holds, from what `record` writes (pure).
pub(super) fn observed(
    at: chrono::DateTime<chrono::Utc>,
    url: &str,
    snapshot: Option<(i64, &super::Snapshot<'_>)>,
    body_hash: Option<&str>,
    version: Option<(Option<VersionId>, &str)>,
) -> Observed {
    Observed {
        snapshot_id: snapshot.map(|(id, _)| id),
        version_id: version.and_then(|(id, _)| id),
        at: ts(at),
        url: snapshot.map_or(url, |(_, s)| s.url).to_string(),
        status: snapshot.and_then(|(_, s)| s.status),
        headers: snapshot
            .and_then(|(_, s)| s.headers)
            .map(|h| sha256_hex(h.as_bytes()))
            .unwrap_or_default(),
        body_hash: body_hash.unwrap_or_default().to_string(),
        text_hash: version.map(|(_, h)| h.to_string()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_and_the_previous_hash_change_an_entry_hash() {
        let o = Observed {
            snapshot_id: Some(1),
            version_id: Some(VersionId(1)),
            at: "2025-11-03T00:00:00.000Z".into(),
            url: "https://example.com/p".into(),
            status: Some(200),
            headers: sha256_hex(b"Content-Type: text/html\r\n"),
            body_hash: sha256_hex(b"<p>x</p>"),
            text_hash: sha256_hex(b"x"),
        };
        let h = entry_hash("pp", "", &o);
        assert_eq!(h.len(), 64);
        let changed = [
            entry_hash("eu", "", &o),
            entry_hash("pp", "00", &o),
            entry_hash(
                "pp",
                "",
                &Observed {
                    at: "2025-11-04T00:00:00.000Z".into(),
                    ..o.clone()
                },
            ),
            entry_hash(
                "pp",
                "",
                &Observed {
                    url: "https://example.com/q".into(),
                    ..o.clone()
                },
            ),
            entry_hash(
                "pp",
                "",
                &Observed {
                    status: Some(203),
                    ..o.clone()
                },
            ),
            entry_hash(
                "pp",
                "",
                &Observed {
                    status: None,
                    ..o.clone()
                },
            ),
            entry_hash(
                "pp",
                "",
                &Observed {
                    headers: String::new(),
                    ..o.clone()
                },
            ),
            entry_hash(
                "pp",
                "",
                &Observed {
                    body_hash: String::new(),
                    ..o.clone()
                },
            ),
            entry_hash(
                "pp",
                "",
                &Observed {
                    text_hash: sha256_hex(b"y"),
                    ..o.clone()
                },
            ),
        ];
        for c in &changed {
            assert_ne!(*c, h);
        }
        // the row ids are not hashed: a copied database verifies the same
        assert_eq!(
            entry_hash(
                "pp",
                "",
                &Observed {
                    snapshot_id: Some(9),
                    ..o.clone()
                }
            ),
            h
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
