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
} from './frame-reader.ts';
export {
  checkFileSize,
  checkParquetEnvelope,
  checkParquetFooter,
  countParquetRows,
  isTransientStoreError,
  type ParquetLimits,
  type ParquetObject,
} from './parquet.ts';
export type { FooterInfo } from './parquet-footer.ts';
export { applyPolarsDefaults } from './polars-settings.ts';
export { findInvalidUtf8, type Utf8Error } from './utf8.ts';
