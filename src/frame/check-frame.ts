/**
 * The rules run on the rows, in the reader processes, in the same pass that writes the rows
 * for COPY: one part of the file (a slice, or the whole file) is collected once; a boolean per
 * row rule says which rows fail; the failing counts and samples come from those; the rows that
 * fail a `reject` rule are written aside (with their row numbers, the rules they failed and
 * their values as JSON) and the others are written for COPY. File rules keep what they need
 * across parts (the unique key's columns, the newest value) and are judged once the last part
 * is written, so that a rule on the whole file sees the whole file, however it is sliced.
 */
import pl from 'nodejs-polars';
import { MAX_SAMPLES, type ResolvedCheck, type RuleTally } from '../check/index.ts';
import { FerryError } from '../errors/index.ts';
import { type FrameColumn, postgresType } from '../postgres/index.ts';

/** The expression that is true on the rows that fail a row rule (nulls pass, except for notNull). */
export function failureExpression(check: ResolvedCheck): pl.Expr {
  const column = () => pl.col(check.columns[0] as string);
  switch (check.rule) {
    case 'notNull':
      return pl.anyHorizontal(check.columns.map((name, index) => pl.col(name).isNull().alias(`null_${index}`)));
    case 'range': {
      const parts: pl.Expr[] = [];
      if (check.min !== null) parts.push(column().lt(pl.lit(check.min)).alias('below'));
      if (check.max !== null) parts.push(column().gt(pl.lit(check.max)).alias('above'));
      return pl.anyHorizontal(parts).fillNull(pl.lit(false));
    }
    case 'length': {
      const length = column().cast(pl.Utf8).str.lengths();
      const parts: pl.Expr[] = [];
      if (check.min !== null) parts.push(length.lt(pl.lit(check.min)).alias('below'));
      if (check.max !== null) parts.push(length.gt(pl.lit(check.max)).alias('above'));
      return pl.anyHorizontal(parts).fillNull(pl.lit(false));
    }
    case 'accepted': {
      const numeric = check.values.every((value) => typeof value === 'number');
      const values = check.values.map((value) => (numeric ? value : String(value)));
      const target = numeric ? column() : column().cast(pl.Utf8);
      return target.isIn(values).not().and(column().isNotNull());
    }
    case 'regex':
      return column().cast(pl.Utf8).str.contains(check.pattern).not().fillNull(pl.lit(false));
    case 'expression':
      // The rule holds where the expression is true; null (unknown) fails it.
      return (check.expr as pl.Expr).fillNull(pl.lit(false)).not();
    case 'cast':
      throw new FerryError('INTERNAL', 'the cast rule runs on the values as read (castRows), not on the frame to load');
    default:
      throw new FerryError('INTERNAL', `${check.rule} is not a row rule`);
  }
}

const FLAG = (index: number) => `__ferry_fails_${index}`;
export const ROW = '__ferry_row';

/** `"id"` quoted for a PostgreSQL text[] literal. */
export function arrayElement(id: string): string {
  return `"${id.replace(/[\\"]/g, '\\$&')}"`;
}

