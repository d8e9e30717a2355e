/** Which due files a worker claims together: small ones at the head of the queue, within the byte budget. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planClaim } from '../../src/worker/index.ts';

const limits = { files: 4, bytes: 1000 };
const file = (id: number, size: number, extra: { open_claims?: number; reader_crashes?: number } = {}) => ({
  id,
  size,
  open_claims: extra.open_claims ?? 0,
  reader_crashes: extra.reader_crashes ?? 0,
});

describe('planClaim', () => {
  it('takes small files at the head of the queue, up to batch.files and batch.bytes', () => {
    assert.deepEqual(planClaim([file(1, 100), file(2, 100), file(3, 100), file(4, 100), file(5, 100)], limits), { ids: [1, 2, 3, 4], batch: true });
    assert.deepEqual(planClaim([file(1, 250), file(2, 250), file(3, 250), file(4, 250), file(5, 10)], { files: 10, bytes: 1000 }), {
      ids: [1, 2, 3, 4],
      batch: true,
    });
  });
  it('stops at the first file that cannot go in a batch, and claims a large file alone', () => {
    assert.deepEqual(planClaim([file(1, 100), file(2, 100), file(3, 900), file(4, 100)], limits), { ids: [1, 2], batch: true });
    assert.deepEqual(planClaim([file(1, 900), file(2, 100), file(3, 100)], limits), { ids: [1], batch: false });
  });
  it('a file ferry died on, or that killed a reader, goes alone', () => {
    assert.deepEqual(planClaim([file(1, 100, { open_claims: 1 }), file(2, 100)], limits), { ids: [1], batch: false });
    assert.deepEqual(planClaim([file(1, 100, { reader_crashes: 1 }), file(2, 100)], limits), { ids: [1], batch: false });
    assert.deepEqual(planClaim([file(1, 100), file(2, 100, { reader_crashes: 1 })], limits), { ids: [1], batch: false });
  });
  it('batch: false (files 1) and an empty queue', () => {
    assert.deepEqual(planClaim([file(1, 10), file(2, 10)], { files: 1, bytes: 0 }), { ids: [1], batch: false });
    assert.deepEqual(planClaim([], limits), { ids: [], batch: false });
  });
});
