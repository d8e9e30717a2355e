/**
 * Late and recovered: a pipeline is late when it has had no completed run within its
 * expectEvery. Each instance looks now and then; the change is recorded in
 * ferry_pipeline_health and its alert written in the same transaction, so whichever instance
 * notices first raises it, once.
 */
import type pg from 'pg';
import { enqueueAlert, type OutboxSettings } from './outbox.ts';

export interface LatePipeline {
  readonly name: string;
  readonly expectEveryMs: number;
}

/** Looks at each pipeline once; returns the alerts written (late or recovered). */
export async function checkLateness(pool: pg.Pool, settings: OutboxSettings, pipelines: readonly LatePipeline[]): Promise<number> {
  let raised = 0;
  for (const pipeline of pipelines) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('INSERT INTO ferry_pipeline_health (pipeline) VALUES ($1) ON CONFLICT DO NOTHING', [pipeline.name]);
      // Judged by the database's clock, which every instance shares (theirs may differ).
      const runs = await client.query<{ last: Date | null; late: boolean }>(
        `SELECT max(finished_at) FILTER (WHERE status = 'completed') AS last,
                coalesce(coalesce(max(finished_at) FILTER (WHERE status = 'completed'), min(started_at)) < now() - make_interval(secs => $2::double precision / 1000), false) AS late
           FROM ferry_runs WHERE pipeline = $1`,
        [pipeline.name, pipeline.expectEveryMs],
      );
      const { last, late } = runs.rows[0] ?? { last: null, late: false };
      const changed = await client.query<{ changed_at: Date }>(
        'UPDATE ferry_pipeline_health SET late = $2, changed_at = now() WHERE pipeline = $1 AND late <> $2 RETURNING changed_at',
        [pipeline.name, late],
      );
      const at = changed.rows[0]?.changed_at;
      if (at !== undefined) {
        const event = late ? 'pipeline.late' : 'pipeline.recovered';
        const since = last === null ? 'no run has completed yet' : `the last completed run finished ${new Date(last).toISOString()}`;
        raised += await enqueueAlert(
          client,
          settings,
          {
            event,
            pipeline: pipeline.name,
            dedupKey: `${event}:${pipeline.name}:${at.getTime()}`,
            summary: late
              ? `${pipeline.name} is late: no completed run within ${Math.round(pipeline.expectEveryMs / 1000)} s (${since})`
              : `${pipeline.name} recovered: a run completed (${since})`,
          },
          { cooldown: false },
        );
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }
  return raised;
}
