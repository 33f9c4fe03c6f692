-- 0001: list versions, entity revisions and the entries linking them.
--
-- A `version` is one imported file (or set of files) of one list; it is never edited.
-- A `revision` is one distinct content of one entry (source, source_id); it is stored once
-- and linked to every version that contains it through `version_entry`.

CREATE TABLE version (
    id            INTEGER PRIMARY KEY,
    source        TEXT    NOT NULL,             -- 'un', 'ofac', ...
    published     TEXT    NOT NULL,             -- 'YYYY-MM-DD', the list's own date
    published_raw TEXT    NOT NULL,             -- the timestamp as the file gave it
    imported_at   TEXT    NOT NULL,             -- RFC 3339, UTC
    sha256        TEXT    NOT NULL,             -- hex digest over the imported file(s)
    files         TEXT    NOT NULL,             -- JSON array of file names
    counts        TEXT    NOT NULL,             -- JSON VersionCounts
    UNIQUE (source, sha256)
);

-- Versions are ordered by (published, id), never by import order.
CREATE INDEX version_by_published ON version (source, published, id);

CREATE TABLE revision (
    id            INTEGER PRIMARY KEY,
    source        TEXT    NOT NULL,
    source_id     TEXT    NOT NULL,
    reference     TEXT    NOT NULL,
    content_hash  TEXT    NOT NULL,             -- sha256 of the canonical JSON
    json          TEXT    NOT NULL,             -- canonical JSON of the Entity
    UNIQUE (source, source_id, content_hash)    -- also serves lookups by (source, source_id)
);

CREATE INDEX revision_by_reference ON revision (source, reference);

CREATE TABLE version_entry (
    version_id    INTEGER NOT NULL REFERENCES version (id),
    revision_id   INTEGER NOT NULL REFERENCES revision (id),
    position      INTEGER NOT NULL,             -- order of the entry in the imported list
    PRIMARY KEY (version_id, revision_id)
) WITHOUT ROWID;

-- Which versions contain a revision (history).
CREATE INDEX version_entry_by_revision ON version_entry (revision_id, version_id);
