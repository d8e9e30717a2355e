export { discoverFiles } from './discover.ts';
export { type FileOutsideWindow, filesOutsideWindow } from './outside-window.ts';
export { type SourceFilter, type SourceSelection, selectsKey, sourceFilter } from './source-filter.ts';
