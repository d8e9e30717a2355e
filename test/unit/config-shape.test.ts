/**
 * The config's shape is the schema (src/config/schema.ts) and its defaults are DEFAULTS
 * (src/config/defaults.ts). What is written by hand beside them is held to them here: the
 * JSDoc `@default` tags of the input types (the editor shows them in `defineConfig`), and the
 * README's tables of `source` and `sink` fields. (That the input types have the schema's
 * fields and value types is checked by the compiler, in schema.ts.)
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULTS } from '../../src/config/index.ts';
import { configSchema } from '../../src/config/schema.ts';

const root = path.resolve(import.meta.dirname, '../..');

/** Every field path the schema accepts (`retry.maxAttempts`, `pipelines.*.sink.mode`; array elements' fields under the array's path). */
function schemaPaths(schema: unknown, prefix = '', into = new Set<string>()): Set<string> {
  const def = (schema as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
      return schemaPaths(def.innerType, prefix, into);
    case 'union':
      for (const option of def.options as unknown[]) schemaPaths(option, prefix, into);
      return into;
    case 'array':
      return schemaPaths(def.element, prefix, into);
    case 'record':
      into.add(`${prefix}*`);
      return schemaPaths(def.valueType, `${prefix}*.`, into);
    case 'object':
      for (const [key, value] of Object.entries(def.shape as Record<string, unknown>)) {
        into.add(`${prefix}${key}`);
        schemaPaths(value, `${prefix}${key}.`, into);
      }
      return into;
    default:
      return into;
  }
}

const FIELDS = schemaPaths(configSchema);

/** DEFAULTS by the path of the field each applies to (intermediate objects too: `pipelines.*.batch`). */
function defaultsByPath(): Map<string, unknown> {
  const byPath = new Map<string, unknown>();
  const add = (prefix: string, value: unknown) => {
    byPath.set(prefix, value);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) add(`${prefix}.${key}`, inner);
    }
  };
  const { alert, pipeline, tableSink, pipelineName, rowCountWindow, timezone, ...top } = DEFAULTS;
  for (const [key, value] of Object.entries(top)) add(key, value);
  for (const [key, value] of Object.entries(alert)) add(`alerts.${key}`, value);
  for (const [key, value] of Object.entries(pipeline)) add(`pipelines.*.${key}`, value);
  for (const [key, value] of Object.entries(tableSink)) add(`pipelines.*.sink.${key}`, value);
  byPath.set('pipelines', { [pipelineName]: {} });
  add('pipelines.*.schedule.timezone', timezone);
  void rowCountWindow; // depends on the sink: documented in words (see the modifiedWithin tests)
  return byPath;
}

const DEFAULT_AT = defaultsByPath();
/** The paths of single defaults (not of an object of them). */
const LEAVES = [...DEFAULT_AT.entries()]
  .filter(([, value]) => value === null || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length === 0)
  .map(([fieldPath]) => fieldPath);

