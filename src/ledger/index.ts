export { type CheckResultInput, type CheckResultRecord, listCheckResults, recordCheckResults } from './check-results.ts';
export {
  type ClaimOptions,
  claimNextFile,
  clearProgress,
  countDueFiles,
  type FileFailure,
  findProcessedFiles,
  type ListFilesOptions,
  listFiles,
  lockClaimedFile,
  markFileProcessed,
  markFileSuperseded,
  type ReprocessOptions,
  type RequeueOptions,
  recordFileFailure,
  recordListingPage,
  recordProgress,
  releaseClaim,
  releaseLeases,
  renewLease,
  reprocessFiles,
  requeueFiles,
} from './files.ts';
export { type RunLock, tryLockPipeline } from './run-lock.ts';
export {
  closeAbandonedRuns,
  type DiscoveryCounts,
  findRunningRun,
  finishRun,
  isRunRunning,
  type ListRunsOptions,
  listRuns,
  type StartRunInput,
  startRun,
  waitForRunClaims,
} from './runs.ts';
export { emptyFileCounts, isLate, type LedgerStatus, readLedgerStatus } from './status.ts';
export * from './types.ts';
