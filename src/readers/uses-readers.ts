/**
 * Whether a pipeline's files go through reader processes: table loads, checks, and counts of
 * formats without a footer. Only a plain Parquet row count (its footer read in JavaScript)
 * needs none. Without `source.format` the glob says which format to expect; the worker decides
 * per file (by its extension) which path it takes.
 */
import type { ResolvedPipeline } from '../config/index.ts';

export function usesReaders(pipeline: ResolvedPipeline): boolean {
  if (pipeline.sink.kind === 'table' || pipeline.checks.length > 0) return true;
  const format = pipeline.source.format;
  return format !== null ? format !== 'parquet' : !/\.(parquet|pq)$/i.test(pipeline.source.glob);
}
