-- Up Migration

-- Files a run listed but left alone because they were modified before the pipeline's time
-- window: counted apart from the files that needed no work, so that nobody mistakes them for done.
ALTER TABLE ferry_runs ADD COLUMN files_outside_window INTEGER NOT NULL DEFAULT 0;

-- Down Migration
ALTER TABLE ferry_runs DROP COLUMN files_outside_window;
