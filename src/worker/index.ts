export { retryDelayMs } from './backoff.ts';
export { checkPipelines, type PipelineCheck } from './check-pipelines.ts';
export type { FileOutcome } from './file-context.ts';
export { planClaim, type RunContext, type RunRequest, type RunSummary, runPipeline } from './run-pipeline.ts';
