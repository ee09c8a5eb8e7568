-- evreg schema registry, SQLite. Append-only: add a new numbered file for changes,
-- with its twin under migrations/postgres/.

-- One row per context ever used. max_id is the highest schema id ever issued in
-- it, so a hard-deleted top id is never handed out again for other content.
CREATE TABLE contexts (
    context TEXT PRIMARY KEY NOT NULL,
    max_id  INTEGER NOT NULL DEFAULT 0
);

-- Schema content, once per context; versions of any subject point at it.
CREATE TABLE schemas (
    context     TEXT    NOT NULL,
    id          INTEGER NOT NULL,
    schema_type TEXT    NOT NULL,
    schema      TEXT    NOT NULL,
    refs        TEXT    NOT NULL,   -- JSON array of {name, subject, version}
    metadata    TEXT,               -- JSON object, as sent
    rule_set    TEXT,               -- JSON object, as sent
    extra       TEXT,               -- JSON object of request fields not interpreted
    fingerprint TEXT    NOT NULL,   -- hex, of the stored text plus references
    content_key TEXT    NOT NULL,   -- hex, fingerprint plus metadata plus ruleSet
    created_at  INTEGER NOT NULL,   -- unix milliseconds
    PRIMARY KEY (context, id),
    FOREIGN KEY (context) REFERENCES contexts (context)
);
CREATE INDEX schemas_by_content ON schemas (context, content_key);

CREATE TABLE versions (
    context    TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    schema_id  INTEGER NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0,  -- soft-deleted
    created_at INTEGER NOT NULL,
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
