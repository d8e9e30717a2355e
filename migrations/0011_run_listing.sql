-- Up Migration

-- Whether a run listed the store, and why: 'full' (every run of a pipeline without events
-- lists; a pipeline with events lists whole once, first) or 'reconcile' (a pipeline with events
-- lists now and then to record what the events missed: the run's files_discovered is then what
-- they missed). NULL: the run did not list (it processed what events recorded), or its listing
-- failed.
ALTER TABLE ferry_runs ADD COLUMN listing TEXT CHECK (listing IN ('full', 'reconcile'));
UPDATE ferry_runs SET listing = 'full' WHERE trigger <> 'event' AND status = 'completed';
-- The last listing of a pipeline, looked up at each run of a pipeline with events.
CREATE INDEX ferry_runs_listing_idx ON ferry_runs (pipeline, started_at DESC) WHERE listing IS NOT NULL;

-- Down Migration
DROP INDEX IF EXISTS ferry_runs_listing_idx;
ALTER TABLE ferry_runs DROP COLUMN IF EXISTS listing;
