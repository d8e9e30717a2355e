-- Up Migration

-- Whether a run listed the store, and why: 'full' (every run of a pipeline without events
-- lists) or 'reconcile' (a pipeline with events lists now and then, to record what the events
-- missed; the run's files_discovered is then what they missed). NULL: the run did not list
-- (it processed what events recorded), or its listing failed.
ALTER TABLE ferry_runs ADD COLUMN listing TEXT CHECK (listing IN ('full', 'reconcile'));
UPDATE ferry_runs SET listing = 'full' WHERE trigger <> 'event' AND status = 'completed';
-- The last reconciliation of a pipeline, found at each run of a pipeline with events.
CREATE INDEX ferry_runs_reconcile_idx ON ferry_runs (pipeline, started_at DESC) WHERE listing = 'reconcile';

-- Down Migration
DROP INDEX IF EXISTS ferry_runs_reconcile_idx;
ALTER TABLE ferry_runs DROP COLUMN IF EXISTS listing;
