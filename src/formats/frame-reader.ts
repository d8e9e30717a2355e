/**
 * Reads a file into a Polars LazyFrame by format: Parquet, CSV, NDJSON and Arrow IPC. Local
 * files are scanned by path; S3 objects directly with Polars' cloud reader.
 */
import path from 'node:path';
import pl from 'nodejs-polars';
import { FerryError } from '../errors.ts';
import type { ReadTarget } from '../storage/index.ts';

export const FILE_FORMATS = ['parquet', 'csv', 'ndjson', 'ipc'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

const EXTENSIONS: Readonly<Record<string, FileFormat>> = {
  '.parquet': 'parquet',
  '.pq': 'parquet',
  '.csv': 'csv',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.arrow': 'ipc',
  '.ipc': 'ipc',
  '.feather': 'ipc',
};

/** The format a key's extension names, or null. */
export function formatOfKey(key: string): FileFormat | null {
  return EXTENSIONS[path.extname(key).toLowerCase()] ?? null;
}

export interface CsvOptions {
  readonly delimiter?: string;
  readonly header?: boolean;
  readonly quote?: string;
  readonly nullValues?: readonly string[];
}

export function scanFrame(target: Exclude<ReadTarget, { kind: 'operator' }>, format: FileFormat, csv: CsvOptions = {}): pl.LazyDataFrame {
  const location = target.kind === 'path' ? target.path : target.url;
  const cloudOptions = target.kind === 'cloud' ? { cloudOptions: { ...target.cloudOptions } } : {};
  switch (format) {
    case 'parquet':
      return pl.scanParquet(location, { glob: false, ...cloudOptions });
    case 'csv':
      return pl.scanCSV(location, {
        sep: csv.delimiter ?? ',',
        hasHeader: csv.header ?? true,
        quoteChar: csv.quote ?? '"',
        ...(csv.nullValues ? { nullValues: [...csv.nullValues] } : {}),
        ...cloudOptions,
      });
    case 'ndjson':
      return pl.scanJson(location, { ...cloudOptions });
    case 'ipc':
      if (target.kind === 'cloud') throw new FerryError('FILE_UNREADABLE', 'Arrow IPC is read from local storage only for now', { step: 'read' });
      return pl.scanIPC(location);
  }
}
