export { type CheckResultInput, type CheckResultRecord, listCheckResults, recordCheckResults } from './check-results.ts';
export {
  analyzeLedger,
  type ClaimCandidate,
  type ClaimOptions,
  claimFiles,
  clearProgress,
  countDueFiles,
  dueCandidates,
  expireLeasesOf,
  type FileFailure,
  findProcessedFiles,
  type ListFilesOptions,
  lastSeenKey,
  leaseHoldersOnHost,
  listFiles,
  lockClaimedFile,
  lockClaimedFiles,
  markFileSuperseded,
  markFilesProcessed,
  type ProcessedFile,
  type ReprocessOptions,
  type RequeueOptions,
  recordFileFailure,
  recordListingPage,
  recordProgress,
  releaseClaims,
  releaseLeases,
  renewLeases,
  reprocessFiles,
  requeueFiles,
} from './files.ts';
export { type PruneCounts, pruneLedger, type RetentionPipeline } from './retention.ts';
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
