/**
 * `ferry init`: a project that runs at once — a config with one commented pipeline, a sample
 * file it loads, `.env.example`, `.gitignore` entries, npm scripts (start, load, ferry), and a tsconfig.json (when
 * the project has none) so that the config is type-checked. Nothing that exists is
 * overwritten without `--force`; lists (`.gitignore`, scripts) only gain what they lack.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface InitResult {
  readonly dir: string;
  /** Each file, and what was done to it. */
  readonly files: readonly { readonly file: string; readonly action: 'created' | 'overwritten' | 'updated' | 'kept' }[];
}

const CONFIG = `// ferry's config: where files come from, how they become rows, where the rows go.
// The README's "Configuration" section lists every field; a wrong field is a type error here.
import { defineConfig, pl } from 'ferry';

export default defineConfig({
  // Where files land: a folder (relative to this file), file:///dir, s3://bucket/prefix or azblob://container/prefix.
  // S3 credentials come from the AWS_* variables (see .env.example).
  storage: './data/inbox',

  pipelines: {
    // One pipeline: every CSV file in the storage becomes rows of the table "orders".
    orders: {
      source: {
        glob: '**/*.csv',
        // The column types; without them, they are inferred from the first rows.
        schema: { order_id: 'bigint', amount: 'double precision', ordered_at: 'timestamp' },
      },
      // A Polars transform of each file (a LazyFrame in, a LazyFrame out). Optional.
      transform: (frame) => frame.withColumns(pl.col('status').str.toLowerCase().alias('status')),
      // Checks run while the file loads: 'reject' keeps failing rows aside in orders_rejects.
      checks: [
        { rule: 'notNull', columns: ['order_id'] },
        { rule: 'range', column: 'amount', min: 0, action: 'reject' },
      ],
      // merge: a file loaded again (a new version) updates its rows instead of adding them.
      sink: { table: 'orders', mode: 'merge', key: ['order_id'] },
      schedule: { every: '5m' },
    },
  },
});
`;

const SAMPLE = `order_id,customer,amount,status,ordered_at
1001,Ada Lovelace,120.50,PAID,2026-01-05T09:15:00
1002,Grace Hopper,89.99,paid,2026-01-05T10:02:00
1003,Alan Turing,15.00,Refunded,2026-01-05T11:47:00
1004,Katherine Johnson,230.00,paid,2026-01-06T08:30:00
1005,Edsger Dijkstra,42.42,PENDING,2026-01-06T14:05:00
1006,Barbara Liskov,310.75,paid,2026-01-07T16:20:00
1007,Donald Knuth,-5.00,paid,2026-01-07T17:00:00
1008,Margaret Hamilton,77.10,paid,2026-01-08T09:00:00
`;

const ENV_EXAMPLE = `# Copy to .env (never commit it): ferry reads .env from the project folder.

# PostgreSQL to load into. Without it, ferry runs an embedded PostgreSQL in .ferry/.
# DATABASE_URL=postgres://ferry:secret@db.example.com:5432/warehouse

# S3 (or an S3-compatible store) when storage is s3://…
# AWS_ACCESS_KEY_ID=
# AWS_SECRET_ACCESS_KEY=
# AWS_REGION=us-east-1
# AWS_ENDPOINT_URL=http://127.0.0.1:9000

# Azure Blob Storage when storage is azblob://…: the account with its key or a SAS token
# (or AZURE_STORAGE_CONNECTION_STRING instead of all three).
# AZURE_STORAGE_ACCOUNT_NAME=
# AZURE_STORAGE_ACCOUNT_KEY=
# AZURE_STORAGE_SAS_TOKEN=
# AZURE_STORAGE_ENDPOINT=http://127.0.0.1:10000/devstoreaccount1

# The token for the HTTP API's write endpoints (POST /runs, retries).
# FERRY_ADMIN_TOKEN=
# The token the store's event sender uses for POST /events only (source.events: 'http').
# FERRY_EVENTS_TOKEN=
`;

