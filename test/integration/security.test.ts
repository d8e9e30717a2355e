/**
 * Safe on a network: which token opens which route (a table of every route × no token, the
 * read token, the metrics token, the admin token), security headers on the dashboard and on
 * JSON, failed authentications rate-limited while the right token still works, a non-loopback
 * bind refused without a read token, and values from data files (rejected rows, check samples,
 * PostgreSQL's quotes of a refused row) kept out of logs, alert payloads and unauthenticated
 * answers; `checks: { samples: 0 }` keeps none at all.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { resolveConfig } from '../../src/config/index.ts';
import { buildHttpApp } from '../../src/http/index.ts';
import type { Runtime } from '../../src/runtime.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { runFerry, startFerry, waitFor } from '../helpers/ferry-process.ts';
import { projectDir, tempDir, writeParquet } from '../helpers/fixtures.ts';
import { openTestRuntime, runOnce } from '../helpers/runtime.ts';

const READ = 'read-token-Pz4Lm8';
const METRICS = 'metrics-token-Qy7Rt2';
const ADMIN = 'admin-token-Wx3Kd9';
let db: TestDatabase;
let runtime: Runtime;
let app: FastifyInstance;

before(async () => {
  db = await createTestDatabase();
  const inbox = tempDir('security-inbox-');
  writeParquet(path.join(inbox, 'a.parquet'), 5);
  fs.writeFileSync(path.join(inbox, 'bad.parquet'), 'not parquet');
  runtime = await openTestRuntime({
    databaseUrl: db.url,
    storage: inbox,
    env: { FERRY_ADMIN_TOKEN: ADMIN, FERRY_READ_TOKEN: READ, FERRY_METRICS_TOKEN: METRICS },
  });
  await runOnce(runtime);
  app = buildHttpApp({ config: runtime.config, pool: runtime.pool, store: runtime.store, version: 'test', runNow: async () => ({ accepted: true }) });
});
after(async () => {
  await app.close();
  await runtime.close();
  await db.drop();
});

const bearer = (token: string | null) => (token === null ? {} : { authorization: `Bearer ${token}` });

describe('access control', () => {
  it('each route with no token, the read token, the metrics token and the admin token', async () => {
    const quarantined = (await runtime.pool.query("SELECT id FROM ferry_files WHERE status = 'quarantined'")).rows[0]?.id as number;
    // route → expected status for: no token, read, metrics, admin
    const table: [string, string, string | undefined, [number, number, number, number]][] = [
      ['GET', '/health', undefined, [200, 200, 200, 200]],
      ['GET', '/ui', undefined, [200, 200, 200, 200]],
      ['GET', '/ui/app.js', undefined, [200, 200, 200, 200]],
      ['GET', '/ui/auth', undefined, [200, 200, 200, 200]],
      ['GET', '/', undefined, [401, 200, 401, 200]],
      ['GET', '/status', undefined, [401, 200, 401, 200]],
      ['GET', '/runs', undefined, [401, 200, 401, 200]],
      ['GET', '/files', undefined, [401, 200, 401, 200]],
      ['GET', `/files/${quarantined}`, undefined, [401, 200, 401, 200]],
      ['GET', '/metrics', undefined, [401, 200, 200, 200]],
      ['GET', '/no-such-route', undefined, [401, 404, 401, 404]],
      ['POST', '/runs', '{}', [401, 401, 401, 202]],
      ['POST', `/files/${quarantined}/retry`, undefined, [401, 401, 401, 200]],
    ];
    const got: string[] = [];
    const want: string[] = [];
    for (const [method, url, payload, expected] of table) {
      const statuses: number[] = [];
      for (const token of [null, READ, METRICS, ADMIN]) {
        const response = await app.inject({
          method: method as 'GET' | 'POST',
          url,
          headers: { ...bearer(token), 'x-forwarded-for': '10.0.0.1', ...(payload ? { 'content-type': 'application/json' } : {}) },
          ...(payload ? { payload } : {}),
        });
        statuses.push(response.statusCode);
        if (response.statusCode === 401) {
          assert.equal(response.headers['www-authenticate'], 'Bearer');
          assert.equal(response.json().error.code, 'unauthorized');
          for (const secret of [READ, METRICS, ADMIN]) assert.doesNotMatch(response.body, new RegExp(secret));
        }
      }
      got.push(`${method} ${url} ${statuses.join(' ')}`);
      want.push(`${method} ${url} ${expected.join(' ')}`);
    }
    assert.deepEqual(got, want);
  });

  it('security headers on the dashboard and on JSON answers', async () => {
    for (const url of ['/ui', '/health', '/status']) {
      const response = await app.inject({ url, headers: bearer(READ) });
      assert.equal(response.headers['x-content-type-options'], 'nosniff', url);
      assert.equal(response.headers['referrer-policy'], 'no-referrer', url);
      const policy = String(response.headers['content-security-policy']);
      assert.match(policy, /default-src 'self'/, url);
      assert.match(policy, /frame-ancestors 'none'/, url);
      assert.match(policy, /script-src 'self'(;|$)/, url);
      assert.doesNotMatch(policy, /upgrade-insecure-requests|unsafe-inline|unsafe-eval/, url);
    }
  });

  it('a burst of wrong tokens is rate-limited per address; the right token still works', async () => {
    const from = (address: string, token: string | null) => app.inject({ url: '/status', headers: bearer(token), remoteAddress: address });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await from('192.0.2.7', 'wrong')).statusCode);
    // 30 failed authentications a minute per address, then 429 until the minute is over.
    assert.ok(
      statuses.slice(0, 30).every((status) => status === 401),
      statuses.join(' '),
    );
    assert.ok(
      statuses.slice(30).every((status) => status === 429),
      statuses.join(' '),
    );
    const limited = await from('192.0.2.7', 'wrong');
    assert.equal(limited.json().error.code, 'rate_limited');
    assert.equal((await from('192.0.2.7', READ)).statusCode, 200, 'the right token is never limited');
    assert.equal((await from('192.0.2.8', 'wrong')).statusCode, 401, 'another address has its own count');
  });
});

/** An app on the test's database and inbox, with these variables in its environment. */
function appWith(env: Record<string, string>): FastifyInstance {
  const config = resolveConfig({}, { cwd: process.cwd(), env: { DATABASE_URL: db.url, ...env }, flags: {}, configFile: null });
  return buildHttpApp({ config, pool: runtime.pool, store: runtime.store, version: 'test' });
}

