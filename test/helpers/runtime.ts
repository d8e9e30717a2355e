/** A ferry runtime in the test process, on a test database and a given storage. */
import fs from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach } from 'node:test';
import { pino } from 'pino';
import { loadConfig, resolveConfig } from '../../src/config/index.ts';
import type { Pool } from '../../src/postgres/index.ts';
import type { ReaderOptions } from '../../src/readers/index.ts';
import { openRuntime, type Runtime } from '../../src/runtime.ts';
import { type RunSummary, runPipeline } from '../../src/worker/index.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { tempDir } from './fixtures.ts';

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
  /** Switches for the reader processes (e.g. rows per slice, to test rules across slices). */
  readonly readers?: ReaderOptions;
}

export async function openTestRuntime(options: TestRuntimeOptions): Promise<Runtime> {
  const env = { ...options.env, DATABASE_URL: options.databaseUrl, FERRY_STORAGE: options.storage };
  if (options.configSource !== undefined) {
    fs.mkdirSync(path.join(process.cwd(), '.ferry-test'), { recursive: true });
    const dir = fs.mkdtempSync(path.join(process.cwd(), '.ferry-test', 'config-'));
    const file = path.join(dir, 'ferry.config.ts');
    fs.writeFileSync(file, options.configSource);
    return openRuntime(await loadConfig({ cwd: dir, env: { ...process.env, ...env }, flags: { config: file } }), silentLog, readersOf(options));
  }
  const config = resolveConfig(options.raw ?? {}, { cwd: process.cwd(), env, flags: {}, configFile: null });
  return openRuntime(config, silentLog, readersOf(options));
}

function readersOf(options: TestRuntimeOptions): { readers?: { reader: ReaderOptions } } {
  return options.readers === undefined ? {} : { readers: { reader: options.readers } };
}

/** Runs the runtime's first pipeline once, as a manual run. */
export async function runOnce(runtime: Runtime): Promise<Extract<RunSummary, { status: 'completed' | 'failed' | 'interrupted' }>> {
  const pipeline = runtime.config.pipelines[0];
  if (pipeline === undefined) throw new Error('no pipeline');
  const summary = await runPipeline(runtime, { pipeline, trigger: 'manual' });
  if (summary.status === 'skipped' || summary.status === 'helped') throw new Error(`run not started: ${summary.status}`);
  return summary;
}

export interface TestRuntimeHandle {
  /** The test file's database. */
  readonly db: TestDatabase;
  /** This test's inbox (a fresh folder before each test; a test may point it elsewhere). */
  inbox: string;
  /** The runtime last opened, if any. */
  readonly runtime: Runtime | null;
  /** Opens a runtime on the database and the inbox (closing the previous one). */
  open(options: Omit<TestRuntimeOptions, 'databaseUrl' | 'storage'>): Promise<Runtime>;
}

/**
 * The set-up integration tests share: a database for the test file (dropped after it), an empty
 * ledger and a fresh inbox before each test, and runtimes opened on them, closed when replaced
 * and at the end.
 */
export function useTestRuntime(prefix = 'ferry-test-'): TestRuntimeHandle {
  let db: TestDatabase | null = null;
  let runtime: Runtime | null = null;
  let inbox = '';
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await runtime?.close();
    await db?.drop();
  });
  beforeEach(async () => {
    await (db as TestDatabase).pool.query('TRUNCATE ferry_files, ferry_runs RESTART IDENTITY CASCADE');
    inbox = tempDir(prefix);
  });
  return {
    get db() {
      if (db === null) throw new Error('the test database is made in before()');
      return db;
    },
    get inbox() {
      return inbox;
    },
    set inbox(folder: string) {
      inbox = folder;
    },
    get runtime() {
      return runtime;
    },
    async open(options) {
      await runtime?.close();
      runtime = null;
      runtime = await openTestRuntime({ ...options, databaseUrl: (db as TestDatabase).url, storage: inbox });
      return runtime;
    },
  };
}

/** A table's columns and their PostgreSQL types (information_schema's `data_type`). */
export async function columnTypes(pool: Pool, table: string): Promise<Record<string, string>> {
  const result = await pool.query('SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1', [table]);
  return Object.fromEntries(result.rows.map((row) => [row.column_name, row.data_type]));
}

/** A key's row in the ledger (its latest version): status, error and code. */
export async function ledgerRow(pool: Pool, key: string): Promise<{ status: string; error: string; error_code: string }> {
  return (await pool.query('SELECT status, error, error_code FROM ferry_files WHERE key = $1 ORDER BY id DESC LIMIT 1', [key])).rows[0];
}