/** For the editor and `npx tsc`: the config type-checks against ferry's types (a wrong field is an error). */
const TSCONFIG = `${JSON.stringify(
  {
    compilerOptions: {
      target: 'es2023',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      strict: true,
      noEmit: true,
      allowImportingTsExtensions: true,
      skipLibCheck: true,
    },
    include: ['ferry.config.ts'],
  },
  null,
  2,
)}\n`;

const GITIGNORE = ['.ferry/', '.env'];
/**
 * `npm start` (the service), `npm run load` (the pipelines once, now) and `npm run ferry -- <command>`
 * (any command). A script runs the project's own ferry from node_modules/.bin: never a package of
 * that name from the registry, as `npx ferry` would fetch where ferry is not installed.
 */
const SCRIPTS: Readonly<Record<string, string>> = { start: 'ferry start', load: 'ferry run --once', ferry: 'ferry' };

export function initProject(dir: string, options: { force?: boolean } = {}): InitResult {
  const files: { file: string; action: 'created' | 'overwritten' | 'updated' | 'kept' }[] = [];
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    const exists = fs.existsSync(file);
    if (exists && !options.force) {
      files.push({ file: name, action: 'kept' });
      return;
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    files.push({ file: name, action: exists ? 'overwritten' : 'created' });
  };
  write('ferry.config.ts', CONFIG);
  write(path.join('data', 'inbox', 'sample-orders.csv'), SAMPLE);
  write('.env.example', ENV_EXAMPLE);
  if (!fs.existsSync(path.join(dir, 'tsconfig.json'))) write('tsconfig.json', TSCONFIG);

  // .gitignore: the entries it lacks are added.
  const gitignore = path.join(dir, '.gitignore');
  const had = fs.existsSync(gitignore) ? fs.readFileSync(gitignore, 'utf8') : null;
  const lines = new Set((had ?? '').split(/\r?\n/).map((line) => line.trim()));
  const missing = GITIGNORE.filter((entry) => !lines.has(entry) && !lines.has(entry.replace(/\/$/, '')));
  if (missing.length > 0) {
    const prefix = had === null || had === '' || had.endsWith('\n') ? (had ?? '') : `${had}\n`;
    fs.writeFileSync(gitignore, `${prefix}${had === null ? '' : '\n'}# ferry: its embedded database and local secrets\n${missing.join('\n')}\n`);
  }
  files.push({ file: '.gitignore', action: had === null ? 'created' : missing.length > 0 ? 'updated' : 'kept' });

  // package.json: the scripts it lacks (or all of them, with --force).
  const packageFile = path.join(dir, 'package.json');
  if (fs.existsSync(packageFile)) {
    const text = fs.readFileSync(packageFile, 'utf8');
    const manifest = JSON.parse(text) as { scripts?: Record<string, string> };
    const scripts = { ...(manifest.scripts ?? {}) };
    let changed = false;
    for (const [name, command] of Object.entries(SCRIPTS)) {
      // npm init's placeholder test script is not a script anyone wrote.
      if (scripts[name] === undefined || options.force) {
        changed ||= scripts[name] !== command;
        scripts[name] = command;
      }
    }
    if (changed) {
      const indent = /^[ \t]+/m.exec(text)?.[0] ?? '  ';
      fs.writeFileSync(packageFile, `${JSON.stringify({ ...manifest, scripts }, null, indent)}\n`);
    }
    files.push({ file: 'package.json', action: changed ? 'updated' : 'kept' });
  } else {
    write(
      'package.json',
      `${JSON.stringify(
        {
          name: path
            .basename(dir)
            .toLowerCase()
            .replace(/[^a-z0-9-]/g, '-'),
          private: true,
          scripts: SCRIPTS,
        },
        null,
        2,
      )}\n`,
    );
  }
  return { dir, files };
}
