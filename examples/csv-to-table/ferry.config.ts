/**
 * CSV files into a table, one row per CSV row, with the file's own delimiter and null marker
 * and a typed, cleaned-up column set. (Append mode; merge on a key is still to come.)
 *
 *   mkdir -p examples/csv-to-table/data/inbox
 *   printf 'id;name;joined;score\n1;Ann;2026-01-02;3.5\n2;Bo;2026-02-03;NA\n' > examples/csv-to-table/data/inbox/people.csv
 *   cd examples/csv-to-table && node ../../bin/ferry.js preview people.csv && node ../../bin/ferry.js run --once
 */
import { defineConfig, pl } from 'ferry';

export default defineConfig({
  storage: './data/inbox',
  pipelines: {
    people: {
      source: { glob: '**/*.csv', csv: { delimiter: ';', header: true, nullValues: ['NA', ''] } },
      transform: (lf) =>
        lf.select(
          pl.col('id').cast(pl.Int64),
          pl.col('name').str.strip(),
          pl.col('joined').str.strptime(pl.Date, '%Y-%m-%d'),
          pl.col('score').cast(pl.Float64),
        ),
      sink: { table: 'people', schema: 'crm' },
      schedule: { cron: '*/15 * * * *', timezone: 'Europe/Berlin' },
    },
  },
});