/** A sample value as it can travel and be stored as JSON. */
function sampleValue(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

export function samplesOf(frame: pl.DataFrame, columns: readonly string[], limit = MAX_SAMPLES): unknown[] {
  if (columns.length === 0 || limit <= 0) return [];
  return frame
    .select(...columns)
    .head(limit)
    .toRecords()
    .map((record) =>
      columns.length === 1 ? sampleValue(record[columns[0] as string]) : Object.fromEntries(Object.entries(record).map(([k, v]) => [k, sampleValue(v)])),
    );
}

/** The row rules' verdict on one part. */
export interface CheckedRows {
  /** The rows to load (the part without the rejected rows). */
  readonly load: pl.DataFrame;
  /** The rejected rows (row number, rules, values as JSON), or null. */
  readonly rejects: pl.DataFrame | null;
  /** The part's rows, and those rejected. */
  readonly rows: number;
  readonly rejected: number;
  /** The tallies of the `reject` rules (they decide the split). */
  readonly tallies: readonly RuleTally[];
  /**
   * The tallies of the other row rules (warn, quarantine): nothing of them decides which rows
   * load, so they are computed when this is called — while `load` is being written.
   */
  rest(): RuleTally[];
}

/**
 * The row rules on one part, in memory. `offset` is the part's first row in the file, so that
 * row numbers are the file's (from 1); `rowNumbers`, when given, are the rows' numbers instead
 * (rows a cast rule kept aside leave gaps).
 */
export function checkRows(part: pl.DataFrame, checks: readonly ResolvedCheck[], offset: number, rowNumbers: pl.Series | null = null): CheckedRows {
  const { splitting, others, flags, flagCounts, counts } = rowPlan(checks);
  const columns = part.columns;
  const rest = () => tallyRules(part, others, columns, counts, ({ check }) => failureExpression(check));
  if (splitting.length === 0) return { load: part, rejects: null, rows: part.height, rejected: 0, tallies: [], rest };

  // Each reject rule's failures are evaluated once, as a boolean column (a bitmap): the counts,
  // the samples and the split all read those columns.
  const numbered = rowNumbers === null ? part.withRowIndex(ROW, offset + 1) : part.withColumns(rowNumbers.alias(ROW));
  const flagged = numbered.withColumns(...flags);
  const tallies = tallyRules(flagged, splitting, columns, flagCounts, ({ index }) => pl.col(FLAG(index)));
  const rejecting = splitting.filter((_, i) => (tallies[i]?.failing ?? 0) > 0);
  if (rejecting.length === 0) return { load: part, rejects: null, rows: part.height, rejected: 0, tallies, rest };

  const rejectedMask = pl.anyHorizontal(rejecting.map(({ index }) => pl.col(FLAG(index))));
  const rejectedRows = flagged.filter(rejectedMask);
  const rules = pl.concatString(
    rejecting.map(({ check, index }) =>
      pl
        .when(pl.col(FLAG(index)))
        .then(pl.lit(arrayElement(check.id)))
        .otherwise(pl.lit(null).cast(pl.Utf8))
        .alias(`__ferry_rule_${index}`),
    ),
    ',',
    true,
  );
  const rejects = rejectedRows.select(
    pl.col(ROW).cast(pl.Int64).alias('row_number'),
    pl.concatString([pl.lit('{').alias('open'), rules.alias('list'), pl.lit('}').alias('close')], '').alias('rules'),
    pl
      .struct(columns.map((name) => pl.col(name)))
      .struct.jsonEncode()
      .alias('values'),
  );
  const load = flagged.filter(rejectedMask.not()).select(...columns);
  return { load, rejects, rows: part.height, rejected: rejectedRows.height, tallies, rest };
}

type IndexedCheck = { readonly check: ResolvedCheck; readonly index: number };

/**
 * A pipeline's row rules, sorted and with their expressions, made once per pipeline: each
 * nodejs-polars expression is a large JavaScript object that costs milliseconds to build, and
 * building them for every small file cost more than checking its rows.
 */
interface RowPlan {
  /** The reject rules (they split the rows) and the others (they only count). */
  readonly splitting: readonly IndexedCheck[];
  readonly others: readonly IndexedCheck[];
  /** The reject rules' failure flags, as columns, and their counts. */
  readonly flags: readonly pl.Expr[];
  readonly flagCounts: readonly pl.Expr[];
  /** The other rules' failure counts, as one aggregate. */
  readonly counts: readonly pl.Expr[];
}

const plans = new WeakMap<readonly ResolvedCheck[], RowPlan>();

function rowPlan(checks: readonly ResolvedCheck[]): RowPlan {
  let plan = plans.get(checks);
  if (plan === undefined) {
    // The cast rule runs before the others, on the values as read (see cast-rows.ts).
    const rowChecks = checks.map((check, index) => ({ check, index })).filter(({ check }) => check.kind === 'row' && check.rule !== 'cast');
    const splitting = rowChecks.filter(({ check }) => check.action === 'reject');
    const others = rowChecks.filter(({ check }) => check.action !== 'reject');
    plan = {
      splitting,
      others,
      flags: splitting.map(({ check, index }) => failureExpression(check).alias(FLAG(index))),
      flagCounts: splitting.map(({ index }) => pl.col(FLAG(index)).cast(pl.UInt32).sum().alias(FLAG(index))),
      counts: others.map(({ check, index }) => failureExpression(check).cast(pl.UInt32).sum().alias(FLAG(index))),
    };
    plans.set(checks, plan);
  }
  return plan;
}

/**
 * Counts and samples of rules from one aggregate (`countExpressions`, one per rule), then the
 * rows of those that failed (`failed(rule)` selects them): the reject rules read their flag
 * columns, the others evaluate their expression again only when some rows failed.
 */
function tallyRules(
  frame: pl.DataFrame,
  rules: readonly IndexedCheck[],
  columns: readonly string[],
  countExpressions: readonly pl.Expr[],
  failed: (rule: IndexedCheck) => pl.Expr,
): RuleTally[] {
  if (rules.length === 0) return [];
  const counts = frame.select(...countExpressions);
  return rules.map((rule) => {
    const { check, index } = rule;
    const failing = Number(counts.getColumn(FLAG(index)).get(0) ?? 0);
    const sampleColumns = check.columns.length > 0 ? [...check.columns] : [...columns];
    return { id: check.id, failing, samples: failing > 0 ? samplesOf(frame.filter(failed(rule)), sampleColumns, check.samples) : [], detail: null };
  });
}

/** What file rules keep across the parts of one file. */
export class FileRuleState {
  private readonly checks: readonly ResolvedCheck[];
  private readonly keys = new Map<string, pl.DataFrame[]>();
  private readonly newest = new Map<string, unknown>();
  private readonly settled = new Map<string, { failing: number; samples: unknown[] }>();
  private rows = 0;

  constructor(checks: readonly ResolvedCheck[]) {
    this.checks = checks.filter((check) => check.kind === 'file');
  }

  /** Takes what the file rules need from one part. */
  add(part: pl.DataFrame): void {
    this.rows += part.height;
    for (const check of this.checks) {
      if (check.rule === 'unique') {
        const list = this.keys.get(check.id) ?? [];
        list.push(part.select(...check.columns));
        this.keys.set(check.id, list);
      } else if (check.rule === 'freshness') {
        const column = check.columns[0] as string;
        // toRecords, not Series.get: nodejs-polars cannot hand over a Datetime value by get().
        const max = part.select(pl.col(column).max()).toRecords()[0]?.[column];
        const previous = this.newest.get(check.id);
        if (max !== null && max !== undefined && (previous === undefined || timeOf(max) > timeOf(previous))) this.newest.set(check.id, max);
      }
    }
  }

  /**
   * Judges the unique rules now, once every part was added (their work is the largest: it runs
   * while the last part's rows are written); finish then uses the result.
   */
  settle(): void {
    for (const check of this.checks) if (check.rule === 'unique') this.settled.set(check.id, this.uniqueTally(check));
  }

  private uniqueTally(check: ResolvedCheck): { failing: number; samples: unknown[] } {
    const keys = pl.concat(this.keys.get(check.id) ?? []);
    if (keys.height === 0) return { failing: 0, samples: [] };
    const key = () => (check.columns.length === 1 ? pl.col(check.columns[0] as string) : pl.struct(check.columns.map((name) => pl.col(name))));
    // Counting distinct keys is an order of magnitude faster than flagging duplicates: the
    // duplicates are only looked for when there are some.
    const distinct = Number(keys.select(key().nUnique().alias('n')).getColumn('n').get(0));
    if (distinct === keys.height) return { failing: 0, samples: [] };
    const duplicated = keys.filter(key().isDuplicated());
    return { failing: duplicated.height, samples: samplesOf(duplicated.unique({ maintainOrder: true }), check.columns, check.samples) };
  }

  /** The file rules' tallies, once every part was added; `columns` are the file's after the transform. */
  finish(columns: readonly FrameColumn[], now = Date.now()): RuleTally[] {
    return this.checks.map((check) => {
      const tally: RuleTally = { id: check.id, failing: 0, samples: [], detail: null };
      switch (check.rule) {
        case 'unique': {
          const settled = this.settled.get(check.id) ?? this.uniqueTally(check);
          tally.failing = settled.failing;
          tally.samples = settled.samples;
          break;
        }
        case 'rowCount':
          tally.failing = (check.min !== null && this.rows < check.min) || (check.max !== null && this.rows > check.max) ? 1 : 0;
          tally.detail = `${this.rows} rows (allowed ${check.min ?? '-∞'} to ${check.max ?? '∞'})`;
          break;
        case 'freshness': {
          const newest = this.newest.get(check.id);
          const time = newest === undefined ? Number.NaN : timeOf(newest);
          tally.failing = Number.isNaN(time) || time < now - check.withinMs ? 1 : 0;
          tally.detail = newest === undefined ? 'no value' : `newest ${String(sampleValue(newest))}`;
          if (tally.failing > 0 && newest !== undefined && check.samples > 0) tally.samples = [sampleValue(newest)];
          break;
        }
        case 'columns': {
          const have = new Map(columns.map((column) => [column.name, column]));
          const problems = [
            ...check.required.filter((name) => !have.has(name)).map((name) => `${name} is missing`),
            ...Object.entries(check.types).flatMap(([name, type]) => {
              const column = have.get(name);
              if (column === undefined) return [`${name} is missing`];
              const actual = safeType(column);
              return actual === normaliseType(type) ? [] : [`${name} is ${actual}, not ${type}`];
            }),
          ];
          tally.failing = problems.length;
          tally.samples = problems.slice(0, MAX_SAMPLES);
          break;
        }
      }
      return tally;
    });
  }

  get rowCount(): number {
    return this.rows;
  }
}

/** Milliseconds of a date or time value (NaN for anything else: a freshness rule on such a column fails). */
function timeOf(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') return Date.parse(value);
  return Number.NaN;
}

function safeType(column: FrameColumn): string {
  try {
    return postgresType(column);
  } catch {
    return column.dtype;
  }
}

const TYPE_ALIASES: Readonly<Record<string, string>> = {
  int: 'integer',
  int4: 'integer',
  int8: 'bigint',
  int2: 'smallint',
  float8: 'double precision',
  float4: 'real',
  bool: 'boolean',
  varchar: 'text',
  string: 'text',
};

function normaliseType(type: string): string {
  const lower = type.trim().toLowerCase();
  return TYPE_ALIASES[lower] ?? lower;
}
