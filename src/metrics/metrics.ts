/**
 * Prometheus metrics, read from the ledger at scrape time: every instance reports the same
 * totals, and nothing is lost when a process restarts.
 */
import client from 'prom-client';
import type { Pool } from '../postgres/index.ts';

export interface Metrics {
  render(): Promise<{ contentType: string; body: string }>;
}

export function createMetrics(pool: Pool): Metrics {
  const registry = new client.Registry();
  // prom-client's own names already start with process_ or nodejs_: ferry_process_cpu_seconds_total, not ferry_process_process_….
  client.collectDefaultMetrics({ register: registry, prefix: 'ferry_' });
  new client.Gauge({
    name: 'ferry_file_versions',
    help: 'File versions in the ledger, by pipeline and status',
    labelNames: ['pipeline', 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      const result = await pool.query<{ pipeline: string; status: string; count: number }>(
        'SELECT pipeline, status, count(*) AS count FROM ferry_files GROUP BY pipeline, status',
      );
      for (const row of result.rows) this.set({ pipeline: row.pipeline, status: row.status }, row.count);
    },
  });
  new client.Gauge({
    name: 'ferry_check_failing_rows',
    help: 'Rows (or, for file rules, failures) that failed a check, by pipeline and rule, over all file versions',
    labelNames: ['pipeline', 'rule'],
    registers: [registry],
    async collect() {
      this.reset();
      const result = await pool.query<{ pipeline: string; rule_id: string; failing: number }>(
        'SELECT pipeline, rule_id, sum(failing)::bigint AS failing FROM ferry_check_results GROUP BY pipeline, rule_id',
      );
      for (const row of result.rows) this.set({ pipeline: row.pipeline, rule: row.rule_id }, row.failing);
    },
  });
  new client.Gauge({
    name: 'ferry_rows_rejected',
    help: 'Rows kept aside in rejects tables by checks, by pipeline',
    labelNames: ['pipeline'],
    registers: [registry],
    async collect() {
      this.reset();
      const result = await pool.query<{ pipeline: string; rows: number }>(
        "SELECT pipeline, coalesce(sum(rows_rejected), 0)::bigint AS rows FROM ferry_files WHERE status = 'processed' GROUP BY pipeline",
      );
      for (const row of result.rows) this.set({ pipeline: row.pipeline }, row.rows);
    },
  });
  new client.Gauge({
    name: 'ferry_rows_processed',
    help: 'Rows in file versions processed, by pipeline',
    labelNames: ['pipeline'],
    registers: [registry],
    async collect() {
      this.reset();
      const result = await pool.query<{ pipeline: string; rows: number }>(
        "SELECT pipeline, coalesce(sum(rows), 0)::bigint AS rows FROM ferry_files WHERE status = 'processed' GROUP BY pipeline",
      );
      for (const row of result.rows) this.set({ pipeline: row.pipeline }, row.rows);
    },
  });
  new client.Gauge({
    name: 'ferry_runs',
    help: 'Runs recorded, by pipeline and status',
    labelNames: ['pipeline', 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      const result = await pool.query<{ pipeline: string; status: string; count: number }>(
        'SELECT pipeline, status, count(*) AS count FROM ferry_runs GROUP BY pipeline, status',
      );
      for (const row of result.rows) this.set({ pipeline: row.pipeline, status: row.status }, row.count);
    },
  });
  return {
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
