export { readRecordBatches } from './arrow-stream.ts';
export { type CopyEncoding, type CopyParts, CopySideError, copyFrame } from './copy-stream.ts';
export { type FileIdentity, loadTable } from './load-table.ts';
export {
  BinaryEncoder,
  type BinaryKind,
  binaryKind,
  COPY_BINARY_HEADER,
  COPY_BINARY_TRAILER,
  encodeNumeric,
  POSTGRES_EPOCH_DAYS,
  POSTGRES_EPOCH_MICROS,
} from './pg-binary.ts';
export { recordRowCounts } from './row-count.ts';
export { addColumnSql, describeDrift, type TableDrift, tableColumnsFor, tableDrift } from './table-ddl.ts';
export { type TableColumn, tableColumns } from './table-introspector.ts';
export {
  LINEAGE_COLUMNS,
  type LoadResult,
  qualifiedRejectsName,
  qualifiedTableName,
  type RowSource,
  SCHEMA_DRIFT_POLICIES,
  type SchemaDriftPolicy,
  SINK_MODES,
  type SinkMode,
  type TableSink,
  type WireSpec,
} from './table-sink.ts';
