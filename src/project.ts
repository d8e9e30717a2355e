/**
 * The project a command works in, and where its config comes from — found with nothing but the
 * file system, so that it can be known at the very start of a command (before the config, or
 * any heavy module, is loaded): see cli/boot.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FerryError } from './errors/index.ts';

export const CONFIG_FILE_NAMES = ['ferry.config.ts', 'ferry.config.mts', 'ferry.config.js', 'ferry.config.mjs'] as const;

/** Values given on the command line; they win over everything else. */
export interface ConfigFlags {
  readonly config?: string;
  readonly storage?: string;
  readonly host?: string;
  readonly port?: string;
}

export interface LoadConfigOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly flags?: ConfigFlags;
}

/** Finds the config file: the flag or FERRY_CONFIG when given (then it must exist), else the first default name in cwd. */
export function findConfigFile(cwd: string, env: NodeJS.ProcessEnv, flags: ConfigFlags): string | null {
  const explicit = flags.config ?? env.FERRY_CONFIG;
  if (explicit !== undefined && explicit !== '') {
    const file = path.resolve(cwd, explicit);
    if (!fs.existsSync(file)) {
      throw new FerryError('CONFIG_INVALID', `config file ${file} does not exist (from ${flags.config ? '--config' : 'FERRY_CONFIG'})`);
    }
    return file;
  }
  for (const name of CONFIG_FILE_NAMES) {
    const file = path.join(cwd, name);
    if (fs.existsSync(file)) return file;
  }
  return null;
}

/**
 * The project a command works in: the folder of the config file (given, or found in the
 * current folder or above), else the nearest folder above with a package.json; null outside
 * any project. State (the embedded database, the default inbox, `.env`) lives there, wherever
 * in the project the command was run.
 */
export function findProjectRoot(from: string, env: NodeJS.ProcessEnv, flags: ConfigFlags): string | null {
  const explicit = flags.config ?? env.FERRY_CONFIG;
  if (explicit !== undefined && explicit !== '') return path.dirname(path.resolve(from, explicit));
  const up = (found: (dir: string) => boolean): string | null => {
    for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
      if (found(dir)) return dir;
      if (path.dirname(dir) === dir) return null;
    }
  };
  return up((dir) => CONFIG_FILE_NAMES.some((name) => fs.existsSync(path.join(dir, name)))) ?? up((dir) => fs.existsSync(path.join(dir, 'package.json')));
}

/**
 * Where the config will come from — what a reader process needs to load the same one — known
 * before the config itself is loaded (so that a reader can start meanwhile). For the command
 * line: no raw config in code.
 */
export function configOrigin(options: LoadConfigOptions = {}): ConfigOrigin {
  const { env, flags } = explicitConfigMadeAbsolute(options);
  const cwd = options.cwd ?? findProjectRoot(process.cwd(), env, flags) ?? process.cwd();
  const configFile = findConfigFile(cwd, env, flags);
  return { cwd, configFile, raw: configFile === null ? {} : null, env: { ...env }, flags: { ...flags } };
}

/**
 * `--config conf/x.ts` and `FERRY_CONFIG=conf/x.ts` name a file from where the command was run:
 * made absolute here, once, before the project's folder (the file's own) becomes the folder
 * everything else is resolved in.
 */
export function explicitConfigMadeAbsolute(options: LoadConfigOptions): { env: NodeJS.ProcessEnv; flags: ConfigFlags } {
  const from = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const flags = options.flags ?? {};
  const absolute = (file: string | undefined) => (file === undefined || file === '' ? file : path.resolve(from, file));
  return {
    env: env.FERRY_CONFIG ? { ...env, FERRY_CONFIG: absolute(env.FERRY_CONFIG) } : env,
    flags: flags.config ? { ...flags, config: absolute(flags.config) } : flags,
  };
}

/**
 * Where a resolved config came from, so that reader processes can load the same one (with the
 * same transform functions): the config file, or the raw config itself when there is no file
 * (it must then hold no functions), and the environment and flags it was resolved with.
 */
export interface ConfigOrigin {
  readonly cwd: string;
  readonly configFile: string | null;
  readonly raw: unknown;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly flags: Readonly<Record<string, string | undefined>>;
}
