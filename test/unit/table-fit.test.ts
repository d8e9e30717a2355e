/** How a CLI table fits a terminal's width: which columns are cut, and how far. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitColumns } from '../../src/cli/output.ts';

const GAPS = (n: number) => 2 * (n - 1);

describe('fitColumns', () => {
  it('leaves a table that fits as it is', () => {
    assert.deepEqual(fitColumns([2, 10, 30], [2, 3, 5], 100), [2, 10, 30]);
  });

  it('cuts the widest columns first, and narrow ones not at all', () => {
    // An id, a status, a key and a long error in 100 columns: the error is cut to the key's width.
    assert.deepEqual(fitColumns([2, 11, 40, 300], [2, 6, 3, 5], 100), [2, 11, 40, 41]);
  });

  it('cuts headers too when every column is down to its header', () => {
    const widths = fitColumns([15, 15, 15], [15, 15, 15], 30);
    assert.ok(widths.reduce((a, b) => a + b, 0) + GAPS(3) <= 30);
    assert.ok(widths.every((w) => w >= 4));
  });
});
