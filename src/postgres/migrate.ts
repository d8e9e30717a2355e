/** Applies the numbered SQL files in `migrations/` with node-pg-migrate (which locks, so instances can start together). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type pg from 'pg';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

export interface MigrationResult {
  readonly applied: readonly string[];
}

export async function migrate(client: pg.Client | pg.PoolClient): Promise<MigrationResult> {
  const applied = await runner({
    dbClient: client,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'ferry_migrations',
    checkOrder: true,
    log: () => {},
    logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
  return { applied: applied.map((migration) => migration.name) };
}
