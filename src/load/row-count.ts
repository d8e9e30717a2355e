/**
 * The demo's sink: one `etl_results` row per file version with its row count, stamped with the
 * run's time.
 */
import type { PoolClient } from '../postgres/index.ts';

export async function recordRowCount(client: PoolClient, runId: number, key: string, rows: number): Promise<void> {
  // The run's time from the database itself: a JavaScript Date would drop its microseconds.
  await client.query('INSERT INTO etl_results ("timestamp", file_name, row_count) SELECT started_at, $2, $3 FROM ferry_runs WHERE id = $1', [runId, key, rows]);
}
