-- 0002: the transactional outbox of mail, and the digests sent.

-- One row per message and recipient. Rows are written in the same transaction as what they
-- report (a version, a failure), so a change is never recorded without its mail.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL,               -- alert | digest | incident | recovery | test
    key             TEXT    NOT NULL,               -- what the mail is about; with recipient, unique
    message_id      TEXT    NOT NULL,               -- stable, derived from key: a resend is recognisable
    recipient       TEXT    NOT NULL,
    target_id       INTEGER REFERENCES target(id),
    version_id      INTEGER REFERENCES version(id),
    subject         TEXT    NOT NULL,
    body_text       TEXT    NOT NULL,
    body_html       TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending', -- pending | sent | failed (permanent)
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    last_error      TEXT,
    sent_at         TEXT
) STRICT;
CREATE UNIQUE INDEX outbox_key ON outbox(key, recipient);
CREATE INDEX outbox_pending ON outbox(status, next_attempt_at);

-- Each digest covers what was recorded after the previous one.
CREATE TABLE digest (
    id              INTEGER PRIMARY KEY,
    created_at      TEXT    NOT NULL,
    last_version_id INTEGER NOT NULL,
    last_check_id   INTEGER NOT NULL
) STRICT;
