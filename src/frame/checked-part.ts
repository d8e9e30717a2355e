/**
 * One part of a file through the checks, in the reader: the cast rule first (on the part as
 * read, then the transform on the rows it kept), then the row rules that flag rows and the file
 * rules that take what they need; what a plain Parquet file's parts decoded, to hold to its
 * footer. Used by every path that checks (load, count, preview).
 */
import pl from 'nodejs-polars';
import type { ResolvedCheck } from '../check/index.ts';
import { FerryError } from '../errors/index.ts';
import { compareDecoded, type DeclaredCounts, DecodedCounts } from '../formats/index.ts';
import { polarsMessage } from '../polars/index.ts';
import { applyTransform, type TransformSpec } from '../transform/index.ts';
import { castRows } from './cast-rows.ts';
import { type CheckedRows, checkRows, type FileRuleState } from './check-frame.ts';

/** What the checks of one file need, whatever path it takes (load, count, preview). */
export interface CheckContext {
  readonly key: string;
  readonly checks: readonly ResolvedCheck[];
  /** The cast rule, which runs on the parts as read, before the transform; null without one. */
  readonly cast: ResolvedCheck | null;
  readonly schema: Readonly<Record<string, string>>;
  readonly transform: TransformSpec;
  readonly fileRules: FileRuleState;
  /** A plain Parquet file's declared counts and what its parts decoded (see read/parquet-schema.ts); else null. */
  readonly decoded: { readonly declared: DeclaredCounts; readonly counts: DecodedCounts } | null;
}

/** A frame's rows and nulls per column (Polars keeps null counts: no pass over the values). */
export function decodedOf(frame: pl.DataFrame): DecodedCounts {
  const counts = new DecodedCounts();
  const nulls = frame.width === 0 ? {} : (frame.nullCount().toRecords()[0] as Record<string, number | bigint>);
  counts.add(frame.height, Object.fromEntries(Object.entries(nulls).map(([column, count]) => [column, Number(count)])));
  return counts;
}

/** Holds what a file's parts decoded to its footer, once every part was read (see checkedPart). */
export function compareContext(context: CheckContext): void {
  if (context.decoded !== null) compareDecoded(context.key, context.decoded.declared, context.decoded.counts);
}

/**
 * One part of a file through the checks: the file rules take what they need, the row rules
 * flag its rows. A rule that cannot run on this file (a column it does not have, a type it
 * cannot compare) is the file's failure, CHECK_FAILED.
 */
function checkPart(
  key: string,
  checks: readonly ResolvedCheck[],
  fileRules: FileRuleState,
  part: pl.DataFrame,
  offset: number,
  rowNumbers: pl.Series | null = null,
): CheckedRows {
  const failed = (error: unknown) =>
    new FerryError('CHECK_FAILED', `${key}: a check could not be evaluated: ${polarsMessage(error)}`, { step: 'check', cause: error });
  try {
    fileRules.add(part);
    const checked = checkRows(part, checks, offset, rowNumbers);
    return {
      ...checked,
      rest: () => {
        try {
          return checked.rest();
        } catch (error) {
          throw failed(error);
        }
      },
    };
  } catch (error) {
    throw failed(error);
  }
}

/**
 * One part through every rule, collected once: the cast rule first, on the part as read (then
 * the transform, which for a file with a cast rule runs here, on the rows it kept), then the
 * row and file rules. The rows rejected by either are returned together.
 */
export async function checkedPart(context: CheckContext, part: pl.LazyDataFrame, offset: number): Promise<CheckedRows> {
  const { key, checks, cast, fileRules } = context;
  if (cast === null) {
    const rows = await part.collect();
    if (context.decoded !== null) {
      const decoded = decodedOf(rows);
      context.decoded.counts.add(decoded.rows, decoded.nulls);
    }
    return checkPart(key, checks, fileRules, rows, offset);
  }
  const casted = castRows(await part.collect(), cast, context.schema, offset);
  const transformed = context.transform.kind !== 'none';
  const rows = transformed ? await applyTransform(context.transform, casted.rows.lazy(), key).collect() : casted.rows;
  const checked = checkPart(key, checks, fileRules, rows, offset, transformed ? null : casted.rowNumbers);
  const rejects = casted.rejects !== null && checked.rejects !== null ? pl.concat([casted.rejects, checked.rejects]) : (casted.rejects ?? checked.rejects);
  return {
    load: checked.load,
    rejects,
    rows: casted.result.rows,
    rejected: casted.result.rejected + checked.rejected,
    tallies: [casted.tally, ...checked.tallies],
    rest: checked.rest,
  };
}
