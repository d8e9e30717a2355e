/**
 * The resources every command needs, opened in order and closed in reverse: the database
 * (embedded unless DATABASE_URL is set), migrations, the pool, the object store and the pool
 * of reader processes. Closing stops the readers first (loads in hand roll back), then gives
 * back the leases this process still holds, so the next run can claim those files at once.
 */

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import type { Logger } from 'pino';
import type { ResolvedConfig } from './config/index.ts';
import { FerryError, onSwallowed } from './errors/index.ts';
import { sweepStaleTempDirs, tempRoots } from './formats/index.ts';
import { releaseLeases } from './ledger/index.ts';
import {
  assertDatabaseReachable,
  connectClient,
  createPool,
  type EmbeddedDatabase,
  migrate,
  type Pool,
  redactConnectionString,
  startEmbeddedDatabase,
} from './postgres/index.ts';
import { ReaderPool, type ReaderPoolOptions, readerFootprintOf, readerLimitsOf, takePrestartedReaders, usesReaders } from './readers/index.ts';
import { describeStorage, type ObjectStore, openObjectStore, storeAnswered } from './storage/index.ts';

export interface Runtime {
  readonly config: ResolvedConfig;
  readonly pool: Pool;
  readonly store: ObjectStore;
  /** The reader processes (started on first use). */
  readonly readers: ReaderPool;
  /** This process in the ledger: host, pid and a random suffix. */
  readonly instance: string;
  readonly log: Logger;
  /** Where the database is, without its password. */
  readonly databaseDescription: string;
  /** The connection string, password included (for `ferry db psql`; never logged). */
  readonly connectionString: string;
  close(): Promise<void>;
}

export interface OpenRuntimeOptions {
  /** Apply migrations (every command but `migrate` itself, which reports them). @default true */
  readonly migrate?: boolean;
  /** Fail unless the store answers. @default true */
  readonly checkStorage?: boolean;
  /** Start the reader processes at once, while the database starts (commands that process files). @default false */
  readonly warmReaders?: boolean;
  /** Switches for the reader processes, passed in by tests. */
  readonly readers?: ReaderPoolOptions;
}

const STORAGE_CHECK_TIMEOUT_MS = 10_000;

/**
 * ferry keeps state (the embedded database, its lock) in a project's folder, and makes the
 * default inbox there: outside any project it creates nothing and says so — unless the
 * database and the storage are both given, when it needs no folder of its own.
 */
export function assertProject(config: ResolvedConfig): void {
  if (config.projectRoot === null && (config.databaseUrl === null || config.storageIsDefault)) {
    throw new FerryError(
      'CONFIG_INVALID',
      `no ferry project in ${config.origin.cwd} or any folder above it (no ferry.config.ts, no package.json): run \`npx --no-install ferry init\` to make one here, or run ferry from your project's folder; nothing was created`,
    );
  }
}

