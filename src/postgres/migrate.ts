/** Applies the numbered SQL files in `migrations/` with node-pg-migrate (which locks, so instances can start together). */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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
  // An up-to-date database costs one query: node-pg-migrate is loaded only when there is work.
  if (await upToDate(client)) return { applied: [] };
  const { runner } = await import('node-pg-migrate');
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

/** True when every migration file is recorded as run (the table missing: not up to date). */
async function upToDate(client: pg.Client | pg.PoolClient): Promise<boolean> {
  const files = fs
    .readdirSync(MIGRATIONS_DIR)
    .filter((name) => name.endsWith('.sql'))
    .map((name) => name.replace(/\.sql$/, ''));
  let recorded: Set<string>;
  try {
    recorded = new Set((await client.query<{ name: string }>('SELECT name FROM ferry_migrations')).rows.map((row) => row.name));
  } catch (error) {
    if ((error as { code?: string }).code === '42P01') return false; // no table yet
    throw error;
  }
  return files.every((name) => recorded.has(name));
}
