export { redactConnectionString, redactSecrets } from './connection-string.ts';
export { type EmbeddedDatabase, isAlive, startEmbeddedDatabase } from './embedded.ts';
export { quoteIdentifier } from './identifiers.ts';
export { MIGRATIONS_DIR, type MigrationResult, migrate } from './migrate.ts';
export { assertDatabaseReachable, connectClient, createPool, inTransaction, type Pool, type PoolClient } from './pool.ts';
export { checkIdentifierLengths, createTableSql, dtypeText, postgresType } from './type-map.ts';
