-- Up Migration

-- One row per (file version, rule) whose checks ran, passes included: the rule's outcome, its
-- failing rows of the total, and up to 20 sample values. Written in the transaction that
-- records the file's outcome.
CREATE TABLE ferry_check_results (
    file_id BIGINT NOT NULL REFERENCES ferry_files (id) ON DELETE CASCADE,
    pipeline TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('warn', 'reject', 'quarantine')),
    outcome TEXT NOT NULL CHECK (outcome IN ('passed', 'warned', 'rejected', 'quarantined')),
    failing BIGINT NOT NULL,
    total BIGINT NOT NULL,
    samples JSONB NOT NULL DEFAULT '[]',
    detail TEXT,
    checked_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (file_id, rule_id)
);
CREATE INDEX ferry_check_results_rule ON ferry_check_results (pipeline, rule_id);

-- What a processed file's checks did: rows kept aside in the rejects table, rules that warned.
ALTER TABLE ferry_files ADD COLUMN rows_rejected BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ferry_files ADD COLUMN warnings INTEGER NOT NULL DEFAULT 0;

-- Down Migration
ALTER TABLE ferry_files DROP COLUMN warnings;
ALTER TABLE ferry_files DROP COLUMN rows_rejected;
DROP TABLE ferry_check_results;
