/**
 * The bad-input corpus against a running ferry: each case is quarantined with its reason or
 * processed correctly, and the service stays up throughout.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CORPUS_LIMITS, type CorpusCase, MANY_FILES, writeBadCorpus } from '../fixtures/bad-corpus.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { type RunningFerry, startFerry, waitFor } from '../helpers/ferry-process.ts';
import { tempDir } from '../helpers/fixtures.ts';

let db: TestDatabase;
let project: string;
let cases: CorpusCase[];
let ferry: RunningFerry | null = null;

before(async () => {
  db = await createTestDatabase();
  project = tempDir('bad-input-');
  cases = writeBadCorpus(path.join(project, 'inbox'));
  fs.writeFileSync(path.join(project, 'ferry.config.ts'), `export default { limits: ${JSON.stringify(CORPUS_LIMITS)}, concurrency: 2 };\n`);
});
after(async () => {
  await ferry?.stop('SIGKILL');
  await db.drop();
  fs.rmSync(project, { recursive: true, force: true });
});

describe('bad-input corpus', () => {
  it(`quarantines or processes each of the cases, and stays up`, async () => {
    assert.ok(cases.length >= 20, `${cases.length} cases`);
    ferry = await startFerry({ env: { DATABASE_URL: db.url, FERRY_STORAGE: path.join(project, 'inbox') }, cwd: project });
    const expectedInLedger = cases.filter((c) => c.expect.outcome !== 'ignored').length - 1 + MANY_FILES;
    await waitFor(
      'every case recorded',
      async () => {
        const result = await db.pool.query("SELECT count(*)::int AS done, count(*) FILTER (WHERE status = 'pending')::int AS pending FROM ferry_files");
        return result.rows[0].done >= expectedInLedger && result.rows[0].pending === 0 ? true : undefined;
      },
      120_000,
    );
    const health = await fetch(`${ferry.url}/health`);
    assert.equal(health.status, 200, 'the service is still up and healthy');

    const rows = (await db.pool.query('SELECT key, status, rows, error, error_step FROM ferry_files')).rows as {
      key: string;
      status: string;
      rows: number | null;
      error: string | null;
      error_step: string | null;
    }[];
    const byKey = new Map(rows.map((row) => [row.key, row]));
    const report: string[] = [];
    for (const testCase of cases) {
      const { expect } = testCase;
      if (testCase.key === 'many/') {
        const many = rows.filter((row) => row.key.startsWith('many/'));
        assert.equal(many.length, MANY_FILES);
        assert.ok(many.every((row) => row.status === 'processed' && row.rows === 25));
        report.push(`${testCase.name}: processed`);
        continue;
      }
      const row = byKey.get(testCase.key);
      if (expect.outcome === 'ignored') {
        assert.equal(row, undefined, `${testCase.name} is not a source file`);
        report.push(`${testCase.name}: ignored`);
        continue;
      }
      assert.ok(row, `${testCase.name} is in the ledger`);
      assert.equal(row.status, expect.outcome, `${testCase.name}: ${row.status} ${row.error ?? ''}`);
      if (expect.outcome === 'processed') assert.equal(row.rows, expect.rows, testCase.name);
      else {
        assert.equal(row.error_step, 'read');
        assert.match(row.error ?? '', expect.reason, testCase.name);
      }
      report.push(`${testCase.name}: ${row.status}${row.error ? ` (${row.error})` : ''}`);
    }
    const results = await db.pool.query('SELECT count(*)::int AS n, count(DISTINCT file_name)::int AS distinct FROM etl_results');
    assert.equal(results.rows[0].n, results.rows[0].distinct, 'no file counted twice');
    console.log(`bad-input corpus, ${cases.length} cases:\n  ${report.join('\n  ')}`);
    assert.equal((await ferry.stop('SIGTERM')).code, 143);
    ferry = null;
  });
});
