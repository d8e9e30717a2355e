/**
 * What a file is, read without Polars: its format and compression, a Parquet file's envelope,
 * footer and schema (what it declares, what ferry cannot read right), a CSV file's dialect,
 * JSON records rewritten as they stream, UTF-8 checks, and the temp folders copies go to. The
 * service uses it to decide a file's path (a Parquet row count from the footer); the reader
 * processes use it before and after Polars reads a file (see frame/).
 */
export { type CsvDialect, sniffCsvDialect } from './csv-dialect.ts';
export { JsonRecords } from './json-records.ts';
export { checkFileSize, checkParquetEnvelope, checkParquetFooter, countParquetRows, type ParquetLimits, type ParquetObject } from './parquet-envelope.ts';
export { type FooterInfo, readPageHeader } from './parquet-footer.ts';
export { gzipPagesReadable } from './parquet-pages.ts';
export {
  compareDecoded,
  type DeclaredCounts,
  DecodedCounts,
  declaredCounts,
  declaredLeafValues,
  type LegacyList,
  legacyRefusal,
  refuseUnreadableSchema,
  type SpecialColumns,
  specialColumns,
  unknownLogicalTypes,
} from './parquet-schema.ts';
export { isSchemaTypeName, SCHEMA_TYPE_NAMES, SCHEMA_TYPES, type SchemaTypeName } from './schema-types.ts';
export {
  COMPRESSIONS,
  type Compression,
  type CsvOptions,
  compressionOfKey,
  describeFormat,
  FILE_FORMATS,
  type FileFormat,
  formatExtension,
  formatOfKey,
  type ReadOptions,
  readOptionsFor,
  type SourceFormat,
} from './source-format.ts';
export { relayRoot, sweepStaleTempDirs, tempRoots } from './temp-files.ts';
export { findInvalidUtf8, type Utf8Error } from './utf8.ts';
