/** Failures let pass on purpose are counted, and logged at most once a minute per kind. */
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { noteSwallowed, onSwallowed, swallowedCounts } from '../../src/errors/index.ts';

describe('swallowed failures', () => {
  it('are all counted, logged once a minute per kind with how many were not', () => {
    mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const logged: { what: string; unlogged: number }[] = [];
    onSwallowed((what, _error, unlogged) => logged.push({ what, unlogged }));
    try {
      for (let i = 0; i < 5; i++) noteSwallowed('renewing leases (test)', new Error('connection refused'));
      noteSwallowed('recording progress (test)', new Error('timeout'));
      assert.equal(swallowedCounts().get('renewing leases (test)'), 5);
      assert.deepEqual(logged, [
        { what: 'renewing leases (test)', unlogged: 0 },
        { what: 'recording progress (test)', unlogged: 0 },
      ]);
      mock.timers.tick(60_000);
      noteSwallowed('renewing leases (test)', new Error('connection refused'));
      assert.deepEqual(logged.at(-1), { what: 'renewing leases (test)', unlogged: 4 });
      assert.equal(swallowedCounts().get('renewing leases (test)'), 6);
    } finally {
      onSwallowed(null);
      mock.timers.reset();
    }
  });
});
