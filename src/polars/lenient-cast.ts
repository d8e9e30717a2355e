/**
 * A value cast to a `source.schema` type without failing the query: the result is null where
 * the value does not fit (a cast rule then counts, keeps aside or warns about those rows).
 * Polars' own non-strict cast is not enough: it truncates 2.5 to 2, cannot read booleans from
 * text, and reads dates and times from text only in one form. The forms read from text:
 * integers and decimals as Polars parses them; booleans true/false, t/f, yes/no, 1/0 in any
 * case; dates `YYYY-MM-DD`; timestamps `YYYY-MM-DD[T ]HH:MM[:SS[.fraction]]`, with `Z` or an
 * offset (`+02:00`) converted to UTC, and a date alone meaning midnight.
 */
import pl from 'nodejs-polars';
import { schemaDataType } from './schema-types.ts';

type NativeExpr = {
  strToDatetime(format: string, unit: string, zone: string | undefined, strict: boolean, exact: boolean, cache: boolean, ambiguous: unknown): NativeExpr;
  strToDate(format: string, strict: boolean, exact: boolean, cache: boolean): NativeExpr;
};
const native = (expr: pl.Expr) => (expr as unknown as { _expr: NativeExpr })._expr;
const wrap = (expr: NativeExpr) => (pl as unknown as { _Expr(expr: NativeExpr): pl.Expr })._Expr(expr);

const NAIVE_FORMATS = ['%Y-%m-%dT%H:%M:%S%.f', '%Y-%m-%d %H:%M:%S%.f', '%Y-%m-%dT%H:%M', '%Y-%m-%d %H:%M'];
const ZONED_FORMATS = ['%Y-%m-%dT%H:%M:%S%.f%#z', '%Y-%m-%d %H:%M:%S%.f%#z', '%Y-%m-%dT%H:%M%#z', '%Y-%m-%d %H:%M%#z'];
const TRUE = ['true', 't', 'yes', 'y', '1'];
const FALSE = ['false', 'f', 'no', 'n', '0'];

function isInteger(dtype: string): boolean {
  return /^U?Int(8|16|32|64)$/.test(dtype);
}
function isFloat(dtype: string): boolean {
  return /^Float(32|64)$/.test(dtype);
}
function isText(dtype: string): boolean {
  return dtype === 'String' || dtype === 'Utf8' || dtype === 'Utf8View';
}

/** The first of `values` that is not null (nodejs-polars has no coalesce). */
function firstNotNull(values: pl.Expr[]): pl.Expr {
  return values.reduceRight((rest, value) => pl.when(value.isNotNull()).then(value).otherwise(rest));
}

function textToDate(text: pl.Expr): pl.Expr {
  return wrap(native(text).strToDate('%Y-%m-%d', false, true, false));
}

function textToTimestamp(text: pl.Expr, zone: string | null): pl.Expr {
  const parse = (format: string, tz: string | undefined) => wrap(native(text).strToDatetime(format, 'us', tz, false, true, false, undefined));
  const zoned = ZONED_FORMATS.map((format) => parse(format, 'UTC'));
  const naive = NAIVE_FORMATS.map((format) => parse(format, zone ?? undefined));
  const midnight = textToDate(text).cast(zone === null ? pl.Datetime('us') : pl.Datetime('us', zone));
  if (zone === null) {
    // An offset given with a naive timestamp type: the UTC time, kept without a zone.
    return firstNotNull([...naive, ...zoned.map((value) => value.cast(pl.Datetime('us'))), midnight]);
  }
  return firstNotNull([...zoned, ...naive, midnight]);
}

/**
 * `column` (of Polars type `from`, as frameColumns gives it) as the `source.schema` type named
 * `typeName`; null where a non-null value does not fit.
 */
export function lenientCast(column: string, from: string, typeName: string): pl.Expr {
  const target = schemaDataType(typeName);
  const targetText = String(target);
  const value = pl.col(column);
  const text = () => value.cast(pl.Utf8).str.strip();
  if (/Utf8|String/.test(targetText)) return value.cast(pl.Utf8);
  if (/Bool/.test(targetText)) {
    if (!isText(from))
      return isInteger(from) || isFloat(from)
        ? pl.when(value.eq(1)).then(pl.lit(true)).when(value.eq(0)).then(pl.lit(false)).otherwise(pl.lit(null).cast(pl.Bool))
        : value.cast(pl.Bool, false);
    const lower = text().str.toLowerCase();
    return pl.when(lower.isIn(TRUE)).then(pl.lit(true)).when(lower.isIn(FALSE)).then(pl.lit(false)).otherwise(pl.lit(null).cast(pl.Bool));
  }
  if (/Int/.test(targetText)) {
    // A fraction does not fit an integer column: 2.5 is not 2.
    if (isFloat(from)) return pl.when(value.eq(value.floor())).then(value.cast(target, false)).otherwise(pl.lit(null).cast(target));
    if (isText(from)) {
      const parsed = text().cast(pl.Float64, false);
      return pl.when(parsed.eq(parsed.floor())).then(text().cast(target, false)).otherwise(pl.lit(null).cast(target));
    }
    return value.cast(target, false);
  }
  if (/Float/.test(targetText)) return (isText(from) ? text() : value).cast(target, false);
  if (/Datetime/.test(targetText)) {
    const zone = /UTC/.test(targetText) ? 'UTC' : null;
    return isText(from) ? textToTimestamp(text(), zone) : value.cast(target, false);
  }
  if (/Date/.test(targetText)) return isText(from) ? textToDate(text()) : value.cast(target, false);
  return value.cast(target, false);
}
