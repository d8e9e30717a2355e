export { discoverFiles } from './discover.ts';
export { type SourceFilter, type SourceSelection, selectsKey, sourceFilter } from './source-filter.ts';
