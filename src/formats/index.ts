export { type CsvOptions, FILE_FORMATS, type FileFormat, formatOfKey, scanFrame } from './frame-reader.ts';
export { checkFileSize, checkParquetEnvelope, countParquetRows, type ParquetLimits, type ParquetObject } from './parquet.ts';
