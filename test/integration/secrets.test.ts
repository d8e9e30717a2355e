/**
 * Secrets never leave ferry: the S3 secret key, the database password and the admin token are
 * searched for in everything ferry prints and answers — logs, every HTTP response (errors
 * included) and CLI output.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { type RunningFerry, runFerry, startFerry, waitFor } from '../helpers/ferry-process.ts';
import { parquetBytes } from '../helpers/fixtures.ts';
import { type S3Server, startS3Server } from '../helpers/s3-server.ts';

const S3_SECRET = 'aws-secret-Xq7Zr9Kp2Lm5Wn8Tv';
const ADMIN_TOKEN = 'admin-token-Hb4Jd6Fg1Sa3Qe';
let db: TestDatabase;
let s3: S3Server;
let databaseUrl: string;
let databasePassword: string;
let ferry: RunningFerry | null = null;

before(async () => {
  db = await createTestDatabase();
  s3 = await startS3Server('secrets', { anySecret: true });
  const bucket = s3.operator(S3_SECRET);
  await bucket.write('ok.parquet', parquetBytes(3));
  await bucket.write('broken.parquet', Buffer.from('PAR1 not really PAR1'));
  // The test server either has a password (embedded) or trusts local connections (then any password works).
  const url = new URL(db.url);
  if (url.password === '') url.password = 'pg-password-Vc2Nx8Rt5Yu1';
  databaseUrl = url.toString();
  databasePassword = decodeURIComponent(url.password);
});
after(async () => {
  await ferry?.stop('SIGKILL');
  await s3.stop();
  await db.drop();
});

describe('secrets', () => {
  it('appear in no log line, HTTP response or CLI output', async () => {
    const env = {
      DATABASE_URL: databaseUrl,
      FERRY_STORAGE: 's3://secrets',
      AWS_ENDPOINT_URL: s3.endpoint,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: S3_SECRET,
      AWS_REGION: 'us-east-1',
      FERRY_ADMIN_TOKEN: ADMIN_TOKEN,
      FERRY_LOG_LEVEL: 'debug',
    };
    ferry = await startFerry({ env, cwd: process.cwd() });
    await waitFor('both files recorded', async () => {
      const status = (await (await fetch(`${ferry?.url}/status`)).json()) as { pipelines: { files: { processed: number; quarantined: number } }[] };
      return status.pipelines[0]?.files.processed === 1 && status.pipelines[0]?.files.quarantined === 1 ? true : undefined;
    });

    const seen: string[] = [];
    const call = async (method: string, route: string, headers: Record<string, string> = {}, body?: string) => {
      const response = await fetch(`${ferry?.url}${route}`, { method, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body });
      seen.push(`${method} ${route} ${response.status} ${JSON.stringify([...response.headers])} ${await response.text()}`);
      return response.status;
    };
    for (const route of ['/', '/health', '/status', '/runs', '/files', '/files?status=quarantined', '/files?status=nope', '/metrics', '/no-such-route'])
      await call('GET', route);
    assert.equal(await call('POST', '/runs', { authorization: 'Bearer wrong' }), 401);
    assert.equal(await call('POST', '/runs', { authorization: `Bearer ${ADMIN_TOKEN}` }, '{"pipeline":"default"}'), 202);
    const quarantined = (await (await fetch(`${ferry.url}/files?status=quarantined`)).json()) as { files: { id: number }[] };
    assert.equal(await call('POST', `/files/${quarantined.files[0]?.id}/retry`, { authorization: `Bearer ${ADMIN_TOKEN}` }), 200);
    assert.equal(await call('POST', '/runs', { authorization: `Bearer ${ADMIN_TOKEN}` }, '{"pipeline":'), 400);

    const cli = async (args: string[], extra: Record<string, string> = {}) => {
      const result = await runFerry(args, { env: { ...env, ...extra } });
      seen.push(`ferry ${args.join(' ')} ${result.code}\n${result.stdout}\n${result.stderr}`);
      return result;
    };
    await cli(['status', '--json']);
    await cli(['files', '--json']);
    await cli(['run', '--once', '--json', '--verbose']);
    // Failures print their cause: the database and the storage unreachable, with credentials in the environment.
    const unreachable = new URL(databaseUrl);
    unreachable.port = '9';
    assert.equal((await cli(['run', '--once'], { DATABASE_URL: unreachable.toString() })).code, 1);
    assert.equal((await cli(['run', '--once'], { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' })).code, 1);

    assert.equal((await ferry.stop('SIGTERM')).code, 143);
    seen.push(ferry.logs());
    ferry = null;

    const everything = seen.join('\n');
    assert.ok(everything.length > 5_000, 'a good amount of output was searched');
    assert.match(everything, /broken\.parquet is not a readable Parquet file/, 'errors were among what was searched');
    for (const secret of [S3_SECRET, ADMIN_TOKEN, databasePassword]) {
      for (const form of new Set([secret, encodeURIComponent(secret)])) {
        assert.ok(!everything.includes(form), `a secret (${secret.slice(0, 4)}…) appears in the output`);
      }
    }
    fs.writeFileSync(path.join(process.cwd(), '.ferry-test', 'secrets-searched.txt'), everything);
  });
});
