-- 0005: the extraction settings (selectors, kind, caps) the last seen version was made with, so
-- that a byte-identical page is only skipped when re-extracting it could not give other text.
ALTER TABLE target ADD COLUMN extract_key TEXT;
