-- Up Migration

-- The demo's table, in its exact schema: one row per file version counted.
CREATE TABLE IF NOT EXISTS etl_results (
    id SERIAL PRIMARY KEY,
    timestamp TIMESTAMP WITH TIME ZONE NOT NULL,
    file_name VARCHAR NOT NULL,
    row_count BIGINT NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP
);

-- One row per run of a pipeline (a schedule tick or a manual run).
CREATE TABLE ferry_runs (
    id BIGSERIAL PRIMARY KEY,
    pipeline TEXT NOT NULL,
    trigger TEXT NOT NULL CHECK (trigger IN ('startup', 'schedule', 'manual', 'watch')),
    scheduled_for TIMESTAMPTZ,
    instance TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ,
    files_listed INTEGER NOT NULL DEFAULT 0,
    files_discovered INTEGER NOT NULL DEFAULT 0,
    files_processed INTEGER NOT NULL DEFAULT 0,
    files_failed INTEGER NOT NULL DEFAULT 0,
    files_retrying INTEGER NOT NULL DEFAULT 0,
    files_skipped INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
-- A scheduled tick becomes a run once, however many instances see it.
CREATE UNIQUE INDEX ferry_runs_one_per_tick ON ferry_runs (pipeline, scheduled_for) WHERE trigger = 'schedule';
CREATE INDEX ferry_runs_pipeline_started ON ferry_runs (pipeline, started_at DESC);

-- The ledger: one row per file version found. It is also the work queue.
CREATE TABLE ferry_files (
    id BIGSERIAL PRIMARY KEY,
    pipeline TEXT NOT NULL,
    key TEXT NOT NULL,
    version TEXT NOT NULL,
    etag TEXT,
    size BIGINT NOT NULL,
    last_modified TIMESTAMPTZ,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'processed', 'quarantined', 'superseded')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    lease_owner TEXT,
    lease_expires_at TIMESTAMPTZ,
    -- the worker (instance#claim) that recorded the outcome
    processed_by TEXT,
    error TEXT,
    error_step TEXT,
    rows BIGINT,
    discovered_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    discovered_run_id BIGINT REFERENCES ferry_runs (id) ON DELETE SET NULL,
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    duration_ms INTEGER,
    run_id BIGINT REFERENCES ferry_runs (id) ON DELETE SET NULL,
    UNIQUE (pipeline, key, version)
);
CREATE INDEX ferry_files_claimable ON ferry_files (pipeline, next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX ferry_files_status ON ferry_files (status);
CREATE INDEX ferry_files_key ON ferry_files (pipeline, key);

-- Down Migration
DROP TABLE ferry_files;
DROP TABLE ferry_runs;
DROP TABLE etl_results;
