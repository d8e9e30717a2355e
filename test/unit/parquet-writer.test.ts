/**
 * The test Parquet writer, read back by an independent reader (DuckDB): legacy lists, INT96,
 * Float16, unknown logical types, writer quirks, gzip members and statistics.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { tempDir } from '../helpers/fixtures.ts';
import { CONVERTED, type Field, float16, int96, LOGICAL, type ParquetWriteOptions, writeParquet } from '../helpers/parquet-writer.ts';

const dir = tempDir('parquet-writer-');
let instance: DuckDBInstance;
let duck: DuckDBConnection;
before(async () => {
  instance = await DuckDBInstance.create(':memory:');
  duck = await instance.connect();
});
after(() => {
  duck.closeSync();
  instance.closeSync();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Writes the file and returns DuckDB's rows (as JSON values) and column types. */
async function roundTrip(fields: readonly Field[], rows: Record<string, unknown>[], options?: ParquetWriteOptions, select = '*') {
  const file = path.join(dir, `f${fs.readdirSync(dir).length}.parquet`);
  fs.writeFileSync(file, writeParquet(fields, rows, options));
  const result = await duck.runAndReadAll(`SELECT ${select} FROM read_parquet('${file}')`);
  return { rows: result.getRowObjectsJson(), types: result.columnTypes().map(String), file };
}

const id: Field = { name: 'id', repetition: 'required', type: 'INT32' };

