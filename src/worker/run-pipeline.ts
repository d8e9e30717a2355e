/**
 * One run of a pipeline: discover → claim → read → load + record, for every file version that
 * is due. The run holds the pipeline's run lock for its whole length, so runs never overlap.
 */
import type { Logger } from 'pino';
import type { ResolvedConfig, ResolvedPipeline } from '../config/index.ts';
import { errorMessage } from '../errors.ts';
import {
  claimNextFile,
  closeAbandonedRuns,
  finishRun,
  type RunCounts,
  type RunRecord,
  type RunTrigger,
  recordListingPage,
  startRun,
  tryLockPipeline,
} from '../ledger/index.ts';
import { sinkFor } from '../pipeline/index.ts';
import type { Pool } from '../postgres/index.ts';
import { type ObjectStore, sourceFilter } from '../storage/index.ts';
import { type FileOutcome, processFile } from './process-file.ts';

export interface RunContext {
  readonly pool: Pool;
  readonly store: ObjectStore;
  readonly config: ResolvedConfig;
  /** Identifies this process in the ledger (runs, leases). */
  readonly instance: string;
  readonly log: Logger;
  /** Aborted on shutdown: no new file is claimed, the in-flight ones finish. */
  readonly signal?: AbortSignal;
  /** Called after each file, for progress output. */
  readonly onFile?: (outcome: FileOutcome) => void;
}

export interface RunRequest {
  readonly pipeline: ResolvedPipeline;
  readonly trigger: RunTrigger;
  readonly scheduledFor?: Date | null;
}

export type RunSummary =
  | {
      readonly status: 'completed' | 'failed';
      readonly run: RunRecord;
      readonly counts: RunCounts;
      readonly error: string | null;
      readonly files: readonly FileOutcome[];
    }
  | { readonly status: 'skipped'; readonly run: null; readonly reason: string };

let claimSequence = 0;

export async function runPipeline(context: RunContext, request: RunRequest): Promise<RunSummary> {
  const { pool, store, config, instance } = context;
  const { pipeline } = request;
  const log = context.log.child({ pipeline: pipeline.name });
  const lock = await tryLockPipeline(pool, pipeline.name);
  if (lock === null) return { status: 'skipped', run: null, reason: `another run of pipeline ${pipeline.name} is in progress` };
  try {
    await closeAbandonedRuns(pool, pipeline.name);
    const run = await startRun(pool, { pipeline: pipeline.name, trigger: request.trigger, scheduledFor: request.scheduledFor ?? null, instance });
    if (run === null) return { status: 'skipped', run: null, reason: 'this tick was already run by another instance' };
    log.info({ run: run.id, trigger: request.trigger }, 'run started');

    const counts = { files_listed: 0, files_discovered: 0, files_processed: 0, files_failed: 0, files_retrying: 0, files_skipped: 0 };
    const files: FileOutcome[] = [];
    let error: string | null = null;
    try {
      await discover(context, pipeline, run, counts);
    } catch (thrown) {
      error = `listing ${store.location.kind === 'fs' ? store.location.root : 'the storage'} failed: ${errorMessage(thrown)}`;
      log.error({ run: run.id, error }, 'discovery failed');
    }
    if (error === null) {
      const sink = sinkFor(pipeline.sink);
      const worker = async () => {
        while (!context.signal?.aborted) {
          const owner = `${instance}#${++claimSequence}`;
          const file = await claimNextFile(pool, { pipeline: pipeline.name, owner, leaseMs: config.leaseMs, runId: run.id });
          if (file === null) return;
          const outcome = await processFile({ pool, store, sink, retry: config.retry, log }, file, owner, run);
          files.push(outcome);
          if (outcome.kind === 'processed') counts.files_processed++;
          else if (outcome.kind === 'quarantined') counts.files_failed++;
          else if (outcome.kind === 'retrying') counts.files_retrying++;
          else counts.files_skipped++;
          context.onFile?.(outcome);
        }
      };
      try {
        await Promise.all(Array.from({ length: config.concurrency }, worker));
      } catch (thrown) {
        error = `processing stopped: ${errorMessage(thrown)}`;
        log.error({ run: run.id, error }, 'run failed');
      }
    }
    const finished = await finishRun(pool, run.id, counts, error);
    log.info({ run: run.id, ...counts, error }, 'run finished');
    return { status: error === null ? 'completed' : 'failed', run: finished, counts, error, files };
  } finally {
    await lock.release();
  }
}

async function discover(
  context: RunContext,
  pipeline: ResolvedPipeline,
  run: RunRecord,
  counts: { files_listed: number; files_discovered: number; files_skipped: number },
) {
  const matches = sourceFilter(pipeline.source, new Date());
  for await (const page of context.store.list(pipeline.source.prefix)) {
    const wanted = page.filter((object) => {
      const verdict = matches(object);
      if (verdict === 'too-old') counts.files_skipped++;
      return verdict === 'match';
    });
    counts.files_listed += wanted.length;
    const recorded = await recordListingPage(context.pool, pipeline.name, run.id, wanted);
    counts.files_discovered += recorded.discovered;
    counts.files_skipped += wanted.length - recorded.discovered;
  }
}
