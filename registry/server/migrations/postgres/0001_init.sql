-- evreg schema registry, PostgreSQL. Append-only: add a new numbered file for changes,
-- with its twin under migrations/sqlite/. Several evreg processes share these
-- tables; they serialize on advisory locks (see evreg_lock) and row locks, and
-- tell each other what changed with NOTIFY (payloads are built in Rust).

-- One row per context ever used. max_id is the highest schema id ever issued in
-- it, so a hard-deleted top id is never handed out again for other content. A
-- new id is issued by one upsert of this row in a transaction of its own, so
-- the row is not held while the registration that uses the id commits.
CREATE TABLE contexts (
    context TEXT PRIMARY KEY,
    max_id  BIGINT NOT NULL DEFAULT 0
);

-- Schema content, once per context; versions of any subject point at it.
-- Content is not unique per context: IMPORT may give one content two ids.
-- Outside IMPORT, one id per content holds because a registration of new
-- content takes an advisory lock on (context, content) and looks again before
-- it takes a new id.
CREATE TABLE schemas (
    context     TEXT   NOT NULL REFERENCES contexts (context),
    id          BIGINT NOT NULL,
    schema_type TEXT   NOT NULL,
    schema      TEXT   NOT NULL,
    refs        TEXT   NOT NULL,   -- JSON array of {name, subject, version}
    metadata    TEXT,              -- JSON object, as sent
    rule_set    TEXT,              -- JSON object, as sent
    extra       TEXT,              -- JSON object of request fields not interpreted
    fingerprint TEXT   NOT NULL,   -- hex, of the stored text plus references
    content_key TEXT   NOT NULL,   -- hex, fingerprint plus metadata plus ruleSet
    created_at  BIGINT NOT NULL,   -- unix milliseconds
    PRIMARY KEY (context, id)
);
CREATE INDEX schemas_by_content ON schemas (context, content_key);

CREATE TABLE versions (
    context    TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    schema_id  BIGINT  NOT NULL,
    deleted    BOOLEAN NOT NULL DEFAULT FALSE,  -- soft-deleted
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (context, subject, version),
    FOREIGN KEY (context, schema_id) REFERENCES schemas (context, id)
);
CREATE INDEX versions_by_schema ON versions (context, schema_id);

-- Config documents (JSON) and modes per scope; subject '' is the context's own
-- scope, and context '.' with subject '' is the global one.
CREATE TABLE configs (
    context TEXT NOT NULL,
    subject TEXT NOT NULL,
    body    TEXT NOT NULL,
    PRIMARY KEY (context, subject)
);

CREATE TABLE modes (
    context TEXT NOT NULL,
    subject TEXT NOT NULL,
    mode    TEXT NOT NULL,
    PRIMARY KEY (context, subject)
);

-- Takes transaction-scoped advisory locks in the order given (the caller sorts
-- the keys, so every transaction locks in one global order and none deadlock).
CREATE FUNCTION evreg_lock(keys BIGINT[], exclusive BOOLEAN[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1 .. coalesce(array_length(keys, 1), 0) LOOP
        IF exclusive[i] THEN
            PERFORM pg_advisory_xact_lock(keys[i]);
        ELSE
            PERFORM pg_advisory_xact_lock_shared(keys[i]);
        END IF;
    END LOOP;
END
$$;
