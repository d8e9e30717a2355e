export { countParquetRows } from './parquet.ts';
