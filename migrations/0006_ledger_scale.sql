-- Up Migration

-- `source.listFrom: 'last-seen'` asks for a pipeline's greatest key in byte order (as S3 lists
-- keys): an index in that order answers from its last entry. It replaces the index on
-- (pipeline, key) in the database's collation, which the unique key (pipeline, key, version)
-- already covers for every lookup by key.
DROP INDEX ferry_files_key;
CREATE INDEX ferry_files_key_order ON ferry_files (pipeline, (key COLLATE "C"));

-- Retention finds finished versions by age without reading the pending ones, and a run's files
-- (a run no file refers to may go).
CREATE INDEX ferry_files_finished ON ferry_files (pipeline, finished_at) WHERE status IN ('processed', 'superseded');
CREATE INDEX ferry_files_discovered_run ON ferry_files (discovered_run_id);

-- Down Migration
DROP INDEX ferry_files_discovered_run;
DROP INDEX ferry_files_finished;
DROP INDEX ferry_files_key_order;
CREATE INDEX ferry_files_key ON ferry_files (pipeline, key);
