/**
 * The code layout as rules: the folders under src/ import each other without cycles, other
 * folders import a folder only through its index.ts, nodejs-polars is imported only by the
 * stages that run in reader processes (and the public API, which re-exports `pl`), and SQL on
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
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'/g)].map((match) => match[1] as string);
}

/** The folder under src/ a file belongs to ('' for files at the top). */
function folderOf(file: string): string {
  const relative = path.relative(src, file);
  return relative.includes(path.sep) ? (relative.split(path.sep)[0] as string) : '';
}

const files = sourceFiles(src);
const imports: Import[] = files.flatMap((file) =>
  importsOf(file)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => ({ from: file, to: path.resolve(path.dirname(file), spec) })),
);

describe('code layout', () => {
  it('folders import each other without cycles', () => {
    const edges = new Map<string, Set<string>>();
    for (const { from, to } of imports) {
      const [a, b] = [folderOf(from), folderOf(to)];
      if (a === b || a === '' || b === '') continue;
      if (!edges.has(a)) edges.set(a, new Set());
      edges.get(a)?.add(b);
    }
    const cycles: string[] = [];
    const visit = (node: string, trail: string[]) => {
      for (const next of edges.get(node) ?? []) {
        if (trail.includes(next)) cycles.push([...trail.slice(trail.indexOf(next)), next].join(' → '));
        else visit(next, [...trail, next]);
      }
    };
    for (const node of edges.keys()) visit(node, [node]);
    assert.deepEqual([...new Set(cycles)], []);
  });

  it("another folder's files are imported only through its index.ts", () => {
    const deep = imports
      .filter(({ from, to }) => folderOf(from) !== folderOf(to) && folderOf(to) !== '' && path.basename(to) !== 'index.ts')
      .map(({ from, to }) => `${path.relative(src, from)} → ${path.relative(src, to)}`);
    assert.deepEqual(deep, []);
  });

  it('nodejs-polars is used only where reader processes run Polars', () => {
    const allowed = new Set(['polars', 'read', 'transform', 'check', 'readers', 'load', '']);
    const users = files.filter((file) => importsOf(file).includes('nodejs-polars')).map((file) => path.relative(src, file));
    const outside = users.filter((file) => !allowed.has(folderOf(path.join(src, file))));
    assert.deepEqual(outside, []);
    // In load/, only the expressions that shape columns for COPY (run inside the reader's query).
    assert.deepEqual(
      users.filter((file) => file.startsWith(`load${path.sep}`)),
      [path.join('load', 'copy-expressions.ts')],
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
      .filter((file) => folderOf(file) !== 'ledger')
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
