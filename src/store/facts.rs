//! The facts of each version (`version_facts`): written with the version, read for the facts
//! matrix and history, rewritten by `facts --recompute`.

use rusqlite::{Connection, OptionalExtension, params};

use super::read::{META_COLUMNS, META_WIDTH, meta_at};
use super::{Store, StoreError, VersionId, VersionMeta};
use crate::facts::Facts;
use crate::facts::summary::Plain;

/// A version's facts as stored: the fingerprint of the rules that read them, and the facts.
pub type StoredFacts = (String, Facts);

/// Writes (or replaces) a version's facts and the telling of the change that led to it, in
/// the caller's transaction.
pub(super) fn insert(
    conn: &Connection,
    id: VersionId,
    rules: &str,
    facts: &Facts,
    plain: &Plain,
) -> rusqlite::Result<usize> {
    super::execute(
        conn,
        "INSERT INTO version_facts (version_id, rules, facts, plain) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (version_id) DO UPDATE
             SET rules = excluded.rules, facts = excluded.facts, plain = excluded.plain",
        params![
            id,
            rules,
            facts.to_json(),
            serde_json::to_string(plain).unwrap_or_default()
        ],
    )
}

fn parse(id: VersionId, rules: String, json: &str) -> rusqlite::Result<StoredFacts> {
    Facts::from_json(json).map(|f| (rules, f)).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(
            2,
            rusqlite::types::Type::Text,
            format!("facts of version {id}: {e}").into(),
        )
    })
}

impl Store {
    /// A version's stored facts, if they were read.
    pub fn facts_of(&self, id: VersionId) -> Result<Option<StoredFacts>, StoreError> {
        super::query_row(
            &self.conn,
            "SELECT rules, facts FROM version_facts WHERE version_id = ?1",
            [id],
            |r| parse(id, r.get(0)?, &r.get::<_, String>(1)?),
        )
        .optional()
        .map_err(|e| self.err(e))
    }

    /// The stored telling of the change that led to version `id`: (rules fingerprint, plain).
    pub fn plain_of(&self, id: VersionId) -> Result<Option<(String, Plain)>, StoreError> {
        super::query_row(
            &self.conn,
            "SELECT rules, plain FROM version_facts WHERE version_id = ?1",
            [id],
            |r| {
                let plain: String = r.get(1)?;
                Ok((r.get(0)?, serde_json::from_str(&plain).unwrap_or_default()))
            },
        )
        .optional()
        .map_err(|e| self.err(e))
    }

    /// Every version of a target, oldest first, with its facts when they were read.
    pub fn fact_history(
        &self,
        target: &str,
    ) -> Result<Vec<(VersionMeta, Option<StoredFacts>)>, StoreError> {
        let sql = format!(
            "SELECT {META_COLUMNS}, f.rules, f.facts FROM version v JOIN target t ON t.id = v.target_id
             LEFT JOIN version_facts f ON f.version_id = v.id
             WHERE t.key = ?1 ORDER BY v.id"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([target], |r| {
                let meta = meta_at(r, 0)?;
                let stored = match (
                    r.get::<_, Option<String>>(META_WIDTH)?,
                    r.get::<_, Option<String>>(META_WIDTH + 1)?,
                ) {
                    (Some(rules), Some(json)) => Some(parse(meta.id, rules, &json)?),
                    _ => None,
                };
                Ok((meta, stored))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The versions of a target whose facts were not read by the rules `fingerprint`.
    pub fn stale_facts(
        &self,
        target: &str,
        fingerprint: &str,
    ) -> Result<Vec<VersionId>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT v.id FROM version v JOIN target t ON t.id = v.target_id
                 LEFT JOIN version_facts f ON f.version_id = v.id
                 WHERE t.key = ?1 AND (f.rules IS NULL OR f.rules <> ?2) ORDER BY v.id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![target, fingerprint], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Writes (or replaces) a version's facts and the telling of its change.
    pub fn save_facts(
        &mut self,
        id: VersionId,
        rules: &str,
        facts: &Facts,
        plain: &Plain,
    ) -> Result<(), StoreError> {
        insert(&self.conn, id, rules, facts, plain).map_err(|e| self.err(e))?;
        Ok(())
    }
}
