-- 0003: exemptions granted from sanctions measures, as recorded by users.
--
-- A travel exemption names a listed entry (source + reference), destinations and a period;
-- an asset-freeze or humanitarian exemption names an entry or a whole regime (a catalogue id
-- such as 'un-taliban'). Rows are never edited: a correction is a new row.

CREATE TABLE exemptions (
    id            INTEGER PRIMARY KEY,
    kind          TEXT    NOT NULL CHECK (kind IN ('travel', 'asset_freeze', 'humanitarian')),
    source        TEXT,                         -- 'un', 'ofac', ... with reference
    reference     TEXT,                         -- 'TAi.026'; NULL for a regime-wide exemption
    regime        TEXT,                         -- catalogue id, 'un-taliban'
    valid_from    TEXT    NOT NULL,             -- 'YYYY-MM-DD', first day covered
    valid_to      TEXT,                         -- 'YYYY-MM-DD', last day covered; NULL: standing
    destinations  TEXT    NOT NULL DEFAULT '[]',-- JSON array of ISO 3166 alpha-2 codes
    purpose       TEXT    NOT NULL,
    document      TEXT,                         -- e.g. a committee press release 'SC/14660'
    recorded_at   TEXT    NOT NULL,             -- RFC 3339, UTC
    recorded_by   TEXT    NOT NULL,
    CHECK (reference IS NOT NULL OR regime IS NOT NULL),
    CHECK ((source IS NULL) = (reference IS NULL)),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);

CREATE INDEX exemptions_by_entry ON exemptions (source, reference);
CREATE INDEX exemptions_by_regime ON exemptions (regime);
