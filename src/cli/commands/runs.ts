/** `ferry runs`: runs of the pipelines, newest first. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { listRuns, RUN_STATUSES, type RunStatus } from '../../ledger/index.ts';
import { assertPipeline, globalFlags, positiveInteger, sinceOption, withRuntime } from '../context.ts';
import { printJson, printTable } from '../output.ts';

export function registerRuns(program: Command): void {
  program
    .command('runs')
    .description('runs of the pipelines, newest first, with what each did')
    .option('-p, --pipeline <name>', 'only this pipeline')
    .addOption(new Option('-s, --status <status>', 'only this status').choices(RUN_STATUSES))
    .option('--since <duration>', 'only runs started within this time (e.g. 1d, 6h)')
    .option('-n, --limit <n>', 'at most this many', positiveInteger, 20)
    .option('--json', 'print JSON')
    .option('--wide', 'print every value whole (a table otherwise fits the terminal)')
    .action(async (options: { pipeline?: string; status?: RunStatus; since?: string; limit: number; json?: boolean; wide?: boolean }) => {
      const since = sinceOption(options.since);
      await withRuntime(globalFlags(program), async ({ config, pool }) => {
        await assertPipeline(config, options.pipeline, pool);
        const runs = await listRuns(pool, { pipeline: options.pipeline, status: options.status, since, limit: options.limit });
        if (options.json) return printJson({ runs });
        printTable(
          runs.map((run) => ({
            ...run,
            took: run.finished_at === null ? 'running' : `${((run.finished_at.getTime() - run.started_at.getTime()) / 1000).toFixed(1)}s`,
            // The file counts, as the text summary of `ferry run` words them (--json has the fields' names).
            processed: run.files_processed,
            failed: run.files_failed,
            retrying: run.files_retrying,
            skipped: run.files_skipped,
            // Whether the run listed the store; a reconciliation says how many files the events had missed.
            listing: run.listing === 'reconcile' ? `reconcile: ${run.files_discovered} found` : (run.listing ?? 'none'),
          })),
          ['id', 'pipeline', 'trigger', 'status', 'started_at', 'took', 'listing', 'processed', 'failed', 'retrying', 'skipped', 'error'],
          { ...options, optional: ['trigger', 'listing', 'skipped', 'retrying', 'took'] },
        );
      });
    });
}
