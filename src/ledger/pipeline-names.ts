/**
 * The pipelines the ledger has rows of. A pipeline removed from the config keeps its file
 * versions and runs: `--pipeline` may still name it to read or act on them.
 */
import type { Pool } from '../postgres/index.ts';

/** Whether the ledger has a file version or a run of `pipeline`. */
export async function ledgerHasPipeline(pool: Pool, pipeline: string): Promise<boolean> {
  const result = await pool.query<{ found: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM ferry_files WHERE pipeline = $1) OR EXISTS (SELECT 1 FROM ferry_runs WHERE pipeline = $1) AS found`,
    [pipeline],
  );
  return result.rows[0]?.found === true;
}
