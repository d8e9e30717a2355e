/** Masking hides values from files in logs and alerts, and keeps ferry's own words whole. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskDataValues } from '../../src/errors/index.ts';
import { createLogger } from '../../src/logger.ts';

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

describe('logged errors', () => {
  it('mask the signatures and keys a storage library quotes, in the message, the stack and the cause', () => {
    const error = new Error('PermissionDenied at stat, context: { uri: https://a.blob.core.windows.net/c/x?sv=2022-11-02&sp=l&sig=S1GN%2BATURE%3D&se=2026 }', {
      cause: new Error('bad connection string DefaultEndpointsProtocol=https;AccountName=a;AccountKey=KEY/abc==;EndpointSuffix=core.windows.net'),
    });
    const lines: string[] = [];
    createLogger({ format: 'json', write: (line) => lines.push(line) }).error({ err: error }, 'failed');
    const text = lines.join('');
    assert.doesNotMatch(text, /S1GN|KEY\/abc/);
    assert.match(text, /sig=\*\*\*&se=2026/);
    assert.match(text, /AccountKey=\*\*\*;EndpointSuffix/);
  });
});
