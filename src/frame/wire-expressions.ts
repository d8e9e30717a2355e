/**
 * The Polars expressions that bring each column into the form its COPY encoding reads: for
 * CSV, the text PostgreSQL parses (lists and structs as JSON, binary as bytea escapes,
 * durations as microseconds); for binary COPY, the physical form of the wire (integers of the
 * right width, timestamps as microseconds since 2000-01-01, dates as days since then). These
 * run in the reader processes, inside the Polars query that writes the rows; the parent only
 * frames the bytes (pg-binary.ts).
 */
import pl from 'nodejs-polars';
import { binaryKind, LINEAGE_COLUMNS, POSTGRES_EPOCH_DAYS, POSTGRES_EPOCH_MICROS, type WireSpec } from '../load/index.ts';
import { type FrameColumn, postgresType } from '../postgres/index.ts';

/** The lineage values written with every row when lineage is on. */
export interface LineageValues {
  readonly fileColumn: string;
  readonly versionColumn: string;
  readonly file: string;
  readonly version: string;
}

/** Every column in its wire form, then the lineage values: the select that feeds COPY. */
export function wireExpressions(columns: readonly FrameColumn[], binary: boolean, lineage: LineageValues | null): pl.Expr[] {
  const expressions = columns.map((column) => (binary ? binaryExpression(column) : copyExpression(column)));
  if (lineage !== null) {
    expressions.push(pl.lit(lineage.file).cast(pl.Utf8).alias(lineage.fileColumn), pl.lit(lineage.version).cast(pl.Utf8).alias(lineage.versionColumn));
  }
  return expressions;
}

/**
 * The expression that gives a column in the form COPY (CSV) reads for its PostgreSQL type, or
 * the column itself when Polars' CSV writer already writes that form.
 */
export function copyExpression(column: FrameColumn): pl.Expr {
  const col = pl.col(column.name);
  const type = postgresType(column);
  if (type === 'interval') {
    const micros = col.cast(pl.Duration('us')).cast(pl.Int64).cast(pl.Utf8);
    return nullKept(col, pl.concatString([micros, pl.lit(' microseconds')], '')).alias(column.name);
  }
  if (type === 'bytea') {
    // bytea's escape form: three octal digits per byte, e.g. \150\151.
    const byte = pl.element().cast(pl.Int32);
    const digit = (value: pl.Expr) => value.cast(pl.Int32).cast(pl.Utf8);
    const octal = pl.concatString([pl.lit('\\'), digit(byte.div(64).floor()), digit(byte.div(8).floor().modulo(8)), digit(byte.modulo(8))], '');
    return nullKept(col, col.cast(pl.List(pl.UInt8)).lst.eval(octal).lst.join('')).alias(column.name);
  }
  if (type === 'jsonb') return jsonText(column).alias(column.name);
  if (type === 'text' && column.dtype !== 'String' && column.dtype !== 'Utf8') return col.cast(pl.Utf8).alias(column.name);
  return col;
}

/** `text` where `col` has a value, NULL where it has none (concatenation and JSON encoding would make text of a null). */
function nullKept(col: pl.Expr, text: pl.Expr): pl.Expr {
  return pl.when(col.isNull()).then(pl.lit(null).cast(pl.Utf8)).otherwise(text);
}

/** A list, array or struct column as JSON text (NULL stays NULL). */
export function jsonText(column: FrameColumn): pl.Expr {
  const col = pl.col(column.name);
  if (column.dtype === 'Json') return col;
  // Polars encodes structs as JSON; a list is wrapped in a one-field struct and unwrapped.
  const json = column.dtype.startsWith('Struct')
    ? col.struct.jsonEncode()
    : pl
        .struct([col.alias('v')])
        .struct.jsonEncode()
        .str.replace('^\\{"v":(?s:(.*))\\}$', '$1');
  return nullKept(col, json);
}

const int64 = (value: number) => pl.lit(value).cast(pl.Int64);

/** Polars microseconds of a temporal integer in `unit` (truncating nanoseconds). */
function toMicros(raw: pl.Expr, unit: string): pl.Expr {
  return raw
    .cast(pl.Int64)
    .cast(pl.Duration(unit as 'ns' | 'us' | 'ms'))
    .cast(pl.Duration('us'))
    .cast(pl.Int64);
}

/** The expression that gives a column in the physical form its binary COPY encoding reads. */
export function binaryExpression(column: FrameColumn): pl.Expr {
  const col = pl.col(column.name);
  const type = postgresType(column);
  const kind = binaryKind(column);
  let expr: pl.Expr;
  if (type === 'date') expr = col.cast(pl.Int32).sub(pl.lit(POSTGRES_EPOCH_DAYS).cast(pl.Int32));
  else if (type === 'timestamp' || type === 'timestamptz') {
    const unit = /^Datetime\((\w+),/.exec(column.dtype)?.[1] ?? 'us';
    expr = toMicros(col, unit).sub(int64(POSTGRES_EPOCH_MICROS));
  } else if (type === 'time') expr = toMicros(col, 'ns');
  else if (kind === 'interval') expr = col.cast(pl.Duration('us')).cast(pl.Int64);
  else if (kind === 'int2') expr = col.cast(pl.Int16);
  else if (kind === 'int4') expr = col.cast(pl.Int32);
  else if (kind === 'int8') expr = col.cast(pl.Int64);
  else if (kind === 'float4') expr = col.cast(pl.Float32);
  else if (kind === 'float8') expr = col.cast(pl.Float64);
  else if (kind === 'bool') expr = col.cast(pl.Bool);
  else if (kind === 'jsonb') expr = jsonText(column);
  else if (kind === 'bytea') expr = col;
  else expr = col.cast(pl.Utf8); // text, numeric (as decimal text)
  return expr.alias(column.name);
}

/** The columns' wire expressions by layout (binary or CSV, and the columns with their types). */
const layoutExpressions = new Map<string, pl.Expr[]>();
const MAX_LAYOUTS = 64;

export function columnExpressions(columns: readonly FrameColumn[], binary: boolean): pl.Expr[] {
  const layout = `${binary}:${JSON.stringify(columns)}`;
  let expressions = layoutExpressions.get(layout);
  if (expressions === undefined) {
    expressions = wireExpressions(columns, binary, null);
    if (layoutExpressions.size >= MAX_LAYOUTS) layoutExpressions.delete(layoutExpressions.keys().next().value as string);
    layoutExpressions.set(layout, expressions);
  }
  return expressions;
}

/** A batch's wire expressions: its layout's columns, then the lineage columns the batch's frame carries. */
export function batchExpressions(columns: readonly FrameColumn[], wire: WireSpec): pl.Expr[] {
  const expressions = columnExpressions(columns, wire.binary);
  return wire.lineage ? [...expressions, pl.col(LINEAGE_COLUMNS.file), pl.col(LINEAGE_COLUMNS.version)] : expressions;
}
