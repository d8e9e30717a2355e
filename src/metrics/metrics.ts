/**
 * Prometheus metrics. Totals and states are read from the ledger at scrape time: every instance
 * reports the same numbers, and nothing is lost when a process restarts (sum them with max(),
 * not sum(), across instances). Per-file durations and sizes are histograms of this process's
 * own loads (observeFile), summed across instances as usual.
 */
import client from 'prom-client';
import { swallowedCounts } from '../errors/index.ts';
import { type LedgerSeries, readSeries, seriesLabels } from '../ledger/index.ts';
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

/** Object-created events this process received, by how they came (http, sqs) and what became of them. */
const objectEvents = new client.Counter({
  name: 'ferry_object_events_total',
  help: 'Object-created events this process received, by how they came (http, sqs) and outcome (recorded, known; ignored as not-created, other-place, unselected, gone)',
  labelNames: ['via', 'outcome'],
  registers: [],
});

/** Called as a delivery of events (a POST, a batch of queue messages) is recorded. */
export function observeEvents(
  via: 'http' | 'sqs',
  counts: { readonly recorded: number; readonly known: number; readonly ignoredBecause: Readonly<Record<string, number>> },
): void {
  const outcomes: [string, number][] = [['recorded', counts.recorded], ['known', counts.known], ...Object.entries(counts.ignoredBecause)];
  for (const [outcome, count] of outcomes) if (count > 0) objectEvents.inc({ via, outcome }, count);
}

/** Polls of an SQS queue of events that failed (receive, record or delete): the messages stay on the queue. */
const queueFailures = new client.Counter({
  name: 'ferry_event_queue_failures_total',
  help: 'Failed polls of an SQS queue of object-created events (receive, record or delete), by queue; the messages stay on the queue',
  labelNames: ['queue'],
  registers: [],
});

export function observeQueueFailure(queue: string): void {
  queueFailures.inc({ queue });
}

/** Called by the worker as each file ends. */
export function observeFile(pipeline: string, outcome: string, seconds: number, bytes: number): void {
  fileDuration.observe({ pipeline, outcome }, seconds);
  fileBytes.observe({ pipeline, outcome }, bytes);
}

/** A gauge (or counter) whose values are one ledger series at scrape time. */
function ledgerMetric(registry: client.Registry, pool: Pool, name: string, help: string, series: LedgerSeries, type: 'gauge' | 'counter' = 'gauge'): void {
  const collect = async function (this: client.Gauge | client.Counter) {
    this.reset();
    for (const point of await readSeries(pool, series)) {
      if (this instanceof client.Counter) this.inc(point.labels, point.value);
      else (this as client.Gauge).set(point.labels, point.value);
    }
  };
  const labelNames = [...seriesLabels(series)];
  if (type === 'counter') new client.Counter({ name, help, labelNames, registers: [registry], collect });
  else new client.Gauge({ name, help, labelNames, registers: [registry], collect });
}

export interface Metrics {
  render(): Promise<{ contentType: string; body: string }>;
}

/** The reader processes as the metrics see them (ReaderPool.memory). */
export interface ReaderMemory {
  memory(): readonly { readonly reader: number; readonly residentBytes: number | null }[];
}

export function createMetrics(pool: Pool, readers?: ReaderMemory): Metrics {
  const registry = new client.Registry();
  // prom-client's own names already start with process_ or nodejs_: ferry_process_cpu_seconds_total, not ferry_process_process_….
  client.collectDefaultMetrics({ register: registry, prefix: 'ferry_' });
  ledgerMetric(registry, pool, 'ferry_file_versions', 'File versions in the ledger, by pipeline and status', 'fileVersions');
  ledgerMetric(
    registry,
    pool,
    'ferry_check_failing_rows',
    'Rows (or, for file rules, failures) that failed a check, by pipeline and rule, over all file versions',
    'checkFailingRows',
  );
  ledgerMetric(registry, pool, 'ferry_rows_rejected', 'Rows kept aside in rejects tables by checks, by pipeline', 'rowsRejected');
  ledgerMetric(registry, pool, 'ferry_rows_processed', 'Rows in file versions processed, by pipeline', 'rowsProcessed');
  ledgerMetric(registry, pool, 'ferry_runs', 'Runs recorded, by pipeline and status', 'runs');
  registry.registerMetric(fileDuration);
  registry.registerMetric(fileBytes);
  ledgerMetric(registry, pool, 'ferry_rows_loaded_total', 'Rows loaded (or counted) from the file versions processed, by pipeline', 'rowsProcessed', 'counter');
  ledgerMetric(registry, pool, 'ferry_queue_depth', 'File versions waiting to be processed (pending, not leased), by pipeline', 'queueDepth');
  ledgerMetric(registry, pool, 'ferry_oldest_pending_age_seconds', 'Age of the oldest file version still pending, by pipeline', 'oldestPendingAge');
  ledgerMetric(registry, pool, 'ferry_last_success_timestamp_seconds', 'When the last run that completed finished (Unix time), by pipeline', 'lastSuccess');
  ledgerMetric(
    registry,
    pool,
    'ferry_pipeline_late',
    '1 when the pipeline has had no completed run within its expectEvery (as last seen by an instance), else 0',
    'pipelineLate',
  );
  ledgerMetric(registry, pool, 'ferry_file_retries_total', 'Attempts beyond the first, over all file versions, by pipeline', 'fileRetries', 'counter');
  ledgerMetric(registry, pool, 'ferry_reader_crashes_total', 'Reader processes that died on a file, by pipeline', 'readerCrashes', 'counter');
  registry.registerMetric(objectEvents);
  registry.registerMetric(queueFailures);
  ledgerMetric(
    registry,
    pool,
    'ferry_reconcile_found_total',
    "File versions found by reconciliation listings that the pipeline's events had not recorded (lost or late events), by pipeline",
    'reconcileFound',
    'counter',
  );
  ledgerMetric(
    registry,
    pool,
    'ferry_reconcile_last_found',
    'What the last reconciliation listing of the pipeline found that its events had missed',
    'reconcileLastFound',
  );
  ledgerMetric(registry, pool, 'ferry_alerts', 'Alerts in the outbox, by event and status (pending, delivered, suppressed, failed)', 'alerts');
  new client.Counter({
    name: 'ferry_swallowed_failures_total',
    help: 'Failures this process let pass on purpose (lease renewals, progress rows, clean-ups), by what failed',
    labelNames: ['what'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [what, count] of swallowedCounts()) this.inc({ what }, count);
    },
  });
  if (readers !== undefined) {
    // Read from /proc at scrape time: the parent's own is ferry_process_resident_memory_bytes.
    new client.Gauge({
      name: 'ferry_readers',
      help: 'Reader processes running (at most concurrency; idle ones exit after readers.idleExit)',
      registers: [registry],
      collect() {
        this.set(readers.memory().length);
      },
    });
    new client.Gauge({
      name: 'ferry_reader_resident_memory_bytes',
      help: 'Resident memory of each reader process, by its number (1 to concurrency)',
      labelNames: ['reader'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { reader, residentBytes } of readers.memory()) if (residentBytes !== null) this.set({ reader: String(reader) }, residentBytes);
      },
    });
  }
  return {
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
