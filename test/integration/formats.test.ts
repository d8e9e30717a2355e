/**
 * Round trips: for each format and type, the values in PostgreSQL equal the source values
 * (nulls, unicode, time zones, big integers, decimals, NaN/Infinity, binary, nested values).
 * Also compressed text, Arrow IPC written by another implementation (Arrow JS), decompression
 * limits and encoding errors.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';
import { Float64, Int64, Table, TimestampMicrosecond, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import pl from 'nodejs-polars';
import { column, footer, parquetWithFooter, rowGroup } from '../helpers/parquet-footer-writer.ts';
import { runOnce, useTestRuntime } from '../helpers/runtime.ts';

const test = useTestRuntime('formats-');

async function load(glob: string, table: string, extra: Record<string, unknown> = {}): Promise<void> {
  const { limits, ...pipeline } = extra;
  await runOnce(await test.open({ raw: { ...(limits ? { limits } : {}), pipelines: { load: { source: { glob }, sink: { table }, ...pipeline } } } }));
}

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await test.db.pool.query(sql)).rows;
}

async function failures(): Promise<{ key: string; error_step: string; error: string }[]> {
  return (await test.db.pool.query("SELECT key, error_step, error FROM ferry_files WHERE status = 'quarantined' ORDER BY key")).rows;
}

/** Every type of the type map, three rows, the last mostly null. */
function everyType(): pl.DataFrame {
  return pl
    .DataFrame([
      pl.Series('id', [1, 2, 3], pl.Int32),
      pl.Series('i8', [-128, 127, null], pl.Int8),
      pl.Series('u8', [0, 255, null], pl.UInt8),
      pl.Series('i64', ['9007199254740993', '-9223372036854775808', null]).cast(pl.Int64),
      pl.Series('u64', ['18446744073709551615', '0', null]).cast(pl.UInt64),
      pl.Series('f32', [1.5, -0.25, null], pl.Float32),
      pl.Series('f64', [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY], pl.Float64),
      pl.Series('dec', ['12345678901234567890.1234567890', '-0.0000000001', null]).cast(pl.Decimal(38, 10)),
      pl.Series('ok', [true, false, null], pl.Bool),
      pl.Series('txt', ['ünïcødé 日本 🚀 "q", a\nb', '', null], pl.Utf8),
      pl.Series('day', ['2026-02-28', '1970-01-01', null]).str.strptime(pl.Date, '%Y-%m-%d'),
      pl.Series('ns', ['1700000000123456789', '0', null]).cast(pl.Int64).cast(pl.Datetime('ns')),
      pl.Series('us_micro', ['1700000000123456', '-1', null]).cast(pl.Int64),
      pl.Series('dur_us', ['1500000', '-1', null]).cast(pl.Int64).cast(pl.Duration('us')),
      pl.Series('hex', ['00ff10', '', null], pl.Utf8),
      pl.Series('ints', [[1, 2], [], null]),
      pl.Series('cat', ['x', 'y', null], pl.Utf8).cast(pl.Categorical),
    ])
    .withColumns(
      pl.col('us_micro').cast(pl.Datetime('us', 'UTC')).dt.convertTimeZone('Europe/Berlin').alias('berlin'),
      pl.col('us_micro').cast(pl.Datetime('us')).cast(pl.Time).alias('clock'),
      pl.col('hex').str.decode('hex').alias('bin'),
      pl.struct([pl.col('i64').alias('n'), pl.col('txt').alias('s')]).alias('rec'),
      pl.col('ints').cast(pl.List(pl.Int64)).alias('ints'),
    )
    .drop(['us_micro', 'hex']);
}

const EXPECTED_TYPES = [
  'id integer',
  'i8 smallint',
  'u8 smallint',
  'i64 bigint',
  'u64 numeric',
  'f32 real',
  'f64 double precision',
  'dec numeric',
  'ok boolean',
  'txt text',
  'day date',
  'ns timestamp without time zone',
  'dur_us interval',
  'ints jsonb',
  'cat text',
  'berlin timestamp with time zone',
  'clock time without time zone',
  'bin bytea',
  'rec jsonb',
];

