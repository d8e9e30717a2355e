/** The /status document (also `ferry status`): the demo's fields first, then per-pipeline detail. */
import type { ResolvedPipeline } from '../config/index.ts';
import { emptyFileCounts, isLate, readLedgerStatus } from '../ledger/index.ts';
import type { Pool } from '../postgres/index.ts';

export interface StatusReportInput {
  readonly pool: Pool;
  readonly pipelines: readonly ResolvedPipeline[];
  /** Null when nothing is scheduled in this process (the CLI). */
  readonly nextRun: ((pipeline: string) => Date | null) | null;
  readonly serviceStatus: string;
}

export async function buildStatusReport(input: StatusReportInput) {
  const ledger = await readLedgerStatus(input.pool);
  return {
    service_status: input.serviceStatus,
    last_run: ledger.lastRun,
    total_files_processed: ledger.totalFilesProcessed,
    pipelines: input.pipelines.map((pipeline) => {
      const lastRun = ledger.lastRunByPipeline.get(pipeline.name);
      const lastSuccess = ledger.lastSuccessByPipeline.get(pipeline.name) ?? null;
      return {
        name: pipeline.name,
        schedule: pipeline.schedule.text,
        next_run: input.nextRun?.(pipeline.name) ?? null,
        last_success_at: lastSuccess,
        expect_every_ms: pipeline.expectEveryMs,
        late: isLate(lastSuccess, ledger.firstRunByPipeline.get(pipeline.name) ?? null, pipeline.expectEveryMs),
        last_run:
          lastRun === undefined
            ? null
            : {
                id: lastRun.id,
                status: lastRun.status,
                trigger: lastRun.trigger,
                started_at: lastRun.started_at,
                finished_at: lastRun.finished_at,
                files_discovered: lastRun.files_discovered,
                files_processed: lastRun.files_processed,
                files_failed: lastRun.files_failed,
                files_retrying: lastRun.files_retrying,
                files_skipped: lastRun.files_skipped,
                files_outside_window: lastRun.files_outside_window,
                files_hidden: lastRun.files_hidden,
                error: lastRun.error,
              },
        files: ledger.filesByPipeline.get(pipeline.name) ?? emptyFileCounts(),
        /** Claimed and being worked on now (pending in `files`, with a live lease). */
        in_progress: ledger.inProgressByPipeline.get(pipeline.name) ?? [],
      };
    }),
    recent_results: ledger.recentResults,
  };
}

export type StatusReport = Awaited<ReturnType<typeof buildStatusReport>>;
