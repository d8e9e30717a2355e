export { retryDelayMs } from './backoff.ts';
export { checkPipelines, type PipelineCheck } from './check-pipelines.ts';
export { type FileOutcome, processFile } from './process-file.ts';
export { planClaim, type RunContext, type RunRequest, type RunSummary, runPipeline } from './run-pipeline.ts';
