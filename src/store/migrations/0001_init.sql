-- 0001: targets, raw snapshots, extracted versions, and a log of every check.
-- Append-only: never edit a migration that has shipped; add 0002_… instead.

-- 'PWCH': marks the file as policywatch's, in the same transaction as the schema, so another
-- process never sees our tables without our mark (and so never takes the file for foreign).
PRAGMA application_id = 1347896136;

CREATE TABLE target (
    id                   INTEGER PRIMARY KEY,
    key                  TEXT    NOT NULL UNIQUE,   -- the watchlist id
    url                  TEXT    NOT NULL,
    etag                 TEXT,                      -- echoed as If-None-Match
    last_modified        TEXT,                      -- echoed as If-Modified-Since
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_error           TEXT,
    last_checked_at      TEXT,
    last_success_at      TEXT,
    last_change_at       TEXT
) STRICT;

-- The page as fetched (deflate-compressed), kept apart from the text extracted from it.
CREATE TABLE snapshot (
    id           INTEGER PRIMARY KEY,
    target_id    INTEGER NOT NULL REFERENCES target(id),
    fetched_at   TEXT    NOT NULL,
    url          TEXT    NOT NULL,
    content_type TEXT,
    hash         TEXT    NOT NULL,                  -- sha256 of the uncompressed body
    size         INTEGER NOT NULL,                  -- uncompressed bytes
    body         BLOB    NOT NULL
) STRICT;
CREATE INDEX snapshot_by_target ON snapshot(target_id, id);

-- A version is written only when the extracted text changes.
CREATE TABLE version (
    id            INTEGER PRIMARY KEY,
    target_id     INTEGER NOT NULL REFERENCES target(id),
    snapshot_id   INTEGER REFERENCES snapshot(id),
    recorded_at   TEXT    NOT NULL,
    hash          TEXT    NOT NULL,                 -- sha256 of text
    size          INTEGER NOT NULL,                 -- bytes of text
    text          TEXT    NOT NULL,
    added         INTEGER NOT NULL,                 -- sentences added since the previous version
    removed       INTEGER NOT NULL,
    ai_relevant   INTEGER NOT NULL DEFAULT 0,
    severity      TEXT    NOT NULL DEFAULT 'none',
    matched_terms TEXT    NOT NULL DEFAULT '[]'     -- JSON array
) STRICT;
CREATE INDEX version_by_target ON version(target_id, id);

CREATE TABLE check_log (
    id          INTEGER PRIMARY KEY,
    target_id   INTEGER NOT NULL REFERENCES target(id),
    checked_at  TEXT    NOT NULL,
    status      TEXT    NOT NULL,                   -- new | changed | unchanged | failed
    version_id  INTEGER REFERENCES version(id),
    error       TEXT,
    duration_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX check_log_by_target ON check_log(target_id, id);
