/**
 * The ledger's numbers that /metrics exports, read at scrape time (every instance reports the
 * same). Each series is one statement whose rows are its labels and a value.
 */
import type { Pool } from '../postgres/index.ts';

const SERIES = {
  /** File versions by pipeline and status. */
  fileVersions: { labels: ['pipeline', 'status'], sql: 'SELECT pipeline, status, count(*) AS value FROM ferry_files GROUP BY pipeline, status' },
  /** Rows (or file-rule failures) that failed a check, by pipeline and rule, over all file versions. */
  checkFailingRows: {
    labels: ['pipeline', 'rule'],
    sql: 'SELECT pipeline, rule_id AS rule, sum(failing)::bigint AS value FROM ferry_check_results GROUP BY pipeline, rule_id',
  },
  /** Rows kept aside in rejects tables, by pipeline. */
  rowsRejected: {
    labels: ['pipeline'],
    sql: "SELECT pipeline, coalesce(sum(rows_rejected), 0)::bigint AS value FROM ferry_files WHERE status = 'processed' GROUP BY pipeline",
  },
  /** Rows loaded (or counted) from the file versions processed, by pipeline. */
  rowsProcessed: {
    labels: ['pipeline'],
    sql: "SELECT pipeline, coalesce(sum(rows), 0)::bigint AS value FROM ferry_files WHERE status = 'processed' GROUP BY pipeline",
  },
  /** Runs by pipeline and status. */
  runs: { labels: ['pipeline', 'status'], sql: 'SELECT pipeline, status, count(*) AS value FROM ferry_runs GROUP BY pipeline, status' },
  /** Pending versions not leased: waiting for a worker. */
  queueDepth: {
    labels: ['pipeline'],
    sql: "SELECT pipeline, count(*) AS value FROM ferry_files WHERE status = 'pending' AND (lease_expires_at IS NULL OR lease_expires_at < now()) GROUP BY pipeline",
  },
  /** Seconds since the oldest pending version was found. */
  oldestPendingAge: {
    labels: ['pipeline'],
    sql: "SELECT pipeline, extract(epoch FROM now() - min(discovered_at)) AS value FROM ferry_files WHERE status = 'pending' GROUP BY pipeline",
  },
  /** When the last completed run finished (Unix time). */
  lastSuccess: {
    labels: ['pipeline'],
    sql: "SELECT pipeline, extract(epoch FROM max(finished_at)) AS value FROM ferry_runs WHERE status = 'completed' GROUP BY pipeline",
  },
  /** 1 when the pipeline is late (as last seen by an instance), else 0. */
  pipelineLate: { labels: ['pipeline'], sql: 'SELECT pipeline, CASE WHEN late THEN 1 ELSE 0 END AS value FROM ferry_pipeline_health' },
  /** Attempts beyond the first, over all file versions. */
  fileRetries: {
    labels: ['pipeline'],
    sql: 'SELECT pipeline, coalesce(sum(greatest(attempts - 1, 0)), 0)::bigint AS value FROM ferry_files GROUP BY pipeline',
  },
  /** Reader processes that died on a file. */
  readerCrashes: { labels: ['pipeline'], sql: 'SELECT pipeline, coalesce(sum(reader_crashes), 0)::bigint AS value FROM ferry_files GROUP BY pipeline' },
  /** File versions found by reconciliation listings (missed by the pipeline's events), over the runs kept. */
  reconcileFound: {
    labels: ['pipeline'],
    sql: "SELECT pipeline, coalesce(sum(files_discovered), 0)::bigint AS value FROM ferry_runs WHERE listing = 'reconcile' GROUP BY pipeline",
  },
  /** What the last reconciliation of each pipeline found. */
  reconcileLastFound: {
    labels: ['pipeline'],
    sql: "SELECT DISTINCT ON (pipeline) pipeline, files_discovered AS value FROM ferry_runs WHERE listing = 'reconcile' ORDER BY pipeline, started_at DESC",
  },
  /** Alerts in the outbox, by event and status. */
  alerts: { labels: ['event', 'status'], sql: 'SELECT event, status, count(*) AS value FROM ferry_alerts GROUP BY event, status' },
} as const satisfies Record<string, { readonly labels: readonly string[]; readonly sql: string }>;

export type LedgerSeries = keyof typeof SERIES;

/** One labelled value of a series. */
export interface SeriesPoint {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The label names of a series, in order. */
export function seriesLabels(series: LedgerSeries): readonly string[] {
  return SERIES[series].labels;
}

export async function readSeries(pool: Pool, series: LedgerSeries): Promise<SeriesPoint[]> {
  const { labels, sql } = SERIES[series];
  const result = await pool.query<Record<string, string | number | null>>(sql);
  return result.rows.map((row) => ({
    labels: Object.fromEntries(labels.map((label) => [label, String(row[label] ?? '')])),
    value: Number(row.value ?? 0),
  }));
}
