/** The Polars → COPY stream: one query through a pipe, or slices relayed through temp files; binary and CSV. */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import pl from 'nodejs-polars';
import { from as copyFrom } from 'pg-copy-streams';
import { binaryExpression, copyExpression } from '../../src/frame/index.ts';
import { binaryKind, COPY_BINARY_HEADER, COPY_BINARY_TRAILER, type CopyParts, CopySideError, copyFrame, encodeNumeric } from '../../src/load/index.ts';
import { outputColumns } from '../../src/polars/index.ts';
import type { PoolClient } from '../../src/postgres/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ migrate: false });
});
after(async () => {
  await db.drop();
});

const frame = () =>
  pl
    .DataFrame({
      id: pl.Series(
        'id',
        Array.from({ length: 10_000 }, (_, i) => i),
        pl.Int64,
      ),
    })
    .lazy()
    .withColumns(pl.col('id').cast(pl.Utf8).alias('name'));

/** Parts written by Polars in this process, as a reader process writes them. */
function polarsParts(frames: readonly pl.LazyDataFrame[], format: 'binary' | 'csv'): CopyParts {
  return {
    count: frames.length,
    write: async (index, target) => {
      const part = frames[index] as pl.LazyDataFrame;
      if (format === 'csv') await part.sinkCSV(target, { includeHeader: false, maintainOrder: true }).collect();
      else await part.sinkIpc(target, { compatLevel: 'oldest', compression: 'uncompressed', maintainOrder: true }).collect();
    },
  };
}

async function inRolledBackTransaction<T>(use: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    return await use(client);
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

describe('copy stream', () => {
  for (const format of ['binary', 'csv'] as const) {
    it(`${format}: slices relayed one after the other arrive complete and in order`, async () => {
      const columns = outputColumns(frame());
      const expressions = columns.map((c) => (format === 'binary' ? binaryExpression(c) : copyExpression(c)));
      const parts = [0, 3_000, 6_000, 9_000].map((offset) =>
        frame()
          .slice(offset, 3_000)
          .select(...expressions),
      );
      const encoding = format === 'binary' ? { format, kinds: columns.map(binaryKind) } : { format };
      await inRolledBackTransaction(async (client) => {
        await client.query('CREATE TABLE relayed (seq bigserial, id bigint, name text)');
        const rows = await copyFrame(client, `COPY relayed (id, name) FROM STDIN WITH (FORMAT ${format})`, polarsParts(parts, format), encoding);
        assert.equal(rows, 10_000);
        const check = await client.query('SELECT count(*)::int AS n, bool_and(id = seq - 1 AND name = id::text) AS ordered FROM relayed');
        assert.deepEqual(check.rows[0], { n: 10_000, ordered: true });
      });
    });
  }

  it('a Polars failure in a later slice is the error, not the COPY of a partial stream', async () => {
    const columns = outputColumns(frame());
    const good = frame()
      .slice(0, 100)
      .select(...columns.map((c) => binaryExpression(c)));
    const bad = frame().slice(100, 100).select(pl.col('name').str.concat('x').cast(pl.Int64, true).alias('id'), pl.col('name'));
    await inRolledBackTransaction(async (client) => {
      await client.query('CREATE TABLE failing (id bigint, name text)');
      const error = await copyFrame(client, 'COPY failing (id, name) FROM STDIN WITH (FORMAT binary)', polarsParts([good, bad], 'binary'), {
        format: 'binary',
        kinds: columns.map(binaryKind),
      }).then(
        () => null,
        (thrown: unknown) => thrown,
      );
      assert.ok(error instanceof CopySideError, String(error));
      assert.equal(error.side, 'polars');
      assert.match(error.message, /conversion|cast|failed/i);
    });
  });

  it('a COPY failure is the error, and the Polars query stops', async () => {
    await inRolledBackTransaction(async (client) => {
      await client.query('CREATE TABLE typed (n integer)');
      // Enough rows to fill the pipe, so that Polars is still writing when the COPY fails.
      const words = [pl.DataFrame({ n: Array.from({ length: 200_000 }, (_, i) => (i === 5 ? 'one' : String(i))) }).lazy()];
      const error = await copyFrame(client, 'COPY typed (n) FROM STDIN WITH (FORMAT csv)', polarsParts(words, 'csv'), { format: 'csv' }).then(
        () => null,
        (thrown: unknown) => thrown,
      );
      assert.ok(error instanceof CopySideError, String(error));
      assert.equal(error.side, 'postgres');
      assert.match(String((error.cause as Error).message), /invalid input syntax for type integer: "one"/);
    });
  });

  it('encodes numerics as PostgreSQL reads them', async () => {
    const values = ['0', '-0.0000000001', '12345678901234567890.1234567890', '18446744073709551615', '10000', '0.5000', 'NaN', '-1', '007.10'];
    const rows = values.map((value) => {
      const field = encodeNumeric(value);
      const row = Buffer.alloc(6);
      row.writeInt16BE(1, 0);
      row.writeInt32BE(field.length, 2);
      return Buffer.concat([row, field]);
    });
    await inRolledBackTransaction(async (client) => {
      await client.query('CREATE TABLE numbers (seq bigserial, v numeric)');
      const copy = client.query(copyFrom('COPY numbers (v) FROM STDIN WITH (FORMAT binary)'));
      await pipeline(Readable.from([COPY_BINARY_HEADER, ...rows, COPY_BINARY_TRAILER]), copy);
      const stored = await client.query('SELECT v::text FROM numbers ORDER BY seq');
      assert.deepEqual(
        stored.rows.map((r) => r.v),
        ['0', '-0.0000000001', '12345678901234567890.1234567890', '18446744073709551615', '10000', '0.5000', 'NaN', '-1', '7.10'],
      );
    });
  });
});
