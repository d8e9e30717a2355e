export { buildHttpApp, type HttpAppOptions } from './server.ts';
export { buildStatusReport, type StatusReport } from './status-report.ts';
