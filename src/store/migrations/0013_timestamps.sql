-- 0013: RFC 3161 timestamps of chain heads, one row per (entry, time-stamping authority):
-- pending until a TSA grants a token, retried with the outbox's backoff.
CREATE TABLE stamp (
    id              INTEGER PRIMARY KEY,
    chain_id        INTEGER NOT NULL REFERENCES chain(id),
    tsa             TEXT    NOT NULL,               -- the authority's URL
    nonce           TEXT    NOT NULL,               -- decimal u64, sent in the request
    status          TEXT    NOT NULL DEFAULT 'pending', -- pending | granted
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    last_error      TEXT,
    response        BLOB,                           -- the TimeStampResp as received (DER)
    token           BLOB,                           -- its TimeStampToken (CMS ContentInfo, DER)
    gen_time        TEXT,                           -- when the TSA says it saw the hash
    created_at      TEXT    NOT NULL,
    UNIQUE (chain_id, tsa)
) STRICT;
CREATE INDEX stamp_pending ON stamp(status, next_attempt_at);
