-- Up Migration

-- Rows sent so far by the loads in hand (written every few seconds while a file loads), for the
-- dashboard's "in progress". A table of its own, without a foreign key: the load's transaction
-- holds its file's row locked, and progress is written beside it, outside that transaction.
CREATE TABLE ferry_progress (
    file_id BIGINT PRIMARY KEY,
    rows BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Rows loaded per run (the dashboard's chart, /runs) are summed over a run's files.
CREATE INDEX ferry_files_run ON ferry_files (run_id);

-- The alert outbox: one row per (event, destination), written in the transaction that records
-- what the event is about, delivered by whichever instance claims it. The destination is a
-- hash of its URL (URLs carry secrets and are never stored). The unique key makes an event
-- that several instances notice (a late pipeline) one row.
CREATE TABLE ferry_alerts (
    id BIGSERIAL PRIMARY KEY,
    event TEXT NOT NULL,
    pipeline TEXT,
    destination TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    payload JSONB NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'delivered', 'suppressed', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    lease_owner TEXT,
    lease_expires_at TIMESTAMPTZ,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_at TIMESTAMPTZ,
    UNIQUE (destination, dedup_key)
);
CREATE INDEX ferry_alerts_due ON ferry_alerts (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX ferry_alerts_cooldown ON ferry_alerts (destination, pipeline, event, created_at);

-- Whether each pipeline is late (no successful run within its expectEvery): an alert is
-- raised when this changes, once, whichever instance notices.
CREATE TABLE ferry_pipeline_health (
    pipeline TEXT PRIMARY KEY,
    late BOOLEAN NOT NULL DEFAULT false,
    changed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE ferry_pipeline_health;
DROP TABLE ferry_alerts;
DROP INDEX ferry_files_run;
DROP TABLE ferry_progress;
