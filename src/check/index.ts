/**
 * The check stage: what a frame must be before it can become table rows — at least one
 * column, types PostgreSQL can hold, names that stay distinct in 63 bytes, the merge key among
 * its columns, no clash with the lineage columns. A failure quarantines the file (COLUMNS_INVALID).
 */
import { FerryError } from '../errors/index.ts';
import { checkIdentifierLengths, type FrameColumn, postgresType } from '../postgres/index.ts';

export {
  CHECK_OUTCOMES,
  type CheckOutcome,
  type CheckResult,
  ChecksFailedError,
  type CheckVerdict,
  describeQuarantine,
  evaluateChecks,
  mergeTallies,
} from './evaluate.ts';
export {
  CHECK_ACTIONS,
  type CheckAction,
  type CheckExpression,
  type CheckInput,
  exceeds,
  FILE_RULES,
  isRowRule,
  parseThreshold,
  type ResolvedCheck,
  ROW_RULES,
  type RuleName,
  resolveChecks,
  type Threshold,
} from './rules.ts';
export { MAX_SAMPLES, type PartResult, type RuleTally } from './tallies.ts';

export interface ColumnRules {
  /** Merge mode: the columns that identify a row. */
  readonly key: readonly string[];
  /** The lineage column names when lineage is on, else empty. */
  readonly reserved: readonly string[];
}

export function checkColumns(key: string, columns: readonly FrameColumn[], rules: ColumnRules): void {
  const refuse = (message: string) => new FerryError('COLUMNS_INVALID', `${key}: ${message}`);
  if (columns.length === 0) throw refuse('the frame to load has no columns');
  try {
    checkIdentifierLengths(columns.map((c) => c.name));
    for (const column of columns) postgresType(column);
  } catch (error) {
    throw refuse((error as Error).message);
  }
  const names = new Set(columns.map((c) => c.name));
  if (names.size !== columns.length) throw refuse('two of its columns have the same name');
  const missingKey = rules.key.filter((k) => !names.has(k));
  if (missingKey.length > 0) throw refuse(`the merge key ${missingKey.join(', ')} is not among its columns (${[...names].join(', ')})`);
  const clash = rules.reserved.filter((name) => names.has(name));
  if (clash.length > 0) throw refuse(`its column ${clash.join(', ')} has the name of a lineage column`);
}
