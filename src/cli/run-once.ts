/** `ferry run --once`: every pipeline (or one) runs now; prints a summary; exit 0 when all runs completed. */
import { drainAlerts } from '../alerts/index.ts';
import type { ResolvedConfig } from '../config/index.ts';
import type { Logger } from '../logger.ts';
import { openRuntime } from '../runtime.ts';
import { type FileOutcome, type RunSummary, runPipeline } from '../worker/index.ts';
import { noSuchPipeline } from './context.ts';
import { formatCount, printJson, printLine } from './output.ts';
import type { ProgressLine } from './progress.ts';

/** How long a manual run waits for a run of the same pipeline (the service's) to finish. */
const LOCK_WAIT_MS = 120_000;

/**
 * Runs the pipelines once. `signal` (Ctrl-C) stops it early: no new file is claimed, the
 * loads in hand are stopped and rolled back, their leases are given back, and it returns 130
 * (the command then exits with 128 + the signal's number).
 */
/** How long `run --once` waits for the run's alerts to be delivered before it exits. */
const ALERT_DRAIN_MS = 15_000;

export async function runOnce(
  config: ResolvedConfig,
  log: Logger,
  options: {
    pipeline?: string;
    json?: boolean;
    signal?: AbortSignal;
    /** The live progress line (in a terminal, without --json); the logger writes through it. */
    progress?: ProgressLine | null;
  },
): Promise<number> {
  const pipelines = options.pipeline === undefined ? config.pipelines : config.pipelines.filter((p) => p.name === options.pipeline);
  if (pipelines.length === 0) throw noSuchPipeline(config, options.pipeline ?? '');
  const runtime = await openRuntime(config, log, { warmReaders: true });
  const signal = options.signal;
  const interrupt = () => void runtime.readers.close();
  signal?.addEventListener('abort', interrupt, { once: true });
  const progress = options.progress ?? null;
  const onFile = (outcome: FileOutcome) => progress?.fileEnded(outcome.key, `  ${describeOutcome(outcome)}`, outcome.kind === 'processed' ? outcome.rows : 0);
  const onFileStarted = (key: string) => progress?.fileStarted(key);
  const onFileRows = (key: string, rows: number) => progress?.fileRows(key, rows);
  const onDiscovered = (pipeline: string, due: number) => progress?.start(pipeline, due);
  const context = { ...runtime, onFile, onFileStarted, onDiscovered, signal, ...(progress ? { onFileRows } : {}) };
  const summaries: { pipeline: string; summary: RunSummary }[] = [];
  try {
    for (const pipeline of pipelines) {
      const started = Date.now();
      // A run of the pipeline in progress (the service's) is helped to its end; then this run starts.
      if (signal?.aborted) break;
      let summary = await runPipeline(context, { pipeline, trigger: 'manual' });
      while ((summary.status === 'skipped' || summary.status === 'helped') && Date.now() - started < LOCK_WAIT_MS && !signal?.aborted) {
        progress?.say(`waiting: ${summary.status === 'skipped' ? summary.reason : `helped run ${summary.run.id}`}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
        summary = await runPipeline(context, { pipeline, trigger: 'manual' });
      }
      summaries.push({ pipeline: pipeline.name, summary });
    }
    // The alerts this run wrote go out before the process ends (a cron-driven ferry has no
    // service to send them later); what does not go in time waits in the outbox for the next.
    if (!signal?.aborted) {
      await drainAlerts({ pool: runtime.pool, destinations: config.alerts, owner: runtime.instance, log }, ALERT_DRAIN_MS).catch((error: unknown) =>
        log.warn({ err: error }, 'alerts could not be sent now; they wait in the outbox'),
      );
    }
  } finally {
    progress?.stop();
    signal?.removeEventListener('abort', interrupt);
    await runtime.close();
  }
  if (signal?.aborted) {
    process.stderr.write('ferry: stopped; files not finished were rolled back and can be claimed by the next run at once\n');
    return 130;
  }

  const total = (
    field: 'files_discovered' | 'files_processed' | 'files_failed' | 'files_retrying' | 'files_skipped' | 'files_outside_window' | 'files_hidden',
  ) => summaries.reduce((sum, { summary }) => sum + ('counts' in summary ? summary.counts[field] : 0), 0);
  const rowsOf = (files: readonly FileOutcome[], field: 'rows' | 'rejected') =>
    files.reduce((sum, file) => sum + (file.kind === 'processed' ? file[field] : 0), 0);
  const processed = summaries.flatMap(({ summary }) => (summary.status === 'skipped' ? [] : summary.files));
  const ok = summaries.every(({ summary }) => summary.status === 'completed');
  const report = {
    status: ok ? 'completed' : 'failed',
    files_discovered: total('files_discovered'),
    files_processed: total('files_processed'),
    files_failed: total('files_failed'),
    files_retrying: total('files_retrying'),
    files_skipped: total('files_skipped'),
    files_outside_window: total('files_outside_window'),
    files_hidden: total('files_hidden'),
    // The rows of the files this process loaded (another process's share of a run it helped is not here).
    rows_loaded: rowsOf(processed, 'rows'),
    rows_rejected: rowsOf(processed, 'rejected'),
    runs: summaries.map(({ pipeline, summary }) =>
      'counts' in summary
        ? {
            pipeline,
            run_id: summary.run.id,
            status: summary.status,
            ...summary.counts,
            listing: summary.run.listing,
            rows_loaded: rowsOf(summary.files, 'rows'),
            rows_rejected: rowsOf(summary.files, 'rejected'),
            error: summary.error,
          }
        : { pipeline, status: 'skipped', reason: summary.status === 'skipped' ? summary.reason : `another run (${summary.run.id}) kept the pipeline busy` },
    ),
    failures: summaries.flatMap(({ summary }) =>
      summary.status === 'skipped'
        ? []
        : summary.files.flatMap((file) =>
            file.kind === 'quarantined' || file.kind === 'retrying'
              ? [{ file: file.key, step: file.step, code: file.code, error: file.error, will_retry: file.kind === 'retrying' }]
              : [],
          ),
    ),
  };
  if (options.json) printJson(report);
  else {
    for (const run of report.runs) {
      if (run.status === 'skipped') printLine(`${run.pipeline}: skipped (${'reason' in run ? run.reason : ''})`);
      else if ('files_processed' in run) {
        printLine(
          `${run.pipeline}: run ${run.run_id} ${run.status}: ${formatCount(run.files_processed)} processed (${formatCount(run.rows_loaded)} rows loaded, ${formatCount(run.rows_rejected)} rejected), ${formatCount(run.files_failed)} failed, ${formatCount(run.files_retrying)} to retry, ${formatCount(run.files_skipped)} already done${run.files_outside_window > 0 ? `; ${run.files_outside_window} not loaded: modified before the time window (source.modifiedWithin, FERRY_WINDOW)` : ''}${run.files_hidden > 0 ? `; ${run.files_hidden} hidden (a name starting with "."), not loaded (source.includeHidden loads them)` : ''}${run.listing === 'reconcile' ? `; reconciliation: ${formatCount(run.files_discovered)} new the events had not recorded` : ''}${run.error ? ` (${run.error})` : ''}`,
        );
      }
    }
    for (const failure of report.failures)
      printLine(`  ${failure.will_retry ? 'will retry' : 'quarantined'} ${failure.file} at ${failure.step} (${failure.code}): ${failure.error}`);
  }
  return ok ? 0 : 1;
}

function describeOutcome(outcome: FileOutcome): string {
  switch (outcome.kind) {
    case 'processed': {
      const checks = [
        outcome.rejected > 0 ? `${formatCount(outcome.rejected)} rejected` : '',
        outcome.warnings > 0 ? `${outcome.warnings} rules warned` : '',
      ].filter(Boolean);
      return `ok      ${outcome.key} (${formatCount(outcome.rows)} rows${checks.length > 0 ? `; ${checks.join(', ')}` : ''})`;
    }
    case 'quarantined':
      return `failed  ${outcome.key}: ${outcome.error} (${outcome.code}, quarantined)`;
    case 'retrying':
      return `retry   ${outcome.key}: ${outcome.error} (${outcome.code})`;
    case 'superseded':
      return `skipped ${outcome.key}: ${outcome.reason}`;
    case 'lease-lost':
      return `skipped ${outcome.key}: taken over by another worker`;
    case 'interrupted':
      return `stopped ${outcome.key}: interrupted, rolled back`;
  }
}
