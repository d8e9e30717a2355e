/**
 * ferry's public API, for `ferry.config.ts`:
 *
 *   import { defineConfig, pl } from 'ferry';
 *   export default defineConfig({ storage: 's3://bucket/prefix' });
 */
import pl from 'nodejs-polars';
import type { FerryConfigInput } from './config/index.ts';

export type { FerryConfigInput, PipelineInput, ResolvedConfig, ResolvedPipeline, TableSinkInput, Transform } from './config/index.ts';
export { type ErrorCode, FerryError } from './errors/index.ts';
export { pl };

/** Gives a config file its types; the config is validated when ferry loads it. */
export function defineConfig(config: FerryConfigInput): FerryConfigInput {
  return config;
}