export async function openRuntime(config: ResolvedConfig, log: Logger, options: OpenRuntimeOptions = {}): Promise<Runtime> {
  assertProject(config);
  // A local storage folder that is missing or not a folder is a mistake in the config: said
  // before anything starts (and before OpenDAL, which would create it).
  if (options.checkStorage !== false) ensureLocalRoot(config);
  // Failures let pass on purpose (a lease renewal, a progress row) are still logged, rate-limited.
  onSwallowed((what, error, unlogged) => log.warn({ err: error, ...(unlogged > 0 ? { unlogged } : {}) }, `${what} failed; ferry goes on`));
  void Promise.all(tempRoots().map((root) => sweepStaleTempDirs(root))).then((counts) => {
    const removed = counts.reduce((sum, count) => sum + count, 0);
    if (removed > 0) log.info({ removed }, 'removed temp folders left by loads that were killed');
  });
  // One reader ahead of need (perhaps started before the config was loaded): the first file does
  // not wait for it; more start as workers need them (an idle reader holds about 120 MiB).
  const needsReaders = options.warmReaders === true && config.pipelines.some(usesReaders);
  let readers = options.readers === undefined ? takePrestartedReaders(config.origin) : null;
  if (readers !== null && !needsReaders) {
    await readers.close();
    readers = null;
  }
  readers ??= new ReaderPool(config.origin, options.readers);
  readers.setLimits(readerLimitsOf(config), (message) => log.warn(message));
  readers.setFootprint(readerFootprintOf(config));
  if (needsReaders) readers.warm(1);
  const releases: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const release of releases.reverse()) await release().catch((error: unknown) => log.warn({ err: error }, 'release failed'));
    releases.length = 0;
  };
  try {
    let connectionString = config.databaseUrl;
    if (connectionString === null) {
      const embedded: EmbeddedDatabase = await startEmbeddedDatabase(config.dataDir, (message) => log.info(message));
      if (embedded.owned) releases.push(() => embedded.stop());
      connectionString = embedded.connectionString;
    }
    const pool = createPool(connectionString, Math.max(10, config.concurrency * 2 + 4));
    releases.push(() => pool.end());
    await assertDatabaseReachable(pool, connectionString);
    if (options.migrate !== false) {
      const client = await connectClient(pool);
      try {
        const { applied } = await migrate(client);
        if (applied.length > 0) log.info({ applied }, 'migrations applied');
      } finally {
        client.release();
      }
    }

    const store = openObjectStore(config.storage, config.stores);
    if (options.checkStorage !== false) await checkStoreAnswers(store);

    const instance = `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
    releases.push(async () => {
      await readers.close();
      const released = await releaseLeases(pool, instance);
      if (released > 0) log.info({ released }, 'gave back the leases of files not finished');
    });

    return {
      config,
      pool,
      store,
      readers,
      instance,
      log,
      databaseDescription: config.databaseUrl === null ? `embedded PostgreSQL in ${config.dataDir}` : redactConnectionString(connectionString),
      connectionString,
      close,
    };
  } catch (error) {
    await readers.close(); // a reader started ahead of need
    await close();
    throw error;
  }
}

/**
 * The default inbox of a project is created when missing; a configured folder must exist and be
 * a folder (a typo should be an error, not an empty folder that is watched forever, nor a file
 * read as an empty inbox).
 */
export function ensureLocalRoot(config: ResolvedConfig): void {
  const location = config.storage;
  if (location.kind !== 'fs') return;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(location.root);
  } catch {
    if (config.storageIsDefault && config.projectRoot !== null) {
      fs.mkdirSync(location.root, { recursive: true });
      return;
    }
    throw new FerryError('CONFIG_INVALID', `storage ${location.root} does not exist (create the folder, or point FERRY_STORAGE/--storage at the inbox)`);
  }
  if (!stat.isDirectory())
    throw new FerryError('CONFIG_INVALID', `storage ${location.root} is not a folder (point FERRY_STORAGE/--storage at the inbox folder)`);
}

/**
 * Whether a storage error at start is the store's answer (a refused key, a missing container)
 * rather than no answer: both are tried again at start, but they are said differently.
 */
export function storageRefused(error: FerryError): boolean {
  return error.code === 'STORAGE_UNREACHABLE' && storeAnswered(error.cause);
}

export async function checkStoreAnswers(store: ObjectStore, timeoutMs = STORAGE_CHECK_TIMEOUT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      store.check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000}s`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    const message = (error as Error).message;
    // OpenDAL's text is long, with the cause at its end: the cause comes first (the whole text stays the cause).
    const cause = store.explain(error);
    // Missing or refused credentials look like network errors (the SDKs then ask the cloud's
    // metadata service): say what to set. Azure's refusals are read from their parsed code, not
    // from the whole text (whose request ids and dates hold any three digits, 403 among them).
    const credentials =
      store.location.kind === 's3' &&
      /credential|169\.254\.169\.254|metadata|InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied|PermissionDenied|403/i.test(message)
        ? ' — check the credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_REGION; AWS_ENDPOINT_URL for an S3-compatible store)'
        : store.location.kind === 'azblob' && /^(?:access denied|no credentials)/.test(cause)
          ? ' — check the credentials: set AZURE_STORAGE_ACCOUNT_NAME with AZURE_STORAGE_ACCOUNT_KEY or AZURE_STORAGE_SAS_TOKEN, or AZURE_STORAGE_CONNECTION_STRING'
          : '';
    // A store that answered with a refusal (a wrong key, no such container) is not unreachable:
    // it said why. Nor is one that ferry had no credentials to ask (that is said as it is).
    const answered = storeAnswered(error) || /^no credentials/.test(cause);
    throw new FerryError('STORAGE_UNREACHABLE', `storage ${describeStorage(store.location)}${answered ? ':' : ' is unreachable:'} ${cause}${credentials}`, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
}
