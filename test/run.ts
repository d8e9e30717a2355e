/**
 * `npm test`: runs every test file against a real PostgreSQL. With TEST_DATABASE_URL set, that
 * server (each test file makes its own database on it); otherwise an embedded PostgreSQL in
 * `.ferry-test/`, started for the run and stopped after it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedDatabase } from '../src/postgres/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env };
let embedded: Awaited<ReturnType<typeof startEmbeddedDatabase>> | null = null;
if (!env.TEST_DATABASE_URL) {
  embedded = await startEmbeddedDatabase(path.join(root, '.ferry-test', 'db'));
  env.TEST_DATABASE_URL = embedded.connectionString;
  process.stdout.write(`tests use embedded PostgreSQL (${path.join('.ferry-test', 'db')})\n`);
} else {
  process.stdout.write(`tests use TEST_DATABASE_URL (${new URL(env.TEST_DATABASE_URL).host})\n`);
}

/**
 * Tests that do not depend on which PostgreSQL runs them and take minutes (a reader driven past
 * its memory limit by a 1 GiB value): CI runs the suite on two databases and these on the
 * first only, with FERRY_TEST_SKIP_SLOW=1 on the second.
 */
const SLOW_FILES = ['test/integration/reader-limits.test.ts'];

const named = process.argv.slice(2);
const files =
  named.length > 0
    ? named
    : process.env.FERRY_TEST_SKIP_SLOW
      ? fs
          .globSync('test/**/*.test.ts', { cwd: root })
          .filter((file) => !SLOW_FILES.includes(file))
          .sort()
      : ['test/**/*.test.ts'];
if (process.env.FERRY_TEST_SKIP_SLOW && named.length === 0) process.stdout.write(`left out (run on the other database): ${SLOW_FILES.join(', ')}\n`);
const child = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=300000', ...files], {
  cwd: root,
  env,
  stdio: 'inherit',
});
const code: number = await new Promise((resolve) => child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0))));
await embedded?.stop();
process.exit(code);
