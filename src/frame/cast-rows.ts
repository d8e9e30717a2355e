/**
 * The cast rule: the columns of `source.schema` it names are read as the file has them (text,
 * from CSV and NDJSON) and cast here, row by row, before the transform and the other rules. A
 * value that is there but does not fit its type fails the row: `warn` loads NULL in its place,
 * `reject` keeps the row aside with the values as read (the bad value too), `quarantine` stops
 * the file. Row numbers are the file's rows as read.
 */
import pl from 'nodejs-polars';
import type { PartResult, ResolvedCheck, RuleTally } from '../check/index.ts';
import { FerryError } from '../errors/index.ts';
import { dataFrameColumns, lenientCast } from '../polars/index.ts';
import { arrayElement, ROW, samplesOf } from './check-frame.ts';

const FAILS = (index: number) => `__ferry_cast_${index}`;
const ANY = '__ferry_cast_any';

export interface CastedPart {
  /** The rows with the cast columns in their types (without the rejected rows). */
  readonly rows: pl.DataFrame;
  /** The numbers of `rows` in the file, when rows were taken out; else null (they follow on from the offset). */
  readonly rowNumbers: pl.Series | null;
  readonly rejects: pl.DataFrame | null;
  readonly tally: RuleTally;
  readonly result: PartResult;
}

/** The casts of a frame whose columns are `columns` (as read), for its plan (no rows are judged). */
export function castExpressions(
  check: ResolvedCheck,
  schema: Readonly<Record<string, string>>,
  columns: readonly { name: string; dtype: string }[],
): pl.Expr[] {
  const dtypes = new Map(columns.map((column) => [column.name, column.dtype]));
  return check.columns.map((name) => {
    const dtype = dtypes.get(name);
    if (dtype === undefined) {
      throw new FerryError('CHECK_FAILED', `the cast rule's column ${name} is not in the file (it has ${[...dtypes.keys()].join(', ')})`, { step: 'check' });
    }
    return lenientCast(name, dtype, schema[name] as string).alias(name);
  });
}

/**
 * The expressions of a cast rule for one layout of columns (names and types as read), made once:
 * nodejs-polars makes each expression a large JavaScript object, and making them per file cost
 * ~100 ms of CPU on a small file (most of it the garbage collector), 30 times the file's read.
 */
interface CastPlan {
  readonly casts: pl.Expr[];
  readonly flag: pl.Expr[];
  readonly any: pl.Expr;
  readonly failing: pl.Expr;
  readonly passing: pl.Expr;
  readonly counts: pl.Expr[];
  readonly rejects: pl.Expr[];
}

const plans = new Map<string, CastPlan>();
const MAX_PLANS = 64;

function castPlan(check: ResolvedCheck, schema: Readonly<Record<string, string>>, columns: readonly { name: string; dtype: string }[]): CastPlan {
  const key = JSON.stringify([check.id, check.columns, check.columns.map((name) => schema[name]), columns]);
  let plan = plans.get(key);
  if (plan !== undefined) return plan;
  const casts = castExpressions(check, schema, columns);
  plan = {
    casts,
    flag: check.columns.map((name, index) =>
      pl
        .col(name)
        .isNotNull()
        .and((casts[index] as pl.Expr).isNull())
        .alias(FAILS(index)),
    ),
    any: pl.anyHorizontal(check.columns.map((_, index) => pl.col(FAILS(index)))).alias(ANY),
    failing: pl.col(ANY),
    passing: pl.col(ANY).not(),
    counts: check.columns.map((_, index) => pl.col(FAILS(index)).cast(pl.UInt32).sum().alias(`n${index}`)),
    rejects: [
      pl.col(ROW).cast(pl.Int64).alias('row_number'),
      pl.lit(`{${arrayElement(check.id)}}`).alias('rules'),
      pl
        .struct(columns.map((column) => pl.col(column.name)))
        .struct.jsonEncode()
        .alias('values'),
    ],
  };
  if (plans.size >= MAX_PLANS) plans.delete(plans.keys().next().value as string);
  plans.set(key, plan);
  return plan;
}

/** The cast rule's casts for a frame whose columns are `columns` (as read), made once per layout (see CastPlan). */
export function castsFor(check: ResolvedCheck, schema: Readonly<Record<string, string>>, columns: readonly { name: string; dtype: string }[]): pl.Expr[] {
  return castPlan(check, schema, columns).casts;
}

/** Casts one part as read; `offset` is its first row in the file. */
export function castRows(raw: pl.DataFrame, check: ResolvedCheck, schema: Readonly<Record<string, string>>, offset: number): CastedPart {
  const columns = raw.columns;
  const plan = castPlan(check, schema, dataFrameColumns(raw));
  const flagged = raw
    .withRowIndex(ROW, offset + 1)
    .withColumns(...plan.flag)
    .withColumns(plan.any);
  const failed = flagged.filter(plan.failing);
  const tally: RuleTally = { id: check.id, failing: failed.height, samples: [], detail: null };
  if (failed.height > 0) {
    tally.samples = samplesOf(failed, check.columns, check.samples);
    const perColumn = failed.select(...plan.counts).toRecords()[0] as Record<string, number | bigint>;
    const counts = check.columns.map((name, index) => `${name}: ${Number(perColumn[`n${index}`] ?? 0)}`);
    tally.detail = `values that are not ${check.columns.map((name) => `${name} ${schema[name]}`).join(', ')} (${counts.join(', ')})`;
  }
  const rejecting = check.action === 'reject' && failed.height > 0;
  const kept = rejecting ? flagged.filter(plan.passing) : flagged;
  const rows = kept.withColumns(...plan.casts).select(...columns);
  const rejects = rejecting ? failed.select(...plan.rejects) : null;
  return {
    rows,
    rowNumbers: rejecting ? kept.getColumn(ROW) : null,
    rejects,
    tally,
    result: { rows: raw.height, rejected: rejects?.height ?? 0, tallies: [tally] },
  };
}
