/**
 * Whether each pipeline is late (no completed run within its expectEvery), as last recorded by
 * any instance: the change is recorded in the caller's transaction, beside its alert, so that
 * whichever instance notices first raises it, once.
 */
import type { PoolClient } from '../postgres/index.ts';

/** What the runs say of a pipeline now, judged by the database's clock (which every instance shares). */
export interface PipelineLateness {
  /** When its last completed run finished, or null. */
  readonly lastCompleted: Date | null;
  readonly late: boolean;
}

export async function readPipelineLateness(client: PoolClient, pipeline: string, expectEveryMs: number): Promise<PipelineLateness> {
  const result = await client.query<{ last: Date | null; late: boolean }>(
    `SELECT max(finished_at) FILTER (WHERE status = 'completed') AS last,
            coalesce(coalesce(max(finished_at) FILTER (WHERE status = 'completed'), min(started_at)) < now() - make_interval(secs => $2::double precision / 1000), false) AS late
       FROM ferry_runs WHERE pipeline = $1`,
    [pipeline, expectEveryMs],
  );
  const row = result.rows[0];
  return { lastCompleted: row?.last ?? null, late: row?.late ?? false };
}

/**
 * Records the pipeline as late or not; returns when it changed, or null when it already was so
 * (the row is locked to the end of the caller's transaction: one instance records a change).
 */
export async function recordPipelineLateness(client: PoolClient, pipeline: string, late: boolean): Promise<Date | null> {
  await client.query('INSERT INTO ferry_pipeline_health (pipeline) VALUES ($1) ON CONFLICT DO NOTHING', [pipeline]);
  const changed = await client.query<{ changed_at: Date }>(
    'UPDATE ferry_pipeline_health SET late = $2, changed_at = now() WHERE pipeline = $1 AND late <> $2 RETURNING changed_at',
    [pipeline, late],
  );
  return changed.rows[0]?.changed_at ?? null;
}
