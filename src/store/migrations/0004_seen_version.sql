-- 0004: the version a target's page showed at its last successful check. Usually the latest
-- version; after a page flips back to a text already recorded (A/B tests, rollbacks), the older
-- version it returned to, so the flip is not taken for a change and the next diff starts there.
ALTER TABLE target ADD COLUMN seen_version_id INTEGER REFERENCES version(id);
