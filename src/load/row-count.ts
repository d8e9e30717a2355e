/**
 * The demo's sink: one `etl_results` row per file version with its row count, stamped with the
 * run's time.
 */
import type { PoolClient } from '../postgres/index.ts';

export async function recordRowCount(client: PoolClient, runId: number, key: string, rows: number): Promise<void> {
  // The run's time from the database itself: a JavaScript Date would drop its microseconds.
  await client.query('INSERT INTO etl_results ("timestamp", file_name, row_count) SELECT started_at, $2, $3 FROM ferry_runs WHERE id = $1', [runId, key, rows]);
}

/** One `etl_results` row for each of a batch's files (one statement). */
export async function recordRowCounts(client: PoolClient, runId: number, counts: readonly { readonly key: string; readonly rows: number }[]): Promise<void> {
  await client.query(
    `INSERT INTO etl_results ("timestamp", file_name, row_count)
     SELECT r.started_at, c.key, c.rows FROM ferry_runs r, unnest($2::text[], $3::bigint[]) WITH ORDINALITY AS c(key, rows, n) WHERE r.id = $1 ORDER BY c.n`,
    [runId, counts.map((count) => count.key), counts.map((count) => count.rows)],
  );
}
