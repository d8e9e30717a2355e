export { createMetrics, type Metrics, observeEvents, observeFile, observeQueueFailure, type ReaderMemory } from './metrics.ts';
