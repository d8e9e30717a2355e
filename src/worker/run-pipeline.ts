/**
 * One run of a pipeline: discover → claim → read → load + record, for every file version that
 * is due. The run holds the pipeline's run lock for its whole length, so runs never overlap.
 * Other instances whose tick finds the lock taken help the run instead: they claim and process
 * its files alongside it until it ends, so the work is shared through the ledger.
 */

import os from 'node:os';
import type { Logger } from 'pino';
import { enqueueAlert, enqueueRunDigest } from '../alerts/index.ts';
import type { ResolvedConfig, ResolvedPipeline } from '../config/index.ts';
import { discoverFiles, plannedListing } from '../discover/index.ts';
import { errorMessage, maskDataValues, swallow } from '../errors/index.ts';
import {
  type ClaimCandidate,
  claimFiles,
  closeAbandonedRuns,
  countDueFiles,
  dueCandidates,
  expireLeasesOf,
  findRunningRun,
  finishRun,
  isRunRunning,
  leaseHoldersOnHost,
  type RunCounts,
  type RunListing,
  type RunRecord,
  type RunTrigger,
  renewLeases,
  startRun,
  tryLockPipeline,
  waitForRunClaims,
} from '../ledger/index.ts';
import { inTransaction, isAlive, type Pool } from '../postgres/index.ts';
import { type ReaderPool, usesReaders } from '../readers/index.ts';
import { describeStorage, type ObjectStore, storageErrorMessage } from '../storage/index.ts';
import type { FileOutcome } from './file-context.ts';
import { processClaim } from './process-files.ts';

/** Whether this process logged its first claimed file (once per process). */
let firstClaimLogged = false;

export interface RunContext {
  readonly pool: Pool;
  readonly store: ObjectStore;
  /** The reader processes that do the Polars work. */
  readonly readers: ReaderPool;
  readonly config: ResolvedConfig;
  /** Identifies this process in the ledger (runs, leases). */
  readonly instance: string;
  readonly log: Logger;
  /** Aborted on shutdown: no new file is claimed, the in-flight ones finish. */
  readonly signal?: AbortSignal;
  /** Called after each file, for progress output. */
  readonly onFile?: (outcome: FileOutcome) => void;
  /** Called when a file is claimed, before its stages run, for progress output. */
  readonly onFileStarted?: (key: string) => void;
  /** Called as a file's rows are copied (rows so far), for progress output. */
  readonly onFileRows?: (key: string, rows: number) => void;
  /** Told each file's outcome, time and size (the service's metrics). */
  readonly observe?: (pipeline: string, outcome: string, seconds: number, bytes: number) => void;
  /** Called when alerts may have been written (the sender sends them now rather than at its next tick). */
  readonly onAlerts?: () => void;
  /** Called once the run has listed its files: how many are due now. */
  readonly onDiscovered?: (pipeline: string, due: number) => void;
}

export interface RunRequest {
  readonly pipeline: ResolvedPipeline;
  readonly trigger: RunTrigger;
  readonly scheduledFor?: Date | null;
}

export type RunSummary =
  | {
      readonly status: 'completed' | 'failed' | 'interrupted';
      readonly run: RunRecord;
      readonly counts: RunCounts;
      readonly error: string | null;
      /** The files this process handled. */
      readonly files: readonly FileOutcome[];
    }
  | { readonly status: 'helped'; readonly run: RunRecord; readonly files: readonly FileOutcome[] }
  | { readonly status: 'skipped'; readonly run: null; readonly reason: string };

/** How often a helper with nothing to claim looks again while the run it helps goes on. */
const HELPER_POLL_MS = 250;

let claimSequence = 0;

