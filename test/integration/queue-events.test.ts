/**
 * Object-created events from an SQS queue (`source.events: { sqs }`), and reconciliation
 * listings (`source.reconcile`). The consumer is the AWS SDK's, over HTTP, against a queue that
 * speaks SQS's JSON protocol (test/helpers/sqs-server.ts); the ledger is a real database and the
 * store s3rver. The service itself is run too, as a user runs it, with a queue.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Operator } from 'opendal';
import { pino } from 'pino';
import { type EventCounts, messageEvents, type ObjectEvent, queueRegion, recordEvents, startQueueConsumer } from '../../src/discover/index.ts';
import { createMetrics } from '../../src/metrics/index.ts';
import type { Runtime } from '../../src/runtime.ts';
import { runPipeline } from '../../src/worker/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { runFerry, startFerry } from '../helpers/ferry-process.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { eventBridge, putObject, s3Record, snsNotification } from '../helpers/object-events.ts';
import { openTestRuntime } from '../helpers/runtime.ts';
import { type S3Server, startS3Server } from '../helpers/s3-server.ts';
import { type SqsServer, startSqsServer } from '../helpers/sqs-server.ts';

const log = pino({ level: 'silent' });
let db: TestDatabase;
let s3: S3Server;
let bucket: Operator;
let queue: SqsServer;
let runtime: Runtime | null = null;
let prefix = '';
let testNumber = 0;

async function open(raw: unknown = {}): Promise<Runtime> {
  await runtime?.close();
  runtime = await openTestRuntime({ databaseUrl: db.url, storage: `s3://${s3.bucket}/${prefix}in`, env: s3.env, raw });
  return runtime;
}

const put = (key: string, rows: number, seed = 0) => putObject(bucket, `${prefix}in/${key}`, rows, seed);

async function run(trigger: 'event' | 'startup' | 'manual' | 'retry') {
  const current = runtime as Runtime;
  const pipeline = current.config.pipelines[0];
  if (pipeline === undefined) throw new Error('no pipeline');
  const summary = await runPipeline(current, { pipeline, trigger });
  if (summary.status !== 'completed') throw new Error(`run ${summary.status}: ${'error' in summary ? summary.error : ''}`);
  return summary;
}

async function results(): Promise<{ file_name: string; row_count: number }[]> {
  return (await db.pool.query('SELECT file_name, row_count FROM etl_results ORDER BY file_name, id')).rows;
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A consumer of the test's queue that records into the open runtime's ledger, through `record` when given. */
async function consume(
  options: { record?: (events: readonly ObjectEvent[]) => Promise<EventCounts>; visibilityTimeoutSeconds?: number; ready?: () => Promise<unknown> } = {},
) {
  const current = runtime as Runtime;
  const recorded: EventCounts[] = [];
  const consumer = await startQueueConsumer({
    queueUrl: queue.queueUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    record: options.record ?? ((events) => recordEvents(current.pool, current.store, current.config.pipelines, events)),
    onRecorded: (counts) => recorded.push(counts),
    log,
    waitSeconds: 1,
    retryDelayMs: 100,
    ...(options.visibilityTimeoutSeconds === undefined ? {} : { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds }),
    ...(options.ready === undefined ? {} : { ready: options.ready }),
  });
  return { consumer, recorded };
}

before(async () => {
  db = await createTestDatabase();
  s3 = await startS3Server();
  bucket = s3.operator();
});
after(async () => {
  await queue?.stop();
  await runtime?.close();
  await s3.stop();
  await db.drop();
});
beforeEach(async () => {
  await queue?.stop();
  queue = await startSqsServer();
  await db.pool.query('TRUNCATE etl_results, ferry_files, ferry_runs RESTART IDENTITY CASCADE');
  prefix = `q${++testNumber}/`;
});

