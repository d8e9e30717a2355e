/**
 * The one adapter around nodejs-polars' internals: its private handles (`_ldf`, `_df`), the
 * text of its data types, the native CSV scan (whose public wrapper cannot infer over all
 * rows), and the schema names users may write. The rest of ferry sees ferry's own types.
 */
import { createRequire } from 'node:module';
import pl from 'nodejs-polars';

/** A column of a frame: its name and its Polars type as text (`Int64`, `List(Float64)`, `Datetime(us,UTC)`). */
export interface ColumnSchema {
  readonly name: string;
  readonly dtype: string;
}

/** `DataType(List(DataType(Float64)))` → `List(Float64)`: every `DataType(…)` wrapper removed. */
export function dtypeText(dtype: pl.DataType): string {
  const text = String(dtype);
  const wrapper = 'DataType(';
  let out = '';
  const closes: boolean[] = []; // for each open parenthesis: is it a wrapper's?
  for (let i = 0; i < text.length; i++) {
    if (text.startsWith(wrapper, i)) {
      closes.push(true);
      i += wrapper.length - 1;
    } else if (text[i] === '(') {
      closes.push(false);
      out += '(';
    } else if (text[i] === ')') {
      if (closes.pop() !== true) out += ')';
    } else out += text[i];
  }
  return out;
}

/**
 * The columns of a (usually empty) frame. nodejs-polars cannot hand some types to JavaScript
 * (Binary); their name is taken from the error it raises.
 */
export function frameColumns(frame: pl.DataFrame): ColumnSchema[] {
  return frame.getColumns().map((series) => {
    try {
      return { name: series.name, dtype: dtypeText(series.dtype) };
    } catch (error) {
      const unsupported = /DataType (\w+) is not supported/.exec((error as Error).message);
      return { name: series.name, dtype: unsupported?.[1] ?? 'Unknown' };
    }
  });
}

/**
 * The columns a LazyFrame will produce, from a run of its plan on no rows (what Polars reads
 * to plan: a Parquet footer, a CSV's first lines). Fails as the full query would on a missing
 * column or a type error in the transform.
 */
export function outputColumns(frame: pl.LazyDataFrame): ColumnSchema[] {
  return nativeColumns((frame as unknown as { _ldf: { fetchSync(rows: number): NativeFrame } })._ldf.fetchSync(0));
}

/** The columns of a frame in memory (as frameColumns, without wrapping each column). */
export function dataFrameColumns(frame: pl.DataFrame): ColumnSchema[] {
  return nativeColumns((frame as unknown as { _df: NativeFrame })._df);
}

function nativeColumns(native: NativeFrame): ColumnSchema[] {
  // Names and types straight from the native frame: wrapping it (and each column) in
  // nodejs-polars' JavaScript objects cost more than the query, per small file.
  try {
    const types = native.dtypes().map((serialized) => (pl.DataType as unknown as { deserialize(value: unknown): pl.DataType }).deserialize(serialized));
    return native.columns.map((name, index) => ({ name, dtype: dtypeText(types[index] as pl.DataType) }));
  } catch {
    return frameColumns(pl._DataFrame(native));
  }
}

interface NativeFrame {
  readonly columns: string[];
  dtypes(): unknown[];
}

/** Decoded bytes per row of a sample, or null when Polars cannot say. */
export function bytesPerRow(sample: pl.DataFrame): number | null {
  try {
    return (sample as unknown as { _df: { estimatedSize(): number } })._df.estimatedSize() / Math.max(1, sample.height);
  } catch {
    return null;
  }
}

const internal = (
  createRequire(import.meta.url)('nodejs-polars/bin/internals/polars_internal.js') as { default: { scanCsv(path: string, options: object): unknown } }
).default;

export interface CsvScanOptions {
  readonly sep: string;
  readonly hasHeader: boolean;
  readonly quoteChar: string;
  readonly nullValues?: readonly string[];
  readonly inferSchemaLength: number;
  /** Types for some columns, the others inferred. */
  readonly overwriteDtype?: Record<string, pl.DataType>;
  readonly cloudOptions?: Record<string, string>;
}

/** A lazy CSV scan with every option given (no glob expansion of the path: keys are not patterns). */
export function scanCsv(location: string, options: CsvScanOptions): pl.LazyDataFrame {
  return pl._LazyDataFrame(
    internal.scanCsv(location, {
      cache: true,
      ignoreErrors: false,
      skipRows: 0,
      skipLines: 0,
      eolChar: '\n',
      rechunk: false,
      encoding: 'utf8',
      lowMemory: false,
      parseDates: false,
      skipRowsAfterHeader: 0,
      decimalComma: false,
      glob: false,
      ...options,
      ...(options.nullValues ? { nullValues: [...options.nullValues] } : {}),
    }),
  );
}
