/**
 * The demo's pipeline: count a Parquet file's rows from its footer and write one `etl_results`
 * row per file version, stamped with the run's time.
 */
import { countParquetRows } from '../formats/index.ts';
import type { Sink } from './sink.ts';

export const rowCountSink: Sink = {
  name: 'row-count',
  async prepare(store, file, limits) {
    const rows = await countParquetRows(store, file, limits);
    return {
      async load(client, run) {
        // The run's time from the database itself: a JavaScript Date would drop its microseconds.
        await client.query('INSERT INTO etl_results ("timestamp", file_name, row_count) SELECT started_at, $2, $3 FROM ferry_runs WHERE id = $1', [
          run.id,
          file.key,
          rows,
        ]);
        return rows;
      },
      async dispose() {},
    };
  },
};
