-- A stable GUID per schema row (Confluent 8.x `guid`, served by /schemas/guids).
-- Stored rather than recomputed on every load, so it never changes for a
-- stored schema. Rows written before this migration have NULL here; evreg
-- fills them in when it opens the database (the value is derived from
-- content_key in Rust, which SQL cannot reproduce).
ALTER TABLE schemas ADD COLUMN guid TEXT;
CREATE INDEX schemas_by_guid ON schemas (guid);
