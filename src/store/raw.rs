//! Raw snapshots as served, read back for evidence: the WARC export and the evidence pack.

use std::io::Read as _;

use rusqlite::params;

use super::{Store, StoreError};

/// A stored response, whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawResponse {
    /// Row id.
    pub id: i64,
    /// Target id.
    pub target: String,
    /// When it was fetched (RFC 3339).
    pub fetched_at: String,
    /// The final URL.
    pub url: String,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// The HTTP status (`None`: stored before statuses were kept).
    pub status: Option<u16>,
    /// The response header block (`None`: stored before headers were kept).
    pub headers: Option<String>,
    /// The request line and header block as sent (`None`: not kept).
    pub request: Option<String>,
    /// The body as received (decoded).
    pub body: Vec<u8>,
}

impl Store {
    /// The ids of the raw snapshots kept for `targets` (every target when empty), fetched at or
    /// after `since` (RFC 3339), oldest first.
    pub fn raw_ids(&self, targets: &[String], since: Option<&str>) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT s.id, t.key FROM snapshot s JOIN target t ON t.id = s.target_id
                 WHERE (?1 IS NULL OR s.fetched_at >= ?1) ORDER BY s.id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![since], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, key) = row.map_err(|e| self.err(e))?;
            if targets.is_empty() || targets.contains(&key) {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// One raw snapshot, its body inflated.
    pub fn raw(&self, id: i64) -> Result<Option<RawResponse>, StoreError> {
        use rusqlite::OptionalExtension as _;
        let row = self
            .conn
            .query_row(
                "SELECT s.id, t.key, s.fetched_at, s.url, s.content_type, s.status, s.headers, s.request, s.body
                 FROM snapshot s JOIN target t ON t.id = s.target_id WHERE s.id = ?1",
                [id],
                |r| {
                    Ok((
                        RawResponse {
                            id: r.get(0)?,
                            target: r.get(1)?,
                            fetched_at: r.get(2)?,
                            url: r.get(3)?,
                            content_type: r.get(4)?,
                            status: r.get(5)?,
                            headers: r.get(6)?,
                            request: r.get(7)?,
                            body: Vec::new(),
                        },
                        r.get::<_, Vec<u8>>(8)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let Some((mut raw, packed)) = row else {
            return Ok(None);
        };
        flate2::read::DeflateDecoder::new(&packed[..])
            .read_to_end(&mut raw.body)
            .map_err(|e| self.err(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
        Ok(Some(raw))
    }
}
