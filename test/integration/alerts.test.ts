/**
 * Alerts against a local HTTP receiver: every event delivered once with three ferry instances
 * on one database while the receiver fails its first answers; an alert whose sender was
 * SIGKILLed mid-delivery is delivered by another instance; late and recovered fire once each
 * when a pipeline's runs stop and resume; `ferry alerts test`, the Slack format, and no secret
 * of a webhook URL in any output.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatAlert, redactUrl } from '../../src/alerts/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { type RunningFerry, runFerry, startFerry, waitFor } from '../helpers/ferry-process.ts';
import { projectDir, writeParquet } from '../helpers/fixtures.ts';

interface Received {
  readonly body: Record<string, unknown>;
  readonly answered: number | null;
}

/** A webhook receiver that can fail its next answers or hold requests unanswered. */
class Receiver {
  readonly received: Received[] = [];
  failNext = 0;
  stall = false;
  private readonly held: http.ServerResponse[] = [];
  private readonly server = http.createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => {
      text += chunk;
    });
    request.on('end', () => {
      const body = JSON.parse(text) as Record<string, unknown>;
      if (this.stall) {
        this.received.push({ body, answered: null });
        this.held.push(response);
        return;
      }
      const status = this.failNext > 0 ? 503 : 200;
      if (this.failNext > 0) this.failNext--;
      this.received.push({ body, answered: status });
      response.writeHead(status).end();
    });
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/T000/B000/very-secret-token`;
  }

  /** Drops the requests held unanswered (their sender is gone). */
  release(): void {
    this.stall = false;
    for (const response of this.held.splice(0)) response.destroy();
  }

  delivered(event: string): Map<string, number> {
    const counts = new Map<string, number>();
    for (const { body, answered } of this.received) {
      if (answered === 200 && body.event === event) counts.set(String(body.dedup_key), (counts.get(String(body.dedup_key)) ?? 0) + 1);
    }
    return counts;
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

let db: TestDatabase;
const receiver = new Receiver();
let project: string;
let inbox: string;
const instances: RunningFerry[] = [];

before(async () => {
  db = await createTestDatabase({ migrate: false });
  await receiver.start();
  project = projectDir('alerts-');
  inbox = path.join(project, 'inbox');
  fs.mkdirSync(inbox);
  fs.writeFileSync(
    path.join(project, 'ferry.config.ts'),
    // A short lease (files' and, so, alert deliveries'): a killed sender's alert is taken over soon.
    `export default {
  leaseDuration: '2s',
  alerts: [{ url: process.env.ALERT_URL, format: 'json', on: ['file.quarantined', 'pipeline.late', 'pipeline.recovered'], cooldown: '0s' }],
  pipelines: { orders: { source: { glob: '*.parquet' }, sink: { table: 'orders' }, schedule: '1s', expectEvery: '3s' } },
};
`,
  );
});

after(async () => {
  for (const ferry of instances) await ferry.stop('SIGKILL').catch(() => {});
  await receiver.close();
  await db?.drop();
});

const env = () => ({ DATABASE_URL: db.url, FERRY_STORAGE: inbox, ALERT_URL: receiver.url, FERRY_LOG_FORMAT: 'json' });
/** Files land whole (written aside, then renamed in): a half-written file would be a version of its own. */
const land = (name: string, write: (file: string) => void) => {
  const aside = path.join(project, `.landing-${name}`);
  write(aside);
  fs.renameSync(aside, path.join(inbox, name));
};
/** Waits until the outbox holds `count` alerts of these events, every one of them delivered. */
const outboxDelivered = (events: readonly string[], count: number) =>
  waitFor(`${count} ${events.join(' / ')} alerts marked delivered in the outbox`, async () => {
    const row = (
      await db.pool.query(
        "SELECT count(*)::int AS n, count(*) FILTER (WHERE status <> 'delivered')::int AS open FROM ferry_alerts WHERE event = ANY($1::text[])",
        [events],
      )
    ).rows[0];
    return row.n === count && row.open === 0 ? true : undefined;
  });
const bad = (name: string) => land(name, (file) => fs.writeFileSync(file, 'PAR1 this is not a Parquet file PAR1'));

describe('alerts', () => {
  it('each event is delivered once across three instances, a failing receiver and a killed sender', async () => {
    // One instance alone; the receiver holds its first alert unanswered; the instance is killed.
    receiver.stall = true;
    const first = await startFerry({ env: env(), cwd: project });
    instances.push(first);
    bad('bad-0.parquet');
    await waitFor('the first alert reached the receiver', async () => (receiver.received.length > 0 ? true : undefined));
    await first.stop('SIGKILL');
    receiver.release();

    // Three instances on the same database; the receiver fails its next three answers.
    receiver.failNext = 3;
    for (let i = 0; i < 3; i++) instances.push(await startFerry({ env: env(), cwd: project }));
    for (let i = 1; i <= 5; i++) bad(`bad-${i}.parquet`);
    land('good.parquet', (file) => writeParquet(file, 10));

    const delivered = await waitFor(
      'six quarantine alerts delivered',
      async () => {
        const counts = receiver.delivered('file.quarantined');
        return counts.size === 6 ? counts : undefined;
      },
      60_000,
    ).catch(async (error: Error) => {
      const outbox = await db.pool.query(
        "SELECT id, event, status, attempts, last_error, lease_owner, payload->>'dedup_key' AS key FROM ferry_alerts ORDER BY id",
      );
      const files = await db.pool.query('SELECT key, status, error_code FROM ferry_files ORDER BY id');
      throw new Error(
        `${error.message}\nreceived: ${JSON.stringify(receiver.received.map((r) => [r.body.event, r.body.dedup_key, r.answered]))}\noutbox: ${JSON.stringify(outbox.rows)}\nfiles: ${JSON.stringify(files.rows)}\nlogs: ${instances.map((f) => f.logs().slice(-3000)).join('\n---\n')}`,
      );
    });
    // Only an alert still pending in the outbox can be sent again: once all six are marked
    // delivered, no duplicate can show up any more.
    await outboxDelivered(['file.quarantined'], 6);
    const again = receiver.delivered('file.quarantined');
    assert.deepEqual([...again.values()], [1, 1, 1, 1, 1, 1], `each delivered once: ${JSON.stringify([...again])}`);
    assert.equal(again.size, delivered.size);
    const keys = receiver.received.filter((r) => r.body.event === 'file.quarantined' && r.answered === 200).map((r) => (r.body.file as { key: string }).key);
    assert.deepEqual(keys.sort(), ['bad-0.parquet', 'bad-1.parquet', 'bad-2.parquet', 'bad-3.parquet', 'bad-4.parquet', 'bad-5.parquet']);
    assert.ok(
      receiver.received.some((r) => r.answered === 503),
      'the receiver failed some answers, and they were sent again',
    );
    const stalled = receiver.received.find((r) => r.answered === null);
    assert.ok(stalled !== undefined && again.get(String(stalled.body.dedup_key)) === 1, "the killed sender's alert was delivered by another instance");

    const outbox = await db.pool.query("SELECT status, count(*)::int AS n FROM ferry_alerts WHERE event = 'file.quarantined' GROUP BY status");
    assert.deepEqual(outbox.rows, [{ status: 'delivered', n: 6 }]);

    // The payload.
    const payload = receiver.received.find((r) => r.answered === 200 && r.body.event === 'file.quarantined')?.body as Record<string, unknown>;
    assert.equal(payload.severity, 'error');
    assert.equal(payload.pipeline, 'orders');
    assert.equal((payload.error as { code: string }).code, 'FILE_CORRUPT');
    assert.equal((payload.error as { step: string }).step, 'read');
    assert.match(String(payload.dashboard), /^http:\/\/127\.0\.0\.1:\d+\/ui#file-\d+$/);
    for (const field of ['run_id', 'attempts', 'occurred_at', 'dedup_key', 'summary'])
      assert.ok(payload[field] !== undefined && payload[field] !== null, field);
  });

  it('late and recovered fire once each when the runs stop and resume', async () => {
    // Holding the pipeline's run lock stops its runs on every instance.
    const holder = await db.pool.connect();
    try {
      await holder.query("SELECT pg_advisory_lock(x'46657279'::int, hashtext('orders'))");
      await waitFor('a late alert', async () => (receiver.delivered('pipeline.late').size > 0 ? true : undefined), 30_000);
    } finally {
      await holder.query("SELECT pg_advisory_unlock(x'46657279'::int, hashtext('orders'))");
      holder.release();
    }
    await waitFor('a recovered alert', async () => (receiver.delivered('pipeline.recovered').size > 0 ? true : undefined), 30_000);
    await outboxDelivered(['pipeline.late', 'pipeline.recovered'], 2);
    assert.equal(receiver.delivered('pipeline.late').size, 1);
    assert.equal(receiver.delivered('pipeline.recovered').size, 1);
    const health = await db.pool.query("SELECT late FROM ferry_pipeline_health WHERE pipeline = 'orders'");
    assert.deepEqual(health.rows, [{ late: false }]);
  });

  it('alerts on changes: within the cooldown one alert, then one digest line for the run; ferry run --once sends them before it exits', async () => {
    const dir = projectDir('alerts-digest-');
    const files = path.join(dir, 'in');
    fs.mkdirSync(files);
    for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(files, `broken-${i}.parquet`), 'PAR1 nope PAR1');
    fs.writeFileSync(
      path.join(dir, 'ferry.config.ts'),
      `export default { alerts: [{ url: process.env.ALERT_URL, on: ['file.quarantined', 'run.digest'], cooldown: '1h' }], pipelines: { digest: { source: { glob: '*.parquet' }, sink: { table: 'digest' } } } };\n`,
    );
    const before = receiver.received.length;
    const run = await runFerry(['run', '--once', '--json'], { env: { ...env(), FERRY_STORAGE: files }, cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).files_failed, 4);
    const got = receiver.received.slice(before).filter((r) => r.answered === 200 && r.body.pipeline === 'digest');
    assert.deepEqual(got.map((r) => String(r.body.event)).sort(), ['file.quarantined', 'run.digest'], JSON.stringify(got.map((r) => r.body)));
    assert.match(
      String(got.find((r) => r.body.event === 'run.digest')?.body.summary),
      /^digest: 3 more files quarantined in run \d+ \(alerts held back by the cooldown\): broken-\d\.parquet, broken-\d\.parquet, broken-\d\.parquet$/,
    );
    const outbox = await db.pool.query("SELECT status, count(*)::int AS n FROM ferry_alerts WHERE pipeline = 'digest' GROUP BY status ORDER BY status");
    assert.deepEqual(outbox.rows, [
      { status: 'delivered', n: 2 },
      { status: 'suppressed', n: 3 },
    ]);
  });

  it('no secret of the webhook URL in any log line or output; ferry alerts test; the Slack format', async () => {
    const stopped = instances.splice(0);
    for (const ferry of stopped) await ferry.stop('SIGTERM');
    const logs = stopped.map((ferry) => ferry.logs()).join('\n');
    assert.match(logs, /alert delivered/);
    assert.doesNotMatch(logs, /very-secret-token/);

    const tested = await runFerry(['alerts', 'test'], { env: env(), cwd: project });
    assert.equal(tested.code, 0, tested.stderr);
    assert.match(tested.stdout, /^delivered http:\/\/127\.0\.0\.1:\d+\/… \(json\)$/m);
    assert.doesNotMatch(tested.stdout + tested.stderr, /very-secret-token/);
    assert.ok(receiver.received.some((r) => r.body.event === 'test' && r.answered === 200));

    // A config named relative to where the command runs (a subfolder's): found, and its alerts used.
    const parent = path.dirname(project);
    const relative = await runFerry(['-c', path.join(path.basename(project), 'ferry.config.ts'), 'alerts', 'test'], { env: env(), cwd: parent });
    assert.equal(relative.code, 0, relative.stderr);

    receiver.failNext = 1;
    const refused = await runFerry(['alerts', 'test'], { env: env(), cwd: project });
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /FAILED .*answered HTTP 503/);
    assert.doesNotMatch(refused.stdout + refused.stderr, /very-secret-token/);

    assert.equal(redactUrl('https://hooks.slack.com/services/T0/B0/secret'), 'https://hooks.slack.com/…');
    const slack = formatAlert('slack', {
      event: 'file.quarantined',
      severity: 'error',
      summary: 'orders: x.parquet quarantined',
      dashboard: 'http://h/ui#file-1',
    });
    // A file name cannot make Slack mention the channel or show a link.
    const named = formatAlert('slack', { event: 'file.quarantined', severity: 'error', summary: '<!channel> <https://evil|x>.csv', dashboard: 'http://h/ui' });
    assert.match(String(named.text), /&lt;!channel&gt; &lt;https:\/\/evil\|x&gt;\.csv/);
    assert.deepEqual(slack, { text: ':rotating_light: ferry file.quarantined: orders: x.parquet quarantined <http://h/ui#file-1|dashboard>' });
  });

  it('a webhook URL with credentials is posted with them as basic auth, and they are shown nowhere', async () => {
    const seen: (string | undefined)[] = [];
    const guarded = http.createServer((request, response) => {
      seen.push(request.headers.authorization);
      request.resume();
      request.on('end', () => response.writeHead(request.headers.authorization ? 200 : 401).end());
    });
    await new Promise<void>((resolve) => guarded.listen(0, '127.0.0.1', resolve));
    try {
      const port = (guarded.address() as AddressInfo).port;
      const url = `http://hook-user:p%40ss-Kq8w@127.0.0.1:${port}/hooks/basic`;
      const tested = await runFerry(['alerts', 'test'], { env: { ...env(), ALERT_URL: url }, cwd: project });
      assert.equal(tested.code, 0, tested.stdout + tested.stderr);
      assert.match(tested.stdout, new RegExp(`^delivered http://127\\.0\\.0\\.1:${port}/… \\(json\\)$`, 'm'));
      assert.deepEqual(seen, [`Basic ${Buffer.from('hook-user:p@ss-Kq8w').toString('base64')}`]);
      assert.doesNotMatch(tested.stdout + tested.stderr, /Kq8w|hook-user/);
    } finally {
      guarded.closeAllConnections();
      await new Promise((resolve) => guarded.close(resolve));
    }
  });
});
