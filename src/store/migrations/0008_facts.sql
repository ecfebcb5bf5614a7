-- 0008: the facts of each version of a page (what it says about AI training and sharing),
-- read when the version is recorded, with the fingerprint of the fact rules that read them:
-- `policywatch facts --recompute` reads again those the current rules did not.
CREATE TABLE version_facts (
    version_id INTEGER PRIMARY KEY REFERENCES version(id),
    rules      TEXT    NOT NULL,  -- fingerprint of the fact rules
    facts      TEXT    NOT NULL,  -- JSON: facts::Facts (stated facts only)
    plain      TEXT    NOT NULL DEFAULT '{}'  -- JSON: the change to this version told plainly
) STRICT;
