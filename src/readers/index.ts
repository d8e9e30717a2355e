/**
 * The pool of reader processes and the API they answer (protocol.ts): the service's side of
 * the process boundary. What a reader runs is in frame/; nothing here loads Polars.
 */
export { watchParent } from './parent-watch.ts';
export type {
  Counted,
  EachResult,
  FileRef,
  FileWritten,
  OpenFile,
  OpenResult,
  PreviewResult,
  ReaderApi,
  ReaderArgs,
  ReaderEnvelope,
  ReaderHandlers,
  ReaderMethod,
  ReaderOptions,
  ReaderReply,
  ReaderRequest,
  ReaderResult,
  SerializedError,
} from './protocol.ts';
export { serializeError } from './protocol.ts';
export { allocatorDefaults, type ReaderFootprint, readerFootprintOf, readerNodeFlags } from './reader-footprint.ts';
export { outOfMemory, type ReaderLimits, readerLimitsOf } from './reader-limits.ts';
export {
  deserializeError,
  discardPrestartedReaders,
  prestartReaders,
  Reader,
  ReaderPool,
  type ReaderPoolOptions,
  takePrestartedReaders,
} from './reader-pool.ts';
export { usesReaders } from './uses-readers.ts';
