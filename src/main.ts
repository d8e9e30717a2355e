/**
 * The service: wiring of config, database, store, scheduler and HTTP, and its orderly stop.
 * On SIGINT/SIGTERM it stops scheduling, lets the in-flight files finish (or rolls them back
 * when they take too long), closes HTTP and the database, and exits 0.
 */
import { checkLateness, startSender } from './alerts/index.ts';
import type { ResolvedConfig, ResolvedPipeline } from './config/index.ts';
import { configuredQueues, ignoredEventsWarner, type QueueConsumer, recordEvents, selectsKey, startQueueConsumer } from './discover/index.ts';
import { coerceError, errorMessage, FerryError, swallow } from './errors/index.ts';
import { buildHttpApp } from './http/index.ts';
import { acquireInstanceLock, type InstanceLock } from './instance-lock.ts';
import { pruneLedger } from './ledger/index.ts';
import type { Logger } from './logger.ts';
import { observeEvents, observeFile, observeQueueFailure } from './metrics/index.ts';
import { assertProject, openRuntime, type Runtime, storageRefused } from './runtime.ts';
import { type Scheduler, startScheduler } from './schedule/index.ts';
import { recordService } from './service-record.ts';
import { serviceUrl } from './service-url.ts';
import { describeStorage, watchFolder } from './storage/index.ts';
import { VERSION } from './version.ts';
import { checkPipelines, runPipeline } from './worker/index.ts';

/** How long a sender holds the alerts it claimed, at most. */
const ALERT_LEASE_MS = 30_000;

/** A stop must end within this, even if a file is still being read; its transaction then rolls back. */
const STOP_DEADLINE_MS = 8_000;
/** Retention runs this long after start, then every PRUNE_EVERY_MS. */
const PRUNE_FIRST_MS = 60_000;
const PRUNE_EVERY_MS = 3_600_000;

export interface Service {
  readonly runtime: Runtime;
  readonly url: string;
  stop(): Promise<void>;
}

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export interface StartServiceOptions {
  /** Aborted by a stop signal: a start still waiting for the database or the storage gives up (INTERRUPTED). */
  readonly signal?: AbortSignal;
}

/** The first wait after a failed start, doubled each time up to START_RETRY_MAX_MS. */
const START_RETRY_FIRST_MS = 1_000;
const START_RETRY_MAX_MS = 30_000;

/**
 * The service's resources. A database or storage that does not answer at start is waited for, as
 * the same outage later is (runs fail and the next tries again): one line per attempt says what
 * is down and when the next try is. A mistake in the config is not retried.
 */
