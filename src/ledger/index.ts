export {
  type ClaimOptions,
  claimNextFile,
  type FileFailure,
  type ListFilesOptions,
  listFiles,
  lockClaimedFile,
  markFileProcessed,
  markFileSuperseded,
  type RequeueOptions,
  recordFileFailure,
  recordListingPage,
  requeueFiles,
} from './files.ts';
export { type RunLock, tryLockPipeline } from './run-lock.ts';
export { closeAbandonedRuns, finishRun, type ListRunsOptions, listRuns, type StartRunInput, startRun } from './runs.ts';
export { emptyFileCounts, type LedgerStatus, readLedgerStatus } from './status.ts';
export * from './types.ts';
