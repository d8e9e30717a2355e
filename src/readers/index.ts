export type { BatchFileResult, FileRef, OpenResult, PreviewResult } from './protocol.ts';
export { type ReaderLimits, readerLimitsOf } from './reader-limits.ts';
export { discardPrestartedReaders, prestartReaders, Reader, ReaderPool, takePrestartedReaders } from './reader-pool.ts';
export { usesReaders } from './uses-readers.ts';
