/**
 * The code layout as rules: the folders under src/ import each other without cycles, other
 * folders import a folder only through its index.ts, and nodejs-polars is imported only by the
 * stages that run in reader processes (and the public API, which re-exports `pl`).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const src = path.resolve(import.meta.dirname, '../../src');

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
});
