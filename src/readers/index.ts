export type { FileRef, OpenResult, PreviewResult } from './protocol.ts';
export { Reader, ReaderPool } from './reader-pool.ts';
export { usesReaders } from './uses-readers.ts';
