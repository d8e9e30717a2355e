export { CONFIG_FILE_NAMES, type ConfigFlags, configOrigin, findProjectRoot } from '../project.ts';
export { loadConfig } from './config-file.ts';
export { DEFAULTS } from './defaults.ts';
export { resolveConfig } from './resolve-config.ts';
export { fastifyTrustProxy, isLoopbackHost, type TrustProxy } from './trust-proxy.ts';
export type {
  ConfigOrigin,
  FerryConfigInput,
  PipelineInput,
  ResolvedConfig,
  ResolvedPipeline,
  ResolvedSource,
  SinkConfig,
  SourceEvents,
  TableSinkConfig,
  TableSinkInput,
  Transform,
} from './types.ts';
export { LINEAGE_COLUMNS, SCHEMA_DRIFT_POLICIES, SINK_MODES } from './types.ts';
