/** `ferry status`: what /status shows, and whether a service answers for this project. */
import type { Command } from 'commander';
import { FILE_STATUSES } from '../../ledger/index.ts';
import { nextFireTime } from '../../schedule/index.ts';
import { globalFlags, withRuntime } from '../context.ts';
import { printJson, printLine, printTable } from '../output.ts';
import { askHealth, type HealthAnswer, serviceUrls } from '../service-health.ts';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('the ledger in brief: what /status shows')
    .option('--json', 'print JSON')
    .option('--wide', 'print every value whole (a table otherwise fits the terminal)')
    .action((options: { json?: boolean; wide?: boolean }) =>
      withRuntime(globalFlags(program), async ({ config, pool }) => {
        const { buildStatusReport } = await import('../../http/index.ts');
        // Is a service running for this project? It answers /health at the address it recorded
        // in the project's state folder (another PORT), or at the config's.
        const service = await serviceStatus(serviceUrls(config));
        const now = new Date();
        const nextRun = (name: string) => {
          const pipeline = config.pipelines.find((p) => p.name === name);
          return service.startsWith('running') && pipeline !== undefined ? nextFireTime(pipeline.schedule, now) : null;
        };
        const report = await buildStatusReport({ pool, pipelines: config.pipelines, nextRun, serviceStatus: service });
        if (options.json) return printJson(report);
        printLine(`service: ${service}`);
        printLine(`last run: ${report.last_run?.toISOString() ?? 'never'}`);
        printLine(`file versions processed: ${report.total_files_processed}`);
        process.stdout.write('\n');
        printTable(
          report.pipelines.map((p) => ({
            pipeline: p.name,
            schedule: p.schedule,
            last_run: p.last_run?.status ?? '-',
            next_run: p.next_run ?? '-',
            in_progress: p.in_progress.length,
            ...p.files,
          })),
          ['pipeline', 'schedule', 'last_run', 'next_run', 'in_progress', ...FILE_STATUSES],
          options,
        );
      }),
    );
}

/** The first address where ferry answers, else what the first one said: a sentence for `service:`. */
async function serviceStatus(urls: readonly string[]): Promise<string> {
  let first: HealthAnswer | null = null;
  for (const url of urls) {
    const answer = await askHealth(url, { timeoutMs: 1_500 });
    if (answer.kind === 'ferry') return `running at ${url}`;
    first ??= answer;
  }
  const base = urls[0] as string;
  return first?.kind === 'other' ? `not running (something else answers at ${base})` : `not running (nothing answers at ${base})`;
}
