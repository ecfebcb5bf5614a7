-- 0007: the outbox keeps events, not rendered messages. A check writes what happened (a
-- change, an incident, a recovery; a digest) once per event, and one outbox row per channel
-- and recipient that points at it; the message is rendered when the row is delivered. Rows
-- written before this migration keep their rendered bodies (event_id NULL).
CREATE TABLE event (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL,  -- alert | incident | recovery | digest | test
    key        TEXT    NOT NULL UNIQUE,
    payload    TEXT    NOT NULL,  -- JSON: what happened, as notify::event::Event
    created_at TEXT    NOT NULL
) STRICT;
ALTER TABLE outbox ADD COLUMN event_id INTEGER REFERENCES event(id);
