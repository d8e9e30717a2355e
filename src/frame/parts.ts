/** A file's parts: a large Parquet file loaded as it is is read in slices of rows; anything else is one part. */
import type pl from 'nodejs-polars';
import { bytesPerRow } from '../polars/index.ts';
import type { ReadFile } from './read-file.ts';

/** Rows per slice are chosen so that a slice holds about this much decoded data. */
const SLICE_BYTES = 16 * 2 ** 20;
/** The fewest rows in a slice. */
const MIN_SLICE_ROWS = 65_536;

/** A file's parts: slices of a plain Parquet file loaded as it is, else the whole frame. */
export async function partsOf(
  frame: pl.LazyDataFrame,
  read: ReadFile,
  transformed: boolean,
  sliceRows: number,
): Promise<{ parts: pl.LazyDataFrame[]; offsets: number[] }> {
  // A file no larger than the smallest slice is one part, without sampling its rows' size.
  const sliced = !transformed && read.footer !== null && (read.footer.rows > MIN_SLICE_ROWS || sliceRows > 0);
  return sliced && read.footer !== null ? slicesOf(frame, read.footer.rows, sliceRows) : { parts: [frame], offsets: [0] };
}

/**
 * A Parquet file loaded as it is (no transform) is read in slices of rows, one Polars query
 * after the other (see load/copy-stream.ts), so that memory stays bounded whatever the file's
 * size: Polars' streaming engine reads ahead of a sink that waits on PostgreSQL, and on a
 * 2 GiB file that read-ahead alone passed 1.5 GB. A transform sees the whole file in one query
 * (an aggregate over slices would be wrong), so for transformed files memory is Polars' own.
 */
async function slicesOf(frame: pl.LazyDataFrame, total: number, sliceRows: number): Promise<{ parts: pl.LazyDataFrame[]; offsets: number[] }> {
  const sample = await frame.head(4096).collect();
  const perRow = Math.max(8, bytesPerRow(sample) ?? 256);
  const rows = sliceRows > 0 ? sliceRows : Math.min(4_000_000, Math.max(MIN_SLICE_ROWS, Math.floor(SLICE_BYTES / perRow)));
  const parts: pl.LazyDataFrame[] = [];
  const offsets: number[] = [];
  for (let offset = 0; offset < total; offset += rows) {
    parts.push(frame.slice(offset, rows));
    offsets.push(offset);
  }
  return parts.length > 0 ? { parts, offsets } : { parts: [frame], offsets: [0] };
}
