-- Up Migration

-- A run started because someone retried files (POST /files/:id/retry, the dashboard's Retry)
-- says so, instead of passing for a run started by the folder watcher.
ALTER TABLE ferry_runs DROP CONSTRAINT IF EXISTS ferry_runs_trigger_check;
ALTER TABLE ferry_runs ADD CONSTRAINT ferry_runs_trigger_check CHECK (trigger IN ('startup', 'schedule', 'manual', 'watch', 'retry'));

-- Down Migration
ALTER TABLE ferry_runs DROP CONSTRAINT IF EXISTS ferry_runs_trigger_check;
ALTER TABLE ferry_runs ADD CONSTRAINT ferry_runs_trigger_check CHECK (trigger IN ('startup', 'schedule', 'manual', 'watch'));
