export { redactConnectionString, redactSecrets } from './connection-string.ts';
export { type EmbeddedDatabase, embeddedDatabaseInfo, isAlive, startEmbeddedDatabase } from './embedded.ts';
export { quoteIdentifier } from './identifiers.ts';
export { MIGRATIONS_DIR, type MigrationResult, migrate } from './migrate.ts';
export {
  assertDatabaseReachable,
  connectClient,
  createPool,
  inTransaction,
  isTransientDatabaseError,
  type Pool,
  type PoolClient,
  TYPE_PARSERS,
} from './pool.ts';
export {
  type ColumnDefinition,
  canonicalType,
  checkIdentifierLengths,
  createTableSql,
  type FrameColumn,
  postgresType,
} from './type-map.ts';
