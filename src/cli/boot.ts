/**
 * What a command does before anything heavy is loaded: read the project's `.env`, and for the
 * commands that process files (`run`, `start`) with a config file, start a reader process at
 * once — it loads Node, Polars and the config while this process loads its own modules and the
 * config, so the first file is reached sooner. Imports only the file system and the reader
 * pool (which forks; it loads nothing of Polars here).
 */
import path from 'node:path';
import { type ConfigFlags, configOrigin, findProjectRoot } from '../project.ts';
import { prestartReaders } from '../readers/index.ts';

const FILE_COMMANDS = new Set(['run', 'start']);

export function boot(argv: readonly string[]): void {
  const flags = configFlagsFromArgv(argv);
  const root = findProjectRoot(process.cwd(), process.env, flags);
  try {
    process.loadEnvFile(path.join(root ?? process.cwd(), '.env'));
  } catch {}
  if (!FILE_COMMANDS.has(commandOf(argv) ?? '') || root === null) return;
  try {
    const origin = configOrigin({ flags });
    if (origin.configFile !== null) prestartReaders(origin);
  } catch {
    // A config flag naming no file: the command itself says so.
  }
}

/** The command: the first argument that is not an option (or an option's value). */
function commandOf(argv: readonly string[]): string | undefined {
  const args = argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (['-c', '--config', '--storage', '--log-format'].includes(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/** The flags the config's origin depends on, from the command line before it is parsed. */
function configFlagsFromArgv(argv: readonly string[]): ConfigFlags {
  const value = (short: string | null, long: string): string | undefined => {
    for (let i = 2; i < argv.length; i++) {
      const arg = argv[i] as string;
      if (arg === long || (short !== null && arg === short)) return argv[i + 1];
      if (arg.startsWith(`${long}=`)) return arg.slice(long.length + 1);
    }
    return undefined;
  };
  const flags: { config?: string; storage?: string; host?: string; port?: string } = {};
  const config = value('-c', '--config');
  const storage = value(null, '--storage');
  const host = value(null, '--host');
  const port = value(null, '--port');
  if (config !== undefined) flags.config = config;
  if (storage !== undefined) flags.storage = storage;
  if (host !== undefined) flags.host = host;
  if (port !== undefined) flags.port = port;
  return flags;
}
