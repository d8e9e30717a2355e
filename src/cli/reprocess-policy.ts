/**
 * Whether loading processed files again is safe without asking: replace and merge converge on
 * a reload; append (and the row count, which appends to etl_results) would add the rows a
 * second time. A pipeline no longer in the config counts as appending: nothing says otherwise.
 */
import type { ResolvedPipeline } from '../config/index.ts';

/** The pipelines of `files` whose reload adds their rows again, each named once, in the order first met. */
export function pipelinesThatAddRows(pipelines: readonly Pick<ResolvedPipeline, 'name' | 'sink'>[], files: readonly { readonly pipeline: string }[]): string[] {
  return [...new Set(files.map((file) => file.pipeline))].filter((name) => {
    const sink = pipelines.find((p) => p.name === name)?.sink;
    return sink === undefined || sink.kind === 'row-count' || sink.mode === 'append';
  });
}
