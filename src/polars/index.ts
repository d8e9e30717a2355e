export { bytesPerRow, type ColumnSchema, type CsvScanOptions, dataFrameColumns, dtypeText, frameColumns, outputColumns, scanCsv } from './frame-schema.ts';
export { lenientCast } from './lenient-cast.ts';
export { float16Decoded, listLevelEntries, saturatedTimestamps } from './parquet-fixes.ts';
export { type PolarsErrorContext, polarsErrorCode, polarsMessage } from './polars-errors.ts';
export { schemaDataType } from './schema-types.ts';
export { type InferredText, inferTextTypes, type TextInference } from './text-inference.ts';
