export {
  COMPRESSIONS,
  type Compression,
  type CsvOptions,
  compressionOfKey,
  describeFormat,
  FILE_FORMATS,
  type FileFormat,
  formatOfKey,
  type OpenedFrame,
  openFrame,
  type ReadOptions,
  readOptionsFor,
  type SourceFormat,
} from './open-frame.ts';
export { checkFileSize, checkParquetEnvelope, checkParquetFooter, countParquetRows, type ParquetLimits, type ParquetObject } from './parquet-envelope.ts';
export type { FooterInfo } from './parquet-footer.ts';
export { compareDecoded, type DeclaredCounts, DecodedCounts, declaredCounts } from './parquet-schema.ts';
export { type ReadFile, type ReadLimits, readFailure, readFile, readWhole } from './read-file.ts';
export { relayRoot, sweepStaleTempDirs, tempRoots } from './temp-files.ts';
export { findInvalidUtf8, type Utf8Error } from './utf8.ts';
