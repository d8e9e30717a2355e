/**
 * compose.yaml brought up with podman-compose, as users bring it up, less what cannot run where no
 * image registry answers: the S3 store (its image is only on a registry) and the service that
 * makes its bucket. The two ferry services read a shared mounted inbox instead (the same claims
 * in the same ledger decide who loads a file, whatever the storage), and their ports are not
 * published (the host's may be taken; the test reads the database, health checks run inside).
 * Everything else is the file's own: the PostgreSQL service and its volume, the two ferry
 * services, the health checks, the environment, the grace period.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { makeInbox, writeCsv } from './inbox.ts';
import { isHealthy, podman, runCommand, runShown, waitFor } from './podman.ts';

const PROJECT = 'ferry-image-test';
/** Enough rows that the loads overlap the second instance's start, so both take files. */
const ROWS_PER_FILE = 200_000;

interface Service {
  build?: unknown;
  depends_on?: Record<string, unknown>;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
}

interface Options {
  readonly repo: string;
  step<T>(name: string, action: () => Promise<T>): Promise<T>;
}

/** The ferry services of compose.yaml. */
const FERRY_SERVICES = ['ferry', 'ferry-2'] as const;

/** compose.yaml without the S3 store, the ferry services reading `inbox` instead. */
function composeForTest(composeText: string, inbox: string): { services: Record<string, Service>; volumes: Record<string, unknown> } {
  const compose = parse(composeText, { merge: true }) as { name?: string; services: Record<string, Service>; volumes: Record<string, unknown> };
  for (const key of Object.keys(compose)) if (key === 'name' || key.startsWith('x-')) delete compose[key as 'name'];
  delete compose.services.minio;
  delete compose.services['create-bucket'];
  delete compose.volumes['minio-data'];
  for (const name of FERRY_SERVICES) {
    // A copy each: the merge key leaves both services' nested maps shared.
    const ferry = structuredClone(compose.services[name]);
    if (!ferry?.environment || !ferry.depends_on) throw new Error(`compose.yaml has no ${name} service with environment and depends_on`);
    delete ferry.depends_on['create-bucket'];
    delete ferry.build; // built by the test with the options this host needs
    delete ferry.ports;
    for (const variable of ['AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) delete ferry.environment[variable];
    ferry.environment.FERRY_STORAGE = '/srv/ferry/data/inbox';
    ferry.volumes = [`${inbox}:/srv/ferry/data/inbox:ro`];
    compose.services[name] = ferry;
  }
  return compose;
}

async function psql(sql: string): Promise<string> {
  return podman('exec', `${PROJECT}_postgres_1`, 'psql', '--username=ferry', '--dbname=ferry', '--tuples-only', '--no-align', '--command', sql);
}

/** Every file in the inbox processed once, its rows in `events` once. */
async function loadedOnce(files: number): Promise<{ instances: string } | undefined> {
  const ledger = await psql("SELECT count(*) FILTER (WHERE status = 'processed'), count(*), count(DISTINCT key) FROM ferry_files").catch(() => '');
  if (ledger !== `${files}|${files}|${files}`) return undefined;
  const table = await psql('SELECT count(*), count(DISTINCT id) FROM events');
  if (table !== `${files * ROWS_PER_FILE}|${files * ROWS_PER_FILE}`)
    throw new Error(`events holds ${table} (rows|distinct ids), not ${files * ROWS_PER_FILE} once each`);
  return { instances: await psql("SELECT count(DISTINCT split_part(processed_by, '#', 1)) FROM ferry_files") };
}

export async function runComposeTest({ repo, step }: Options): Promise<void> {
  const inbox = makeInbox('ferry-compose-inbox-');
  const composeFile = path.join(inbox, '..', `${path.basename(inbox)}.compose.yaml`);
  fs.writeFileSync(composeFile, stringify(composeForTest(fs.readFileSync(path.join(repo, 'compose.yaml'), 'utf8'), inbox)));
  // The tokens compose passes through from its environment are left out of it, as a user who set none.
  const { FERRY_ADMIN_TOKEN: _admin, FERRY_READ_TOKEN: _read, ...env } = process.env;
  const compose = (...args: string[]) => runShown('podman-compose', ['--project-name', PROJECT, '--file', composeFile, ...args], { quiet: true, env });
  const up = async () => {
    await compose('up', '--detach');
    for (const container of [`${PROJECT}_postgres_1`, ...FERRY_SERVICES.map((name) => `${PROJECT}_${name}_1`)]) {
      await waitFor(`${container} to be healthy`, () => isHealthy(container), 120_000, 1_000);
    }
  };
  const label = `label=io.podman.compose.project=${PROJECT}`;
  const list = async (...args: string[]) => (await podman(...args).catch(() => '')).split(/\s+/).filter(Boolean);
  // The anonymous volumes of the image's VOLUME folders outlive `down`: noted here, removed at the end.
  const volumesSeen = new Set<string>();
  const noteVolumes = async () => {
    for (const container of await list('ps', '--all', '--quiet', '--filter', label)) {
      for (const volume of await list('inspect', '--format', '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}', container))
        volumesSeen.add(volume);
    }
  };
  try {
    for (let file = 0; file < 6; file++) writeCsv(path.join(inbox, `batch-${file}.csv`), file * ROWS_PER_FILE + 1, ROWS_PER_FILE);
    await step('compose up: PostgreSQL and the two ferry services healthy, admin endpoints off', async () => {
      await up();
      // Unset where compose runs, the admin token is unset in the containers (not the literal text `${…}`).
      for (const name of FERRY_SERVICES) {
        const token = await runCommand('podman', ['exec', `${PROJECT}_${name}_1`, 'printenv', 'FERRY_ADMIN_TOKEN']);
        if (token.code === 0) throw new Error(`${name} has FERRY_ADMIN_TOKEN=${token.stdout.trim()}`);
      }
    });
    await step('compose: six files loaded once by the two ferry services', async () => {
      const { instances } = await waitFor('six files loaded', () => loadedOnce(6), 90_000, 1_000);
      process.stdout.write(`    files loaded by ${instances} of the two\n`);
    });
    await step('compose down and up: the ledger is kept in the volume', async () => {
      // The same rows, not only the same count: a lost volume would load all seven files afresh.
      const ledgerRows = "SELECT string_agg(key || ' ' || id || ' ' || finished_at, ', ' ORDER BY key) FROM ferry_files WHERE key LIKE 'batch-%'";
      const before = await psql(ledgerRows);
      await noteVolumes();
      await compose('down');
      writeCsv(path.join(inbox, 'after-restart.csv'), 6 * ROWS_PER_FILE + 1, ROWS_PER_FILE);
      await up();
      await waitFor('seven files loaded', () => loadedOnce(7), 90_000, 1_000);
      const after = await psql(ledgerRows);
      if (after !== before) throw new Error(`the ledger changed across down and up:\n  before: ${before}\n  after:  ${after}`);
    });
  } finally {
    // Everything the project made: containers, volumes (named and anonymous), the network.
    await noteVolumes();
    await runCommand('podman-compose', ['--project-name', PROJECT, '--file', composeFile, 'down']);
    const containers = await list('ps', '--all', '--quiet', '--filter', label);
    if (containers.length > 0) await runCommand('podman', ['rm', '--force', ...containers]);
    for (const volume of await list('volume', 'ls', '--quiet', '--filter', label)) volumesSeen.add(volume);
    if (volumesSeen.size > 0) await runCommand('podman', ['volume', 'rm', '--force', ...volumesSeen]);
    const networks = await list('network', 'ls', '--quiet', '--filter', label);
    if (networks.length > 0) await runCommand('podman', ['network', 'rm', '--force', ...networks]);
    fs.rmSync(inbox, { recursive: true, force: true });
    fs.rmSync(composeFile, { force: true });
  }
}
