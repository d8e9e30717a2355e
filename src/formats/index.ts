export { checkParquetEnvelope, countParquetRows, type ParquetLimits, type ParquetObject } from './parquet.ts';
