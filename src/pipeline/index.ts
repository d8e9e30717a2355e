import type { ResolvedPipeline } from '../config/index.ts';
import { rowCountSink } from './row-count.ts';
import type { Sink } from './sink.ts';
import { tableSink } from './table-sink.ts';

export type { ReadResult, Sink } from './sink.ts';
export { applyTransform, formatFor, qualifiedTableName, tableSink } from './table-sink.ts';
export { rowCountSink };

export function sinkFor(pipeline: ResolvedPipeline): Sink {
  return pipeline.sink.kind === 'row-count' ? rowCountSink : tableSink(pipeline.sink);
}