describe('parquet-writer', () => {
  it('writes required, optional and repeated primitives of every physical type, in several row groups', async () => {
    const fields: Field[] = [
      id,
      { name: 'b', repetition: 'optional', type: 'BOOLEAN' },
      { name: 'l', repetition: 'optional', type: 'INT64' },
      { name: 'f', repetition: 'required', type: 'FLOAT' },
      { name: 'd', repetition: 'optional', type: 'DOUBLE' },
      { name: 's', repetition: 'optional', type: 'BYTE_ARRAY', convertedType: CONVERTED.UTF8, logicalType: LOGICAL.string },
      { name: 'fixed', repetition: 'optional', type: 'FIXED_LEN_BYTE_ARRAY', typeLength: 3 },
      { name: 'xs', repetition: 'repeated', type: 'INT32' },
    ];
    const rows = Array.from({ length: 10 }, (_, i) => ({
      id: i,
      b: i % 3 === 0 ? null : i % 2 === 0,
      l: i === 1 ? -9223372036854775808n : i % 4 === 0 ? null : BigInt(i) * 10_000_000_000n,
      f: i / 4,
      d: i % 5 === 0 ? null : -i * 1.5,
      s: i % 4 === 3 ? null : `ü${i}`,
      fixed: i % 2 ? Buffer.from([i, 0, 255]) : null,
      xs: Array.from({ length: i % 3 }, (_, k) => i * 10 + k),
    }));
    const read = await roundTrip(fields, rows, { rowGroupRows: 4 }, '*, hex(fixed) AS fixed_hex');
    assert.deepEqual(read.types.slice(0, 8), ['INTEGER', 'BOOLEAN', 'BIGINT', 'FLOAT', 'DOUBLE', 'VARCHAR', 'BLOB', 'INTEGER[]']);
    assert.deepEqual(
      read.rows.map((r) => [r.id, r.b, r.l, r.f, r.d, r.s, r.fixed_hex, r.xs]),
      rows.map((r) => [r.id, r.b, r.l === null ? null : String(r.l), r.f, r.d, r.s, r.fixed ? r.fixed.toString('hex').toUpperCase() : null, r.xs]),
    );
    const groups = await duck.runAndReadAll(`SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata('${read.file}') ORDER BY 1`);
    assert.deepEqual(groups.getRowObjectsJson(), [
      { row_group_id: '0', row_group_num_rows: '4' },
      { row_group_id: '1', row_group_num_rows: '4' },
      { row_group_id: '2', row_group_num_rows: '2' },
    ]);
  });

  it('writes the two-level legacy lists and groups nested in groups', async () => {
    const element: Field = { name: 'array', repetition: 'repeated', fields: [{ name: 'x', repetition: 'required', type: 'INT32' }] };
    const fields: Field[] = [
      id,
      { name: 'grouped', repetition: 'optional', convertedType: CONVERTED.LIST, fields: [element] },
      { name: 'plain', repetition: 'optional', convertedType: CONVERTED.LIST, fields: [{ name: 'array', repetition: 'repeated', type: 'INT32' }] },
      {
        name: 'rec',
        repetition: 'optional',
        fields: [
          { name: 'n', repetition: 'required', type: 'INT32' },
          {
            name: 'pts',
            repetition: 'repeated',
            fields: [
              { name: 'x', repetition: 'optional', type: 'DOUBLE' },
              { name: 'y', repetition: 'required', type: 'DOUBLE' },
            ],
          },
        ],
      },
    ];
    const rows = [
      {
        id: 0,
        grouped: { array: [{ x: 1 }, { x: 2 }] },
        plain: { array: [5] },
        rec: {
          n: 1,
          pts: [
            { x: 0.5, y: 1 },
            { x: null, y: 2 },
          ],
        },
      },
      { id: 1, grouped: null, plain: { array: [] }, rec: null },
      { id: 2, grouped: { array: [] }, plain: null, rec: { n: 2, pts: [] } },
    ];
    const read = await roundTrip(fields, rows);
    // DuckDB reads a one-field element group as its field (the spec says: a struct {x}).
    assert.deepEqual(read.types, ['INTEGER', 'INTEGER[]', 'INTEGER[]', 'STRUCT("n" INTEGER, "pts" STRUCT("x" DOUBLE, "y" DOUBLE)[])']);
    assert.deepEqual(read.rows, [
      {
        id: 0,
        grouped: [1, 2],
        plain: [5],
        rec: {
          n: 1,
          pts: [
            { x: 0.5, y: 1 },
            { x: null, y: 2 },
          ],
        },
      },
      { id: 1, grouped: null, plain: [], rec: null },
      { id: 2, grouped: [], plain: null, rec: { n: 2, pts: [] } },
    ]);
  });

  it('writes INT96 timestamps beyond the nanosecond range and before 1582', async () => {
    const stamps = ['9999-12-31 00:00:00', '1500-01-01', '2024-02-29 12:34:56.123456', '1970-01-01 00:00:00.000001', null];
    const read = await roundTrip(
      [id, { name: 'ts', repetition: 'optional', type: 'INT96' }],
      stamps.map((ts, i) => ({ id: i, ts: ts === null ? null : int96(ts) })),
    );
    assert.deepEqual(read.types, ['INTEGER', 'TIMESTAMP']);
    assert.deepEqual(
      read.rows.map((r) => r.ts),
      ['9999-12-31 00:00:00', '1500-01-01 00:00:00', '2024-02-29 12:34:56.123456', '1970-01-01 00:00:00.000001', null],
    );
  });

  it('writes Float16 that DuckDB reads as FLOAT', async () => {
    const values = [1, -2.5, 65504, Number.NaN, null, 2 ** -24, -0, 0.333251953125, 1e6];
    const read = await roundTrip(
      [id, { name: 'h', repetition: 'optional', type: 'FIXED_LEN_BYTE_ARRAY', typeLength: 2, logicalType: LOGICAL.float16 }],
      values.map((h, i) => ({ id: i, h: h === null ? null : float16(h) })),
      undefined,
      'id, h, CAST(h AS VARCHAR) AS text',
    );
    assert.deepEqual(read.types.slice(0, 2), ['INTEGER', 'FLOAT']);
    assert.deepEqual(
      read.rows.map((r) => r.text),
      ['1.0', '-2.5', '65504.0', 'nan', null, '5.9604645e-08', '-0.0', '0.33325195', 'inf'],
    );
    assert.deepEqual(float16(1), Buffer.from([0x00, 0x3c]));
  });

  it('writes an unknown logical type, a dictionary offset of 0, gzip members and null counts that readers accept', async () => {
    const fields = (nullCount?: number): Field[] => [
      id,
      { name: 'n', repetition: 'optional', type: 'INT32', logicalType: LOGICAL.unknown(30), ...(nullCount === undefined ? {} : { nullCount }) },
    ];
    const rows = Array.from({ length: 50 }, (_, i) => ({ id: i, n: i % 4 === 0 ? null : i * 3 }));
    const expected = rows.map((r) => ({ id: r.id, n: r.n }));
    for (const options of [
      { dictionaryPageOffsetZero: true },
      { compression: 'gzip-members' },
      { compression: 'gzip', statistics: true, rowGroupRows: 20 },
    ] as const) {
      const read = await roundTrip(fields(), rows, options);
      assert.deepEqual(read.types, ['INTEGER', 'INTEGER'], JSON.stringify(options));
      assert.deepEqual(read.rows, expected, JSON.stringify(options));
    }
    const counted = await roundTrip(fields(), rows, { statistics: true, rowGroupRows: 20 });
    const lying = await roundTrip(fields(0), rows, { statistics: true, rowGroupRows: 20 });
    const nullCounts = async (file: string) =>
      (await duck.runAndReadAll(`SELECT stats_null_count AS n FROM parquet_metadata('${file}') WHERE path_in_schema = 'n' ORDER BY row_group_id`))
        .getRowObjectsJson()
        .map((r) => r.n);
    assert.deepEqual(await nullCounts(counted.file), ['5', '5', '3']);
    assert.deepEqual(await nullCounts(lying.file), ['0', '0', '0']);
    const quirk = await roundTrip(fields(), rows, { dictionaryPageOffsetZero: true, compression: 'gzip' });
    const metadata = async (file: string) =>
      (await duck.runAndReadAll(`SELECT dictionary_page_offset AS d, compression FROM parquet_metadata('${file}') LIMIT 1`)).getRowObjectsJson();
    assert.deepEqual(await metadata(quirk.file), [{ d: '0', compression: 'GZIP' }]);
    assert.deepEqual(await metadata(counted.file), [{ d: null, compression: 'UNCOMPRESSED' }]);
  });
});
