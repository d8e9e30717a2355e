/** The HTTP API, in process (inject), on a real database and a local folder. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildHttpApp } from '../../src/http/index.ts';
import type { Runtime } from '../../src/runtime.ts';
import { openObjectStore, storeSettingsFromEnv } from '../../src/storage/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { tempDir, writeParquet } from '../helpers/fixtures.ts';
import { openTestRuntime, runOnce } from '../helpers/runtime.ts';

const TOKEN = 'admin-token-for-tests';
let db: TestDatabase;
let runtime: Runtime;
let app: FastifyInstance;
let manualRuns = 0;
/** The pipelines of each requeue the app reported (so that only they run again). */
const requeues: (readonly string[])[] = [];

before(async () => {
  db = await createTestDatabase();
  const inbox = tempDir('inbox-');
  writeParquet(path.join(inbox, 'a.parquet'), 12);
  writeParquet(path.join(inbox, 'sub/b.parquet'), 30);
  fs.writeFileSync(path.join(inbox, 'bad.parquet'), 'not parquet');
  runtime = await openTestRuntime({ databaseUrl: db.url, storage: inbox, env: { FERRY_ADMIN_TOKEN: TOKEN } });
  await runOnce(runtime);
  await runOnce(runtime);
  app = buildHttpApp({
    config: runtime.config,
    pool: runtime.pool,
    store: runtime.store,
    version: '9.9.9',
    nextRun: () => new Date('2030-01-01T00:00:00Z'),
    runNow: async () => {
      manualRuns++;
      return { accepted: true };
    },
    onRequeue: (pipelines) => {
      requeues.push(pipelines);
    },
  });
});
after(async () => {
  await app.close();
  await runtime.close();
  await db.drop();
});