async function openRuntimeRetrying(config: ResolvedConfig, log: Logger, signal: AbortSignal | undefined): Promise<Runtime> {
  for (let attempt = 1, waitMs = START_RETRY_FIRST_MS; ; attempt++, waitMs = Math.min(waitMs * 2, START_RETRY_MAX_MS)) {
    if (signal?.aborted) throw new FerryError('INTERRUPTED', 'stopped while starting');
    try {
      return await openRuntime(config, log, { warmReaders: true });
    } catch (thrown) {
      const error = coerceError(thrown);
      // The embedded server failing to start is not an outage to wait for (its reason is in the message).
      const outage = error.code === 'STORAGE_UNREACHABLE' || (error.code === 'DATABASE_UNREACHABLE' && config.databaseUrl !== null);
      if (!outage) throw error;
      // A store that answered with a refusal (a key not yet valid, a container not yet made) is
      // tried again too, but not called unreachable: the line says what it answered.
      const what = error.code === 'STORAGE_UNREACHABLE' ? (storageRefused(error) ? 'storage refused' : 'storage unreachable') : 'database unreachable';
      log.warn({ attempt, retryInMs: waitMs }, `${what} at start: ${error.message}; trying again in ${Math.round(waitMs / 1000)}s (Ctrl-C to stop)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

export async function startService(config: ResolvedConfig, log: Logger, options: StartServiceOptions = {}): Promise<Service> {
  // Safe by default: reachable from other machines, the API and dashboard would show every file
  // name, error and rejected value to anyone. Bound beyond loopback, a read token is required,
  // unless FERRY_PUBLIC_READ=true says the exposure is intended.
  if (!isLoopback(config.http.host) && config.readToken === null && !config.publicRead) {
    throw new FerryError(
      'CONFIG_INVALID',
      `HOST=${config.http.host} makes ferry reachable from other machines, and no read token is set: set FERRY_READ_TOKEN (the API and dashboard then ask for it), or FERRY_PUBLIC_READ=true if anyone who can reach the port may read the ledger`,
    );
  }
  assertProject(config); // before the lock, which would create the data folder
  let lock: InstanceLock | null = null;
  if (config.databaseUrl === null) lock = acquireInstanceLock(config.dataDir);
  let runtime: Runtime;
  try {
    runtime = await openRuntimeRetrying(config, log, options.signal);
  } catch (error) {
    lock?.release();
    throw error;
  }
  const shutdown = new AbortController();
  let scheduler: Scheduler<ResolvedPipeline> | null = null;
  /** Pipelines not scheduled because their transform does not fit their files. */
  const refused = new Set<string>();
  let stopping = false;
  let sender: ReturnType<typeof startSender> | undefined;

  /** What every run of this service gets: the stop signal, the alert sender's kick, the metrics. */
  const runContext = () => ({ ...runtime, signal: shutdown.signal, onAlerts: () => sender?.kick(), observe: observeFile });

  const runNow = async (pipelineName: string) => {
    const pipeline = config.pipelines.find((candidate) => candidate.name === pipelineName);
    if (pipeline === undefined || stopping) return { accepted: false, reason: stopping ? 'stopping' : 'no such pipeline' };
    if (refused.has(pipelineName)) return { accepted: false, reason: 'not scheduled: its transform does not fit its files (see the log, or ferry check)' };
    const summary = await runPipeline(runContext(), { pipeline, trigger: 'manual' }).catch((error: unknown) => {
      log.error({ err: error, pipeline: pipelineName }, 'manual run failed');
      return null;
    });
    if (summary === null) return { accepted: false, reason: 'the run failed to start' };
    return summary.status === 'skipped' ? { accepted: false, reason: summary.reason } : { accepted: true };
  };

  const app = buildHttpApp({
    config,
    pool: runtime.pool,
    store: runtime.store,
    version: VERSION,
    log,
    nextRun: (pipeline) => scheduler?.nextRun(pipeline) ?? null,
    runNow,
    // Only the retried files' pipelines run, recorded as a retry (not as new files seen).
    onRequeue: (pipelines) => scheduler?.requestRun('retry', (pipeline) => pipelines.includes(pipeline.name)),
    // Files recorded from object-created events: their pipelines run without listing the store.
    onEvents: (pipelines) => {
      if (!stopping) scheduler?.requestRun('event', (pipeline) => pipelines.includes(pipeline.name));
    },
    serviceStatus: () => (stopping ? 'stopping' : 'running'),
    readers: runtime.readers,
  });
  try {
    await app.listen({ host: config.http.host, port: config.http.port });
  } catch (error) {
    await runtime.close();
    lock?.release();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new FerryError(
        'ALREADY_RUNNING',
        `${config.http.host}:${config.http.port} is already in use (is ferry already running? set PORT to use another port)`,
      );
    }
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.http.port;
  const url = serviceUrl({ host: config.http.host, port });
  const { host } = config.http;
  // Where it listens, for `ferry status` and `ferry health` in the project (PORT=0 or another port).
  let unrecord = () => {};
  if (config.projectRoot !== null) {
    try {
      unrecord = recordService(config.dataDir, url);
    } catch (error) {
      log.warn({ err: error }, 'could not record the address in the project folder; ferry status finds the service only at the configured port');
    }
  }
  log.info(
    {
      url,
      // Where it listens, when that is not the address above (every interface: 0.0.0.0 or ::).
      ...(url.includes(host) ? {} : { listening: `${host.includes(':') ? `[${host}]` : host}:${port}` }),
      storage: describeStorage(config.storage),
      database: runtime.databaseDescription,
      pipelines: config.pipelines.map((p) => `${p.name} (${p.schedule.text})`),
    },
    'ferry started',
  );

  // A pipeline whose transform or checks do not fit its files (a column that is not there)
  // would quarantine every new file: it is tried on one file now, and not scheduled when its
  // transform fails or a rule cannot be evaluated, saying why.
  const tried = config.pipelines.filter((pipeline) => pipeline.transform.kind !== 'none' || pipeline.checks.length > 0);
  if (tried.length > 0) {
    for (const result of await checkPipelines(runtime, tried).catch(() => [])) {
      if (result.code !== 'TRANSFORM_FAILED' && result.code !== 'COLUMNS_INVALID' && result.code !== 'CHECK_FAILED') continue;
      refused.add(result.pipeline);
      log.error(
        { pipeline: result.pipeline, file: result.file, error: result.detail },
        'pipeline not scheduled: its transform or checks do not fit its files (fix it and restart; ferry check shows it)',
      );
    }
  }

  // Alerts: this instance delivers the outbox with the others, and looks for late pipelines.
  for (const line of config.alertsOff) log.warn(line);
  sender = startSender({
    pool: runtime.pool,
    destinations: config.alerts,
    owner: runtime.instance,
    log: log.child({ component: 'alerts' }),
    // An alert's delivery is leased for at most a file's lease: where leases are shortened so
    // that a dead instance's work is taken over soon, its alerts are too.
    leaseMs: Math.min(ALERT_LEASE_MS, config.leaseMs),
  });
  const scheduled = config.pipelines.filter((pipeline) => !refused.has(pipeline.name));
  // (Also without alert destinations: ferry_pipeline_late, and the Prometheus rule on it, need it.)
  const lateness = setInterval(
    () => {
      checkLateness(runtime.pool, { destinations: config.alerts, publicUrl: config.publicUrl }, scheduled)
        .then((raised) => {
          if (raised > 0) sender?.kick();
        })
        .catch((error: unknown) => log.warn({ err: error }, 'looking for late pipelines failed'));
    },
    Math.max(1_000, Math.min(30_000, ...scheduled.map((pipeline) => pipeline.expectEveryMs / 4))),
  );
  lateness.unref();

  // Retention: the ledger rows that can no longer matter go, a minute after start and every hour.
  const prune = () => {
    if (config.retentionMs === null) return;
    pruneLedger(runtime.pool, config.pipelines, config.retentionMs)
      .then((counts) => {
        if (Object.values(counts).some((count) => count > 0)) log.info(counts, 'ledger pruned (retention)');
      })
      .catch((error: unknown) => log.warn({ err: error }, 'pruning the ledger failed; it is tried again in an hour'));
  };
  const firstPrune = setTimeout(prune, PRUNE_FIRST_MS);
  firstPrune.unref();
  const pruning = setInterval(prune, PRUNE_EVERY_MS);
  pruning.unref();

  scheduler = startScheduler({
    pipelines: scheduled,
    onTick: async (pipeline, tick) => {
      try {
        const summary = await runPipeline(runContext(), { pipeline, ...tick });
        if (summary.status === 'skipped') log.info({ pipeline: pipeline.name, reason: summary.reason }, 'tick skipped');
      } catch (error) {
        // The database or store failed outside any one file; /health shows it and the next tick tries again.
        log.error({ err: error, pipeline: pipeline.name }, 'run could not complete');
      }
    },
  });

  // Events by HTTP need the route open: without a token it is off, and such a pipeline would
  // hear of new files only when it reconciles.
  const deaf = scheduled.filter((pipeline) => pipeline.source.events?.kind === 'http').map((pipeline) => pipeline.name);
  if (deaf.length > 0 && config.eventsToken === null && config.adminToken === null) {
    log.warn(
      { pipelines: deaf },
      'source.events is http, but POST /events is off (neither FERRY_EVENTS_TOKEN nor FERRY_ADMIN_TOKEN is set): these pipelines find new files only when they reconcile',
    );
  }

  // Queues of object-created events (source.events: { sqs }): one consumer per queue. Events are
  // recorded for every pipeline whose source selects their key, as POST /events records them.
  const consumers: QueueConsumer[] = [];
  const eventsLog = log.child({ component: 'events' });
  const warnEvents = ignoredEventsWarner(eventsLog, config.storage);
  for (const queue of configuredQueues(config, scheduled)) {
    try {
      consumers.push(
        await startQueueConsumer({
          ...queue,
          record: (events) => recordEvents(runtime.pool, runtime.store, config.pipelines, events),
          onRecorded: (counts) => {
            observeEvents('sqs', counts);
            warnEvents(counts);
            if (counts.pipelines.length > 0 && !stopping) scheduler?.requestRun('event', (pipeline) => counts.pipelines.includes(pipeline.name));
          },
          onFailure: () => observeQueueFailure(queue.queueUrl),
          ready: () => runtime.pool.query('SELECT 1'),
          log: eventsLog,
        }),
      );
    } catch (error) {
      // The service goes on (its messages wait on the queue; reconciliation lists): said loudly.
      observeQueueFailure(queue.queueUrl);
      eventsLog.error({ err: error, queue: queue.queueUrl }, `the queue of events could not be polled: ${errorMessage(error)}`);
    }
  }

  // A local folder is watched as well: files dropped in are processed within seconds, not at the next tick.
  const watcher =
    config.storage.kind === 'fs'
      ? watchFolder(
          config.storage.root,
          // Only the pipelines whose source selects a changed file run (all, when the platform
          // does not say what changed).
          (paths) => scheduler?.requestRun('watch', paths === null ? undefined : (pipeline) => paths.some((key) => selectsKey(pipeline.source, key))),
          (error) => log.warn({ err: error }, 'watching the storage folder failed; the schedule still runs'),
        )
      : null;

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    unrecord();
    log.info('stopping: no new files are claimed; in-flight files finish');
    watcher?.close();
    await Promise.all(consumers.map((consumer) => consumer.stop().catch(swallow('stopping a queue consumer'))));
    clearInterval(lateness);
    clearTimeout(firstPrune);
    clearInterval(pruning);
    shutdown.abort();
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, STOP_DEADLINE_MS).unref());
    await Promise.race([scheduler?.stop(), deadline]);
    await app.close().catch(swallow('closing the HTTP server at the stop'));
    await sender?.stop().catch(swallow('stopping the alert sender'));
    await runtime.close();
    lock?.release();
    log.info('stopped');
  };
  return { runtime, url, stop };
}
