/**
 * The demo's suggested customisation: instead of counting rows, keep the active sales summed
 * per category, sorted, in a table. Try it from this folder:
 *
 *   npm run sample -- examples/demo-customisation/data/inbox
 *   cd examples/demo-customisation && node ../../bin/ferry.js run --once
 *   psql … -c 'SELECT * FROM sales_by_category'
 */
import { defineConfig, pl } from 'ferry';

export default defineConfig({
  storage: './data/inbox',
  pipelines: {
    sales: {
      source: { glob: '**/*.parquet', modifiedWithin: '7d' },
      transform: (lf) =>
        lf
          .filter(pl.col('status').eq(pl.lit('active')))
          .groupBy('category')
          .agg(pl.col('amount').sum().alias('amount'), pl.len().alias('sales'))
          .sort('amount', true),
      sink: { table: 'sales_by_category' },
      schedule: { every: '5m' },
    },
  },
});
