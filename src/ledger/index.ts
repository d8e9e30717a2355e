export {
  type AlertRow,
  type AlertRowStatus,
  alertWithinCooldown,
  type ClaimedAlert,
  claimDueAlerts,
  insertAlert,
  markAlertDelivered,
  markAlertFailed,
  type SuppressedAlerts,
  suppressedFileAlertsOfRun,
} from './alert-outbox.ts';
export { type CheckResultInput, type CheckResultRecord, listCheckResults, recordCheckResults } from './check-results.ts';
export {
  type ClaimCandidate,
  type ClaimOptions,
  claimFiles,
  clearProgress,
  countDueFiles,
  dueCandidates,
  expireLeasesOf,
  type FileFailure,
  leaseHoldersOnHost,
  lockClaimedFile,
  lockClaimedFiles,
  markFileSuperseded,
  markFilesProcessed,
  type ProcessedFile,
  recordFileFailure,
  recordProgress,
  releaseClaims,
  releaseLeases,
  renewLeases,
} from './file-claims.ts';
export { analyzeLedger, lastSeenKey, type RecordEventsResult, type RecordPageResult, recordListingPage, recordObjectEvents } from './file-discovery.ts';
export {
  findProcessedFiles,
  getFile,
  type ListFilesOptions,
  listFiles,
  otherVersionsOf,
  type ReprocessOptions,
  type RequeueOptions,
  reprocessFiles,
  requeueFiles,
} from './file-queries.ts';
export { type FileRefMatch, resolveFileRef, resolveFileRefs } from './file-ref.ts';
export { type LedgerSeries, readSeries, type SeriesPoint, seriesLabels } from './metric-series.ts';
export { type PipelineLateness, readPipelineLateness, recordPipelineLateness } from './pipeline-health.ts';
export { ledgerHasPipeline } from './pipeline-names.ts';
export { type PruneCounts, pruneLedger, type RetentionPipeline } from './retention.ts';
export { type RunLock, tryLockPipeline } from './run-lock.ts';
export {
  closeAbandonedRuns,
  type DiscoveryCounts,
  findRunningRun,
  finishRun,
  isRunRunning,
  type ListRunsOptions,
  lastListingAt,
  listRuns,
  type RunSummary,
  runStartedAt,
  type StartRunInput,
  startRun,
  waitForRunClaims,
} from './runs.ts';
export { emptyFileCounts, isLate, type LedgerStatus, readLedgerStatus } from './status.ts';
export * from './types.ts';
