/**
 * Logs (pino). In a terminal they are readable lines — time, level, pipeline, file, message, in
 * colour — and JSON otherwise (or with `--log-format json` / `FERRY_LOG_FORMAT=json`), for
 * collectors. Authorization headers and passwords are redacted wherever they appear.
 */
import { createRequire } from 'node:module';
import { type Logger, pino } from 'pino';
import type PinoPretty from 'pino-pretty';
import { FerryError } from './errors/index.ts';
import { terminalSafe, terminalSafeDeep } from './terminal-text.ts';

/** pino-pretty, loaded only for a terminal (it costs a command's start-up about 20 ms). */
const loadPretty = () => createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  /** @default FERRY_LOG_LEVEL, else `defaultLevel` */
  readonly level?: string;
  /** The command's own level when neither the flag nor FERRY_LOG_LEVEL gives one. @default 'info' */
  readonly defaultLevel?: string;
  /** @default 1 (stdout) */
  readonly destination?: 1 | 2;
  /** @default FERRY_LOG_FORMAT, else pretty on a terminal and JSON otherwise */
  readonly format?: string;
  /**
   * Takes each line (with its line feed) instead of the destination, synchronously: the CLI's
   * progress line clears itself before a log line and draws itself again after, so that the
   * two never share a line. Colour and format are still chosen by the destination.
   */
  readonly write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const fd = options.destination ?? 1;
  const level = options.level ?? envValue('FERRY_LOG_LEVEL') ?? options.defaultLevel ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new FerryError(
      'CONFIG_INVALID',
      `${options.level ? '--log-level' : 'FERRY_LOG_LEVEL'}: "${level}" is not a log level (use one of ${LOG_LEVELS.join(', ')})`,
    );
  }
  const format = options.format ?? envValue('FERRY_LOG_FORMAT') ?? ((fd === 1 ? process.stdout : process.stderr).isTTY ? 'pretty' : 'json');
  if (!(LOG_FORMATS as readonly string[]).includes(format)) {
    throw new FerryError('CONFIG_INVALID', `${options.format ? '--log-format' : 'FERRY_LOG_FORMAT'}: "${format}" is not a log format (use pretty or json)`);
  }
  const settings = {
    level,
    base: { service: 'ferry' },
    redact: { paths: ['req.headers.authorization', '*.authorization', 'password', '*.password'], censor: '***' },
    serializers: { err: (error: Error) => withoutQuotedSecrets(pino.stdSerializers.err(error)) },
  };
  const write = options.write;
  if (format === 'json') return pino(settings, write === undefined ? pino.destination({ fd, sync: true }) : { write });
  // Readable lines are for a terminal: every value a file can carry (its name in `file`, a
  // message that quotes it) is shown with its control characters escaped (see terminal-text.ts).
  const safe = {
    ...settings,
    formatters: {
      log: (object: Record<string, unknown>) => terminalSafeDeep(object) as Record<string, unknown>,
      // A child logger's fields (`pipeline`, `file`) are serialized apart from each line's.
      bindings: (bindings: Record<string, unknown>) => terminalSafeDeep(bindings) as Record<string, unknown>,
    },
    serializers: { err: safeError },
  };
  const prettyOptions: PinoPretty.PrettyOptions = {
    colorize: (fd === 1 ? process.stdout : process.stderr).isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,pipeline,file',
    // The pipeline and file lead the message, where the eye looks for them.
    messageFormat: (line, messageKey) =>
      terminalSafe(`${line.pipeline ? `[${line.pipeline}] ` : ''}${line.file ? `${line.file}: ` : ''}${line[messageKey] ?? ''}`),
    hideObject: false,
    // Only `err` is an error to print with its stack; an `error` field is a run's reason (or null).
    errorLikeObjectKeys: ['err'],
    singleLine: true,
  };
  if (write !== undefined) {
    // pino-pretty's line formatter alone: it writes nothing itself, so every line goes to `write` at once.
    const pretty = loadPretty().prettyFactory(prettyOptions);
    return pino(safe, { write: (line: string) => write(pretty(line)) });
  }
  return pino(safe, loadPretty()({ ...prettyOptions, destination: fd, sync: true }));
}

/**
 * An error for a readable line: its stack keeps its lines, but the message inside it (which can
 * quote a file name) is one line. Signatures and keys that a storage library quotes in its
 * errors (the request URL of a SAS token's `sig=`, a connection string's `AccountKey=`) are
 * masked.
 */
function safeError(error: Error): unknown {
  const serialized: Record<string, unknown> = { ...pino.stdSerializers.err(error) };
  const { message, stack } = serialized;
  if (typeof message === 'string' && typeof stack === 'string') serialized.stack = stack.replace(message, () => terminalSafe(message));
  return withoutQuotedSecrets(terminalSafeDeep(serialized));
}

const QUOTED_SECRET = /\b(sig|AccountKey|SharedAccessSignature|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token)=[^&;\s"',}]+/gi;

/** Every string in a serialized error, with `sig=…`-style secrets masked. */
export function withoutQuotedSecrets(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(QUOTED_SECRET, '$1=***');
  if (Array.isArray(value)) return value.map(withoutQuotedSecrets);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, withoutQuotedSecrets(item)]));
}

function envValue(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}
