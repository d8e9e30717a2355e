/**
 * The binary COPY encoder on real Arrow IPC from Polars, decoded here field by field (the
 * round trip through PostgreSQL is in formats.test.ts): values, NULLs, chunk boundaries, and
 * buffers that arrive at odd places in memory.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import pl from 'nodejs-polars';
import { binaryExpression } from '../../src/frame/wire-expressions.ts';
import { FileSource, type RecordBatchBuffers, readRecordBatches, streamBuffers } from '../../src/load/arrow-stream.ts';
import { BinaryEncoder, type BinaryKind, binaryKind } from '../../src/load/pg-binary.ts';
import { outputColumns } from '../../src/polars/index.ts';
import { tempDir } from '../helpers/fixtures.ts';

const ROWS = 5_000;

/** One batch alone through an encoder: its chunks, the last one included. */
function* encodeBatch(batch: RecordBatchBuffers, kinds: readonly BinaryKind[], chunkSize?: number): Generator<Buffer> {
  const encoder = new BinaryEncoder(kinds, chunkSize);
  yield* encoder.rows(batch);
  yield* encoder.end();
}

/** Rows with NULLs at different places per column, text of every length up to 300 bytes. */
function frame(): pl.DataFrame {
  const ids = Array.from({ length: ROWS }, (_, i) => i);
  return pl.DataFrame([
    pl.Series(
      'id',
      ids.map((i) => i * 1_000_003 - 2 ** 40),
      pl.Int64,
    ),
    pl.Series(
      'small',
      ids.map((i) => (i % 7 === 0 ? null : (i % 65_536) - 32_768)),
      pl.Int32,
    ),
    pl.Series(
      'x',
      ids.map((i) => (i % 5 === 0 ? null : i / 3)),
      pl.Float64,
    ),
    pl.Series(
      'name',
      ids.map((i) => (i % 3 === 0 ? null : `ü${'n'.repeat(i % 300)}`)),
      pl.Utf8,
    ),
    pl.Series(
      'ok',
      ids.map((i) => (i % 11 === 0 ? null : i % 2 === 0)),
      pl.Bool,
    ),
    pl.Series(
      'h',
      ids.map((i) => (i % 13 === 0 ? null : i % 30_000)),
      pl.Int16,
    ),
  ]);
}

async function batchesOf(df: pl.DataFrame): Promise<{ batches: RecordBatchBuffers[]; kinds: BinaryKind[] }> {
  const dir = tempDir('pg-binary-');
  const parquet = path.join(dir, 'rows.parquet');
  df.writeParquet(parquet);
  const columns = outputColumns(pl.scanParquet(parquet));
  const ipc = path.join(dir, 'rows.arrow');
  await pl
    .scanParquet(parquet)
    .select(...columns.map(binaryExpression))
    .sinkIpc(ipc, { compatLevel: 'oldest', compression: 'uncompressed', maintainOrder: true })
    .collect();
  const buffers = streamBuffers();
  const batches: RecordBatchBuffers[] = [];
  // A batch's buffers are views into memory reused by the next batch: each is copied here.
  for await (const batch of readRecordBatches(new FileSource(ipc), buffers)) {
    batches.push({ ...batch, buffers: batch.buffers.map((buffer) => Buffer.from(buffer)) });
  }
  return { batches, kinds: columns.map(binaryKind) };
}

/** The fields of binary COPY rows: per row, per field, its bytes or null. */
function decode(bytes: Buffer): (Buffer | null)[][] {
  const rows: (Buffer | null)[][] = [];
  let at = 0;
  while (at < bytes.length) {
    const count = bytes.readInt16BE(at);
    at += 2;
    const row: (Buffer | null)[] = [];
    for (let field = 0; field < count; field++) {
      const length = bytes.readInt32BE(at);
      at += 4;
      row.push(length < 0 ? null : bytes.subarray(at, at + length));
      if (length > 0) at += length;
    }
    rows.push(row);
  }
  return rows;
}

describe('binary COPY encoding', () => {
  it('writes every value and NULL as PostgreSQL reads it, whatever the chunk size or the alignment of the buffers', async () => {
    const df = frame();
    const { batches, kinds } = await batchesOf(df);
    assert.deepEqual(kinds, ['int8', 'int4', 'float8', 'text', 'bool', 'int2']);
    const encoded = Buffer.concat(batches.flatMap((batch) => [...encodeBatch(batch, kinds)]));
    const rows = decode(encoded);
    assert.equal(rows.length, ROWS);
    const records = df.toRecords();
    rows.forEach((row, i) => {
      const record = records[i] as Record<string, unknown>;
      const [id, small, x, name, ok, h] = row;
      assert.equal(id?.readBigInt64BE(0), BigInt(record.id as number), `id of row ${i}`);
      assert.equal(small?.readInt32BE(0) ?? null, record.small, `small of row ${i}`);
      assert.equal(x?.readDoubleBE(0) ?? null, record.x, `x of row ${i}`);
      assert.equal(name?.toString('utf8') ?? null, record.name, `name of row ${i}`);
      assert.equal(ok === null || ok === undefined ? null : ok[0] === 1, record.ok, `ok of row ${i}`);
      assert.equal(h?.readInt16BE(0) ?? null, record.h, `h of row ${i}`);
    });

    // Chunks of any size hold whole rows only, and together the same bytes.
    for (const chunkSize of [64, 1_000, 100_000]) {
      const chunks = batches.flatMap((batch) => [...encodeBatch(batch, kinds, chunkSize)]);
      assert.ok(
        chunks.every((chunk) => decode(chunk).length > 0),
        `chunks of ${chunkSize} bytes end on a row's end`,
      );
      assert.ok(Buffer.concat(chunks).equals(encoded), `chunks of ${chunkSize} bytes`);
    }
    // Buffers at an odd address (a body that arrived unaligned) encode the same.
    const odd = batches.map((batch) => ({
      ...batch,
      buffers: batch.buffers.map((buffer) => {
        const shifted = Buffer.alloc(buffer.length + 1).subarray(1);
        buffer.copy(shifted);
        return shifted;
      }),
    }));
    assert.ok(Buffer.concat(odd.flatMap((batch) => [...encodeBatch(batch, kinds)])).equals(encoded));
  });
});
