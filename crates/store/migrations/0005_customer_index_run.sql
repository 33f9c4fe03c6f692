-- 0005: which run the saved customer index (0004) belongs to, apart from the index itself, so
-- that a run keeping the index as it is (nobody added or changed since) does not rewrite the
-- index's row (megabytes for a large customer base). `customer_index.run_id` stays the run
-- that wrote the index.

CREATE TABLE customer_index_run (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    run_id        INTEGER NOT NULL REFERENCES monitor_run (id)
);

INSERT INTO customer_index_run (id, run_id) SELECT 1, run_id FROM customer_index WHERE id = 1;
