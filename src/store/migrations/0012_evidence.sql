-- 0012: evidence. The response as served (status, headers, the request sent) beside each raw
-- snapshot, for WARC export; and a hash chain over every recorded observation, per target.

ALTER TABLE snapshot ADD COLUMN status INTEGER;     -- HTTP status (NULL: stored before 0012)
ALTER TABLE snapshot ADD COLUMN headers TEXT;       -- response header block, CRLF lines
ALTER TABLE snapshot ADD COLUMN request TEXT;       -- request line and header block as sent

-- One entry per observation: a raw snapshot stored and/or a version recorded. `hash` is
-- SHA-256 over the fields below (see src/store/chain.rs); `prev` is the hash of the target's
-- previous entry. The chain is never pruned: a pruned snapshot's body hash stays here.
CREATE TABLE chain (
    id          INTEGER PRIMARY KEY,
    target_id   INTEGER NOT NULL REFERENCES target(id),
    seq         INTEGER NOT NULL,                   -- 1, 2, … per target
    snapshot_id INTEGER,                            -- the raw snapshot (its body may be pruned)
    version_id  INTEGER,                            -- the version recorded with it, if any
    at          TEXT    NOT NULL,                   -- when it was fetched (or imported)
    url         TEXT    NOT NULL,                   -- the final URL
    status      INTEGER,                            -- HTTP status, if known
    headers     TEXT    NOT NULL DEFAULT '',        -- sha256 of the response header block, if any
    body_hash   TEXT    NOT NULL DEFAULT '',        -- sha256 of the raw body, if any
    text_hash   TEXT    NOT NULL DEFAULT '',        -- sha256 of the extracted text, if any
    prev        TEXT    NOT NULL,
    hash        TEXT    NOT NULL,
    UNIQUE (target_id, seq)
) STRICT;
