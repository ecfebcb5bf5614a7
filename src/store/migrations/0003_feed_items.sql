-- 0003: for feed versions, the items that were new in it (JSON array of {title, link, date,
-- ai_relevant, severity}), so the digest can list them without re-reading every version.
ALTER TABLE version ADD COLUMN new_items TEXT NOT NULL DEFAULT '[]';