describe('behind a reverse proxy', () => {
  // The proxy appends the address it was called from on the right (nginx's
  // $proxy_add_x_forwarded_for); what is left of it, the client wrote.
  const guesses = async (app: FastifyInstance, client: string, proxy: string, rotate: boolean) => {
    const statuses: number[] = [];
    for (let i = 0; i < 35; i++) {
      const forged = rotate ? `198.18.${i}.1, ` : '';
      const response = await app.inject({ url: '/status', headers: { ...bearer('wrong'), 'x-forwarded-for': `${forged}${client}` }, remoteAddress: proxy });
      statuses.push(response.statusCode);
    }
    return statuses;
  };

  for (const trust of ['127.0.0.1', 'loopback', '10.0.0.0/8,127.0.0.0/8', '1']) {
    it(`FERRY_TRUST_PROXY=${trust}: the client is the first untrusted address from the right; forged entries on the left change nothing`, async () => {
      const app = appWith({ FERRY_READ_TOKEN: READ, FERRY_TRUST_PROXY: trust });
      try {
        const statuses = await guesses(app, '203.0.113.9', '127.0.0.1', true);
        assert.deepEqual(statuses.slice(0, 30), Array(30).fill(401));
        assert.deepEqual(statuses.slice(30), Array(5).fill(429), 'rotating the left entry does not reset the count');
        // Another client behind the same proxy has its own count.
        assert.equal((await guesses(app, '203.0.113.10', '127.0.0.1', false))[0], 401);
        // A client that reaches ferry directly (not through a trusted proxy) is its own address,
        // whatever X-Forwarded-For it sends.
        if (trust !== '1') {
          const direct = await guesses(app, '203.0.113.9', '198.51.100.4', true);
          assert.deepEqual(direct.slice(30), Array(5).fill(429));
          assert.equal((await guesses(app, '203.0.113.9', '198.51.100.5', true))[0], 401, 'counted by its socket address');
        }
      } finally {
        await app.close();
      }
    });
  }

  it('FERRY_TRUST_PROXY=true, a hop count off loopback, or a wrong address is refused at start, naming what is allowed', async () => {
    const refused = (env: Record<string, string>) => {
      try {
        resolveConfig({}, { cwd: process.cwd(), env, flags: {}, configFile: null });
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    };
    assert.match(
      refused({ FERRY_TRUST_PROXY: 'true' }),
      /FERRY_TRUST_PROXY: "true" would trust every address in X-Forwarded-For, so any client could pick the address the rate limit counts; give the proxies' addresses or CIDRs \(e\.g\. 127\.0\.0\.1 or 10\.0\.0\.0\/8,fd00::\/8; or loopback, linklocal, uniquelocal\), or the number of proxies in front \(e\.g\. 1\)/,
    );
    assert.match(
      refused({ FERRY_TRUST_PROXY: '1', HOST: '0.0.0.0' }),
      /FERRY_TRUST_PROXY: a hop count trusts whoever connects, and HOST=0\.0\.0\.0 lets clients connect/,
    );
    assert.match(refused({ FERRY_TRUST_PROXY: '10.0.0.0/33,nginx' }), /FERRY_TRUST_PROXY: "10\.0\.0\.0\/33", "nginx" is not an address or CIDR/);
    assert.equal(refused({ FERRY_TRUST_PROXY: '10.0.0.0/8, fd00::/8', HOST: '0.0.0.0' }), '');
    assert.equal(refused({ FERRY_TRUST_PROXY: 'false' }), '');
  });
});

describe('paths as the router reads them', () => {
  it('an encoded path is authorised as the route it reaches: /%6detrics is /metrics', async () => {
    const app = appWith({ FERRY_METRICS_TOKEN: METRICS });
    try {
      for (const url of ['/metrics', '/%6detrics', '/%6D%65%74%72%69%63%73', '/metrics?x=1', '/%6detrics?%6d']) {
        const response = await app.inject({ url });
        assert.equal(response.statusCode, 401, url);
        assert.equal(response.json().error.code, 'unauthorized', url);
        assert.equal((await app.inject({ url, headers: bearer(METRICS) })).statusCode, 200, url);
      }
      // Routes reached through encodings keep their own access: /health stays open, the ledger open here (no read token).
      assert.equal((await app.inject('/%68ealth')).statusCode, 200);
      assert.equal((await app.inject('/%72uns')).statusCode, 200);
    } finally {
      await app.close();
    }
    const guarded = appWith({ FERRY_READ_TOKEN: READ });
    try {
      for (const url of ['/%73tatus', '/file%73', '/files/%31', '/%2e/status', '/ui/../status', '/ui/%2e%2e/status', '//status', '/status/']) {
        const response = await guarded.inject({ url });
        assert.ok([401, 404].includes(response.statusCode), `${url}: ${response.statusCode}`);
        assert.doesNotMatch(response.body, /total_files_processed|"files":/, url);
      }
    } finally {
      await guarded.close();
    }
  });
});

describe('/health to whom', () => {
  it('says which part is degraded to anyone, and why only with the read token', async () => {
    const inbox = tempDir('security-health-');
    const config = resolveConfig(
      {},
      { cwd: process.cwd(), env: { DATABASE_URL: db.url, FERRY_STORAGE: inbox, FERRY_READ_TOKEN: READ }, flags: {}, configFile: null },
    );
    const { Pool } = (await import('pg')).default;
    // A database that does not answer: a closed port on a named host and port.
    const deadPool = new Pool({ connectionString: 'postgres://ferry@127.0.0.1:9/nowhere', connectionTimeoutMillis: 1_000 });
    const { openObjectStore } = await import('../../src/storage/index.ts');
    const app = buildHttpApp({ config, pool: deadPool, store: openObjectStore(config.storage, config.stores), version: 'test' });
    try {
      fs.rmSync(inbox, { recursive: true });
      const open = await app.inject('/health');
      assert.equal(open.statusCode, 503);
      assert.deepEqual(open.json(), { status: 'degraded', checks: { database: 'failed', storage: 'failed' } });
      assert.doesNotMatch(open.body, /127\.0\.0\.1|:9\b|ECONNREFUSED|security-health/);
      const detailed = await app.inject({ url: '/health', headers: bearer(READ) });
      assert.equal(detailed.statusCode, 503);
      const body = detailed.json();
      assert.deepEqual(body.checks, { database: 'failed', storage: 'failed' });
      assert.match(body.details.database, /^unreachable: /);
      assert.match(body.details.storage, /does not exist/);
      assert.equal((await app.inject({ url: '/health', headers: bearer('wrong') })).json().details, undefined);
      // `ferry health` (the container's health check) sends the read token when its environment has it.
      await app.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const plain = await runFerry(['health', '--url', url], { env: {} });
      assert.equal(plain.code, 1);
      assert.deepEqual(JSON.parse(plain.stdout), { status: 'degraded', checks: { database: 'failed', storage: 'failed' } });
      const told = await runFerry(['health', '--url', url], { env: { FERRY_READ_TOKEN: READ } });
      assert.equal(told.code, 1);
      assert.match(JSON.parse(told.stdout).details.storage, /does not exist/);
    } finally {
      await app.close();
      await deadPool.end();
    }
  });
});

describe('safe by default', () => {
  it('a non-loopback bind without a read token is refused; FERRY_PUBLIC_READ=true allows it', async () => {
    const project = projectDir('security-bind-');
    const env = { DATABASE_URL: db.url, FERRY_STORAGE: tempDir('security-bind-inbox-'), HOST: '0.0.0.0', PORT: '0' };
    const refused = await runFerry(['start'], { env, cwd: project });
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /HOST=0\.0\.0\.0 makes ferry reachable from other machines, and no read token is set: set FERRY_READ_TOKEN .* or FERRY_PUBLIC_READ=true/,
    );
    const allowed = await startFerry({ env: { ...env, FERRY_PUBLIC_READ: 'true' }, cwd: project });
    await allowed.stop();
    const bad = await runFerry(['status'], { env: { ...env, FERRY_PUBLIC_READ: 'sure' }, cwd: project });
    assert.match(bad.stderr, /FERRY_PUBLIC_READ: "sure" is not true or false/);
  });
});

