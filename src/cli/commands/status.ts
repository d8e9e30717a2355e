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
        const { service, url } = await serviceStatus(serviceUrls(config));
        // The running service's own schedule and next run: it may have been started with another
        // schedule (FERRY_SCHEDULE, another config) than this command reads.
        const scheduled = url === null ? null : await serviceSchedules(url, config.readToken);
        const now = new Date();
        const nextRun = (name: string) => {
          const remote = scheduled?.get(name);
          if (remote !== undefined) return remote.nextRun;
          const pipeline = config.pipelines.find((p) => p.name === name);
          return url !== null && pipeline !== undefined ? nextFireTime(pipeline.schedule, now) : null;
        };
        const local = await buildStatusReport({ pool, pipelines: config.pipelines, nextRun, serviceStatus: service });
        const report = {
          ...local,
          pipelines: local.pipelines.map((p) => ({ ...p, schedule: scheduled?.get(p.name)?.schedule ?? p.schedule })),
        };
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
async function serviceStatus(urls: readonly string[]): Promise<{ service: string; url: string | null }> {
  let first: HealthAnswer | null = null;
  for (const url of urls) {
    const answer = await askHealth(url, { timeoutMs: 1_500 });
    if (answer.kind === 'ferry') return { service: `running at ${url}`, url };
    first ??= answer;
  }
  const base = urls[0] as string;
  return { service: first?.kind === 'other' ? `not running (something else answers at ${base})` : `not running (nothing answers at ${base})`, url: null };
}

/** Each pipeline's schedule and next run as the running service has them (its /status), or null when it does not say. */
async function serviceSchedules(base: string, token: string | null): Promise<Map<string, { schedule: string; nextRun: Date | null }> | null> {
  try {
    const response = await fetch(new URL('/status', base), {
      signal: AbortSignal.timeout(3_000),
      headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
    if (!response.ok) return null;
    const body = (await response.json()) as { pipelines?: { name?: unknown; schedule?: unknown; next_run?: unknown }[] };
    const entries = (body.pipelines ?? []).flatMap((p) =>
      typeof p.name === 'string' && typeof p.schedule === 'string'
        ? [[p.name, { schedule: p.schedule, nextRun: typeof p.next_run === 'string' ? new Date(p.next_run) : null }] as const]
        : [],
    );
    return new Map(entries);
  } catch {
    return null;
  }
}
