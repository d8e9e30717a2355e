import type { ResolvedPipeline } from '../config/index.ts';
import { rowCountSink } from './row-count.ts';
import type { Sink } from './sink.ts';
import { tableSink } from './table-sink.ts';

export type { PreparedLoad, Sink } from './sink.ts';
export { applyTransform, formatFor, outputColumns, polarsError, qualifiedTableName, readOptionsFor, tableColumnsFor, tableSink } from './table-sink.ts';
export { rowCountSink };

export function sinkFor(pipeline: ResolvedPipeline): Sink {
  return pipeline.sink.kind === 'row-count' ? rowCountSink : tableSink(pipeline.sink);
}