describe('values from data files', () => {
  it('stay out of logs, alert payloads and unauthenticated answers; samples: 0 keeps none', async () => {
    const received: string[] = [];
    const receiver = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push(body);
        response.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const project = projectDir('security-pii-');
    const inbox = path.join(project, 'inbox');
    fs.mkdirSync(inbox);
    // A rejected row, a row PostgreSQL refuses (its constraint quotes the row), each with a value that must not travel.
    fs.writeFileSync(path.join(inbox, 'people.csv'), 'id,email,age\n1,ok@example.org,30\n2,jane.doe@private.example,-4\n');
    fs.writeFileSync(path.join(inbox, 'refused.csv'), 'id,email,age\n3,john.roe@private.example,200\n');
    await db.pool.query('CREATE TABLE people (id bigint, email text, age bigint CHECK (age < 150))');
    fs.writeFileSync(
      path.join(project, 'ferry.config.ts'),
      `export default {
  alerts: [{ url: process.env.HOOK, on: ['*'], cooldown: '0s' }],
  pipelines: {
    people: { source: { glob: 'people.csv' }, sink: { table: 'people' }, checks: [{ rule: 'regex', column: 'email', pattern: '@example\\\\.org$', action: 'reject' }] },
    refused: { source: { glob: 'refused.csv' }, sink: { table: 'people' } },
    quiet: { source: { glob: 'people.csv' }, sink: { table: 'people_quiet' }, checks: { samples: 0, rules: [{ rule: 'regex', column: 'email', pattern: '@example\\\\.org$', action: 'reject' }] } },
  },
};
`,
    );
    const env = {
      DATABASE_URL: db.url,
      FERRY_STORAGE: inbox,
      HOOK: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
      FERRY_READ_TOKEN: READ,
      FERRY_LOG_LEVEL: 'debug',
    };
    const ferry = await startFerry({ env, cwd: project });
    try {
      await waitFor('all three files recorded', async () => {
        const rows = await db.pool.query(
          "SELECT count(*)::int AS n FROM ferry_files WHERE pipeline IN ('people', 'refused', 'quiet') AND status IN ('processed', 'quarantined')",
        );
        return rows.rows[0].n === 3 && received.length >= 3 ? true : undefined;
      }).catch(async (error: Error) => {
        const files = await db.pool.query('SELECT pipeline, key, status, error_code, error FROM ferry_files');
        throw new Error(`${error.message}: ${JSON.stringify(files.rows)}; ${received.length} alerts; ${ferry.logs().slice(-2000)}`);
      });
      const unauthenticated: string[] = [];
      for (const route of ['/', '/status', '/runs', '/files', '/files/1', '/files/2', '/metrics', '/ui/auth']) {
        unauthenticated.push(await (await fetch(`${ferry.url}${route}`)).text());
      }
      const everywhere = { logs: ferry.logs(), alerts: received.join('\n'), unauthenticated: unauthenticated.join('\n') };
      for (const [where, text] of Object.entries(everywhere)) {
        for (const value of ['jane.doe@private.example', 'john.roe@private.example']) assert.ok(!text.includes(value), `${value} in ${where}`);
        for (const secret of [READ]) assert.ok(!text.includes(secret), `the read token in ${where}`);
      }
      // They are where they belong: the rejects table, and the ledger for those who may read it.
      assert.equal((await db.pool.query('SELECT "values"->>\'email\' AS email FROM people_rejects')).rows[0]?.email, 'jane.doe@private.example');
      const peopleFile = (await db.pool.query("SELECT id FROM ferry_files WHERE pipeline = 'people'")).rows[0]?.id;
      const detail = await (await fetch(`${ferry.url}/files/${peopleFile}`, { headers: bearer(READ) })).text();
      assert.match(detail, /jane\.doe@private\.example/, 'the check samples, for those with the read token');
      // samples: 0 keeps no value from the file in the check results.
      const samples = await db.pool.query('SELECT pipeline, samples FROM ferry_check_results ORDER BY pipeline');
      assert.deepEqual(
        samples.rows.map((row) => [row.pipeline, row.samples]),
        [
          ['people', ['jane.doe@private.example']],
          ['quiet', []],
        ],
      );
    } finally {
      await ferry.stop();
      receiver.closeAllConnections();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});
