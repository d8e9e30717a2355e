/**
 * The error table: every failure ferry records has a code from this table, and the code alone
 * decides the step it is charged to (unless the raiser knows better), whether retrying can
 * help, and what the ledger does with the file. The code is stored in `ferry_files.error_code`;
 * tests assert codes, never message text.
 *
 * Outcomes: `retry` puts the file back in the queue with backoff (until retry.maxAttempts);
 * `quarantine` stops it until `ferry retry`; `supersede` means the version read is gone (a
 * newer one, if any, is discovered and processed instead).
 */

/** The steps of a file's processing, in the order of the data flow. */
export const FILE_STEPS = ['discover', 'claim', 'read', 'transform', 'check', 'load', 'record'] as const;
export type FileStep = (typeof FILE_STEPS)[number];

export type ErrorOutcome = 'retry' | 'quarantine' | 'supersede' | 'none';

export interface ErrorEntry {
  /** The step a failure with this code is charged to when its raiser names none. */
  readonly step: FileStep | null;
  readonly outcome: ErrorOutcome;
  /** One line for the README's table and `ferry files`. */
  readonly meaning: string;
}

export const ERROR_TABLE = {
  // The service itself (not one file's).
  CONFIG_INVALID: { step: null, outcome: 'none', meaning: 'the config (file, environment or flags) is invalid; the message names the field' },
  ALREADY_RUNNING: { step: null, outcome: 'none', meaning: 'another ferry holds the port or the embedded database' },
  DATABASE_UNREACHABLE: { step: 'load', outcome: 'retry', meaning: 'PostgreSQL could not be reached or dropped the connection (SQLSTATE 08xxx, 57P0x)' },
  DATABASE_CONFLICT: { step: 'load', outcome: 'retry', meaning: 'a serialization failure or deadlock (40001, 40P01); tried again' },
  STORAGE_UNREACHABLE: { step: 'read', outcome: 'retry', meaning: 'the object store did not answer' },
  STORAGE_ERROR: { step: 'read', outcome: 'retry', meaning: 'the store or network failed while the file was read (timeouts, 5xx, 429, resets)' },
  TEMP_SPACE_FULL: {
    step: 'read',
    outcome: 'retry',
    meaning: "the machine's temp space was full (the OS temp folder, or /dev/shm where a load's slices go): the machine's problem, not the file's",
  },
  // The version read is gone.
  FILE_NOT_FOUND: { step: 'read', outcome: 'supersede', meaning: 'the object was deleted before or while it was read' },
  FILE_CHANGED: { step: 'read', outcome: 'supersede', meaning: 'the object was overwritten while it was read; the new version is processed instead' },
  // The file's own problems: quarantined.
  FORMAT_UNKNOWN: { step: 'read', outcome: 'quarantine', meaning: 'the format is not known from the extension; set source.format' },
  FILE_TOO_LARGE: { step: 'read', outcome: 'quarantine', meaning: 'over limits.maxFileSize, limits.maxDecompressedSize or limits.maxRowGroupSize' },
  FILE_CORRUPT: { step: 'read', outcome: 'quarantine', meaning: 'not a valid file of its format (bad magic, footer, pages, truncated)' },
  FILE_UNSUPPORTED: {
    step: 'read',
    outcome: 'quarantine',
    meaning: "a valid file that ferry's reader cannot read correctly (the message names the feature and the column); refused rather than loaded wrong",
  },
  READ_MISMATCH: {
    step: 'read',
    outcome: 'quarantine',
    meaning:
      "what was decoded differs from what the file declares (rows, or a column's nulls in the Parquet footer); the message names the column and both numbers",
  },
  VALUE_TOO_LARGE: {
    step: 'read',
    outcome: 'quarantine',
    meaning: "a value over PostgreSQL's 1 GB limit for one field; found before COPY",
  },
  ENCODING_INVALID: { step: 'read', outcome: 'quarantine', meaning: 'a text file that is not UTF-8; the message gives the line and byte offset' },
  SCHEMA_INFERENCE_FAILED: {
    step: 'read',
    outcome: 'quarantine',
    meaning: 'a column type could not be inferred from the first rows; set source.inferSchemaLength or source.schema',
  },
  CAST_FAILED: {
    step: 'read',
    outcome: 'quarantine',
    meaning: 'a value does not fit its source.schema type; a cast check can warn about or reject such rows instead',
  },
  KEY_UNREADABLE: { step: 'read', outcome: 'quarantine', meaning: 'the key cannot be read by name (not UTF-8, or escapes the storage root, also by a link)' },
  TRANSFORM_FAILED: { step: 'transform', outcome: 'quarantine', meaning: 'the transform or SQL failed on this file (a missing column, a type error)' },
  COLUMNS_INVALID: {
    step: 'check',
    outcome: 'quarantine',
    meaning: 'the frame cannot become table columns (no columns, an unsupported type, a name too long or clashing, a missing merge key)',
  },
  SCHEMA_MISMATCH: { step: 'check', outcome: 'quarantine', meaning: "the file's columns differ from the table's and schemaDrift is strict" },
  TABLE_UNSUITABLE: { step: 'check', outcome: 'quarantine', meaning: 'the existing table cannot take the load (merge without a unique index on the key)' },
  CHECK_FAILED: {
    step: 'check',
    outcome: 'quarantine',
    meaning: "a rule of the pipeline's checks quarantined the file (the message names the rules and counts; `ferry checks` shows them)",
  },
  LOAD_REJECTED: { step: 'load', outcome: 'quarantine', meaning: 'PostgreSQL refused the rows (a value that does not fit its column, a constraint)' },
  // Reader processes.
  READER_CRASHED: { step: 'read', outcome: 'retry', meaning: 'the reader process died (abort, signal, out of memory) while working on the file' },
  POISON_FILE: {
    step: 'read',
    outcome: 'quarantine',
    meaning: 'the file killed a reader process limits.maxReaderCrashes times; not claimed again until ferry retry',
  },
  CLAIMS_EXHAUSTED: {
    step: 'claim',
    outcome: 'quarantine',
    meaning: 'claimed retry.maxAttempts times without any outcome (the whole process died each time)',
  },
  INTERRUPTED: { step: 'load', outcome: 'retry', meaning: 'ferry was stopped while the file was loaded; rolled back and released at once' },
  INTERNAL: { step: null, outcome: 'quarantine', meaning: 'a bug in ferry; the message has the details' },
} as const satisfies Record<string, ErrorEntry>;

export type ErrorCode = keyof typeof ERROR_TABLE;
export const ERROR_CODES = Object.keys(ERROR_TABLE) as ErrorCode[];

export function errorEntry(code: ErrorCode): ErrorEntry {
  return ERROR_TABLE[code];
}
