/**
 * What every command shares: the global flags, the config they load, a logger in the asked
 * format, and withRuntime — load the config, open the runtime, run the command, always close.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { Logger } from 'pino';
import { type ConfigFlags, loadConfig, type ResolvedConfig } from '../config/index.ts';
import { FerryError } from '../errors/index.ts';
import { ledgerHasPipeline } from '../ledger/index.ts';
import { createLogger } from '../logger.ts';
import type { Pool } from '../postgres/index.ts';
import { type OpenRuntimeOptions, openRuntime, type Runtime } from '../runtime.ts';
import { parseDuration } from '../units/index.ts';

/** The program's own options (before the command's). */
export interface GlobalFlags {
  readonly config?: string;
  readonly storage?: string;
  readonly logFormat?: string;
  /** `ferry start`'s own. */
  readonly host?: string;
  readonly port?: string;
}

/** The global flags of the program a command belongs to. */
export function globalFlags(command: Command): GlobalFlags {
  let root = command;
  while (root.parent !== null) root = root.parent;
  return root.opts<GlobalFlags>();
}

function configFlags(flags: GlobalFlags): ConfigFlags {
  return { config: flags.config, storage: flags.storage, host: flags.host, port: flags.port };
}

export function loadCliConfig(flags: GlobalFlags): Promise<ResolvedConfig> {
  return loadConfig({ flags: configFlags(flags) });
}

/**
 * A logger in the format the global flag asks for (else by FERRY_LOG_FORMAT, else by the
 * terminal); `write`, when given, takes each line instead of the destination (the progress
 * line's writer, which clears itself before a line and draws itself again after).
 */
export function cliLogger(flags: GlobalFlags, options: { destination?: 1 | 2; level?: string; write?: (line: string) => void } = {}): Logger {
  return createLogger({ destination: options.destination, defaultLevel: options.level, format: flags.logFormat, write: options.write });
}

export interface WithRuntimeOptions extends OpenRuntimeOptions {
  /** Checks of the config before anything is opened: a usage error starts no database. */
  readonly check?: (config: ResolvedConfig) => void;
}

/**
 * Loads the config, opens the runtime (logging warnings to stderr; the storage is not checked
 * unless asked: most commands only read the ledger), runs `fn`, and closes the runtime whatever
 * happened.
 */
export async function withRuntime<T>(flags: GlobalFlags, fn: (runtime: Runtime) => Promise<T>, options: WithRuntimeOptions = {}): Promise<T> {
  const { check, ...open } = options;
  const config = await loadCliConfig(flags);
  check?.(config);
  const runtime = await openRuntime(config, cliLogger(flags, { destination: 2, level: 'warn' }), { checkStorage: false, ...open });
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

/** `--since 1d` as the time it names, or a CONFIG_INVALID naming the flag. */
export function sinceOption(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === null) throw new FerryError('CONFIG_INVALID', `--since: "${text}" is not a duration (use e.g. 30m, 6h, 1d, 7d)`);
  return new Date(Date.now() - ms);
}

/** A `-n`-like option's value: a whole number of at least 1, or a usage error (exit 2) naming it. */
export function positiveInteger(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) throw new InvalidArgumentError('use a whole number of at least 1.');
  return Number(text);
}

/** The usage error of a `--pipeline` that names no pipeline: the configured ones are listed. */
export function noSuchPipeline(config: Pick<ResolvedConfig, 'pipelines'>, name: string): FerryError {
  return new FerryError('CONFIG_INVALID', `--pipeline: there is no pipeline named "${name}" (configured: ${config.pipelines.map((p) => p.name).join(', ')})`);
}

/**
 * Refuses a `--pipeline` that names neither a configured pipeline nor one the ledger has rows
 * of (a pipeline removed from the config can still be listed and acted on).
 */
export async function assertPipeline(config: Pick<ResolvedConfig, 'pipelines'>, name: string | undefined, pool?: Pool): Promise<void> {
  if (name === undefined || config.pipelines.some((p) => p.name === name)) return;
  if (pool !== undefined && (await ledgerHasPipeline(pool, name))) return;
  throw noSuchPipeline(config, name);
}