describe('an SQS queue of object-created events', () => {
  it('records S3 records, SNS notifications and EventBridge events once, deletes them after, and they load once', async () => {
    await open({ pipelines: { default: { source: { events: { sqs: queue.queueUrl } } } } });
    // The first, whole listing (of nothing yet): after it, runs that events start do not list.
    assert.equal((await run('startup')).run.listing, 'full');
    const a = await put('a b.parquet', 3);
    const b = await put('b.parquet', 5);
    const c = await put('c.parquet', 7);
    queue.send(JSON.stringify({ Records: [s3Record(s3.bucket, a)] })); // S3 → SQS
    queue.send(JSON.stringify(snsNotification([s3Record(s3.bucket, b)]))); // S3 → SNS → SQS
    queue.send(JSON.stringify(eventBridge(s3.bucket, c))); // S3 → EventBridge → SQS
    queue.send(JSON.stringify({ Records: [s3Record(s3.bucket, a)] })); // a repeat
    queue.send(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: s3.bucket })); // S3's test message
    queue.send('not json');
    queue.send(JSON.stringify({ Records: [s3Record(s3.bucket, { ...a, key: `${prefix}elsewhere/a.parquet` })] })); // outside the storage

    const { consumer, recorded } = await consume();
    await until('the queue to be emptied', () => queue.depth === 0);
    await consumer.stop();
    const total = (field: 'records' | 'recorded' | 'known' | 'ignored') => recorded.reduce((sum, counts) => sum + counts[field], 0);
    assert.equal(total('recorded'), 3);
    assert.equal(total('known'), 1);
    assert.equal(total('ignored'), 1);
    // Every message received once: none came back (each was deleted after its batch was recorded).
    assert.ok((queue.requests.DeleteMessageBatch ?? 0) >= 1);

    const loaded = await run('event');
    assert.equal(loaded.counts.files_listed, 0);
    assert.equal(loaded.run.listing, null);
    assert.deepEqual(await results(), [
      { file_name: 'a b.parquet', row_count: 3 },
      { file_name: 'b.parquet', row_count: 5 },
      { file_name: 'c.parquet', row_count: 7 },
    ]);
    // The same events delivered again (at least once): nothing new.
    queue.send(JSON.stringify({ Records: [s3Record(s3.bucket, a), s3Record(s3.bucket, b)] }));
    const again = await consume();
    await until('the repeat to be recorded', () => again.recorded.length > 0 && queue.depth === 0);
    await again.consumer.stop();
    assert.deepEqual(
      again.recorded.map((counts) => [counts.recorded, counts.known]),
      [[0, 2]],
    );
    assert.equal((await run('event')).counts.files_processed, 0);
    assert.equal((await results()).length, 3);
  });

  it('deletes messages only after their events are recorded: a failed recording leaves them to come back', async () => {
    await open({ pipelines: { default: { source: { events: { sqs: queue.queueUrl } } } } });
    const d = await put('d.parquet', 4);
    const id = queue.send(JSON.stringify({ Records: [s3Record(s3.bucket, d)] }));
    const current = runtime as Runtime;
    let attempts = 0;
    const { consumer, recorded } = await consume({
      visibilityTimeoutSeconds: 1,
      record: async (events) => {
        attempts++;
        // As if the database went away before the statement committed.
        if (attempts === 1) throw new Error('connection terminated unexpectedly');
        return recordEvents(current.pool, current.store, current.config.pipelines, events);
      },
    });
    await until('the message to be recorded and deleted', () => queue.depth === 0);
    await consumer.stop();
    assert.equal(attempts, 2);
    // Received twice: the failure left it on the queue, and it came back after its visibility timeout.
    assert.equal(queue.receivesOf(id), 2);
    assert.deepEqual(
      recorded.map((counts) => counts.recorded),
      [1],
    );
    assert.equal((await run('event')).counts.files_processed, 1);
    assert.deepEqual(await results(), [{ file_name: 'd.parquet', row_count: 4 }]);
  });

  it('a message that cannot be recorded stays on the queue without holding back the others of its batch', async () => {
    await open({ pipelines: { default: { source: { events: { sqs: queue.queueUrl } } } } });
    await run('startup');
    const good = await put('good.parquet', 3);
    const bad = await put('bad.parquet', 1);
    const current = runtime as Runtime;
    queue.send(JSON.stringify({ Records: [s3Record(s3.bucket, bad)] }));
    queue.send(JSON.stringify({ Records: [s3Record(s3.bucket, good)] }));
    const { consumer, recorded } = await consume({
      visibilityTimeoutSeconds: 30,
      record: async (events) => {
        // As if the store refused to answer for this one object.
        if (events.some((event) => event.key.endsWith('bad.parquet'))) throw new Error('AccessDenied on HEAD');
        return recordEvents(current.pool, current.store, current.config.pipelines, events);
      },
    });
    await until('the good message recorded and deleted', () => queue.depth === 1 && recorded.length === 1);
    await consumer.stop();
    assert.equal(recorded[0]?.recorded, 1);
    assert.equal((await run('event')).counts.files_processed, 1);
    assert.deepEqual(await results(), [{ file_name: 'good.parquet', row_count: 3 }]);
  });

  it('while the database is out, nothing is received (a receive would count towards the redrive limit)', async () => {
    await open({ pipelines: { default: { source: { events: { sqs: queue.queueUrl } } } } });
    await run('startup');
    const d = await put('d.parquet', 4);
    const id = queue.send(JSON.stringify({ Records: [s3Record(s3.bucket, d)] }));
    const current = runtime as Runtime;
    let databaseOut = true;
    let asked = 0;
    const { consumer, recorded } = await consume({
      visibilityTimeoutSeconds: 1,
      record: async (events) => {
        if (databaseOut) throw new Error('connection terminated unexpectedly');
        return recordEvents(current.pool, current.store, current.config.pipelines, events);
      },
      ready: async () => {
        asked++;
        if (databaseOut) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      },
    });
    await until('the consumer to ask for the database a few times', () => asked >= 4, 30_000);
    // Received once (the failure that showed the outage), not once a retry.
    assert.equal(queue.receivesOf(id), 1);
    databaseOut = false;
    await until('the message recorded and deleted', () => queue.depth === 0 && recorded.length === 1, 30_000);
    await consumer.stop();
    assert.equal(queue.receivesOf(id), 2);
  });

  it('keeps polling through an outage of the queue', async () => {
    await open({ pipelines: { default: { source: { events: { sqs: queue.queueUrl } } } } });
    queue.failing = true;
    const { consumer, recorded } = await consume();
    await until('failed receives', () => (queue.requests.ReceiveMessage ?? 0) >= 2);
    const e = await put('e.parquet', 2);
    queue.send(JSON.stringify({ Records: [s3Record(s3.bucket, e)] }));
    queue.failing = false;
    await until('the message after the outage', () => queue.depth === 0, 30_000);
    await consumer.stop();
    assert.equal(
      recorded.reduce((sum, counts) => sum + counts.recorded, 0),
      1,
    );
  });

  it('reads the region from AWS queue URLs, and says why a message holds no event', () => {
    assert.equal(queueRegion('https://sqs.eu-west-1.amazonaws.com/123456789012/q'), 'eu-west-1');
    assert.equal(queueRegion('https://ap-south-1.queue.amazonaws.com/123456789012/q'), 'ap-south-1');
    assert.equal(queueRegion('http://127.0.0.1:9324/000000000000/q'), null);
    assert.equal(queueRegion('https://queue.amazonaws.com/123456789012/q'), 'us-east-1');
    assert.match(String((messageEvents('{') as { reason: string }).reason), /not JSON/);
    const confirmation = messageEvents(JSON.stringify({ Type: 'SubscriptionConfirmation', SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?x' }));
    assert.match(String((confirmation as { reason: string }).reason), /subscription confirmation/);
  });
});

describe('reconciliation (source.reconcile)', () => {
  it('lists on a slow schedule and records the files whose events were lost; says how many in the run and the metrics', async () => {
    await open({ pipelines: { default: { source: { events: 'http', reconcile: '1h' } } } });
    // The first run of a pipeline with events lists the store whole: what it held before the events.
    await put('before.parquet', 2);
    const first = await run('startup');
    assert.equal(first.run.listing, 'full');
    assert.equal(first.counts.files_discovered, 1);

    const heard = await put('heard.parquet', 6);
    await put('lost.parquet', 8); // its event never arrives
    const counts = await recordEvents(db.pool, (runtime as Runtime).store, (runtime as Runtime).config.pipelines, [
      { created: true, bucket: s3.bucket, key: heard.key, size: heard.size, etag: heard.etag, time: heard.time },
    ]);
    assert.equal(counts.recorded, 1);
    const evented = await run('event');
    assert.equal(evented.run.listing, null);
    assert.deepEqual(await results(), [
      { file_name: 'before.parquet', row_count: 2 },
      { file_name: 'heard.parquet', row_count: 6 },
    ]);

    // A scheduled run within the hour does not list: the lost file stays unseen.
    const quiet = await run('retry');
    assert.equal(quiet.run.listing, null);
    assert.equal(quiet.counts.files_listed, 0);
    assert.equal((await results()).length, 2);

    // An hour later (the last reconciliation moved back), the next run lists and finds it.
    await db.pool.query(`UPDATE ferry_runs SET started_at = started_at - interval '2 hours' WHERE listing IS NOT NULL`);
    const reconciled = await run('startup');
    assert.equal(reconciled.run.listing, 'reconcile');
    assert.equal(reconciled.counts.files_listed, 3);
    assert.equal(reconciled.counts.files_discovered, 1);
    assert.deepEqual(await results(), [
      { file_name: 'before.parquet', row_count: 2 },
      { file_name: 'heard.parquet', row_count: 6 },
      { file_name: 'lost.parquet', row_count: 8 },
    ]);
    const metrics = (await createMetrics(db.pool).render()).body;
    assert.match(metrics, /ferry_reconcile_found_total\{pipeline="default"\} 1\b/);
    assert.match(metrics, /ferry_reconcile_last_found\{pipeline="default"\} 1\b/);

    // ferry runs says it.
    const dir = tempDir('ferry-runs-');
    const listed = await runFerry(['runs', '--wide'], { env: { ...s3.env, DATABASE_URL: db.url, FERRY_STORAGE: `s3://${s3.bucket}/${prefix}in` }, cwd: dir });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /\bstartup\b.*\breconcile: 1 found\b/);
    assert.match(listed.stdout, /\bretry\b.*\bnone\b/);
    // So does ferry run --once, a run a person asks for: it reconciles.
    fs.writeFileSync(
      path.join(dir, 'ferry.config.ts'),
      `export default ${JSON.stringify({ pipelines: { default: { source: { events: 'http', reconcile: '1h' } } } })};\n`,
    );
    const once = await runFerry(['run', '--once'], { env: { ...s3.env, DATABASE_URL: db.url, FERRY_STORAGE: `s3://${s3.bucket}/${prefix}in` }, cwd: dir });
    assert.equal(once.code, 0, once.stderr);
    assert.match(once.stdout, /reconciliation: 0 new the events had not recorded/);
    // A run a person asks for always lists.
    const manual = await run('manual');
    assert.equal(manual.run.listing, 'reconcile');
    assert.equal(manual.counts.files_discovered, 0);
    assert.match((await createMetrics(db.pool).render()).body, /ferry_reconcile_last_found\{pipeline="default"\} 0\b/);
  });

  it('with listFrom last-seen, a reconciliation starts after the keys listings recorded, not after a key an event recorded', async () => {
    await open({ pipelines: { default: { source: { events: 'http', reconcile: '1h', listFrom: 'last-seen' } } } });
    await put('2026-12-04/a.parquet', 1);
    assert.equal((await run('startup')).counts.files_discovered, 1);
    await put('2026-12-05/a.parquet', 2); // its event is lost
    const b = await put('2026-12-05/b.parquet', 3);
    const current = runtime as Runtime;
    await recordEvents(db.pool, current.store, current.config.pipelines, [{ created: true, bucket: s3.bucket, key: b.key, size: 0, etag: null, time: null }]);
    await run('event');
    await db.pool.query(`UPDATE ferry_runs SET started_at = started_at - interval '2 hours' WHERE listing IS NOT NULL`);
    const reconciled = await run('retry');
    assert.equal(reconciled.run.listing, 'reconcile');
    // Listed after 2026-12-04/a (the last key a listing recorded), not after 2026-12-05/b.
    assert.equal(reconciled.counts.files_listed, 2);
    assert.equal(reconciled.counts.files_discovered, 1);
    assert.deepEqual(
      (await results()).map((row) => row.file_name),
      ['2026-12-04/a.parquet', '2026-12-05/a.parquet', '2026-12-05/b.parquet'],
    );
  });

  it('a pipeline without events lists at every run; reconcile: null never lists on its own', async () => {
    await open();
    assert.equal((await run('retry')).run.listing, 'full');
    assert.equal((await run('retry')).run.listing, 'full');
    await db.pool.query('TRUNCATE ferry_runs RESTART IDENTITY CASCADE');
    await open({ pipelines: { default: { source: { events: 'http', reconcile: null } } } });
    await put('x.parquet', 1);
    assert.equal((await run('startup')).run.listing, null);
    assert.equal((await results()).length, 0);
    // A person asks: the first listing is whole, the next ones reconcile.
    assert.equal((await run('manual')).run.listing, 'full');
    assert.equal((await results()).length, 1);
    assert.equal((await run('manual')).run.listing, 'reconcile');
  });
});

