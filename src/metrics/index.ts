export { createMetrics, type Metrics, observeFile } from './metrics.ts';
