/**
 * The demo's pipeline: count a Parquet file's rows from its footer and write one `etl_results`
 * row per file version, stamped with the run's time.
 */
import { countParquetRows } from '../formats/index.ts';
import type { Sink } from './sink.ts';

export const rowCountSink: Sink = {
  name: 'row-count',
  async read(store, file) {
    return { rows: await countParquetRows(store, file.key) };
  },
  async load(client, file, read, run) {
    await client.query('INSERT INTO etl_results ("timestamp", file_name, row_count) VALUES ($1, $2, $3)', [run.started_at, file.key, read.rows]);
  },
};
