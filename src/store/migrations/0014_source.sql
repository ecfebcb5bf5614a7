-- 0014: where each version came from: the final URL of a direct fetch, or an Open Terms Archive
-- collection and commit (`ota:OWNER/REPO@SHA`), or an imported file (`import:NAME`).
ALTER TABLE version ADD COLUMN source TEXT;

-- The newest Open Terms Archive commit an `ota` target has read, recorded as a version or not
-- (a commit whose text equals the last version's is read once, never again).
ALTER TABLE target ADD COLUMN ota_commit TEXT;
