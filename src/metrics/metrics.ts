/**
 * Prometheus metrics. Totals and states are read from the ledger at scrape time: every instance
 * reports the same numbers, and nothing is lost when a process restarts (sum them with max(),
 * not sum(), across instances). Per-file durations and sizes are histograms of this process's
 * own loads (observeFile), summed across instances as usual.
 */
import client from 'prom-client';
import type { Pool } from '../postgres/index.ts';

/** This process's loads: how long each file took and how large it was, by pipeline and outcome. */
const fileDuration = new client.Histogram({
  name: 'ferry_file_duration_seconds',
  help: "Time from a file's claim to its outcome, in this process, by pipeline and outcome",
  labelNames: ['pipeline', 'outcome'],
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
  registers: [],
});
const fileBytes = new client.Histogram({
  name: 'ferry_file_bytes',
  help: 'Size of the files this process handled, by pipeline and outcome',
  labelNames: ['pipeline', 'outcome'],
  buckets: [1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10],
  registers: [],
});

/** Called by the worker as each file ends. */
export function observeFile(pipeline: string, outcome: string, seconds: number, bytes: number): void {
  fileDuration.observe({ pipeline, outcome }, seconds);
  fileBytes.observe({ pipeline, outcome }, bytes);
}

/** A gauge whose values are one query's rows at scrape time. */
function ledgerGauge(
  registry: client.Registry,
  pool: Pool,
  name: string,
  help: string,
  labelNames: readonly string[],
  sql: string,
  type: 'gauge' | 'counter' = 'gauge',
): void {
  const collect = async function (this: client.Gauge | client.Counter) {
    this.reset();
    const result = await pool.query<Record<string, string | number | null>>(sql);
    for (const row of result.rows) {
      const labels = Object.fromEntries(labelNames.map((label) => [label, String(row[label] ?? '')]));
      const value = Number(row.value ?? 0);
      if (this instanceof client.Counter) this.inc(labels, value);
      else (this as client.Gauge).set(labels, value);
    }
  };
  if (type === 'counter') new client.Counter({ name, help, labelNames: [...labelNames], registers: [registry], collect });
  else new client.Gauge({ name, help, labelNames: [...labelNames], registers: [registry], collect });
}

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
  registry.registerMetric(fileDuration);
  registry.registerMetric(fileBytes);
  ledgerGauge(
    registry,
    pool,
    'ferry_rows_loaded_total',
    'Rows loaded (or counted) from the file versions processed, by pipeline',
    ['pipeline'],
    "SELECT pipeline, coalesce(sum(rows), 0)::bigint AS value FROM ferry_files WHERE status = 'processed' GROUP BY pipeline",
    'counter',
  );
  ledgerGauge(
    registry,
    pool,
    'ferry_queue_depth',
    'File versions waiting to be processed (pending, not leased), by pipeline',
    ['pipeline'],
    "SELECT pipeline, count(*) AS value FROM ferry_files WHERE status = 'pending' AND (lease_expires_at IS NULL OR lease_expires_at < now()) GROUP BY pipeline",
  );
  ledgerGauge(
    registry,
    pool,
    'ferry_oldest_pending_age_seconds',
    'Age of the oldest file version still pending, by pipeline',
    ['pipeline'],
    "SELECT pipeline, extract(epoch FROM now() - min(discovered_at)) AS value FROM ferry_files WHERE status = 'pending' GROUP BY pipeline",
  );
  ledgerGauge(
    registry,
    pool,
    'ferry_last_success_timestamp_seconds',
    'When the last run that completed finished (Unix time), by pipeline',
    ['pipeline'],
    "SELECT pipeline, extract(epoch FROM max(finished_at)) AS value FROM ferry_runs WHERE status = 'completed' GROUP BY pipeline",
  );
  ledgerGauge(
    registry,
    pool,
    'ferry_pipeline_late',
    '1 when the pipeline has had no completed run within its expectEvery (as last seen by an instance), else 0',
    ['pipeline'],
    'SELECT pipeline, CASE WHEN late THEN 1 ELSE 0 END AS value FROM ferry_pipeline_health',
  );
  ledgerGauge(
    registry,
    pool,
    'ferry_file_retries_total',
    'Attempts beyond the first, over all file versions, by pipeline',
    ['pipeline'],
    'SELECT pipeline, coalesce(sum(greatest(attempts - 1, 0)), 0)::bigint AS value FROM ferry_files GROUP BY pipeline',
    'counter',
  );
  ledgerGauge(
    registry,
    pool,
    'ferry_reader_crashes_total',
    'Reader processes that died on a file, by pipeline',
    ['pipeline'],
    'SELECT pipeline, coalesce(sum(reader_crashes), 0)::bigint AS value FROM ferry_files GROUP BY pipeline',
    'counter',
  );
  ledgerGauge(
    registry,
    pool,
    'ferry_alerts',
    'Alerts in the outbox, by event and status (pending, delivered, suppressed, failed)',
    ['event', 'status'],
    'SELECT event, status, count(*) AS value FROM ferry_alerts GROUP BY event, status',
  );
  return {
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
