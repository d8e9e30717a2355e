/** Applies the numbered SQL files in `migrations/` with node-pg-migrate (which locks, so instances can start together). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type pg from 'pg';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

export interface MigrationResult {
  readonly applied: readonly string[];
}

/** Key of the advisory lock that serialises migrations ("Fery", "mig"). */
const MIGRATION_LOCK = [0x4665_7279, 0x6d69_67] as const;

/**
 * Applies pending migrations. Instances that start together wait for each other here:
 * node-pg-migrate's own lock fails at once when taken, so ferry holds a blocking lock around it.
 */
export async function migrate(client: pg.Client | pg.PoolClient): Promise<MigrationResult> {
  await client.query('SELECT pg_advisory_lock($1, $2)', [...MIGRATION_LOCK]);
  try {
    const applied = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      direction: 'up',
      migrationsTable: 'ferry_migrations',
      checkOrder: true,
      noLock: true,
      log: () => {},
      logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    });
    return { applied: applied.map((migration) => migration.name) };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1, $2)', [...MIGRATION_LOCK]);
  }
}
