export { formatDuration, parseDuration } from './duration.ts';
export { formatSize, parseSize } from './size.ts';
