-- 0002: monitoring of a customer base (delta re-screening), alerts and decisions.
--
-- `customer` holds the registered customers; `customer_word` / `customer_word_link` are the
-- words of their names (as tokenised by sanctions-text), so that a changed list entry finds the
-- customers it may hit without re-screening everyone. `monitor_run` records every run and the
-- list versions it covered (the next run screens the difference). `alert` is one (customer,
-- entry) hit; `decision` the analysts' verdicts on alerts. Every change is one transaction.

CREATE TABLE customer (
    rowid         INTEGER PRIMARY KEY,
    id            TEXT    NOT NULL UNIQUE,      -- the customer's own id
    name          TEXT    NOT NULL,
    birth_date    TEXT,                         -- YYYY, YYYY-MM or YYYY-MM-DD
    nationality   TEXT,
    kind          TEXT,                         -- person, organization, vessel, aircraft
    identifiers   TEXT    NOT NULL DEFAULT '[]',-- JSON array of document numbers
    added_at      TEXT    NOT NULL,             -- RFC 3339, UTC
    updated_at    TEXT    NOT NULL,
    pending       INTEGER NOT NULL DEFAULT 1    -- 1: added or changed since the last run
);

CREATE INDEX customer_pending ON customer (pending) WHERE pending = 1;

CREATE TABLE customer_word (
    id            INTEGER PRIMARY KEY,
    text          TEXT    NOT NULL UNIQUE
);

CREATE TABLE customer_word_link (
    word_id       INTEGER NOT NULL REFERENCES customer_word (id),
    customer      INTEGER NOT NULL REFERENCES customer (rowid) ON DELETE CASCADE,
    PRIMARY KEY (word_id, customer)
) WITHOUT ROWID;

CREATE INDEX customer_word_link_by_customer ON customer_word_link (customer);

CREATE TABLE monitor_run (
    id            INTEGER PRIMARY KEY,
    started_at    TEXT    NOT NULL,
    finished_at   TEXT    NOT NULL,
    mode          TEXT    NOT NULL,             -- 'full' or 'delta'
    algorithm     TEXT    NOT NULL,             -- 'sanctions-name/1'
    threshold     REAL    NOT NULL,
    versions      TEXT    NOT NULL,             -- JSON [{"source","version_id"}] covered
    summary       TEXT    NOT NULL              -- JSON counts
);

CREATE TABLE alert (
    id            INTEGER PRIMARY KEY,
    customer_id   TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    source_id     TEXT    NOT NULL,
    reference     TEXT    NOT NULL,
    entry_name    TEXT    NOT NULL,
    score         REAL    NOT NULL,
    version_id    INTEGER NOT NULL REFERENCES version (id),
    content_hash  TEXT    NOT NULL,             -- of the entry's revision that matched
    explanation   TEXT    NOT NULL,             -- JSON
    status        TEXT    NOT NULL,             -- open, false_positive, true_match, delisted, cleared
    changes       TEXT,                         -- JSON [FieldChange] since the decided revision
    reopens       INTEGER REFERENCES alert (id),-- the decided alert this one re-raises
    opened_run    INTEGER NOT NULL REFERENCES monitor_run (id),
    closed_run    INTEGER REFERENCES monitor_run (id),
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);

CREATE INDEX alert_by_pair ON alert (customer_id, source, source_id, id);
CREATE INDEX alert_by_entry ON alert (source, source_id, status);
CREATE INDEX alert_by_status ON alert (status, id);

CREATE TABLE decision (
    id            INTEGER PRIMARY KEY,
    alert_id      INTEGER NOT NULL REFERENCES alert (id),
    verdict       TEXT    NOT NULL,             -- false_positive, true_match
    reason        TEXT    NOT NULL,
    decided_by    TEXT    NOT NULL,
    decided_at    TEXT    NOT NULL,
    content_hash  TEXT    NOT NULL              -- the entry revision decided on
);

CREATE INDEX decision_by_alert ON decision (alert_id, id);
