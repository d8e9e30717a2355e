/**
 * The demo's sink: one `etl_results` row per file version with its row count, stamped with the
 * run's time.
 */
import type { PoolClient } from '../postgres/index.ts';

/** One `etl_results` row for each file (one statement for a batch), stamped with the run's time from the database itself (a JavaScript Date would drop its microseconds). */
export async function recordRowCounts(client: PoolClient, runId: number, counts: readonly { readonly key: string; readonly rows: number }[]): Promise<void> {
  await client.query(
    `INSERT INTO etl_results ("timestamp", file_name, row_count)
     SELECT r.started_at, c.key, c.rows FROM ferry_runs r, unnest($2::text[], $3::bigint[]) WITH ORDINALITY AS c(key, rows, n) WHERE r.id = $1 ORDER BY c.n`,
    [runId, counts.map((count) => count.key), counts.map((count) => count.rows)],
  );
}