describe('the service with a queue', () => {
  it('loads files as their events arrive on the queue, without listing, and shows it in ferry runs', async () => {
    const dir = tempDir('ferry-queue-');
    fs.writeFileSync(
      path.join(dir, 'ferry.config.ts'),
      `export default ${JSON.stringify({
        storage: `s3://${s3.bucket}/${prefix}in`,
        pipelines: { default: { source: { events: { sqs: queue.queueUrl } }, schedule: { every: '1h' } } },
      })};\n`,
    );
    await db.pool.query('TRUNCATE etl_results, ferry_files, ferry_runs RESTART IDENTITY CASCADE');
    const env = { ...s3.env, DATABASE_URL: db.url };
    // ferry check asks the queue too.
    queue.send(JSON.stringify({ Records: [] }));
    const checked = await runFerry(['check'], { env, cwd: dir });
    assert.match(checked.stdout, new RegExp(`queue ${queue.queueUrl}: ok \\(1 message\\(s\\) waiting\\)`), checked.stdout + checked.stderr);
    const gone = await startSqsServer('gone');
    await gone.stop();
    fs.writeFileSync(
      path.join(dir, 'broken.config.ts'),
      `export default ${JSON.stringify({
        storage: `s3://${s3.bucket}/${prefix}in`,
        pipelines: { default: { source: { events: { sqs: gone.queueUrl } } } },
      })};\n`,
    );
    const broken = await runFerry(['check', '--config', 'broken.config.ts'], { env, cwd: dir });
    assert.equal(broken.code, 1, broken.stdout + broken.stderr);
    assert.match(broken.stdout, new RegExp(`queue ${gone.queueUrl}: FAILED \\(.*ECONNREFUSED`), broken.stdout);
    const ferry = await startFerry({ env, cwd: dir });
    try {
      // The startup run lists the store whole (its prefix is empty); then only events bring files.
      await until(
        'the startup listing',
        async () => (await db.pool.query(`SELECT 1 FROM ferry_runs WHERE listing = 'full' AND status = 'completed'`)).rowCount === 1,
      );
      const f = await put('f.parquet', 9);
      queue.send(JSON.stringify({ Records: [s3Record(s3.bucket, f)] }));
      await until('the file loaded', async () => (await results()).length === 1, 30_000);
      assert.deepEqual(await results(), [{ file_name: 'f.parquet', row_count: 9 }]);
      await until('the queue emptied', () => queue.depth === 0);
      // The run that loaded it, once it has finished: started by the event, without listing.
      const eventRuns = `SELECT listing, files_listed FROM ferry_runs WHERE trigger = 'event' AND status = 'completed' AND files_processed = 1`;
      await until('the event run to finish', async () => ((await db.pool.query(eventRuns)).rowCount ?? 0) > 0);
      assert.deepEqual((await db.pool.query(eventRuns)).rows, [{ listing: null, files_listed: 0 }]);
      const listed = await runFerry(['runs', '--wide'], { env, cwd: dir });
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stdout, /\bstartup\b.*\bfull\b/);
      assert.match(listed.stdout, /\bevent\b.*\bnone\b/);
    } finally {
      const stopped = await ferry.stop();
      assert.equal(stopped.code, 143, ferry.logs());
    }
    // Stopping aborted the open long poll: no error was logged for it.
    assert.doesNotMatch(ferry.logs(), /polling the queue failed/);
  });
});
