/**
 * A file's failure, recorded: retried later with backoff while its error is one that retrying
 * can help, else quarantined with its code, step and cause (and an alert, in the same
 * transaction); superseded when its version is gone; given back when ferry is stopping.
 */

import type { Logger } from 'pino';
import { enqueueAlert } from '../alerts/index.ts';
import { ChecksFailedError } from '../check/index.ts';
import { databaseErrorCode, errorEntry, errorMessage, FerryError, maskDataValues, swallow } from '../errors/index.ts';
import { type FileVersionRecord, markFileSuperseded, type RunRecord, recordCheckResults, recordFileFailure, releaseClaims } from '../ledger/index.ts';
import { inTransaction } from '../postgres/index.ts';
import { retryDelayMs } from './backoff.ts';
import type { FileContext, FileOutcome } from './file-context.ts';

export async function recordFailure(
  context: FileContext,
  file: FileVersionRecord,
  owner: string,
  run: RunRecord,
  thrown: unknown,
  fileLog: Logger,
): Promise<FileOutcome> {
  // An error no stage classified: PostgreSQL's (by SQLSTATE), or a bug.
  let error = thrown instanceof FerryError ? thrown : new FerryError(databaseErrorCode(thrown, 'INTERNAL'), errorMessage(thrown), { cause: thrown });
  if (error.code === 'INTERRUPTED' || context.signal?.aborted === true) {
    // ferry is stopping (a load that failed as it stopped failed because of the stop: a child
    // process killed by the terminal's Ctrl-C, a connection closed): the transaction rolled
    // back; the lease is given back now, so that the
    // next run (or another instance) claims the file at once.
    await releaseClaims(context.pool, [file.id], owner).catch(swallow('releasing a claim at the stop'));
    fileLog.info('interrupted by the stop; rolled back and released');
    return { kind: 'interrupted', key: file.key };
  }
  const entry = errorEntry(error.code);
  if (entry.outcome === 'supersede') {
    await markFileSuperseded(context.pool, file.id, owner, error.message, error.code).catch(swallow('recording a superseded file version'));
    return { kind: 'superseded', key: file.key, reason: error.message };
  }
  const readerCrashed = error.code === 'READER_CRASHED';
  if (readerCrashed && file.reader_crashes + 1 >= context.limits.maxReaderCrashes) {
    error = new FerryError(
      'POISON_FILE',
      `${error.message}; this file has killed ${file.reader_crashes + 1} reader processes (limits.maxReaderCrashes), so it is quarantined as a poison file until ferry retry`,
      { step: error.step },
    );
  }
  const step = error.step ?? 'load';
  const willRetry = error.retryable && file.attempts < context.retry.maxAttempts;
  const message = error.retryable && !willRetry ? `gave up after ${file.attempts} attempts: ${error.message}` : error.message;
  const retryAt = willRetry ? new Date(Date.now() + retryDelayMs(file.attempts, context.retry.baseDelayMs, context.retry.maxDelayMs)) : null;
  try {
    const failure = { message, step, code: error.code, retryAt, readerCrashed };
    const checks = error instanceof ChecksFailedError ? error.results : null;
    const code = error.code;
    // The failure, the rules' results and (for a quarantine) its alert: one transaction.
    await inTransaction(context.pool, async (client) => {
      if (!(await recordFileFailure(client, file.id, owner, failure))) return;
      if (checks !== null) await recordCheckResults(client, file.id, context.pipeline.name, checks);
      if (!willRetry && context.alerts !== undefined) {
        const event = code === 'CHECK_FAILED' ? 'checks.failed' : 'file.quarantined';
        await enqueueAlert(client, context.alerts, {
          event,
          pipeline: context.pipeline.name,
          dedupKey: `${event}:${file.id}:${Date.now()}`,
          summary: `${context.pipeline.name}: ${file.key} quarantined at ${step} (${code}): ${maskDataValues(message)}`,
          file: { id: file.id, key: file.key, version: file.version },
          runId: run.id,
          attempts: file.attempts,
          error: { code, step, message: maskDataValues(message) },
        });
      }
    });
    if (!willRetry) context.onAlerts?.();
  } catch (recordError) {
    // The database itself is failing: the lease will expire and the file will be claimed again.
    fileLog.error({ err: recordError }, 'could not record the failure; the file will be retried when its lease expires');
  }
  // The log gets the message with values from the file masked (the ledger keeps it whole).
  fileLog.warn({ step, code: error.code, error: maskDataValues(message), retryAt }, willRetry ? 'file failed, will retry' : 'file quarantined');
  return { kind: willRetry ? 'retrying' : 'quarantined', key: file.key, step, code: error.code, error: message };
}
