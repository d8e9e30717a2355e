/** Which reloads add rows again, so that `ferry reprocess` asks first. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pipelinesThatAddRows } from '../../src/cli/reprocess-policy.ts';
import type { ResolvedPipeline } from '../../src/config/index.ts';

const sink = (mode: 'append' | 'replace' | 'merge') => ({ kind: 'table', mode }) as unknown as ResolvedPipeline['sink'];

describe('reprocess policy', () => {
  it('append, the row count and a pipeline no longer configured add rows; replace and merge converge', () => {
    const pipelines = [
      { name: 'appends', sink: sink('append') },
      { name: 'replaces', sink: sink('replace') },
      { name: 'merges', sink: sink('merge') },
      { name: 'counts', sink: { kind: 'row-count' } as const },
    ];
    const files = ['replaces', 'appends', 'merges', 'counts', 'gone', 'appends'].map((pipeline) => ({ pipeline }));
    assert.deepEqual(pipelinesThatAddRows(pipelines, files), ['appends', 'counts', 'gone']);
    assert.deepEqual(pipelinesThatAddRows(pipelines, [{ pipeline: 'merges' }]), []);
  });
});
