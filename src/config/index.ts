export { formatDuration, parseDuration } from './duration.ts';
export { CONFIG_FILE_NAMES, type ConfigFlags, DEFAULTS, loadConfig, resolveConfig } from './load.ts';
export { formatSize, parseSize } from './size.ts';
export type { FerryConfigInput, PipelineInput, ResolvedConfig, ResolvedPipeline, SinkConfig, TableSinkConfig, TableSinkInput, Transform } from './types.ts';
export { LINEAGE_COLUMNS, SCHEMA_DRIFT_POLICIES, SINK_MODES } from './types.ts';
