export { createMetrics, type Metrics, observeFile, type ReaderMemory } from './metrics.ts';
