import type { SinkKind } from '../config/index.ts';
import { rowCountSink } from './row-count.ts';
import type { Sink } from './sink.ts';

export type { ReadResult, Sink } from './sink.ts';
export { rowCountSink };

const SINKS: Readonly<Record<SinkKind, Sink>> = { 'row-count': rowCountSink };

export function sinkFor(kind: SinkKind): Sink {
  return SINKS[kind];
}
