/**
 * Each pipeline tried on one of its files — the first its source selects — through
 * read, transform and checks in a reader process, loading nothing. A transform that does not
 * fit the files (a typo in a column name) shows here, not as a quarantined file per new file.
 */
import type { ResolvedPipeline } from '../config/index.ts';
import { sourceFilter } from '../discover/index.ts';
import { coerceError, type ErrorCode } from '../errors/index.ts';
import type { Runtime } from '../runtime.ts';
import { type StoredObject, versionIdentity } from '../storage/index.ts';

export interface PipelineCheck {
  readonly pipeline: string;
  readonly status: 'ok' | 'failed' | 'no file';
  readonly file: string | null;
  /** The error table's code when it failed. */
  readonly code: ErrorCode | null;
  readonly detail: string;
}

/** Used by `ferry check` (every pipeline) and at start (the pipelines with a transform). */
export async function checkPipelines(runtime: Runtime, pipelines: readonly ResolvedPipeline[] = runtime.config.pipelines): Promise<PipelineCheck[]> {
  const results: PipelineCheck[] = [];
  for (const pipeline of pipelines) {
    const matches = sourceFilter(pipeline.source, new Date());
    let sample: StoredObject | null = null;
    for await (const page of runtime.store.list(pipeline.source.prefix)) {
      sample = page.find((object) => matches(object) === 'match') ?? null;
      if (sample !== null) break;
    }
    if (sample === null) {
      results.push({
        pipeline: pipeline.name,
        status: 'no file',
        file: null,
        code: null,
        detail: `no file under "${pipeline.source.prefix}" matches ${pipeline.source.glob} (and the time window) to try`,
      });
      continue;
    }
    const reader = await runtime.readers.acquire();
    try {
      const ref = { key: sample.key, version: versionIdentity(sample), size: sample.size, etag: sample.etag };
      const preview = await reader.preview(pipeline.name, ref, 0, true);
      const failing = (preview.checks ?? []).filter((check) => check.outcome !== 'passed');
      const checks = preview.checks === null ? '' : `; checks: ${failing.length === 0 ? 'all passed' : failing.map((c) => `${c.id} ${c.outcome}`).join(', ')}`;
      results.push({
        pipeline: pipeline.name,
        status: 'ok',
        file: sample.key,
        code: null,
        detail: `${preview.format}, ${preview.rows} rows, ${preview.columns.length} columns${preview.transformed ? ' after the transform' : ''}${checks}`,
      });
    } catch (thrown) {
      const error = coerceError(thrown);
      results.push({
        pipeline: pipeline.name,
        status: 'failed',
        file: sample.key,
        code: error.code,
        detail: `${error.code} at ${error.step ?? 'read'}: ${error.message}`,
      });
    } finally {
      runtime.readers.release(reader);
    }
  }
  return results;
}
