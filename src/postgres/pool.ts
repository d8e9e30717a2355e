/** The connection pool, and the one place that turns connection failures into clear errors. */
import pg from 'pg';
import { databaseErrorCode, errorEntry, FerryError } from '../errors/index.ts';
import { redactConnectionString } from './connection-string.ts';

/**
 * The type parsers of ferry's own connections: pg's defaults, except that BIGINT (int8) and
 * COUNT(*) come back as JS numbers (ferry's counts and row counts stay far below 2^53). They
 * are set on each pool, not on pg's global `pg.types`: importing ferry as a library must not
 * change how the importer's own `pg` clients parse.
 */
export const TYPE_PARSERS: pg.CustomTypesConfig = (() => {
  const overrides = new pg.TypeOverrides();
  overrides.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
  return overrides;
})();

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export function createPool(connectionString: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 10_000, application_name: 'ferry', types: TYPE_PARSERS });
  // An idle client that loses its server emits here; without a listener the process would crash.
  pool.on('error', () => {});
  return pool;
}

/** Fails with DATABASE_UNREACHABLE (naming the server, never the password) unless the server answers. */
export async function assertDatabaseReachable(pool: pg.Pool, connectionString: string): Promise<void> {
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    throw new FerryError(
      'DATABASE_UNREACHABLE',
      `database ${redactConnectionString(connectionString)} is unreachable: ${(error as Error).message || (error as { code?: string }).code}`,
      { cause: error },
    );
  }
}

/**
 * Checks out a client that does not crash the process when its connection dies: a checked-out
 * client emits 'error' on the server going away, and an 'error' event with no listener is
 * thrown. The failure reaches the caller through its next query instead.
 */
export async function connectClient(pool: pg.Pool): Promise<pg.PoolClient> {
  const client = await pool.connect();
  if (client.listenerCount('error') === 0) client.on('error', () => {});
  return client;
}

/** Runs `work` in a transaction; rolls back on any error. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await connectClient(pool);
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    // A client whose connection failed is discarded, not returned to the pool.
    client.release(broken);
  }
}

/** True when the same work can succeed later: connection loss, shutdown, serialization failure, deadlock (the error table decides). */
export function isTransientDatabaseError(error: unknown): boolean {
  return errorEntry(databaseErrorCode(error, 'INTERNAL')).outcome === 'retry';
}