export async function runPipeline(context: RunContext, request: RunRequest): Promise<RunSummary> {
  const { pool, store, instance } = context;
  const { pipeline } = request;
  const log = context.log.child({ pipeline: pipeline.name });
  const lock = await tryLockPipeline(pool, pipeline.name);
  if (lock === null) return helpRunningRun(context, pipeline, log);
  try {
    await closeAbandonedRuns(pool, pipeline.name);
    await takeOverLeasesOfGoneProcesses(pool, log);
    const run = await startRun(pool, { pipeline: pipeline.name, trigger: request.trigger, scheduledFor: request.scheduledFor ?? null, instance });
    if (run === null) return { status: 'skipped', run: null, reason: 'this tick was already run by another instance' };
    log.info({ run: run.id, trigger: request.trigger }, 'run started');

    let discovery = { files_listed: 0, files_discovered: 0, files_skipped: 0, files_outside_window: 0, files_hidden: 0 };
    const files: FileOutcome[] = [];
    let error: string | null = null;
    let discovered = false;
    let listed: RunListing | null = null;
    try {
      // Events recorded the files already (POST /events, a queue): the run processes the pending
      // ones without listing the store, which is what events are for on a large bucket, and lists
      // only to reconcile now and then (see listing-plan.ts).
      const listing = await plannedListing(pool, pipeline, request.trigger);
      if (listing !== null) {
        discovery = await discoverFiles(pool, store, pipeline, run.id);
        listed = listing;
        if (listing === 'reconcile') {
          log.info(
            { run: run.id, listed: discovery.files_listed, found: discovery.files_discovered },
            `reconciliation listed the store: ${discovery.files_discovered} new file version(s) the events had not recorded`,
          );
        }
      }
      discovered = true;
      if (context.onDiscovered) context.onDiscovered(pipeline.name, await countDueFiles(pool, pipeline.name));
    } catch (thrown) {
      // The cause first (OpenDAL's text ends with it); the log keeps the whole error.
      error = `listing ${describeStorage(store.location)} failed: ${storageErrorMessage(thrown)}`;
      log.error({ run: run.id, error, err: thrown }, 'discovery failed');
    }
    if (error === null) {
      try {
        await processFiles(context, pipeline, run, files, log, { helping: false });
        await waitForRunClaims(pool, run.id, context.config.leaseMs);
      } catch (thrown) {
        error = `processing stopped: ${errorMessage(thrown)}`;
        log.error({ run: run.id, error }, 'run failed');
      }
    }
    // The run's record, its failure alert and the digest of alerts the cooldown held back: one transaction.
    const alerts = { destinations: context.config.alerts, publicUrl: context.config.publicUrl };
    // Stopped by a signal: the files in hand were rolled back and given back; nothing failed.
    const interrupted = context.signal?.aborted === true;
    const finished = await inTransaction(pool, async (client) => {
      const record = await finishRun(client, run.id, discovery, error, interrupted, listed);
      if (error !== null && !interrupted) {
        await enqueueAlert(client, alerts, {
          event: 'run.failed',
          pipeline: pipeline.name,
          dedupKey: `run.failed:${run.id}`,
          summary: `${pipeline.name}: run ${run.id} failed: ${maskDataValues(error)}`,
          runId: run.id,
          error: { code: 'RUN_FAILED', step: discovered ? 'load' : 'discover', message: maskDataValues(error) },
          counts: { ...countsOf(record) },
        });
      }
      await enqueueRunDigest(client, alerts, pipeline.name, run.id);
      return record;
    });
    context.onAlerts?.();
    const counts = countsOf(finished);
    log.info({ run: run.id, listing: listed, ...counts, error }, 'run finished');
    return { status: interrupted ? 'interrupted' : error === null ? 'completed' : 'failed', run: finished, counts, error, files };
  } finally {
    await lock.release();
  }
}

/**
 * Files leased by a ferry process on this host that is gone (SIGKILLed, OOM-killed, a crash) are
 * claimable at once rather than when their leases run out. Only this host's processes can be
 * known to be gone; another host's leases run out as they do. (Instances in containers that
 * share a host name but not their process ids are not told apart: a live lease taken over that
 * way costs its holder the load, which then rolls back when it re-checks its lease.)
 */
async function takeOverLeasesOfGoneProcesses(pool: Pool, log: Logger): Promise<void> {
  const gone = (await leaseHoldersOnHost(pool, os.hostname())).filter((instance) => {
    const pid = Number(instance.split(':')[1]);
    return Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isAlive(pid);
  });
  const freed = await expireLeasesOf(pool, gone);
  if (freed > 0) log.info({ files: freed, instances: gone }, 'took over the leases of ferry processes on this host that are gone');
}

async function helpRunningRun(context: RunContext, pipeline: ResolvedPipeline, log: Logger): Promise<RunSummary> {
  // The lock may be held by a process that is gone and whose session the server has not closed
  // yet (a SIGKILL a moment ago): its files are taken over here too, not left to their leases.
  await takeOverLeasesOfGoneProcesses(context.pool, log);
  // The lock holder may still be creating its run record: look for a moment before giving up.
  let run = await findRunningRun(context.pool, pipeline.name);
  for (let attempt = 0; run === null && attempt < 10; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    run = await findRunningRun(context.pool, pipeline.name);
  }
  if (run === null) return { status: 'skipped', run: null, reason: `another run of pipeline ${pipeline.name} is starting or ending` };
  const files: FileOutcome[] = [];
  await processFiles(context, pipeline, run, files, log, { helping: true });
  if (files.length > 0) log.info({ run: run.id, files: files.length }, 'helped another instance with its run');
  return { status: 'helped', run, files };
}

