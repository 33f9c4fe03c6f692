-- 0004: the words of every monitored customer as of the last monitoring run, in one row, so
-- that a delta run finds the customers a changed entry may hit without reading the
-- customer table (see `CustomerIndex`). Rewritten by each run in its own transaction; a
-- missing or stale row is rebuilt from `customer_word_link`.

CREATE TABLE customer_index (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    run_id        INTEGER NOT NULL REFERENCES monitor_run (id),
    customers     INTEGER NOT NULL,             -- rows in `data`
    data          BLOB    NOT NULL              -- CustomerIndex::to_bytes
);
