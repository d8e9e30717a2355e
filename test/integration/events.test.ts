/**
 * POST /events: object-created events from MinIO's webhook (S3 records), EventBridge and SNS,
 * recorded in the ledger and loaded by a run that does not list the store. In process (inject),
 * on a real database and a real S3 endpoint (s3rver).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { FastifyInstance, InjectOptions } from 'fastify';
import type { Operator } from 'opendal';
import { decodeS3Key } from '../../src/discover/index.ts';
import { buildHttpApp } from '../../src/http/index.ts';
import type { Runtime } from '../../src/runtime.ts';
import { runPipeline } from '../../src/worker/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { type EventObject, eventBridge as eventBridgeOf, putObject, s3Record as s3RecordOf, snsNotification, snsSigner } from '../helpers/object-events.ts';
import { openTestRuntime } from '../helpers/runtime.ts';
import { type S3Server, startS3Server } from '../helpers/s3-server.ts';

const EVENTS_TOKEN = 'events-token-for-tests';
const ADMIN_TOKEN = 'admin-token-for-tests';
let db: TestDatabase;
let s3: S3Server;
let bucket: Operator;
let runtime: Runtime | null = null;
let app: FastifyInstance | null = null;
/** Each test works under its own prefix of the bucket; ferry's storage is `s3://bucket/<prefix>in`. */
let prefix = '';
let testNumber = 0;
/** The pipelines each delivery asked to run, and the SubscribeURLs fetched. */
let requested: string[][] = [];
let fetched: string[] = [];
/** Signs SNS messages as SNS does, with a certificate ferry is given instead of fetching it. */
const sns = snsSigner();
let certificatesFetched: string[] = [];

async function open(env: Record<string, string> = { FERRY_EVENTS_TOKEN: EVENTS_TOKEN }): Promise<FastifyInstance> {
  await app?.close();
  await runtime?.close();
  runtime = await openTestRuntime({ databaseUrl: db.url, storage: `s3://${s3.bucket}/${prefix}in`, env: { ...s3.env, ...env } });
  app = buildHttpApp({
    config: runtime.config,
    pool: runtime.pool,
    store: runtime.store,
    version: '0',
    onEvents: (pipelines) => requested.push([...pipelines]),
    snsCertificates: async (url) => {
      certificatesFetched.push(url);
      return sns.certificates(url);
    },
    confirmSnsSubscription: async (url) => {
      fetched.push(url);
    },
  });
  return app;
}

/** Puts an object under the test's prefix and returns what an event about it carries. */
const put = (key: string, rows: number, seed = 0) => putObject(bucket, `${prefix}in/${key}`, rows, seed);
const s3Record = (object: EventObject, eventName = 'ObjectCreated:Put', bucketName = s3.bucket) => s3RecordOf(bucketName, object, eventName);
const eventBridge = (object: EventObject) => eventBridgeOf(s3.bucket, object);

function post(body: unknown, headers: Record<string, string> = { authorization: `Bearer ${EVENTS_TOKEN}` }) {
  const options: InjectOptions = { method: 'POST', url: '/events', headers, payload: body as InjectOptions['payload'] };
  return (app as FastifyInstance).inject(options);
}

/** A run as the scheduler starts it after events (trigger `event`: no listing), or a listing run. */
async function eventRun(trigger: 'event' | 'manual' = 'event') {
  const pipeline = (runtime as Runtime).config.pipelines[0];
  if (pipeline === undefined) throw new Error('no pipeline');
  const summary = await runPipeline(runtime as Runtime, { pipeline, trigger });
  if (summary.status !== 'completed') throw new Error(`run ${summary.status}`);
  return summary;
}

async function results(): Promise<{ file_name: string; row_count: number }[]> {
  return (await db.pool.query('SELECT file_name, row_count FROM etl_results ORDER BY file_name, id')).rows;
}

before(async () => {
  db = await createTestDatabase();
  s3 = await startS3Server();
  bucket = s3.operator();
});
after(async () => {
  await app?.close();
  await runtime?.close();
  await s3.stop();
  await db.drop();
});
beforeEach(async () => {
  await db.pool.query('TRUNCATE etl_results, ferry_files, ferry_runs RESTART IDENTITY CASCADE');
  prefix = `t${++testNumber}/`;
  requested = [];
  fetched = [];
  certificatesFetched = [];
});

