/**
 * Each pipeline tried on one of its files — the first its source selects that can be read (up
 * to five are tried) — through read, transform and checks in a reader process, loading nothing. A transform that does not
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
    const samples: StoredObject[] = [];
    for await (const page of runtime.store.list(pipeline.source.prefix)) {
      samples.push(...page.filter((object) => matches(object) === 'match').slice(0, MAX_SAMPLES - samples.length));
      if (samples.length >= MAX_SAMPLES) break;
    }
    if (samples.length === 0) {
      results.push({
        pipeline: pipeline.name,
        status: 'no file',
        file: null,
        code: null,
        detail: `no file under "${pipeline.source.prefix}" matches ${pipeline.source.glob} (and the time window) to try`,
      });
      continue;
    }
    results.push(await trySamples(runtime, pipeline, samples));
  }
  return results;
}

/** Files tried at most, when the first ones cannot be read (a corrupt file says nothing of the pipeline). */
const MAX_SAMPLES = 5;
/** Failures that are the pipeline's, whatever the file: not worth trying another file. */
const PIPELINE_FAILURES: readonly ErrorCode[] = ['TRANSFORM_FAILED', 'CHECK_FAILED', 'COLUMNS_INVALID', 'CONFIG_INVALID'];

async function trySamples(runtime: Runtime, pipeline: ResolvedPipeline, samples: readonly StoredObject[]): Promise<PipelineCheck> {
  let failed: PipelineCheck | null = null;
  for (const sample of samples) {
    const reader = await runtime.readers.acquire();
    try {
      const ref = { key: sample.key, version: versionIdentity(sample), size: sample.size, etag: sample.etag };
      const preview = await reader.call('preview', { pipeline: pipeline.name, file: ref, rows: 0, checks: true }, `previewing ${sample.key}`);
      const failing = (preview.checks ?? []).filter((check) => check.outcome !== 'passed');
      const checks = preview.checks === null ? '' : `; checks: ${failing.length === 0 ? 'all passed' : failing.map((c) => `${c.id} ${c.outcome}`).join(', ')}`;
      return {
        pipeline: pipeline.name,
        status: 'ok',
        file: sample.key,
        code: null,
        detail: `${preview.format}, ${preview.rows} rows, ${preview.columns.length} columns${preview.transformed ? ' after the transform' : ''}${checks}`,
      };
    } catch (thrown) {
      const error = coerceError(thrown);
      failed = {
        pipeline: pipeline.name,
        status: 'failed',
        file: sample.key,
        code: error.code,
        detail: `${error.code} at ${error.step ?? 'read'}: ${error.message}`,
      };
      if (PIPELINE_FAILURES.includes(error.code)) return failed;
    } finally {
      runtime.readers.release(reader);
    }
  }
  return failed as PipelineCheck;
}
