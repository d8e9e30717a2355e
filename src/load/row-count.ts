/**
 * The demo's sink: one `etl_results` row per file version with its row count, stamped with the
 * run's time.
 */
import { runStartedAt } from '../ledger/index.ts';
import type { PoolClient } from '../postgres/index.ts';

/** One `etl_results` row for each file (one statement for a batch), stamped with the run's start as the ledger has it (to the microsecond). */
export async function recordRowCounts(client: PoolClient, runId: number, counts: readonly { readonly key: string; readonly rows: number }[]): Promise<void> {
  const startedAt = await runStartedAt(client, runId);
  await client.query(
    `INSERT INTO etl_results ("timestamp", file_name, row_count)
     SELECT $1::timestamptz, c.key, c.rows FROM unnest($2::text[], $3::bigint[]) WITH ORDINALITY AS c(key, rows, n) ORDER BY c.n`,
    [startedAt, counts.map((count) => count.key), counts.map((count) => count.rows)],
  );
}
