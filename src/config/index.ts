export { CONFIG_FILE_NAMES, type ConfigFlags, configOrigin, DEFAULTS, findProjectRoot, loadConfig, resolveConfig } from './load.ts';
export { fastifyTrustProxy, isLoopbackHost, type TrustProxy } from './trust-proxy.ts';
export type {
  ConfigOrigin,
  FerryConfigInput,
  PipelineInput,
  ResolvedConfig,
  ResolvedPipeline,
  ResolvedSource,
  SinkConfig,
  TableSinkConfig,
  TableSinkInput,
  Transform,
} from './types.ts';
export { LINEAGE_COLUMNS, SCHEMA_DRIFT_POLICIES, SINK_MODES } from './types.ts';
