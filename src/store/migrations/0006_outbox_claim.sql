-- 0006: a sender claims a row before sending it, so two processes (the daemon and a
-- `check-now`, or two `check-now`s) never send the same message twice. The claim is a lease:
-- if the claimer dies, the row is due again once `claimed_until` has passed; a sender that
-- stops gracefully releases its claims (`claimed_by`).
ALTER TABLE outbox ADD COLUMN claimed_until TEXT;
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
