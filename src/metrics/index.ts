export { createMetrics, type Metrics, observeEvents, observeFile, type ReaderMemory } from './metrics.ts';
