/** Masking hides values from files in logs and alerts, and keeps ferry's own words whole. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskDataValues } from '../../src/errors/index.ts';

describe('maskDataValues', () => {
  it('masks the values PostgreSQL and Polars quote', () => {
    assert.equal(
      maskDataValues('new row for relation "t" violates check constraint "c": Failing row contains (1, secret@example.com)'),
      'new row for relation "…" violates check constraint "…": Failing row contains (…)',
    );
    assert.equal(maskDataValues('Key (email)=(secret@example.com) already exists'), 'Key (email)=(…) already exists');
    assert.equal(maskDataValues('invalid input syntax for type integer: "12x"'), 'invalid input syntax for type integer: "…"');
    assert.equal(
      maskDataValues('conversion from `str` to `i64` failed in column \'zip\' for 1 out of 3 values: ["secret"]'),
      "conversion from `str` to `i64` failed in column 'zip' for 1 out of 3 values: […]",
    );
  });

  it("keeps ferry's hints, type names and column names", () => {
    const message =
      "orders.csv: column amount has a value that does not fit its type in source.schema: could not parse `12x` as dtype `f64` at column 'amount' (column number 2); a check { rule: 'cast', action: 'reject' } keeps such rows aside instead";
    assert.equal(
      maskDataValues(message),
      "orders.csv: column amount has a value that does not fit its type in source.schema: could not parse `…` as dtype `f64` at column 'amount' (column number 2); a check { rule: 'cast', action: 'reject' } keeps such rows aside instead",
    );
    assert.equal(
      maskDataValues('x.parquet: column "price" decoded with 3 nulls, but the file\'s footer declares 5'),
      'x.parquet: column "price" decoded with 3 nulls, but the file\'s footer declares 5',
    );
  });
});