/** A value as the docs write it: `'24h'`, `10000`, `{ every: '5m' }`, `['*']`. */
function render(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(render).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([key, inner]) => `${key}: ${render(inner)}`).join(', ')} }`;
  }
  return String(value);
}

/** A default written as a value (not in words such as "from the extension"); `'<table>_rejects'` is a pattern, not a value. */
const LITERAL = /^(?:'(?!<)|-?\d|true\b|false\b|null\b|\{|\[)/;

/**
 * The `@default` tags of an interface's fields, by path: `readonly name?: {` opens a nested
 * object (its fields are `name.field`), `};` closes it.
 */
function jsdocDefaults(file: string, name: string, prefix: string): Map<string, string> {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const start = text.indexOf(`export interface ${name} {`);
  assert.ok(start >= 0, `${file} declares ${name}`);
  const lines = text.slice(start).split('\n').slice(1);
  const found = new Map<string, string>();
  const stack: string[] = [];
  let comment: string | null = null;
  let inComment = false;
  for (const line of lines) {
    const trimmed = line.trim();
    if (!inComment && trimmed === '}') break;
    if (trimmed.startsWith('/**')) [comment, inComment] = ['', true];
    if (inComment) {
      comment += ` ${trimmed.replace(/^\/\*\*|\*\/$|^\*/g, '').trim()}`;
      if (trimmed.endsWith('*/')) inComment = false;
      continue;
    }
    const property = /^readonly (\w+)\??:\s*(.*)$/.exec(trimmed);
    if (property) {
      const fieldPath = `${prefix}${[...stack, property[1]].join('.')}`;
      const tag = /@default\s+(.*)$/.exec(comment ?? '');
      if (tag)
        found.set(
          fieldPath,
          (tag[1] as string)
            .replace(/\*\\\//g, '*/')
            .replace(/\s+/g, ' ')
            .trim(),
        );
      if ((property[2] as string).endsWith('{')) stack.push(property[1] as string);
      comment = null;
    } else if (trimmed === '};') stack.pop();
  }
  return found;
}

const DOCUMENTED = new Map([
  ...jsdocDefaults('src/config/types.ts', 'FerryConfigInput', ''),
  ...jsdocDefaults('src/config/types.ts', 'PipelineInput', 'pipelines.*.'),
  ...jsdocDefaults('src/config/types.ts', 'TableSinkInput', 'pipelines.*.sink.'),
  ...jsdocDefaults('src/alerts/events.ts', 'AlertInput', 'alerts.'),
]);

/** A README table's rows after `heading`: the fields each row names, and its default cell. */
function readmeTable(heading: string): { fields: string[]; defaults: string }[] {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const at = readme.indexOf(heading);
  assert.ok(at >= 0, `the README has ${heading}`);
  const table = readme.slice(at).split('\n\n')[1] as string;
  return table
    .split('\n')
    .slice(2)
    .map((row) => {
      const cells = row.split(/(?<!\\)\|/).map((cell) => cell.trim());
      return { fields: [...(cells[1] as string).matchAll(/`(\w+)`/g)].map((m) => m[1] as string), defaults: cells[3] as string };
    });
}

describe('config shape', () => {
  it('every default is for a field of the schema', () => {
    assert.deepEqual(
      LEAVES.filter((fieldPath) => !FIELDS.has(fieldPath)),
      [],
    );
  });

  it('every @default in the input types is for a field of the schema, and a value written there is the real default', () => {
    assert.deepEqual(
      [...DOCUMENTED.keys()].filter((fieldPath) => !FIELDS.has(fieldPath)),
      [],
    );
    for (const [fieldPath, text] of DOCUMENTED) {
      if (DEFAULT_AT.has(fieldPath))
        assert.ok(text.startsWith(render(DEFAULT_AT.get(fieldPath))), `${fieldPath}: @default ${text}, not ${render(DEFAULT_AT.get(fieldPath))}`);
      else assert.doesNotMatch(text, LITERAL, `${fieldPath}: @default ${text}, but ferry has no such default`);
    }
  });

  it('every default is in the input types, as the @default of its field or of an object around it', () => {
    const undocumented = LEAVES.filter((fieldPath) => {
      const parts = fieldPath.split('.');
      return !parts.some((_, index) => LITERAL.test(DOCUMENTED.get(parts.slice(0, index + 1).join('.')) ?? ''));
    });
    assert.deepEqual(undocumented, []);
  });

  it("modifiedWithin's default is said for both sinks: the row count's window, none for a table", () => {
    const jsdoc = DOCUMENTED.get('pipelines.*.source.modifiedWithin') ?? '';
    assert.match(jsdoc, /table/);
    assert.ok(jsdoc.includes(render(DEFAULTS.rowCountWindow)), jsdoc);
    const row = readmeTable('`source` fields').find((entry) => entry.fields.includes('modifiedWithin'));
    assert.ok(row?.defaults.includes(render(DEFAULTS.rowCountWindow)) && /table/.test(row.defaults), row?.defaults);
  });

  for (const [heading, prefix] of [
    ['`source` fields', 'pipelines.*.source.'],
    ['`sink` fields', 'pipelines.*.sink.'],
  ] as const) {
    it(`the README's ${heading} table lists every field of the schema, none other, with the real defaults`, () => {
      const rows = readmeTable(heading);
      const listed = rows.flatMap((row) => row.fields.map((field) => `${prefix}${field}`));
      const fields = [...FIELDS].filter((fieldPath) => fieldPath.startsWith(prefix) && !fieldPath.slice(prefix.length).includes('.'));
      assert.deepEqual([...listed].sort(), fields.sort());
      for (const row of rows) {
        // A row of several fields gives their defaults in order, separated by commas.
        const cells = row.fields.length === 1 ? [row.defaults] : row.defaults.split(/,\s*/);
        row.fields.forEach((field, index) => {
          const fieldPath = `${prefix}${field}`;
          const cell = cells[index] ?? '';
          const value = /^`([^`]*)`/.exec(cell)?.[1];
          if (DEFAULT_AT.has(fieldPath)) {
            const expected = DEFAULT_AT.get(fieldPath);
            // Names of modes and policies are written bare (`append`), other strings quoted; "none" is an empty {} or [].
            const empty = cell === 'none' && ['{}', '[]'].includes(render(expected));
            assert.ok(empty || value === render(expected) || value === String(expected), `README ${heading} ${field}: ${cell}, not ${render(expected)}`);
          } else {
            assert.ok(value === undefined || !LITERAL.test(value), `README ${heading} ${field}: ${cell}, but ferry has no such default`);
          }
        });
      }
    });
  }
});
