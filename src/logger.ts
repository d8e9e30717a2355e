/** Structured logs (pino). Authorization headers are redacted wherever they appear. */
import { type Logger, pino } from 'pino';

export type { Logger };

export function createLogger(options: { level?: string; destination?: 1 | 2 } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.FERRY_LOG_LEVEL ?? 'info',
      base: { service: 'ferry' },
      redact: { paths: ['req.headers.authorization', '*.authorization', 'password', '*.password'], censor: '***' },
    },
    pino.destination({ fd: options.destination ?? 1, sync: true }),
  );
}
