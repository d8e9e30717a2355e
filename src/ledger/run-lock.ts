/**
 * Runs of one pipeline never overlap, across all processes on the database: a run holds a
 * session-level advisory lock on its own connection. If the process dies, PostgreSQL ends the
 * session and the lock goes with it, so no lock outlives its holder.
 */
import { connectClient, type Pool, type PoolClient } from '../postgres/index.ts';

/** First key of ferry's advisory locks, so they do not collide with an application's own. */
const LOCK_NAMESPACE = 0x4665_7279; // "Fery"

export interface RunLock {
  release(): Promise<void>;
}

/** Takes the pipeline's run lock, or returns null at once if another run holds it. */
export async function tryLockPipeline(pool: Pool, pipeline: string): Promise<RunLock | null> {
  const client = await connectClient(pool);
  try {
    const result = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [LOCK_NAMESPACE, pipeline]);
    if (result.rows[0]?.locked !== true) {
      client.release();
      return null;
    }
  } catch (error) {
    client.release(error as Error);
    throw error;
  }
  return lockHandle(client, pipeline);
}

function lockHandle(client: PoolClient, pipeline: string): RunLock {
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      try {
        await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_NAMESPACE, pipeline]);
        client.release();
      } catch (error) {
        // The connection is gone, and the lock with it: discard the client.
        client.release(error as Error);
      }
    },
  };
}
