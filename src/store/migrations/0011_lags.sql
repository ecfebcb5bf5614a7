-- 0011: translation lags. One row per language of a document that did not follow another
-- language's AI-relevant change in time (its key is also the key of the mail that said so);
-- resolved_at is set when that language records a version again.
CREATE TABLE lag (
    key         TEXT PRIMARY KEY,
    lagging     TEXT NOT NULL,     -- target id
    leading     TEXT NOT NULL,     -- target id
    version_id  INTEGER NOT NULL,  -- the leading change
    changed_at  TEXT NOT NULL,
    raised_at   TEXT NOT NULL,
    resolved_at TEXT
) STRICT;
