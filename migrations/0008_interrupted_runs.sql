-- Up Migration

-- A run stopped by a signal (Ctrl-C, SIGTERM, SIGHUP) is recorded as interrupted, not failed:
-- its files in hand were rolled back and given back, and nothing went wrong with them.
ALTER TABLE ferry_runs DROP CONSTRAINT IF EXISTS ferry_runs_status_check;
ALTER TABLE ferry_runs ADD CONSTRAINT ferry_runs_status_check CHECK (status IN ('running', 'completed', 'failed', 'interrupted'));
