/**
 * Parquet files that a reader gets wrong without an error, written by the test's own writer
 * (legacy list encodings — loaded only when every element the footer declares was decoded —, INT96 past 2262, Float16, an unknown logical type, pages of several
 * gzip members, a footer whose null counts disagree with the data): each loads with the file's
 * values or is refused with a code that says why — never processed with other values. Run
 * through batches (the default for small files) and alone.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runPipeline } from '../../src/worker/index.ts';
import { CONVERTED, float16, int96, LOGICAL, writeParquet } from '../helpers/parquet-writer.ts';
import { useTestRuntime } from '../helpers/runtime.ts';

const test = useTestRuntime('parquet-fidelity-');

const FILES: Record<string, Buffer> = {
  'one-level-list.parquet': writeParquet(
    [
      { name: 'id', type: 'INT32', repetition: 'required' },
      { name: 'xs', type: 'INT32', repetition: 'repeated' },
    ],
    [
      { id: 1, xs: [1, 2, 3] },
      { id: 2, xs: [] },
    ],
  ),
  'two-level-list.parquet': writeParquet(
    [{ name: 'xs', repetition: 'optional', convertedType: CONVERTED.LIST, fields: [{ name: 'array', type: 'INT32', repetition: 'repeated' }] }],
    [{ xs: { array: [1, 2] } }, { xs: null }],
  ),
  'int96-far.parquet': writeParquet(
    [{ name: 't', type: 'INT96', repetition: 'optional' }],
    [{ t: int96('9999-12-31 00:00:00') }, { t: int96('2020-01-01 00:00:00') }],
  ),
  'int96-near.parquet': writeParquet([{ name: 't', type: 'INT96', repetition: 'optional' }], [{ t: int96('2020-01-01 12:34:56.789') }, { t: null }]),
  'float16.parquet': writeParquet(
    [
      { name: 'id', type: 'INT32', repetition: 'required' },
      { name: 'h', type: 'FIXED_LEN_BYTE_ARRAY', typeLength: 2, logicalType: LOGICAL.float16, repetition: 'optional' },
    ],
    [
      { id: 1, h: float16(1) },
      { id: 2, h: float16(-2.5) },
      { id: 3, h: float16(65504) },
      { id: 4, h: null },
      { id: 5, h: float16(0.000061035156) },
    ],
  ),
  'unknown-logical.parquet': writeParquet([{ name: 'u', type: 'INT32', logicalType: LOGICAL.unknown(30), repetition: 'optional' }], [{ u: 5 }]),
  'gzip-members.parquet': writeParquet(
    [{ name: 'a', type: 'INT32', repetition: 'required' }],
    Array.from({ length: 50 }, (_, i) => ({ a: i })),
    { compression: 'gzip-members' },
  ),
  'lying-nulls.parquet': writeParquet([{ name: 'a', type: 'INT32', repetition: 'optional', nullCount: 1 }], [{ a: 5 }, { a: 6 }], { statistics: true }),
  'true-nulls.parquet': writeParquet([{ name: 'a', type: 'INT32', repetition: 'optional' }], [{ a: 5 }, { a: null }], { statistics: true }),
};

const EXPECTED: Record<string, string> = {
  'one-level-list.parquet': 'FILE_UNSUPPORTED',
  'int96-far.parquet': 'FILE_UNSUPPORTED',
  'unknown-logical.parquet': 'FILE_UNSUPPORTED',
  'gzip-members.parquet': 'FILE_UNSUPPORTED',
  'lying-nulls.parquet': 'READ_MISMATCH',
};

for (const batch of [true, false]) {
  describe(`Parquet fidelity (${batch ? 'in batches' : 'one file at a time'})`, () => {
    it('loads the values the file holds, or refuses the file with a code that says why', async () => {
      const tables = (await test.db.pool.query("SELECT tablename FROM pg_tables WHERE tablename LIKE 'pq\\_%'")).rows.map((row) => `"${row.tablename}"`);
      if (tables.length > 0) await test.db.pool.query(`DROP TABLE ${tables.join(', ')}`);
      await test.db.pool.query('TRUNCATE ferry_files, ferry_runs RESTART IDENTITY CASCADE');
      fs.rmSync(test.inbox, { recursive: true, force: true });
      fs.mkdirSync(test.inbox, { recursive: true });
      for (const [name, bytes] of Object.entries(FILES)) fs.writeFileSync(path.join(test.inbox, name), bytes);
      // Each file its own table: their columns differ.
      const pipelines = Object.fromEntries(
        Object.keys(FILES).map((name) => [
          name.replace(/\W/g, '_'),
          {
            source: { modifiedWithin: null, glob: name },
            sink: { table: `pq_${name.replace(/\.parquet$/, '').replace(/\W/g, '_')}` },
            batch: batch ? {} : false,
          },
        ]),
      );
      const runtime = await test.open({ raw: { pipelines } });
      for (const pipeline of runtime.config.pipelines) await runPipeline(runtime, { pipeline, trigger: 'manual' });
      const rows = (await test.db.pool.query('SELECT key, status, error_code, error FROM ferry_files ORDER BY key')).rows;
      for (const row of rows) {
        const expected = EXPECTED[row.key];
        if (expected === undefined) assert.equal(row.status, 'processed', `${row.key}: ${row.error}`);
        else {
          assert.equal(row.status, 'quarantined', `${row.key} must not be processed`);
          assert.equal(row.error_code, expected, `${row.key}: ${row.error}`);
        }
      }
      assert.equal(rows.length, Object.keys(FILES).length);
      const q = async (sql: string) => (await test.db.pool.query(sql)).rows;
      assert.deepEqual(await q(`SELECT id, h FROM pq_float16 ORDER BY id`), [
        { id: 1, h: 1 },
        { id: 2, h: -2.5 },
        { id: 3, h: 65504 },
        { id: 4, h: null },
        { id: 5, h: 0.000061035156 },
      ]);
      assert.equal(
        (await q(`SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'pq_float16'::regclass AND attname = 'h'`))[0].t,
        'real',
      );
      assert.deepEqual(await q(`SELECT t::text FROM pq_int96_near ORDER BY t NULLS LAST`), [{ t: '2020-01-01 12:34:56.789' }, { t: null }]);
      assert.deepEqual(await q('SELECT a FROM pq_true_nulls ORDER BY a NULLS LAST'), [{ a: 5 }, { a: null }]);
      // A legacy list that Polars decodes whole (every element the footer declares) loads.
      assert.deepEqual(await q('SELECT xs FROM pq_two_level_list ORDER BY xs NULLS LAST'), [{ xs: [1, 2] }, { xs: null }]);
    });
  });
}

describe('Parquet Float16 with a type in source.schema', () => {
  it('is decoded before the cast: source.schema { h: real } loads the values', async () => {
    fs.rmSync(test.inbox, { recursive: true, force: true });
    fs.mkdirSync(test.inbox, { recursive: true });
    fs.writeFileSync(path.join(test.inbox, 'half.parquet'), FILES['float16.parquet'] as Buffer);
    const runtime = await test.open({
      raw: { pipelines: { half: { source: { modifiedWithin: null, glob: 'half.parquet', schema: { h: 'double precision' } }, sink: { table: 'half' } } } },
    });
    await runPipeline(runtime, { pipeline: runtime.config.pipelines[0] as (typeof runtime.config.pipelines)[number], trigger: 'manual' });
    const row = (await test.db.pool.query("SELECT status, error FROM ferry_files WHERE key = 'half.parquet'")).rows[0];
    assert.equal(row.status, 'processed', row.error);
    assert.deepEqual((await test.db.pool.query('SELECT h FROM half ORDER BY id')).rows, [
      { h: 1 },
      { h: -2.5 },
      { h: 65504 },
      { h: null },
      { h: 0.00006103515625 },
    ]);
  });
});
