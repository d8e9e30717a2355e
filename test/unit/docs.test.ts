/** The README's error table lists exactly the codes of the error table in the code. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ERROR_TABLE } from '../../src/errors/index.ts';
import { HTTP_ERROR_CODES } from '../../src/http/index.ts';

describe('docs', () => {
  it("the README's error table has every code, its step and outcome", () => {
    const readme = fs.readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
    const rows = new Map([...readme.matchAll(/^\| `([A-Z_]+)` \| ([a-z—]+) \| ([^|]+) \|/gm)].map((m) => [m[1] as string, { step: m[2], outcome: m[3] }]));
    assert.deepEqual([...rows.keys()].sort(), Object.keys(ERROR_TABLE).sort());
    for (const [code, entry] of Object.entries(ERROR_TABLE)) {
      assert.equal(rows.get(code)?.step, entry.step ?? '—', code);
      const outcome = rows.get(code)?.outcome ?? '';
      const expected = { retry: /retried/, quarantine: /^quarantined/, supersede: /superseded/, none: /does not start/ }[entry.outcome];
      assert.match(outcome, expected, code);
    }
  });

  it("the README's HTTP API section lists every error code an answer can carry", () => {
    const readme = fs.readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## HTTP API'), readme.indexOf('## Watching ferry'));
    const listed = section.slice(section.indexOf('(codes:'), section.indexOf('when one field is at fault'));
    const codes = [...listed.matchAll(/`([a-z_]+)` \d{3}/g)].map((m) => m[1]);
    assert.deepEqual(codes.sort(), [...HTTP_ERROR_CODES].sort());
  });
});
