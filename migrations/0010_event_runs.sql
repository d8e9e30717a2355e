-- Up Migration

-- A run started because object-created events recorded files (POST /events) says so: it
-- processes the files the events recorded and does not list the store.
ALTER TABLE ferry_runs DROP CONSTRAINT IF EXISTS ferry_runs_trigger_check;
ALTER TABLE ferry_runs ADD CONSTRAINT ferry_runs_trigger_check CHECK (trigger IN ('startup', 'schedule', 'manual', 'watch', 'retry', 'event'));

-- Down Migration
ALTER TABLE ferry_runs DROP CONSTRAINT IF EXISTS ferry_runs_trigger_check;
ALTER TABLE ferry_runs ADD CONSTRAINT ferry_runs_trigger_check CHECK (trigger IN ('startup', 'schedule', 'manual', 'watch', 'retry'));
