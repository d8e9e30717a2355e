/** The readers' allocator and V8 settings give way to the user's own (see src/readers/reader-footprint.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allocatorDefaults, readerNodeFlags } from '../../src/readers/index.ts';

describe('reader footprint settings', () => {
  it('the allocator settings apply unless the environment sets any of glibc’s allocator variables', () => {
    assert.deepEqual(allocatorDefaults({ PATH: '/usr/bin' }), { MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '65536' });
    for (const name of ['MALLOC_ARENA_MAX', 'MALLOC_TRIM_THRESHOLD_', 'MALLOC_MMAP_THRESHOLD_', 'GLIBC_TUNABLES']) {
      assert.deepEqual(allocatorDefaults({ [name]: '' }), {}, name);
    }
  });

  it('the young generation is sized unless the readers’ NODE_OPTIONS sizes it', () => {
    assert.deepEqual(readerNodeFlags({}), ['--max-semi-space-size=8']);
    assert.deepEqual(readerNodeFlags({ NODE_OPTIONS: '--import=x.js' }), ['--max-semi-space-size=8']);
    assert.deepEqual(readerNodeFlags({ NODE_OPTIONS: '--max-semi-space-size=0' }), []);
  });
});
