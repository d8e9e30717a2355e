/** `ferry runs`: runs of the pipelines, newest first. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { listRuns, RUN_STATUSES, type RunStatus } from '../../ledger/index.ts';
import { globalFlags, sinceOption, withRuntime } from '../context.ts';
import { printJson, printTable } from '../output.ts';

export function registerRuns(program: Command): void {
  program
    .command('runs')
    .description('runs of the pipelines, newest first, with what each did')
    .option('-p, --pipeline <name>', 'only this pipeline')
    .addOption(new Option('-s, --status <status>', 'only this status').choices(RUN_STATUSES))
    .option('--since <duration>', 'only runs started within this time (e.g. 1d, 6h)')
    .option('-n, --limit <n>', 'at most this many (default 20)', '20')
    .option('--json', 'print JSON')
    .action(async (options: { pipeline?: string; status?: RunStatus; since?: string; limit: string; json?: boolean }) => {
      const since = sinceOption(options.since);
      await withRuntime(globalFlags(program), async ({ pool }) => {
        const runs = await listRuns(pool, { pipeline: options.pipeline, status: options.status, since, limit: Number(options.limit) || 20 });
        if (options.json) return printJson({ runs });
        printTable(
          runs.map((run) => ({
            ...run,
            took: run.finished_at === null ? 'running' : `${((run.finished_at.getTime() - run.started_at.getTime()) / 1000).toFixed(1)}s`,
          })),
          ['id', 'pipeline', 'trigger', 'status', 'started_at', 'took', 'files_processed', 'files_failed', 'files_retrying', 'files_skipped', 'error'],
        );
      });
    });
}
