/**
 * The set-up that tests of ferry as a user runs it share: a database for the test file, a
 * project folder (package.json, a ferry.config.ts, an inbox with the files given), the
 * environment that points ferry at them, and ferry's commands and services run there — the
 * database made in before(), everything removed in after(), services stopped first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { after, before } from 'node:test';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { type CommandResult, type RunningFerry, runFerry, startFerry } from './ferry-process.ts';
import { projectDir } from './fixtures.ts';

/** A file for the inbox: its content, or a function that writes it at the path given. */
export type InboxFile = string | Buffer | ((file: string) => void);

export interface FerryProjectOptions {
  /** The folder's name starts with this. */
  readonly prefix?: string;
  /** ferry.config.ts's text; none: ferry's defaults. */
  readonly config?: string;
  /** Files in the inbox at the start, by name (folders in a name are made). */
  readonly files?: Readonly<Record<string, InboxFile>>;
  /** More environment for every command and service (after DATABASE_URL and FERRY_STORAGE). */
  readonly env?: Readonly<Record<string, string>>;
  /** Whether the test database is migrated before the tests (as `ferry` would at start). @default true */
  readonly migrate?: boolean;
}

export interface FerryProject {
  readonly db: TestDatabase;
  /** The project folder (ferry's working directory). */
  readonly dir: string;
  readonly inbox: string;
  /** The environment ferry is run with, with `extra` over it. */
  env(extra?: Readonly<Record<string, string | undefined>>): Record<string, string | undefined>;
  /** `ferry <args>` in the project; resolves when it exits. */
  run(args: readonly string[], options?: { env?: Readonly<Record<string, string | undefined>>; timeoutMs?: number }): Promise<CommandResult>;
  /** `ferry start` in the project, stopped (SIGKILL) after the tests if still running. */
  start(options?: { env?: Readonly<Record<string, string | undefined>>; timeoutMs?: number }): Promise<RunningFerry>;
  /** Lands a file whole: written aside, then renamed into the inbox (a half-written file would be a version of its own). */
  land(name: string, file: InboxFile): void;
  /** Rewrites ferry.config.ts. */
  writeConfig(text: string): void;
  /** The ledger's file versions, by key. */
  fileRows(): Promise<Record<string, unknown>[]>;
}

export function useFerryProject(options: FerryProjectOptions = {}): FerryProject {
  let db: TestDatabase | null = null;
  const dir = projectDir(options.prefix ?? 'project-');
  const inbox = path.join(dir, 'inbox');
  const services: RunningFerry[] = [];
  const write = (target: string, file: InboxFile) => {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (typeof file === 'function') file(target);
    else fs.writeFileSync(target, file);
  };
  // The folder and its files are made at once (a test's own before() may add to them); the database in before().
  fs.mkdirSync(inbox, { recursive: true });
  if (options.config !== undefined) fs.writeFileSync(path.join(dir, 'ferry.config.ts'), options.config);
  for (const [name, file] of Object.entries(options.files ?? {})) write(path.join(inbox, name), file);
  before(async () => {
    db = await createTestDatabase({ migrate: options.migrate !== false });
  });
  after(async () => {
    for (const service of services) await service.stop('SIGKILL').catch(() => {});
    await db?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const database = () => {
    if (db === null) throw new Error('the project is made in before()');
    return db;
  };
  const env = (extra: Readonly<Record<string, string | undefined>> = {}) => ({
    DATABASE_URL: database().url,
    FERRY_STORAGE: inbox,
    ...options.env,
    ...extra,
  });
  return {
    get db() {
      return database();
    },
    dir,
    inbox,
    env,
    run: (args, runOptions = {}) =>
      runFerry(args, { env: env(runOptions.env), cwd: dir, ...(runOptions.timeoutMs ? { timeoutMs: runOptions.timeoutMs } : {}) }),
    async start(startOptions = {}) {
      const service = await startFerry({ env: env(startOptions.env), cwd: dir, ...(startOptions.timeoutMs ? { timeoutMs: startOptions.timeoutMs } : {}) });
      services.push(service);
      return service;
    },
    land(name, file) {
      const aside = path.join(dir, `.landing-${path.basename(name)}`);
      write(aside, file);
      fs.mkdirSync(path.dirname(path.join(inbox, name)), { recursive: true });
      fs.renameSync(aside, path.join(inbox, name));
    },
    writeConfig(text) {
      fs.writeFileSync(path.join(dir, 'ferry.config.ts'), text);
    },
    async fileRows() {
      return (await database().pool.query('SELECT * FROM ferry_files ORDER BY key, id')).rows;
    },
  };
}