describe('POST /events', () => {
  it('records S3 records (MinIO webhook) once, and a run without listing loads them once', async () => {
    await open();
    // The store was listed a moment ago: a run started by events does not list again (it would
    // once the schedule's listing is overdue).
    await eventRun('manual');
    const a = await put('a b+c.parquet', 7);
    // Not evented: an event run does not list the store, so it must not find this one.
    await put('quiet.parquet', 3);
    const response = await post({ EventName: 's3:ObjectCreated:Put', Key: `${s3.bucket}/${a.key}`, Records: [s3Record(a)] });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { records: 1, recorded: 1, known: 0, ignored: 0, pipelines: ['default'] });
    assert.deepEqual(requested, [['default']]);

    const run = await eventRun();
    assert.equal(run.run.trigger, 'event');
    assert.equal(run.counts.files_listed, 0);
    assert.equal(run.counts.files_processed, 1);
    assert.deepEqual(await results(), [{ file_name: 'a b+c.parquet', row_count: 7 }]);

    // A listing run finds the same version the event gave (the ETag): only the other file loads.
    assert.equal((await eventRun('manual')).counts.files_processed, 1);
    assert.deepEqual(await results(), [
      { file_name: 'a b+c.parquet', row_count: 7 },
      { file_name: 'quiet.parquet', row_count: 3 },
    ]);

    // The same event again (at-least-once delivery): known, nothing to load.
    const again = await post({ Records: [s3Record(a), s3Record(a)] });
    assert.deepEqual(again.json(), { records: 2, recorded: 0, known: 2, ignored: 0, pipelines: [] });
    assert.equal((await eventRun()).counts.files_processed, 0);
    assert.equal((await results()).length, 2);
  });

  it('records EventBridge "Object Created" events (keys not URL-encoded)', async () => {
    await open();
    const b = await put('sub/with space.parquet', 11);
    const first = await post(eventBridge(b));
    assert.deepEqual(first.json(), { records: 1, recorded: 1, known: 0, ignored: 0, pipelines: ['default'] });
    // Batched deliveries (an array) and repeats.
    const again = await post([eventBridge(b), eventBridge(b)]);
    assert.deepEqual(again.json(), { records: 2, recorded: 0, known: 2, ignored: 0, pipelines: ['default'] });
    assert.equal((await eventRun()).counts.files_processed, 1);
    assert.equal((await eventRun()).counts.files_processed, 0);
    assert.deepEqual(await results(), [{ file_name: 'sub/with space.parquet', row_count: 11 }]);
  });

  it('records S3 records inside SNS notifications, sent as text/plain', async () => {
    await open();
    const c = await put('c.parquet', 5);
    const notification = sns.sign(snsNotification([s3Record(c)]));
    const headers = { authorization: `Bearer ${EVENTS_TOKEN}`, 'content-type': 'text/plain; charset=UTF-8' };
    const response = await post(JSON.stringify(notification), headers);
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { records: 1, recorded: 1, known: 0, ignored: 0, pipelines: ['default'] });
    assert.deepEqual(certificatesFetched, [sns.certUrl]);
    // SignatureVersion 2 (SHA256) too, and a Subject is part of what is signed.
    const again = sns.sign({ ...snsNotification([s3Record(c)]), Subject: 'Amazon S3 Notification' }, { version: '2' });
    assert.equal((await post(JSON.stringify(again), headers)).json().recorded, 0);
    // S3's test message has no records.
    const test = await post(JSON.stringify(sns.sign({ ...snsNotification([]), Message: JSON.stringify({ Event: 's3:TestEvent' }) })), headers);
    assert.deepEqual(test.json(), { records: 0, recorded: 0, known: 0, ignored: 0, pipelines: [] });
    assert.equal((await eventRun()).counts.files_processed, 1);
    assert.deepEqual(await results(), [{ file_name: 'c.parquet', row_count: 5 }]);
  });

  it('refuses SNS notifications that SNS did not sign: unsigned, signed with another key, changed after signing', async () => {
    await open();
    const c = await put('forged.parquet', 5);
    const headers = { authorization: `Bearer ${EVENTS_TOKEN}`, 'content-type': 'text/plain; charset=UTF-8' };
    const notification = snsNotification([s3Record(c)]);
    const cases: [string, unknown, RegExp][] = [
      ['unsigned', notification, /no Signature|SignatureVersion/],
      ['another key', sns.sign(notification, { forged: true }), /does not match/],
      [
        'changed after signing',
        { ...sns.sign(notification), Message: JSON.stringify({ Records: [s3Record({ ...c, key: `${prefix}in/other.parquet` })] }) },
        /does not match/,
      ],
      ['a certificate off SNS', { ...sns.sign(notification), SigningCertURL: 'https://evil.example/cert.pem' }, /SigningCertURL/],
      ['an unknown signature version', { ...sns.sign(notification), SignatureVersion: '3' }, /SignatureVersion "3"/],
    ];
    for (const [name, body, reason] of cases) {
      const response = await post(JSON.stringify(body), headers);
      assert.equal(response.statusCode, 400, name);
      assert.equal(response.json().error.field, 'Signature', name);
      assert.match(response.json().error.message, reason, name);
    }
    assert.equal((await db.pool.query('SELECT count(*)::int AS n FROM ferry_files')).rows[0].n, 0);
    assert.deepEqual(requested, []);
  });

  it('confirms an SNS subscription on an SNS host only; a forged one is refused and never fetched', async () => {
    await open();
    const confirmation = (subscribeUrl: string, cert = sns.certUrl, options: { forged?: boolean } = {}) =>
      JSON.stringify({
        ...sns.sign(
          {
            Type: 'SubscriptionConfirmation',
            MessageId: 'c1',
            Token: 't',
            TopicArn: 'arn:aws:sns:eu-west-1:123456789012:ferry',
            Message: 'confirm',
            SubscribeURL: subscribeUrl,
            Timestamp: '2026-12-05T10:00:00.000Z',
          },
          options,
        ),
        ...(cert === sns.certUrl ? {} : { SigningCertURL: cert }),
      });
    const headers = { authorization: `Bearer ${EVENTS_TOKEN}`, 'content-type': 'text/plain; charset=UTF-8' };
    const forged = [
      'https://169.254.169.254/latest/meta-data/',
      'http://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription',
      'https://sns.eu-west-1.amazonaws.com.evil.example/?Action=ConfirmSubscription',
      'https://evil.example/sns.eu-west-1.amazonaws.com',
      'https://user@sns.eu-west-1.amazonaws.com/',
      'not a url',
    ];
    for (const url of forged) {
      const response = await post(confirmation(url), headers);
      assert.equal(response.statusCode, 400, url);
      assert.equal(response.json().error.field, 'SubscribeURL');
    }
    const badCert = await post(confirmation('https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription', 'https://evil.example/cert.pem'), headers);
    assert.equal(badCert.statusCode, 400);
    assert.equal(badCert.json().error.field, 'SigningCertURL');
    // Well-formed, on SNS's hosts, but not signed by SNS's certificate.
    const forgedSignature = await post(confirmation('https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription', sns.certUrl, { forged: true }), headers);
    assert.equal(forgedSignature.statusCode, 400);
    assert.equal(forgedSignature.json().error.field, 'Signature');
    assert.deepEqual(fetched, []);

    const good = 'https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn&Token=t';
    const response = await post(confirmation(good), headers);
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { confirmed: true });
    assert.deepEqual(fetched, [good]);
  });

  it('an older version arriving after a newer one is not loaded', async () => {
    await open();
    const first = await put('d.parquet', 2, 0);
    const current = await put('d.parquet', 9, 100);
    // The store's times have a second's precision: the older event says a minute earlier.
    const old = { ...first, time: new Date(Date.parse(current.time) - 60_000).toISOString() };
    assert.notEqual(old.etag, current.etag);
    assert.equal((await post({ Records: [s3Record(current)] })).json().recorded, 1);
    // The older event, delivered late: before and after the newer version was loaded. The store
    // is asked what the key holds: the newer version, already recorded (and pending, so its
    // pipeline is asked to run).
    assert.deepEqual((await post({ Records: [s3Record(old)] })).json(), { records: 1, recorded: 0, known: 1, ignored: 0, pipelines: ['default'] });
    assert.equal((await eventRun()).counts.files_processed, 1);
    assert.equal((await post({ Records: [s3Record(old)] })).json().recorded, 0);
    assert.equal((await eventRun()).counts.files_processed, 0);
    assert.deepEqual(await results(), [{ file_name: 'd.parquet', row_count: 9 }]);
    const versions = await db.pool.query('SELECT status FROM ferry_files');
    assert.deepEqual(
      versions.rows.map((row) => row.status),
      ['processed'],
    );
  });

  it('records what the store holds, not what the event says: a wrong size or ETag cannot misplace the footer', async () => {
    await open();
    const g = await put('g.parquet', 6);
    // The sender's word is wrong (a bug, or a forger with the token): the size and the ETag.
    const response = await post({ Records: [s3Record({ ...g, size: 5, etag: '0123456789abcdef0123456789abcdef' })] });
    assert.deepEqual(response.json(), { records: 1, recorded: 1, known: 0, ignored: 0, pipelines: ['default'] });
    const recorded = await db.pool.query('SELECT version, size FROM ferry_files');
    assert.deepEqual(recorded.rows, [{ version: `etag:${g.etag}`, size: g.size }]);
    assert.equal((await eventRun()).counts.files_processed, 1);
    assert.deepEqual(await results(), [{ file_name: 'g.parquet', row_count: 6 }]);
    // Events without size or ETag (some senders give neither) are recorded the same way; and the
    // same version from a listing is the one already recorded.
    const h = await put('h.parquet', 2);
    assert.equal((await post({ Records: [s3Record({ ...h, size: 0, etag: '' })] })).json().recorded, 1);
    assert.equal((await eventRun('manual')).counts.files_discovered, 0);
    assert.equal((await results()).length, 2);
  });

  it('ignores events outside every pipeline, of other buckets, and not about created objects', async () => {
    await open();
    const e = await put('e.parquet', 4);
    const response = await post({
      Records: [
        s3Record({ ...e, key: `${prefix}in/readme.txt` }), // not selected by the pipeline's glob
        s3Record({ ...e, key: `${prefix}elsewhere/e.parquet` }), // outside the storage's prefix
        s3Record(e, 'ObjectCreated:Put', 'another-bucket'),
        s3Record(e, 'ObjectRemoved:Delete'),
        s3Record(e, 's3:ObjectAccessed:Get'),
        s3Record({ ...e, key: `${prefix}in/deleted.parquet` }), // no longer in the store
      ],
    });
    assert.deepEqual(response.json(), { records: 6, recorded: 0, known: 0, ignored: 6, pipelines: [] });
    assert.deepEqual(requested, []);
    assert.equal((await db.pool.query('SELECT count(*)::int AS n FROM ferry_files')).rows[0].n, 0);
    // A body that is none of the three formats is refused, in the documented shape.
    const unknown = await post({ hello: 'world' });
    assert.equal(unknown.statusCode, 400);
    assert.equal(unknown.json().error.code, 'invalid_request');
  });

  it('is closed without its token: 403 while no token is set, 401 for a missing or wrong one', async () => {
    await open({});
    const closed = await post({ Records: [] });
    assert.equal(closed.statusCode, 403);
    assert.equal(closed.json().error.code, 'forbidden');

    await open({ FERRY_EVENTS_TOKEN: EVENTS_TOKEN, FERRY_ADMIN_TOKEN: ADMIN_TOKEN });
    // SNS asks without credentials first and sends its Basic password after the challenge; such
    // requests guess nothing and are never rate limited (30 failed guesses a minute are).
    for (let i = 0; i < 35; i++) {
      const challenge = await post({ Records: [] }, {});
      assert.equal(challenge.statusCode, 401);
      assert.match(String(challenge.headers['www-authenticate']), /Basic realm=/);
    }
    assert.equal((await post({ Records: [] }, { authorization: 'Bearer wrong' })).json().error.code, 'unauthorized');
    assert.equal((await post({ Records: [] }, { authorization: `Basic ${Buffer.from('sns:wrong').toString('base64')}` })).statusCode, 401);
    assert.equal((await post({ Records: [] })).statusCode, 200);
    assert.equal((await post({ Records: [] }, { authorization: `Bearer ${ADMIN_TOKEN}` })).statusCode, 200);
    // SNS can send only the user and password of the endpoint's URL.
    assert.equal((await post({ Records: [] }, { authorization: `Basic ${Buffer.from(`sns:${EVENTS_TOKEN}`).toString('base64')}` })).statusCode, 200);
    // The events token opens nothing else.
    const runs = await (app as FastifyInstance).inject({ method: 'POST', url: '/runs', headers: { authorization: `Bearer ${EVENTS_TOKEN}` }, payload: {} });
    assert.equal(runs.statusCode, 401);

    // The admin token alone opens the route too.
    await open({ FERRY_ADMIN_TOKEN: ADMIN_TOKEN });
    assert.equal((await post({ Records: [] }, { authorization: `Bearer ${ADMIN_TOKEN}` })).statusCode, 200);
    assert.equal((await post({ Records: [] })).statusCode, 401);
  });

  it('decodes S3 keys: + is a space, %2B a plus', () => {
    assert.equal(decodeS3Key('a+b%2Bc%2F%C3%BC.parquet'), 'a b+c/ü.parquet');
    assert.equal(decodeS3Key('bad%E0%A4%A'), 'bad%E0%A4%A');
  });
});
