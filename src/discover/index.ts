export { discoverFiles } from './discover.ts';
export { decodeS3Key, type EventBody, type EventCounts, isSnsUrl, type ObjectEvent, parseEventBody, recordEvents, storageKey } from './object-events.ts';
export { type FileOutsideWindow, filesOutsideWindow } from './outside-window.ts';
export { type SourceFilter, type SourceSelection, selectsKey, sourceFilter } from './source-filter.ts';