async function assertEveryType(table: string): Promise<void> {
  const columns = await rows(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '${table}' ORDER BY ordinal_position`);
  assert.deepEqual(
    columns.map((c) => `${c.column_name} ${c.data_type}`),
    EXPECTED_TYPES,
  );
  const values = await rows(
    `SELECT id, i8, u8, i64::text, u64::text, f32, f64::text, dec::text, ok, txt, day::text,
            to_char(ns, 'YYYY-MM-DD HH24:MI:SS.US') AS ns, dur_us::text, ints::text, cat,
            to_char(berlin AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS berlin_utc, clock::text,
            encode(bin, 'hex') AS bin, rec::text
       FROM ${table} ORDER BY id`,
  );
  assert.deepEqual(values[0], {
    id: 1,
    i8: -128,
    u8: 0,
    i64: '9007199254740993',
    u64: '18446744073709551615',
    f32: 1.5,
    f64: 'NaN',
    dec: '12345678901234567890.1234567890',
    ok: true,
    txt: 'ünïcødé 日本 🚀 "q", a\nb',
    day: '2026-02-28',
    // PostgreSQL keeps microseconds: nanoseconds are cut off.
    ns: '2023-11-14 22:13:20.123456',
    dur_us: '00:00:01.5',
    ints: '[1, 2]',
    cat: 'x',
    berlin_utc: '2023-11-14 22:13:20.123456',
    clock: '22:13:20.123456',
    bin: '00ff10',
    rec: '{"n": 9007199254740993, "s": "ünïcødé 日本 🚀 \\"q\\", a\\nb"}',
  });
  assert.deepEqual(values[1], {
    id: 2,
    i8: 127,
    u8: 255,
    i64: '-9223372036854775808',
    u64: '0',
    f32: -0.25,
    f64: 'Infinity',
    dec: '-0.0000000001',
    ok: false,
    txt: '',
    day: '1970-01-01',
    ns: '1970-01-01 00:00:00.000000',
    dur_us: '-00:00:00.000001',
    ints: '[]',
    cat: 'y',
    berlin_utc: '1969-12-31 23:59:59.999999',
    clock: '23:59:59.999999',
    bin: '',
    rec: '{"n": -9223372036854775808, "s": ""}',
  });
  assert.deepEqual(values[2], {
    id: 3,
    i8: null,
    u8: null,
    i64: null,
    u64: null,
    f32: null,
    f64: '-Infinity',
    dec: null,
    ok: null,
    txt: null,
    day: null,
    ns: null,
    dur_us: null,
    ints: null,
    cat: null,
    berlin_utc: null,
    clock: null,
    bin: null,
    rec: '{"n": null, "s": null}',
  });
}

describe('formats and types', () => {
  it('Parquet: every type of the type map round-trips', async () => {
    everyType().writeParquet(path.join(test.inbox, 'all.parquet'));
    await load('*.parquet', 'typed_parquet');
    assert.deepEqual(await failures(), []);
    await assertEveryType('typed_parquet');
  });

  it('Arrow IPC, file and stream format, written by Polars: every type round-trips', async () => {
    everyType().writeIPC(path.join(test.inbox, 'all.arrow'));
    fs.writeFileSync(path.join(test.inbox, 'all.arrows'), everyType().writeIPCStream());
    await load('all.arrow', 'typed_ipc');
    await load('all.arrows', 'typed_ipc_stream');
    assert.deepEqual(await failures(), []);
    await assertEveryType('typed_ipc');
    await assertEveryType('typed_ipc_stream');
  });

  it('Arrow IPC written by Arrow JS, file and stream format', async () => {
    const table = new Table({
      id: vectorFromArray([1n, 2n, 9007199254740993n], new Int64()),
      name: vectorFromArray(['a', null, 'ü🚀'], new Utf8()),
      score: vectorFromArray([1.5, null, Number.NaN], new Float64()),
      at: vectorFromArray([Date.UTC(2026, 0, 2, 3, 4, 5), null, 0], new TimestampMicrosecond()),
    });
    fs.writeFileSync(path.join(test.inbox, 'js.arrow'), tableToIPC(table, 'file'));
    fs.writeFileSync(path.join(test.inbox, 'js.arrows'), tableToIPC(table, 'stream'));
    await load('js.arrow', 'arrow_js');
    await load('js.arrows', 'arrow_js_stream');
    assert.deepEqual(await failures(), []);
    for (const name of ['arrow_js', 'arrow_js_stream']) {
      assert.deepEqual(await rows(`SELECT id::text, name, score::text, at::text FROM ${name} ORDER BY id`), [
        { id: '1', name: 'a', score: '1.5', at: '2026-01-02 03:04:05' },
        { id: '2', name: null, score: null, at: null },
        { id: '9007199254740993', name: 'ü🚀', score: 'NaN', at: '1970-01-01 00:00:00' },
      ]);
    }
  });

  it('JSON arrays, gzip NDJSON, zstd CSV and TSV', async () => {
    const expected = [
      { id: 1, name: 'Ann ü', score: 1.5 },
      { id: 2, name: null, score: null },
    ];
    fs.writeFileSync(
      path.join(test.inbox, 'people.json'),
      JSON.stringify([
        { id: 1, name: 'Ann ü', score: 1.5 },
        { id: 2, name: null, score: null },
      ]),
    );
    fs.writeFileSync(path.join(test.inbox, 'people.ndjson.gz'), zlib.gzipSync('{"id":1,"name":"Ann ü","score":1.5}\n{"id":2,"name":null,"score":null}\n'));
    fs.writeFileSync(path.join(test.inbox, 'people.csv.zst'), zlib.zstdCompressSync('id,name,score\n1,Ann ü,1.5\n2,,\n'));
    fs.writeFileSync(path.join(test.inbox, 'people.tsv'), 'id\tname\tscore\n1\tAnn ü\t1.5\n2\t\t\n');
    for (const [file, table] of [
      ['people.json', 'from_json'],
      ['people.ndjson.gz', 'from_ndjson_gz'],
      ['people.csv.zst', 'from_csv_zst'],
      ['people.tsv', 'from_tsv'],
    ] as const) {
      await load(file, table);
      assert.deepEqual(await rows(`SELECT id, name, score FROM ${table} ORDER BY id`), expected, table);
    }
    assert.deepEqual(await failures(), []);
  });

  it('a compressed file over limits.maxDecompressedSize is quarantined, and a bad archive names the file', async () => {
    const line = `id,name\n${'1,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n'.repeat(40_000)}`;
    fs.writeFileSync(path.join(test.inbox, 'bomb.csv.gz'), zlib.gzipSync(line));
    fs.writeFileSync(path.join(test.inbox, 'broken.csv.gz'), zlib.gzipSync(line).subarray(0, 500));
    fs.writeFileSync(path.join(test.inbox, 'small.csv.gz'), zlib.gzipSync('id\n1\n'));
    assert.ok(fs.statSync(path.join(test.inbox, 'bomb.csv.gz')).size < 100_000);
    await load('*.csv.gz', 'limited', { limits: { maxDecompressedSize: '1MiB' } });
    const failed = await failures();
    assert.deepEqual(
      failed.map((f) => [f.key, f.error_step]),
      [
        ['bomb.csv.gz', 'read'],
        ['broken.csv.gz', 'read'],
      ],
    );
    assert.match(failed[0]?.error ?? '', /bomb\.csv\.gz decompresses to more than 1 MiB \(limits\.maxDecompressedSize\)/);
    assert.match(failed[1]?.error ?? '', /broken\.csv\.gz could not be read: unexpected end of file/);
    assert.deepEqual(await rows('SELECT id FROM limited'), [{ id: 1 }]);
  });

  it('a Parquet file whose footer declares impossible row groups is quarantined before Polars reads it', async () => {
    // 1 PiB of data in a 1 KB file; and row groups holding more rows than the file says.
    fs.writeFileSync(path.join(test.inbox, 'bomb.parquet'), parquetWithFooter(1_000, footer(10, [rowGroup(10, 2 ** 50, [column(4, 50, 2 ** 50)])])));
    fs.writeFileSync(path.join(test.inbox, 'liar.parquet'), parquetWithFooter(1_000, footer(10, [rowGroup(2 ** 40, 100, [column(4, 50, 100)])])));
    await load('*.parquet', 'never_loaded');
    const failed = await failures();
    assert.deepEqual(
      failed.map((f) => [f.key, f.error_step]),
      [
        ['bomb.parquet', 'read'],
        ['liar.parquet', 'read'],
      ],
    );
    assert.match(
      failed[0]?.error ?? '',
      /bomb\.parquet is not a readable Parquet file: row group 0 declares 1048576 GiB of data, over the limit of 4 GiB \(limits\.maxRowGroupSize\)/,
    );
    assert.match(failed[1]?.error ?? '', /liar\.parquet is not a readable Parquet file: its row groups declare 1099511627776 rows in all, its footer 10/);
  });

  it('CSV that is not UTF-8 is quarantined with the line of the first bad byte', async () => {
    fs.writeFileSync(path.join(test.inbox, 'latin1.csv'), Buffer.concat([Buffer.from('id,name\n1,ok\n2,caf'), Buffer.from([0xe9]), Buffer.from('\n3,x\n')]));
    await load('*.csv', 'latin');
    const failed = await failures();
    assert.equal(failed[0]?.key, 'latin1.csv');
    assert.match(failed[0]?.error ?? '', /latin1\.csv is not valid UTF-8 at line 3 \(byte offset 18\)/);
  });
});