describe('HTTP API', () => {
  it('GET / names the service, its version, pipelines and links', async () => {
    const response = await app.inject('/');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), {
      name: 'ferry',
      version: '9.9.9',
      pipelines: [{ name: 'default', schedule: 'every 5m' }],
      links: { dashboard: '/ui', health: '/health', status: '/status', runs: '/runs', files: '/files', metrics: '/metrics' },
    });
  });

  it('GET /health is ok while the database and storage answer', async () => {
    const response = await app.inject('/health');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok', checks: { database: 'ok', storage: 'ok' } });
  });

  it('GET /health is 503 and names the storage when it stops answering', async () => {
    const broken = buildHttpApp({
      config: runtime.config,
      pool: runtime.pool,
      store: openObjectStore(
        { kind: 's3', bucket: 'b', prefix: '' },
        storeSettingsFromEnv({ AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 'secret-key-1' }),
      ),
      version: '0',
    });
    const response = await broken.inject('/health');
    assert.equal(response.statusCode, 503);
    assert.deepEqual(response.json(), { status: 'degraded', checks: { database: 'ok', storage: 'failed' } });
    // Why, with a token that may read the ledger (the admin token here).
    const detailed = await broken.inject({ url: '/health', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.match(detailed.json().details.storage, /^storage s3:\/\/b\/ is unreachable: /);
    assert.doesNotMatch(detailed.body, /secret-key-1/);
    await broken.close();
  });

  it('GET /status keeps the demo fields and counts file versions, not runs', async () => {
    const response = await app.inject('/status');
    assert.equal(response.statusCode, 200);
    const status = response.json();
    assert.equal(status.service_status, 'running');
    assert.equal(status.total_files_processed, 2, 'two runs over two files are two file versions');
    assert.ok(!Number.isNaN(Date.parse(status.last_run)));
    assert.equal(status.pipelines.length, 1);
    const [pipeline] = status.pipelines;
    assert.equal(pipeline.name, 'default');
    assert.equal(pipeline.schedule, 'every 5m');
    assert.equal(pipeline.next_run, '2030-01-01T00:00:00.000Z');
    assert.equal(pipeline.last_run.status, 'completed');
    assert.equal(pipeline.last_run.files_skipped, 3);
    assert.deepEqual(pipeline.files, { pending: 0, processed: 2, quarantined: 1, superseded: 0 });
    assert.deepEqual(status.recent_results.map((r: { file_name: string; row_count: number }) => [r.file_name, r.row_count]).sort(), [
      ['a.parquet', 12],
      ['sub/b.parquet', 30],
    ]);
    assert.ok(status.recent_results.every((r: { timestamp: string }) => !Number.isNaN(Date.parse(r.timestamp))));
  });

  it('GET /runs and /files list the ledger, filtered and validated', async () => {
    const runs = (await app.inject('/runs?limit=1')).json().runs;
    assert.equal(runs.length, 1);
    assert.equal(runs[0].pipeline, 'default');
    const files = (await app.inject('/files?status=processed')).json().files;
    assert.deepEqual(files.map((f: { key: string }) => f.key).sort(), ['a.parquet', 'sub/b.parquet']);
    const quarantined = (await app.inject('/files?status=quarantined')).json().files;
    assert.equal(quarantined.length, 1);
    assert.equal(quarantined[0].key, 'bad.parquet');
    assert.equal(quarantined[0].attempts, 1);
    assert.equal(quarantined[0].error_step, 'read');
    assert.match(quarantined[0].error, /bad\.parquet is not a readable Parquet file/);
    assert.ok(quarantined[0].finished_at);
    const bad = await app.inject('/files?status=bogus');
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'invalid_request');
    assert.equal(bad.json().error.field, 'status');
    assert.match(bad.json().error.message, /^status: Invalid option: expected one of/);
    assert.equal((await app.inject('/runs?limit=0')).statusCode, 400);
    assert.equal(quarantined[0].error_code, 'FILE_CORRUPT');
    // Filters and paging: since a duration or a time, status, before an id.
    const recent = (await app.inject('/runs?since=1d&status=completed')).json().runs;
    assert.equal(recent.length, 2);
    assert.deepEqual(
      (await app.inject(`/runs?before=${recent[0].id}`)).json().runs.map((r: { id: number }) => r.id),
      [recent[1].id],
    );
    assert.equal((await app.inject('/files?since=2000-01-01T00:00:00Z')).json().files.length, 3);
    assert.equal((await app.inject('/files?since=2999-01-01T00:00:00Z')).json().files.length, 0);
    // A run's files, a key search (any case), and the files with rejected rows or warnings.
    const keys = async (url: string) =>
      (await app.inject(url))
        .json()
        .files.map((f: { key: string }) => f.key)
        .sort();
    const [secondRun, firstRun] = (await app.inject('/runs')).json().runs.map((r: { id: number }) => r.id);
    assert.deepEqual(await keys(`/files?run=${firstRun}`), ['a.parquet', 'bad.parquet', 'sub/b.parquet']);
    assert.deepEqual(await keys(`/files?run=${secondRun}`), [], 'the second run found nothing new');
    assert.deepEqual(await keys('/files?key=SUB%2F'), ['sub/b.parquet']);
    assert.deepEqual(await keys('/files?key=%25'), [], 'the search is text, not a LIKE pattern');
    assert.deepEqual(await keys('/files?rejected=true'), []);
    assert.deepEqual(await keys('/files?warned=true&status=processed'), []);
    assert.equal((await keys('/files?rejected=false')).length, 3);
    for (const query of ['run=0', 'run=x', 'key=', 'rejected=yes']) {
      const refused = await app.inject(`/files?${query}`);
      assert.equal(refused.statusCode, 400, query);
      assert.equal(refused.json().error.field, query.split('=')[0], query);
    }
    const badSince = await app.inject('/files?since=soon');
    assert.equal(badSince.statusCode, 400);
    assert.deepEqual(badSince.json(), { error: { code: 'invalid_request', message: 'since: a duration like 1d or 6h, or an ISO time', field: 'since' } });
    assert.deepEqual((await app.inject('/nowhere')).json(), { error: { code: 'not_found', message: 'no route GET /nowhere' } });
  });

  it('GET /metrics exposes ledger counts for Prometheus', async () => {
    const response = await app.inject('/metrics');
    assert.equal(response.statusCode, 200);
    assert.match(response.headers['content-type'] as string, /text\/plain/);
    assert.match(response.body, /ferry_file_versions\{pipeline="default",status="processed"\} 2/);
    assert.match(response.body, /ferry_rows_processed\{pipeline="default"\} 42/);
    assert.match(response.body, /# TYPE ferry_rows_loaded_total counter\nferry_rows_loaded_total\{pipeline="default"\} 42/);
    assert.match(response.body, /ferry_last_success_timestamp_seconds\{pipeline="default"\} \d+/);
    for (const name of [
      'ferry_queue_depth',
      'ferry_oldest_pending_age_seconds',
      'ferry_file_retries_total',
      'ferry_reader_crashes_total',
      'ferry_alerts',
      'ferry_file_duration_seconds',
      'ferry_file_bytes',
    ]) {
      assert.match(response.body, new RegExp(`# TYPE ${name} `), name);
    }
    assert.doesNotMatch(response.body, /ferry_process_process_/);
    // The shipped Grafana dashboard and Prometheus rules use only metrics that exist.
    const deploy = path.resolve(import.meta.dirname, '../../deploy');
    const used = new Set(
      [
        ...`${fs.readFileSync(path.join(deploy, 'grafana-dashboard.json'), 'utf8')}${fs.readFileSync(path.join(deploy, 'prometheus-alerts.yml'), 'utf8')}`.matchAll(
          /\bferry_[a-z_]+/g,
        ),
      ].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')),
    );
    used.delete('ferry_');
    for (const name of used) assert.match(response.body, new RegExp(`# TYPE ${name} `), `${name} (used in deploy/) is exported`);
  });

  it('POST /runs needs the admin bearer token', async () => {
    assert.equal((await app.inject({ method: 'POST', url: '/runs' })).statusCode, 401);
    assert.equal((await app.inject({ method: 'POST', url: '/runs', headers: { authorization: 'Bearer wrong' } })).statusCode, 401);
    const accepted = await app.inject({ method: 'POST', url: '/runs', headers: { authorization: `Bearer ${TOKEN}` }, payload: { pipeline: 'default' } });
    assert.equal(accepted.statusCode, 202);
    assert.equal(manualRuns, 1);
    const unknown = await app.inject({ method: 'POST', url: '/runs', headers: { authorization: `Bearer ${TOKEN}` }, payload: { pipeline: 'nope' } });
    assert.equal(unknown.statusCode, 404);
    // No pipeline named: every pipeline runs, as with ferry run --once.
    const all = await app.inject({ method: 'POST', url: '/runs', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(all.statusCode, 202);
    assert.deepEqual(all.json(), { runs: [{ pipeline: 'default', accepted: true }] });
    assert.equal(manualRuns, 2);
  });

  it('POST /files/:id/retry requeues a quarantined file, and only that', async () => {
    const [bad] = (await app.inject('/files?status=quarantined')).json().files;
    const [good] = (await app.inject('/files?status=processed')).json().files;
    const auth = { authorization: `Bearer ${TOKEN}` };
    assert.equal((await app.inject({ method: 'POST', url: `/files/${bad.id}/retry` })).statusCode, 401);
    const retried = await app.inject({ method: 'POST', url: `/files/${bad.id}/retry`, headers: auth });
    assert.equal(retried.statusCode, 200);
    assert.equal(retried.json().file.status, 'pending');
    assert.equal(retried.json().file.attempts, 0);
    assert.deepEqual(requeues, [['default']]);
    const processed = await app.inject({ method: 'POST', url: `/files/${good.id}/retry`, headers: auth });
    assert.equal(processed.statusCode, 409);
    assert.equal(processed.json().error.code, 'conflict');
    assert.match(processed.json().error.message, /is processed/);
    assert.equal((await app.inject({ method: 'POST', url: '/files/999999/retry', headers: auth })).statusCode, 404);
    assert.equal((await app.inject({ method: 'POST', url: '/files/abc/retry', headers: auth })).statusCode, 400);
    // Still not Parquet: the next run quarantines it again, with one attempt.
    const run = await runOnce(runtime);
    assert.equal(run.counts.files_failed, 1);
    assert.equal((await app.inject('/files?status=quarantined')).json().files[0].attempts, 1);
  });

  it('POST /runs is disabled while no admin token is set', async () => {
    const config = { ...runtime.config, adminToken: null };
    const open = buildHttpApp({ config, pool: runtime.pool, store: runtime.store, version: '0' });
    const response = await open.inject({ method: 'POST', url: '/runs', headers: { authorization: 'Bearer anything' } });
    assert.equal(response.statusCode, 403);
    assert.equal(response.json().error.code, 'forbidden');
    assert.match(response.json().error.message, /FERRY_ADMIN_TOKEN/);
    await open.close();
  });

  it("every 4xx and 5xx has the documented shape, Fastify's own errors included", async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const documented = [
      'invalid_request',
      'unauthorized',
      'forbidden',
      'not_found',
      'conflict',
      'payload_too_large',
      'unsupported_media_type',
      'rate_limited',
      'headers_too_large',
      'internal',
      'unavailable',
    ];
    const cases: [string, InjectOptions, number, string][] = [
      [
        'a body over 64 KiB',
        { method: 'POST', url: '/runs', headers: { ...auth, 'content-type': 'application/json' }, payload: `{"pipeline":"${'x'.repeat(70_000)}"}` },
        413,
        'payload_too_large',
      ],
      ['bad JSON', { method: 'POST', url: '/runs', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"pipeline":' }, 400, 'invalid_request'],
      ['an empty JSON body', { method: 'POST', url: '/runs', headers: { ...auth, 'content-type': 'application/json' }, payload: '' }, 400, 'invalid_request'],
      [
        'a content type it cannot parse',
        { method: 'POST', url: '/runs', headers: { ...auth, 'content-type': 'text/xml' }, payload: '<run/>' },
        415,
        'unsupported_media_type',
      ],
      ['no such route', { method: 'GET', url: '/nope' }, 404, 'not_found'],
      ['no such method', { method: 'DELETE', url: '/runs', headers: auth }, 404, 'not_found'],
      ['a bad parameter', { method: 'GET', url: '/files/abc' }, 400, 'invalid_request'],
      ['a path that is not valid percent-encoding', { method: 'GET', url: '/files/%zz' }, 400, 'invalid_request'],
      [
        'a body shorter than its Content-Length',
        { method: 'POST', url: '/runs', headers: { ...auth, 'content-type': 'application/json', 'content-length': '5' }, payload: '{}' },
        400,
        'invalid_request',
      ],
      ['an unknown query field', { method: 'GET', url: '/runs?nope=1' }, 400, 'invalid_request'],
    ];
    for (const [what, request, status, code] of cases) {
      const response = await app.inject(request);
      assert.equal(response.statusCode, status, `${what}: ${response.body}`);
      const body = response.json();
      assert.deepEqual(Object.keys(body), ['error'], what);
      assert.equal(body.error.code, code, what);
      assert.ok(documented.includes(body.error.code), what);
      assert.equal(typeof body.error.message, 'string', what);
      assert.doesNotMatch(response.body, /FST_|statusCode/, what);
    }

    // Headers over Node's 16 KiB are refused by the HTTP parser, before Fastify: a real socket.
    const served = buildHttpApp({ config: runtime.config, pool: runtime.pool, store: runtime.store, version: '0' });
    await served.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = served.server.address() as net.AddressInfo;
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.write(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
        let text = '';
        socket.on('data', (chunk) => {
          text += chunk;
        });
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      assert.match(answer, /^HTTP\/1\.1 431 /);
      const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
      assert.deepEqual(body, { error: { code: 'headers_too_large', message: 'request headers too large (at most 16 KiB)' } });
    } finally {
      await served.close();
    }
  });
});
