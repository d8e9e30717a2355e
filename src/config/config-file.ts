/**
 * Finds and imports the config file (`ferry.config.ts` and its kin): by Node itself where it
 * can strip the types, else by jiti; a file that does not load is one CONFIG_INVALID error
 * with its line and column. What it exports is resolved by resolve-config.ts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FerryError } from '../errors/index.ts';
import { explicitConfigMadeAbsolute, findConfigFile, findProjectRoot, type LoadConfigOptions } from '../project.ts';
import { resolveConfig } from './resolve-config.ts';
import type { ResolvedConfig } from './types.ts';

/**
 * Loads config once at start: defaults < `ferry.config.ts` < environment < command-line flags.
 * `trusted`: the config was validated by the process that started this one (see resolveConfig).
 */
export async function loadConfig(options: LoadConfigOptions & { readonly trusted?: boolean } = {}): Promise<ResolvedConfig> {
  const { env, flags } = explicitConfigMadeAbsolute(options);
  // A folder given by the caller is the project; else the project around the current folder.
  const projectRoot = options.cwd ?? findProjectRoot(process.cwd(), env, flags);
  const cwd = projectRoot ?? process.cwd();
  const configFile = findConfigFile(cwd, env, flags);
  const raw = configFile === null ? {} : await importConfigFile(configFile);
  return resolveConfig(raw, { cwd, env, flags, configFile, projectRoot, trusted: options.trusted === true });
}

/**
 * Errors of Node's own loader that another loader gets past: a `.ts` config in a CommonJS
 * project (import statements in a file Node reads as CommonJS), a Node that does not strip
 * types, or one that does not strip them under node_modules.
 */
const NATIVE_LOADER_LIMITS =
  /ERR_UNKNOWN_FILE_EXTENSION|ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING|ERR_REQUIRE_ESM|ERR_NO_TYPESCRIPT|Cannot use import statement outside a module|Unexpected token 'export'|Unknown file extension/;

/** The config module: by Node itself where it can, else by jiti (which compiles TypeScript and ESM syntax on the fly). */
async function importModule(file: string): Promise<{ default?: unknown }> {
  // The modification time in the URL makes a changed file load anew instead of from the module cache.
  const url = `${pathToFileURL(file).href}?mtime=${fs.statSync(file).mtimeMs}`;
  const viaJiti = async () => {
    const { createJiti } = await import('jiti');
    const jiti = createJiti(import.meta.url, { moduleCache: false, fsCache: false });
    return { default: await jiti.import(file, { default: true }) };
  };
  if (!nodeLoadsNatively(file)) return viaJiti();
  try {
    return (await import(url)) as { default?: unknown };
  } catch (error) {
    const text = `${(error as { code?: string }).code ?? ''} ${(error as Error).message}`;
    if (!NATIVE_LOADER_LIMITS.test(text)) throw error;
    return viaJiti();
  }
}

/**
 * Whether Node can import the config file itself: a `.ts` or `.js` file under a package.json
 * is an ES module only when it says `"type": "module"` (with `"commonjs"` Node fails on the
 * import statements, without a type it warns and parses the file twice); TypeScript needs a
 * Node that strips types, and not under node_modules.
 */
function nodeLoadsNatively(file: string): boolean {
  const typescript = /\.[mc]?ts$/.test(file);
  if (typescript && !(process.features as { typescript?: unknown }).typescript) return false;
  if (typescript && file.split(path.sep).includes('node_modules')) return false;
  if (/\.m[jt]s$/.test(file)) return true;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        return (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { type?: string }).type === 'module';
      } catch {
        return false;
      }
    }
    if (path.dirname(dir) === dir) return true;
  }
}

async function importConfigFile(file: string): Promise<unknown> {
  try {
    const module = await importModule(file);
    if (module.default === undefined) {
      throw new FerryError('CONFIG_INVALID', `${file} has no default export (write: export default defineConfig({...}))`);
    }
    return module.default;
  } catch (error) {
    if (error instanceof FerryError) throw error;
    const message = (error as Error).message;
    // jiti's parser says where: `ParseError: Unexpected token (3:29)` … `file:3:29`.
    const parsed = /^(?:ParseError|SyntaxError): ([^\n]*?)\s*\n?\s*\S*:(\d+):(\d+)\s*$/s.exec(message);
    if (parsed !== null) {
      const [, what, line, column] = parsed;
      throw new FerryError('CONFIG_INVALID', `${file}:${line}:${column}: ${what}\n${excerpt(file, Number(line), Number(column))}`, { cause: error });
    }
    if ((error as Error).name === 'SyntaxError') {
      const where = locateSyntaxError(file) ?? (await locateWithJiti(file));
      if (where !== null) throw new FerryError('CONFIG_INVALID', `${file}:${where.line}:${where.column}: ${message}\n${where.excerpt}`, { cause: error });
    }
    throw new FerryError('CONFIG_INVALID', `${file} could not be loaded: ${message}`, { cause: error });
  }
}

/** The line of `file` with a caret under the column. */
function excerpt(file: string, line: number, column: number): string {
  const text = fs.readFileSync(file, 'utf8').split(/\r?\n/)[line - 1] ?? '';
  return `${text}\n${' '.repeat(Math.max(0, column - 1))}^`;
}

/** Where jiti's parser (Babel's) finds a syntax error that Node's type stripping does not place. */
async function locateWithJiti(file: string): Promise<{ line: number; column: number; excerpt: string } | null> {
  try {
    const { createJiti } = await import('jiti');
    await createJiti(import.meta.url, { moduleCache: false, fsCache: false }).import(file);
    return null;
  } catch (error) {
    const at = /:(\d+):(\d+)\s*$/.exec((error as Error).message) ?? /\((\d+):(\d+)\)/.exec((error as Error).message);
    if (at === null) return null;
    const [line, column] = [Number(at[1]), Number(at[2])];
    return { line, column, excerpt: excerpt(file, line, column) };
  }
}

/**
 * Where a syntax error is: Node's type stripping says what is wrong but not where, and
 * `node --check` says where (the line, and a caret under the column).
 */
function locateSyntaxError(file: string): { line: number; column: number; excerpt: string } | null {
  const checked = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: 10_000 });
  const lines = (checked.stderr ?? '').split('\n');
  const at = lines.findIndex((line) => line.startsWith(`${file}:`));
  const number = at >= 0 ? Number(lines[at]?.slice(file.length + 1)) : Number.NaN;
  const source = lines[at + 1];
  const caret = lines[at + 2];
  if (!Number.isInteger(number) || source === undefined || caret === undefined || !caret.includes('^')) return null;
  return { line: number, column: caret.indexOf('^') + 1, excerpt: `${source}\n${caret}` };
}
