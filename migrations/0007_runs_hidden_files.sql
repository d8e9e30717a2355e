-- Up Migration

-- Files a run listed that its glob selects but that are hidden (a name, or a folder in the key,
-- starting with "."): left out unless source.includeHidden, and counted, so that a file that
-- was never loaded is never silently missing.
ALTER TABLE ferry_runs ADD COLUMN files_hidden INTEGER NOT NULL DEFAULT 0;

-- Down Migration
ALTER TABLE ferry_runs DROP COLUMN files_hidden;