/** `concurrency` workers claim and process the run's files until none is left (or, helping, until the run ends). */
async function processFiles(context: RunContext, pipeline: ResolvedPipeline, run: RunRecord, files: FileOutcome[], log: Logger, options: { helping: boolean }) {
  const { pool, store, readers, config, instance } = context;
  const fileContext = {
    pool,
    store,
    readers,
    pipeline,
    retry: config.retry,
    limits: config.limits,
    log,
    alerts: { destinations: config.alerts, publicUrl: config.publicUrl },
    ...(context.onAlerts ? { onAlerts: context.onAlerts } : {}),
    ...(context.signal ? { signal: context.signal } : {}),
    ...(context.onFileRows ? { onRows: context.onFileRows } : {}),
  };
  const needsReader = usesReaders(pipeline);
  const record = (outcome: FileOutcome, seconds: number, bytes: number) => {
    context.observe?.(pipeline.name, outcome.kind, seconds, bytes);
    files.push(outcome);
    context.onFile?.(outcome);
  };
  const worker = async () => {
    while (!context.signal?.aborted) {
      const owner = `${instance}#${++claimSequence}`;
      // The due files are weighed first, then only the chosen ones claimed: a claim never holds
      // files it will not start (large files go one per claim, so every worker gets some).
      const candidates = await dueCandidates(pool, pipeline.name, pipeline.batch.files);
      if (candidates.length === 0) {
        if (!options.helping || !(await isRunRunning(pool, run.id))) return;
        await new Promise((resolve) => setTimeout(resolve, HELPER_POLL_MS));
        continue;
      }
      // A pipeline whose files go through a reader waits for one before it claims: a file's lease
      // is not held while a reader process starts or every reader is busy. A tick that finds no
      // file touches no reader, so that idle readers can exit (readers.idleExit).
      if (needsReader) await readers.whenReady();
      const plan = planClaim(candidates, pipeline.batch);
      const claimed = await claimFiles(pool, { pipeline: pipeline.name, owner, leaseMs: config.leaseMs, runId: run.id }, plan.ids);
      // Another worker took them first: look again.
      if (claimed.length === 0) continue;
      if (!firstClaimLogged) {
        firstClaimLogged = true;
        // How long the process took to reach its first file (the bench reads this line).
        log.info({ file: claimed[0]?.key, msSinceStart: Math.round(performance.now()) }, 'first file claimed');
      }
      // The claim's leases are renewed while the worker is busy with its files, so that a short
      // lease covers a long file and a crashed worker's files are taken over soon.
      const held = claimed.map((file) => file.id);
      const renewal = setInterval(
        () => {
          renewLeases(pool, held, owner, config.leaseMs).catch(swallow('renewing leases'));
        },
        Math.max(500, Math.floor(config.leaseMs / 3)),
      );
      renewal.unref();
      try {
        await processClaim(fileContext, claimed, plan.batch && claimed.length >= 2, owner, run, {
          onStarted: (file) => context.onFileStarted?.(file.key),
          onOutcome: (outcome, seconds, file) => record(outcome, seconds, Number(file.size)),
        });
      } finally {
        clearInterval(renewal);
      }
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, worker));
}

/**
 * Which due files a worker claims: the small ones at the head of the queue that can go
 * together (a `batch`: each at most a quarter of the pipeline's byte budget, together within
 * it, none that ferry died on before or that killed a reader — those go alone), or else the
 * first file alone.
 */
export function planClaim(candidates: readonly ClaimCandidate[], limits: ResolvedPipeline['batch']): { ids: number[]; batch: boolean } {
  const first = candidates[0];
  if (first === undefined) return { ids: [], batch: false };
  const small = (file: ClaimCandidate) => file.size <= limits.bytes / 4 && file.open_claims === 0 && file.reader_crashes === 0;
  if (limits.files <= 1 || !small(first)) return { ids: [first.id], batch: false };
  const ids: number[] = [];
  let bytes = 0;
  for (const file of candidates) {
    if (ids.length >= limits.files || !small(file) || bytes + file.size > limits.bytes) break;
    ids.push(file.id);
    bytes += file.size;
  }
  return { ids, batch: ids.length >= 2 };
}

function countsOf(run: RunRecord): RunCounts {
  const { files_listed, files_discovered, files_processed, files_failed, files_retrying, files_skipped, files_outside_window, files_hidden } = run;
  return { files_listed, files_discovered, files_processed, files_failed, files_retrying, files_skipped, files_outside_window, files_hidden };
}
