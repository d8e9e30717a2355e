/**
 * The reader processes' side: everything Polars does to a file — read → cast → transform →
 * check → rows for COPY — behind the reader API (readers/protocol.ts). Only reader processes
 * load this folder (their entry point is reader-process.ts); the service never does, so a
 * file that crashes Polars costs a reader, not ferry.
 */
export { type CastedPart, castExpressions, castRows, castsFor } from './cast-rows.ts';
export { type CheckedRows, checkRows, FileRuleState, failureExpression } from './check-frame.ts';
export { type CsvReading, type OpenedFrame, openFrame } from './open-frame.ts';
export { FramePipeline } from './pipeline.ts';
export { type ReadFile, type ReadLimits, readFailure, readFile, readWhole } from './read-file.ts';
export { binaryExpression, copyExpression, jsonText, wireExpressions } from './wire-expressions.ts';
