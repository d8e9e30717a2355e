-- Up Migration

-- The error table's code for the file's last failure (see src/errors/error-table.ts).
ALTER TABLE ferry_files ADD COLUMN error_code TEXT;
-- How often a reader process died while working on this version: at limits.maxReaderCrashes
-- the file is quarantined as a poison file.
ALTER TABLE ferry_files ADD COLUMN reader_crashes INTEGER NOT NULL DEFAULT 0;
-- Claims since the last recorded outcome: each claim adds one, any outcome resets it. A
-- version claimed retry.maxAttempts times with no outcome (the whole process died each time)
-- is quarantined instead of being claimed forever.
ALTER TABLE ferry_files ADD COLUMN open_claims INTEGER NOT NULL DEFAULT 0;
CREATE INDEX ferry_files_lease_owner ON ferry_files (lease_owner) WHERE lease_owner IS NOT NULL;

-- Down Migration
DROP INDEX ferry_files_lease_owner;
ALTER TABLE ferry_files DROP COLUMN open_claims;
ALTER TABLE ferry_files DROP COLUMN reader_crashes;
ALTER TABLE ferry_files DROP COLUMN error_code;
