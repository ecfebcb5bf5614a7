-- 0010: the language a version's page declared (Content-Language, else <html lang>), or its
-- target's for an imported version; NULL when unknown.
ALTER TABLE version ADD COLUMN language TEXT;
