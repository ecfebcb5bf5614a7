-- 0009: notification channels. An outbox row is for an email recipient (channel NULL) or for
-- a `[[channel]]` of the watchlist (its id; recipient "channel:<id>"), so one event has one row
-- per channel and recipient, each delivered, retried and marked on its own.
ALTER TABLE outbox ADD COLUMN channel TEXT;
CREATE INDEX outbox_channel_due ON outbox(channel, status, next_attempt_at);
