export { buildHttpApp, HTTP_ERROR_CODES, type HttpAppOptions, type HttpErrorCode } from './server.ts';
export { buildStatusReport, type StatusReport } from './status-report.ts';
