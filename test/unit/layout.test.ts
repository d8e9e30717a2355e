/**
 * The code layout as rules: the folders under src/ (and its top-level files, each a node of its
 * own) import each other without cycles, type-only imports included; other folders import a
 * folder only through its index.ts; the service never loads nodejs-polars — followed through
 * every import a running process makes, not only the direct ones (see
 * test/integration/reader-crash.test.ts for the same checked in a running service); and SQL on
 * ferry's own tables is written only in ledger/.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const src = path.resolve(import.meta.dirname, '../../src');
const migrations = path.resolve(import.meta.dirname, '../../migrations');

interface Import {
  readonly from: string;
  readonly to: string;
  /** `import type …` / `export type …`: erased, never loaded at run time. */
  readonly typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every module a file names: static imports and re-exports (type-only marked), and dynamic `import('…')` of a literal. */
function importsOf(file: string): { spec: string; typeOnly: boolean }[] {
  const text = fs.readFileSync(file, 'utf8');
  const statics = [...text.matchAll(/(?:^|\n)\s*(import|export)(\s+type)?\b[^'";]*?from\s+'([^']+)'/g)].map((match) => ({
    spec: match[3] as string,
    typeOnly: match[2] !== undefined,
  }));
  const bare = [...text.matchAll(/(?:^|\n)\s*import\s+'([^']+)'/g)].map((match) => ({ spec: match[1] as string, typeOnly: false }));
  const dynamic = [...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((match) => ({ spec: match[1] as string, typeOnly: false }));
  return [...statics, ...bare, ...dynamic];
}

/** The folder under src/ a file belongs to; a top-level file is a node of its own (`main.ts`). */
function nodeOf(file: string): string {
  const relative = path.relative(src, file);
  return relative.includes(path.sep) ? (relative.split(path.sep)[0] as string) : relative;
}

const isFolder = (node: string) => !node.endsWith('.ts');

const files = sourceFiles(src);
const imports: Import[] = files.flatMap((file) =>
  importsOf(file)
    .filter(({ spec }) => spec.startsWith('.'))
    .map(({ spec, typeOnly }) => ({ from: file, to: path.resolve(path.dirname(file), spec), typeOnly })),
);

/** The files a process loads from `entries` on, and for each how it was reached (for the message). */
function loadedFrom(entries: readonly string[]): Map<string, string | null> {
  const reachedFrom = new Map<string, string | null>(entries.map((entry) => [entry, null]));
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    for (const { spec, typeOnly } of importsOf(file)) {
      if (typeOnly) continue;
      const target = spec.startsWith('.') ? path.resolve(path.dirname(file), spec) : `package:${spec}`;
      if (reachedFrom.has(target)) continue;
      reachedFrom.set(target, file);
      if (!target.startsWith('package:') && fs.existsSync(target)) queue.push(target);
    }
  }
  return reachedFrom;
}

function chain(reachedFrom: Map<string, string | null>, target: string): string {
  const steps: string[] = [];
  for (let at: string | null | undefined = target; at !== null && at !== undefined; at = reachedFrom.get(at)) {
    steps.unshift(at.startsWith('package:') ? at.slice('package:'.length) : path.relative(src, at));
  }
  return steps.join(' → ');
}

describe('code layout', () => {
  it('folders and top-level files import each other without cycles (type-only imports too)', () => {
    const edges = new Map<string, Set<string>>();
    for (const { from, to } of imports) {
      const [a, b] = [nodeOf(from), nodeOf(to)];
      if (a === b) continue;
      if (!edges.has(a)) edges.set(a, new Set());
      edges.get(a)?.add(b);
    }
    const cycles = new Set<string>();
    const visit = (node: string, trail: string[]) => {
      for (const next of edges.get(node) ?? []) {
        if (trail.includes(next)) cycles.add([...trail.slice(trail.indexOf(next)), next].join(' → '));
        else visit(next, [...trail, next]);
      }
    };
    for (const node of edges.keys()) visit(node, [node]);
    assert.deepEqual([...cycles], []);
  });

  it('files of one folder import each other without cycles', () => {
    const edges = new Map<string, Set<string>>();
    for (const { from, to } of imports) {
      if (nodeOf(from) !== nodeOf(to) || !isFolder(nodeOf(from))) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)?.add(to);
    }
    const cycles = new Set<string>();
    const visit = (node: string, trail: string[]) => {
      for (const next of edges.get(node) ?? []) {
        if (trail.includes(next)) cycles.add([...trail.slice(trail.indexOf(next)), next].map((file) => path.relative(src, file)).join(' → '));
        else visit(next, [...trail, next]);
      }
    };
    for (const node of edges.keys()) visit(node, [node]);
    assert.deepEqual([...cycles], []);
  });

  it("another folder's files are imported only through its index.ts", () => {
    const deep = imports
      .filter(({ from, to }) => nodeOf(from) !== nodeOf(to) && isFolder(nodeOf(to)) && path.basename(to) !== 'index.ts')
      .map(({ from, to }) => `${path.relative(src, from)} → ${path.relative(src, to)}`);
    assert.deepEqual(deep, []);
  });

  it('the service never loads nodejs-polars: only reader processes do', () => {
    // What `ferry` runs (bin/ferry.js loads cli/boot.ts, then cli/main.ts, which starts the service).
    const service = loadedFrom([path.join(src, 'cli/boot.ts'), path.join(src, 'cli/main.ts'), path.join(src, 'main.ts')]);
    const polars = [...service.keys()].filter((file) => file === 'package:nodejs-polars');
    assert.deepEqual(
      polars.map((file) => chain(service, file)),
      [],
      'a chain of imports from the service reaches nodejs-polars',
    );
    // The reader process does load it (the rule above would pass vacuously if imports were misread).
    const reader = loadedFrom([path.join(src, 'frame/reader-process.ts'), path.join(src, 'frame/serve.ts')]);
    assert.ok(reader.has('package:nodejs-polars'), 'the reader process loads nodejs-polars');
  });

  it('nodejs-polars is imported only by the reader side (frame/, polars/, transform/) and the public API', () => {
    const allowed = new Set(['frame', 'polars', 'transform', 'index.ts']);
    const users = files.filter((file) => importsOf(file).some(({ spec, typeOnly }) => spec === 'nodejs-polars' && !typeOnly));
    assert.deepEqual(
      users.filter((file) => !allowed.has(nodeOf(file))).map((file) => path.relative(src, file)),
      [],
    );
  });

  it("SQL on ferry's own tables is written only in ledger/", () => {
    // The tables the migrations create, and node-pg-migrate's own.
    const tables = new Set(['ferry_migrations']);
    for (const file of fs.readdirSync(migrations)) {
      for (const match of fs.readFileSync(path.join(migrations, file), 'utf8').matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(ferry_\w+)/g))
        tables.add(match[1] as string);
    }
    assert.ok(tables.has('ferry_files') && tables.has('ferry_runs'), 'the scan finds the tables');
    // A table name after the SQL word that names a table (SQL is written upper case here), on a
    // line that is not a comment: metric names and prose that mention a table are not SQL.
    const statement = new RegExp(`\\b(?:FROM|INTO|UPDATE|JOIN|TABLE|TRUNCATE|ANALYZE)\\s+(?:ONLY\\s+)?(?:${[...tables].join('|')})\\b`);
    const exceptions = new Map([
      // The migration runner reads which migrations were applied: the migrations' bookkeeping, not the ledger's.
      [path.join('postgres', 'migrate.ts'), 'ferry_migrations'],
    ]);
    const outside = files
      .filter((file) => nodeOf(file) !== 'ledger')
      .flatMap((file) =>
        fs
          .readFileSync(file, 'utf8')
          .split('\n')
          .map((line, index) => ({ file: path.relative(src, file), line: index + 1, text: line }))
          .filter(({ text }) => !/^\s*(?:\/\/|\*|\/\*)/.test(text) && statement.test(text)),
      )
      .filter(({ file, text }) => !(exceptions.has(file) && text.includes(exceptions.get(file) as string)))
      .map(({ file, line, text }) => `${file}:${line}: ${text.trim()}`);
    assert.deepEqual(outside, []);
  });
});
