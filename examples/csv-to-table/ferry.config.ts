/**
 * CSV exports of a CRM merged into one table on their `id`: each file's rows are upserted, so
 * a later export that changes a person updates their row, and new people are added. The files
 * have their own delimiter and null marker; the columns are typed and cleaned up first.
 *
 *   mkdir -p examples/csv-to-table/data/inbox && cd examples/csv-to-table
 *   printf 'id;name;joined;score\n1;Ann;2026-01-02;3.5\n2;Bo;2026-02-03;NA\n' > data/inbox/people-1.csv
 *   node ../../bin/ferry.js preview people-1.csv && node ../../bin/ferry.js run --once
 *   printf 'id;name;joined;score\n2;Bo;2026-02-03;4.0\n3;Cy;2026-03-04;1\n' > data/inbox/people-2.csv
 *   node ../../bin/ferry.js run --once      # Bo's score is now 4, Cy is added: 3 rows in crm.people
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
      // A primary key on id is made with the table; the last row of an id within a file wins.
      sink: { table: 'people', schema: 'crm', mode: 'merge', key: ['id'] },
      schedule: { cron: '*/15 * * * *', timezone: 'Europe/Berlin' },
    },
  },
});
