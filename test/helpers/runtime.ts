/** A ferry runtime in the test process, on a test database and a given storage. */
import { pino } from 'pino';
import { resolveConfig } from '../../src/config/index.ts';
import { openRuntime, type Runtime } from '../../src/runtime.ts';
import { type RunSummary, runPipeline } from '../../src/worker/index.ts';

export const silentLog = pino({ level: 'silent' });

export interface TestRuntimeOptions {
  readonly databaseUrl: string;
  readonly storage: string;
  readonly env?: Record<string, string>;
  readonly raw?: unknown;
}

export async function openTestRuntime(options: TestRuntimeOptions): Promise<Runtime> {
  const env = { ...options.env, DATABASE_URL: options.databaseUrl, FERRY_STORAGE: options.storage };
  const config = resolveConfig(options.raw ?? {}, { cwd: process.cwd(), env, flags: {}, configFile: null });
  return openRuntime(config, silentLog);
}

/** Runs the runtime's first pipeline once, as a manual run. */
export async function runOnce(runtime: Runtime): Promise<Extract<RunSummary, { status: 'completed' | 'failed' }>> {
  const pipeline = runtime.config.pipelines[0];
  if (pipeline === undefined) throw new Error('no pipeline');
  const summary = await runPipeline(runtime, { pipeline, trigger: 'manual' });
  if (summary.status === 'skipped' || summary.status === 'helped') throw new Error(`run not started: ${summary.status}`);
  return summary;
}
