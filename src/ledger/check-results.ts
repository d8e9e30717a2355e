/**
 * The ledger's check results: one row per (file version, rule), passes included, written in
 * the transaction that records the file's outcome (processed, or quarantined by a rule).
 */
import type { Pool, PoolClient } from '../postgres/index.ts';
import { storableText } from './storable-text.ts';

export interface CheckResultRecord {
  readonly rule_id: string;
  readonly rule: string;
  readonly action: string;
  readonly outcome: string;
  readonly failing: number;
  readonly total: number;
  readonly samples: unknown[];
  readonly detail: string | null;
}

/** What the ledger stores of a rule's result (the check stage's own type has the same fields). */
export interface CheckResultInput {
  readonly id: string;
  readonly rule: string;
  readonly action: string;
  readonly outcome: string;
  readonly failing: number;
  readonly total: number;
  readonly samples: readonly unknown[];
  readonly detail: string | null;
}

export async function recordCheckResults(client: Pool | PoolClient, fileId: number, pipeline: string, results: readonly CheckResultInput[]): Promise<void> {
  if (results.length === 0) return;
  await client.query(
    `INSERT INTO ferry_check_results (file_id, pipeline, rule_id, rule, action, outcome, failing, total, samples, detail)
     SELECT $1, $2, r.rule_id, r.rule, r.action, r.outcome, r.failing, r.total, r.samples, r.detail
       FROM jsonb_to_recordset($3::jsonb)
         AS r(rule_id text, rule text, action text, outcome text, failing bigint, total bigint, samples jsonb, detail text)
     ON CONFLICT (file_id, rule_id) DO UPDATE
        SET rule = EXCLUDED.rule, action = EXCLUDED.action, outcome = EXCLUDED.outcome, failing = EXCLUDED.failing,
            total = EXCLUDED.total, samples = EXCLUDED.samples, detail = EXCLUDED.detail, checked_at = now()`,
    [
      fileId,
      pipeline,
      // jsonb refuses \u0000 in strings: sample values from the data are stored with it spelled out.
      JSON.stringify(
        results.map((result) => ({
          rule_id: result.id,
          rule: result.rule,
          action: result.action,
          outcome: result.outcome,
          failing: result.failing,
          total: result.total,
          samples: result.samples,
          detail: result.detail,
        })),
        (_key, value: unknown) => (typeof value === 'string' ? storableText(value) : value),
      ),
    ],
  );
}

export async function listCheckResults(pool: Pool, fileId: number): Promise<CheckResultRecord[]> {
  const result = await pool.query<CheckResultRecord>(
    `SELECT rule_id, rule, action, outcome, failing, total, samples, detail FROM ferry_check_results WHERE file_id = $1 ORDER BY rule_id`,
    [fileId],
  );
  return result.rows;
}
