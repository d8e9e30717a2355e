/** A ferry runtime in the test process, on a test database and a given storage. */
import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig, resolveConfig } from '../../src/config/index.ts';
import { openRuntime, type Runtime } from '../../src/runtime.ts';
import { type RunSummary, runPipeline } from '../../src/worker/index.ts';

export const silentLog = pino({ level: 'silent' });

export interface TestRuntimeOptions {
  readonly databaseUrl: string;
  readonly storage: string;
  readonly env?: Record<string, string>;
  /** A config as data (no functions: reader processes receive it by message). */
  readonly raw?: unknown;
  /**
   * A config file's text, for configs with functions (transforms): written into the
   * repository's `.ferry-test/` so that its imports (`nodejs-polars`, `ferry`) resolve.
   */
  readonly configSource?: string;
}

export async function openTestRuntime(options: TestRuntimeOptions): Promise<Runtime> {
  const env = { ...options.env, DATABASE_URL: options.databaseUrl, FERRY_STORAGE: options.storage };
  if (options.configSource !== undefined) {
    fs.mkdirSync(path.join(process.cwd(), '.ferry-test'), { recursive: true });
    const dir = fs.mkdtempSync(path.join(process.cwd(), '.ferry-test', 'config-'));
    const file = path.join(dir, 'ferry.config.ts');
    fs.writeFileSync(file, options.configSource);
    return openRuntime(await loadConfig({ cwd: dir, env: { ...process.env, ...env }, flags: { config: file } }), silentLog);
  }
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
