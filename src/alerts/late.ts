/**
 * Late and recovered: a pipeline is late when it has had no completed run within its
 * expectEvery. Each instance looks now and then; the change is recorded in
 * the ledger and its alert written in the same transaction, so whichever instance
 * notices first raises it, once.
 */

import { swallow } from '../errors/index.ts';
import { readPipelineLateness, recordPipelineLateness } from '../ledger/index.ts';
import type { Pool } from '../postgres/index.ts';
import { enqueueAlert, type OutboxSettings } from './outbox.ts';

export interface LatePipeline {
  readonly name: string;
  readonly expectEveryMs: number;
}

/** Looks at each pipeline once; returns the alerts written (late or recovered). */
export async function checkLateness(pool: Pool, settings: OutboxSettings, pipelines: readonly LatePipeline[]): Promise<number> {
  let raised = 0;
  for (const pipeline of pipelines) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { lastCompleted: last, late } = await readPipelineLateness(client, pipeline.name, pipeline.expectEveryMs);
      const at = await recordPipelineLateness(client, pipeline.name, late);
      if (at !== null) {
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
      await client.query('ROLLBACK').catch(swallow('rolling back a lateness check'));
      throw error;
    } finally {
      client.release();
    }
  }
  return raised;
}
