/**
 * Values Polars reads from Parquet in a form other than the file's, put right (or found out)
 * with Polars expressions, so that they work in lazy scans, slices and batches alike.
 */
import pl from 'nodejs-polars';

/**
 * A Float16 column (FIXED_LEN_BYTE_ARRAY(2) with the FLOAT16 logical type), which Polars reads
 * as its raw bytes, decoded to Float32 (every half-precision value is exact in it): the two
 * bytes little-endian, then sign, exponent and fraction as IEEE 754 defines them.
 */
export function float16Decoded(column: string): pl.Expr {
  const bytes = pl.col(column).cast(pl.List(pl.UInt8));
  const bits = bytes.lst.get(0).cast(pl.Int32).add(bytes.lst.get(1).cast(pl.Int32).mul(256));
  const negative = bits.div(32768).floor().gt(0);
  const exponent = bits.div(1024).floor().modulo(32);
  const fraction = bits.modulo(1024).cast(pl.Float64).div(1024);
  // 2^(e-15) as e^((e-15)·ln 2): nodejs-polars' pow takes only a number; Float32 rounds away the error.
  const scale = exponent.sub(15).cast(pl.Float64).mul(Math.LN2).exp();
  const magnitude = pl
    .when(exponent.eq(0))
    .then(fraction.mul(2 ** -14))
    .when(exponent.eq(31))
    .then(pl.when(fraction.eq(0)).then(pl.lit(Number.POSITIVE_INFINITY)).otherwise(pl.lit(Number.NaN)))
    .otherwise(fraction.add(1).mul(scale));
  return pl.when(negative).then(magnitude.mul(-1)).otherwise(magnitude).cast(pl.Float32).alias(column);
}

/** Nanosecond timestamps at the int64 extremes: what Polars makes of INT96 values past 2262 (or before 1677). */
const SATURATED = 9.2e18;

/**
 * The INT96 columns of `frame` holding a value Polars saturated (out of the nanosecond range):
 * their names, from one query over those columns only.
 */
export async function saturatedTimestamps(frame: pl.LazyDataFrame, columns: readonly string[]): Promise<string[]> {
  if (columns.length === 0) return [];
  const extremes = (
    await frame
      .select(
        ...columns.flatMap((name, index) => [pl.col(name).cast(pl.Int64).max().alias(`max${index}`), pl.col(name).cast(pl.Int64).min().alias(`min${index}`)]),
      )
      .collect()
  ).toRecords()[0] as Record<string, number | bigint | null>;
  return columns.filter(
    (_, index) => Math.abs(Number(extremes[`max${index}`] ?? 0)) >= SATURATED || Math.abs(Number(extremes[`min${index}`] ?? 0)) >= SATURATED,
  );
}

/**
 * The level entries a list column's leaf holds as decoded: one per element, and one for a
 * null or empty list (as Parquet counts a leaf's values), summed over the column.
 */
export async function listLevelEntries(frame: pl.LazyDataFrame, columns: readonly string[]): Promise<number[]> {
  if (columns.length === 0) return [];
  const entries = (
    await frame
      .select(
        ...columns.map((name, index) => {
          const length = pl.col(name).lst.lengths().fillNull(0);
          return pl.when(length.gt(0)).then(length).otherwise(pl.lit(1)).cast(pl.Int64).sum().alias(`e${index}`);
        }),
      )
      .collect()
  ).toRecords()[0] as Record<string, number | bigint | null>;
  return columns.map((_, index) => Number(entries[`e${index}`] ?? 0));
}
