/**
 * The ledger's records. A file version's status moves pending → processed | quarantined |
 * superseded; a quarantined one goes back to pending when someone retries it.
 */

export const FILE_STATUSES = ['pending', 'processed', 'quarantined', 'superseded'] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

export const RUN_STATUSES = ['running', 'completed', 'failed', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/**
 * startup: the run at start; schedule: a tick; manual: `ferry run`, POST /runs; watch: new files
 * seen in a watched folder; retry: files put back in the queue (POST /files/:id/retry, the dashboard);
 * event: files that object-created events recorded (POST /events, a queue).
 */
export const RUN_TRIGGERS = ['startup', 'schedule', 'manual', 'watch', 'retry', 'event'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

/** Why a run listed the store (see RunRecord.listing). */
export type RunListing = 'full' | 'reconcile';

/**
 * A file version as the CLI and the HTTP API show it (`/files`, `/files/:id`, `ferry files
 * --json`): the ledger's row without the claim bookkeeping (lease owner and expiry, open
 * claims, the instance that recorded the outcome), which says nothing to an operator.
 */
export interface FileVersion {
  readonly id: number;
  readonly pipeline: string;
  readonly key: string;
  readonly version: string;
  readonly etag: string | null;
  readonly size: number;
  readonly last_modified: Date | null;
  readonly status: FileStatus;
  readonly attempts: number;
  /** When a pending version is due (its next attempt, after a transient failure). */
  readonly next_attempt_at: Date;
  readonly error: string | null;
  readonly error_step: string | null;
  /** The error table's code for the last failure (src/errors/error-table.ts). */
  readonly error_code: string | null;
  readonly reader_crashes: number;
  readonly rows: number | null;
  /** Rows the checks kept aside in the rejects table (processed files). */
  readonly rows_rejected: number;
  /** Rules that warned (processed files). */
  readonly warnings: number;
  readonly discovered_at: Date;
  readonly started_at: Date | null;
  readonly finished_at: Date | null;
  readonly duration_ms: number | null;
  readonly run_id: number | null;
}

/** A file version as the ledger holds it: what the API shows, and the claim bookkeeping. */
export interface FileVersionRecord extends FileVersion {
  readonly lease_owner: string | null;
  readonly lease_expires_at: Date | null;
  /** The instance that recorded the outcome. */
  readonly processed_by: string | null;
  /** Claims since the last recorded outcome. */
  readonly open_claims: number;
}

/** Another version of a file's key, as `/files/:id` lists them. */
export interface OtherVersion {
  readonly id: number;
  readonly version: string;
  readonly status: FileStatus;
  readonly attempts: number;
  readonly rows: number | null;
  readonly error_code: string | null;
  readonly discovered_at: Date;
  readonly finished_at: Date | null;
}

/** What one run did, as counted by the worker. */
export interface RunCounts {
  readonly files_listed: number;
  readonly files_discovered: number;
  readonly files_processed: number;
  readonly files_failed: number;
  readonly files_retrying: number;
  readonly files_skipped: number;
  readonly files_outside_window: number;
  readonly files_hidden: number;
}

export interface RunRecord extends RunCounts {
  readonly id: number;
  readonly pipeline: string;
  readonly trigger: RunTrigger;
  readonly scheduled_for: Date | null;
  readonly instance: string;
  readonly status: RunStatus;
  readonly started_at: Date;
  readonly finished_at: Date | null;
  /** Whether the run listed the store: every run without events ('full'), a reconciliation of events ('reconcile'), or not (null). */
  readonly listing: RunListing | null;
  readonly error: string | null;
}
