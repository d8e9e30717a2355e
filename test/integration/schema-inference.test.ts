/**
 * Column types of real files: JSON arrays infer over all rows; CSV and NDJSON over
 * `source.inferSchemaLength` rows (null: all); `source.schema` overrides inference; a failed
 * inference is quarantined with a reason that names the fields to set.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { columnTypes as columnTypesOf, ledgerRow, runOnce, useTestRuntime } from '../helpers/runtime.ts';

const test = useTestRuntime('inference-');

async function load(source: Record<string, unknown>, table: string) {
  return runOnce(await test.open({ raw: { pipelines: { load: { source: { modifiedWithin: null, ...source }, sink: { table } } } } }));
}

const columnTypes = (table: string) => columnTypesOf(test.db.pool, table);
const ledger = (key: string) => ledgerRow(test.db.pool, key);

describe('schema inference', () => {
  it('a JSON array with nulls in its first hundreds of records loads with the right types', async () => {
    const records = [
      ...Array.from({ length: 700 }, (_, i) => ({ id: i, score: null, note: null })),
      ...Array.from({ length: 3 }, (_, i) => ({ id: 700 + i, score: 1.5 + i, note: `n${i}` })),
    ];
    fs.writeFileSync(path.join(test.inbox, 'late.json'), JSON.stringify(records));
    const run = await load({ glob: '*.json' }, 'late_json');
    assert.equal(run.counts.files_processed, 1, (await ledger('late.json'))?.error);
    assert.deepEqual(await columnTypes('late_json'), { id: 'bigint', score: 'double precision', note: 'text' });
    const rows = await test.db.pool.query('SELECT count(*)::int AS n, sum(score) AS total FROM late_json');
    assert.deepEqual(rows.rows[0], { n: 703, total: 7.5 });
  });

  it('NDJSON: a type past inferSchemaLength is quarantined naming the setting; null (all rows) loads it', async () => {
    const lines = [...Array.from({ length: 300 }, (_, i) => JSON.stringify({ id: i, score: null })), JSON.stringify({ id: 300, score: 2.5 })];
    fs.writeFileSync(path.join(test.inbox, 'late.ndjson'), `${lines.join('\n')}\n`);
    await load({ glob: '*.ndjson', inferSchemaLength: 100 }, 'late_ndjson');
    const failed = await ledger('late.ndjson');
    assert.equal(failed.status, 'quarantined');
    assert.equal(failed.error_code, 'SCHEMA_INFERENCE_FAILED');
    assert.match(failed.error, /late\.ndjson: .*source\.inferSchemaLength .*source\.schema/);

    await test.db.pool.query('TRUNCATE ferry_files, ferry_runs RESTART IDENTITY CASCADE');
    const run = await load({ glob: '*.ndjson', inferSchemaLength: null }, 'late_ndjson');
    assert.equal(run.counts.files_processed, 1, (await ledger('late.ndjson'))?.error);
    assert.deepEqual(await columnTypes('late_ndjson'), { id: 'bigint', score: 'double precision' });
  });

  it('CSV: source.schema types a column (leading zeros kept); null infers over all rows', async () => {
    fs.writeFileSync(path.join(test.inbox, 'zips.csv'), 'zip,amount\n01234,1\n00501,2\n90210,3\n');
    const run = await load({ glob: 'zips.csv', schema: { zip: 'text', amount: 'double precision' } }, 'zips');
    assert.equal(run.counts.files_processed, 1, (await ledger('zips.csv'))?.error);
    assert.deepEqual(await columnTypes('zips'), { zip: 'text', amount: 'double precision' });
    assert.deepEqual((await test.db.pool.query('SELECT zip, amount FROM zips ORDER BY zip')).rows, [
      { zip: '00501', amount: 2 },
      { zip: '01234', amount: 1 },
      { zip: '90210', amount: 3 },
    ]);

    const late = `x\n${Array.from({ length: 200 }, (_, i) => String(i)).join('\n')}\n1.5\n`;
    fs.writeFileSync(path.join(test.inbox, 'late.csv'), late);
    await load({ glob: 'late.csv', inferSchemaLength: 100 }, 'late_csv');
    assert.equal((await ledger('late.csv')).error_code, 'SCHEMA_INFERENCE_FAILED');
    await test.db.pool.query('TRUNCATE ferry_files, ferry_runs RESTART IDENTITY CASCADE');
    const all = await load({ glob: 'late.csv', inferSchemaLength: null }, 'late_csv');
    assert.equal(all.counts.files_processed, 1, (await ledger('late.csv'))?.error);
    assert.deepEqual(await columnTypes('late_csv'), { x: 'double precision' });
  });
});
