export { discoverFiles } from './discover.ts';
export { type SourceFilter, type SourceSelection, sourceFilter } from './source-filter.ts';
