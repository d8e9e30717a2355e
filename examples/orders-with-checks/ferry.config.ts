/**
 * Order exports checked while they load: rows with a negative or absurd amount or an unknown
 * status go to `shop.orders_rejects` (with the rules they failed), bad e-mail addresses and a
 * stale export only warn, and a file with a duplicated order id or no rows is quarantined whole.
 *
 *   mkdir -p examples/orders-with-checks/data/inbox && cd examples/orders-with-checks
 *   printf 'order_id,email,status,amount,created_at\n1,ann@example.org,paid,12.5,2026-11-24T10:00:00Z\n2,bo@example,paid,-3,2026-11-24T11:00:00Z\n3,cy@example.org,lost,7,2026-11-24T12:00:00Z\n' > data/inbox/orders-1.csv
 *   node ../../bin/ferry.js run --once        # 1 row loaded, 2 rejected, the e-mail rule warned
 *   node ../../bin/ferry.js checks orders-1.csv
 */
import { defineConfig, pl } from 'ferry';

export default defineConfig({
  storage: './data/inbox',
  pipelines: {
    orders: {
      source: { glob: '**/*.csv', schema: { order_id: 'bigint', amount: 'double precision' }, modifiedWithin: null },
      transform: (lf) => lf.withColumns(pl.col('created_at').str.strptime(pl.Datetime('ms'), '%Y-%m-%dT%H:%M:%SZ')),
      checks: [
        { rule: 'notNull', columns: ['order_id', 'amount'], action: 'reject' },
        { rule: 'unique', columns: ['order_id'] }, // quarantine: a duplicated id means a broken export
        // Bad amounts are set aside; when more than 40% of a file's are bad, the export is broken: quarantined.
        { rule: 'range', column: 'amount', min: 0, max: 100_000, action: 'reject', errorIf: '40%' },
        { rule: 'accepted', column: 'status', values: ['paid', 'refunded', 'pending'], action: 'reject' },
        { rule: 'regex', column: 'email', pattern: '^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$', action: 'warn' },
        { rule: 'freshness', column: 'created_at', within: '7d', action: 'warn' },
        { rule: 'rowCount', min: 1 },
      ],
      sink: { table: 'orders', schema: 'shop', mode: 'merge', key: ['order_id'] },
      schedule: { every: '10m' },
    },
  },
});
