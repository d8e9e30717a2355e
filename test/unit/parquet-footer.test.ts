/** The Parquet footer reader: real footers from Polars, and hostile ones written here in Thrift's compact protocol. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import pl from 'nodejs-polars';
import { footerProblem, readFooter } from '../../src/formats/parquet-footer.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { column, footer, rowGroup } from '../helpers/parquet-footer-writer.ts';

describe('Parquet footer', () => {
  it('reads the row groups of a file Polars wrote, and finds nothing wrong', async () => {
    const file = path.join(tempDir('footer-'), 'groups.parquet');
    await pl
      .DataFrame({
        id: pl.Series(
          'id',
          Array.from({ length: 10_000 }, (_, i) => i),
          pl.Int64,
        ),
      })
      .lazy()
      .withColumns(pl.col('id').cast(pl.Utf8).alias('name'))
      .sinkParquet(file, { rowGroupSize: 3_000 })
      .collect();
    const bytes = fs.readFileSync(file);
    const footerSize = bytes.readUInt32LE(bytes.length - 8);
    const info = readFooter(bytes.subarray(bytes.length - 8 - footerSize, bytes.length - 8));
    assert.equal(info.rows, 10_000);
    assert.ok(info.rowGroups.length >= 2, `${info.rowGroups.length} row groups`);
    assert.equal(
      info.rowGroups.reduce((sum, g) => sum + g.rows, 0),
      10_000,
    );
    assert.ok(info.rowGroups.every((g) => g.columns.length === 2 && g.totalByteSize > 0));
    assert.equal(footerProblem(info, bytes.length, footerSize, 2 ** 32), null);
  });

  it('names what is wrong with a hostile footer', () => {
    const ok = footer(10, [rowGroup(10, 100, [column(4, 50, 100)])]);
    assert.equal(footerProblem(readFooter(ok), 1_000, ok.length, 2 ** 32), null);

    const moreRows = footer(10, [rowGroup(10, 100, [column(4, 50, 100)]), rowGroup(2 ** 40, 100, [column(60, 50, 100)])]);
    assert.match(footerProblem(readFooter(moreRows), 1_000, moreRows.length, 2 ** 32) ?? '', /row groups declare 1099511627786 rows in all, its footer 10/);

    const outside = footer(10, [rowGroup(10, 100, [column(900, 5_000, 100)])]);
    assert.match(footerProblem(readFooter(outside), 1_000, outside.length, 2 ** 32) ?? '', /column chunk 0 of row group 0 lies outside the file's data/);

    const bomb = footer(10, [rowGroup(10, 2 ** 50, [column(4, 50, 2 ** 50)])]);
    assert.match(
      footerProblem(readFooter(bomb), 1_000, bomb.length, 2 ** 32) ?? '',
      /row group 0 declares 1048576 GiB of data, over the limit of 4 GiB \(limits\.maxRowGroupSize\)/,
    );

    assert.throws(() => readFooter(Buffer.from([0x19, 0xfc, 0xff, 0xff, 0xff, 0x0f])), /claims|past the end|ends in the middle/);
    assert.throws(() => readFooter(Buffer.from([0x16])), /ends in the middle/);
  });
});
