/**
 * The dashboard in a real browser: headless Chromium driven by playwright-core, against a
 * running ferry with real runs behind it. A file is quarantined (PostgreSQL refuses its rows),
 * the cause is fixed, and the file is retried from the page with the admin token; the page
 * shows it processed without a reload. Every request the page makes goes to ferry itself.
 * Screenshots go to test-results/dashboard/ (the path is printed). Skipped when Chromium is
 * not installed (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { type RunningFerry, startFerry, waitFor } from '../helpers/ferry-process.ts';
import { projectDir } from '../helpers/fixtures.ts';

const CHROMIUM = process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = path.resolve(import.meta.dirname, '../../test-results/dashboard');
const TOKEN = 'dashboard-test-token';
const READ_TOKEN = 'dashboard-read-token';

const skip = fs.existsSync(CHROMIUM) ? false : `Chromium is not installed at ${CHROMIUM} (set FERRY_CHROMIUM)`;

let db: TestDatabase;
let ferry: RunningFerry | null = null;
let project: string;

before(async () => {
  if (skip) return;
  db = await createTestDatabase({ migrate: false });
  project = projectDir('dashboard-');
  const inbox = path.join(project, 'inbox');
  fs.mkdirSync(inbox);
  fs.writeFileSync(path.join(inbox, 'good.csv'), 'id,amount\n1,10.5\n2,20\n3,30\n');
  fs.writeFileSync(path.join(inbox, 'refused.csv'), 'id,amount\n4,40\n5,-5\n');
  fs.writeFileSync(
    path.join(project, 'ferry.config.ts'),
    "export default { pipelines: { orders: { source: { glob: '*.csv' }, sink: { table: 'orders' }, schedule: '1s' } } };\n",
  );
  // The table refuses negative amounts: refused.csv is quarantined with LOAD_REJECTED.
  await db.pool.query('CREATE TABLE orders (id bigint, amount double precision CHECK (amount >= 0))');
  ferry = await startFerry({ env: { DATABASE_URL: db.url, FERRY_STORAGE: inbox, FERRY_ADMIN_TOKEN: TOKEN, FERRY_READ_TOKEN: READ_TOKEN }, cwd: project });
  fs.mkdirSync(SHOTS, { recursive: true });
  process.stdout.write(`dashboard screenshots: ${SHOTS}\n`);
});

after(async () => {
  await ferry?.stop();
  await db?.drop();
});

describe('the dashboard', { skip }, () => {
  it('shows pipelines, runs and the quarantine; a file is retried from the page with the token and shows processed', async () => {
    await waitFor('refused.csv quarantined', async () =>
      (await db.pool.query("SELECT 1 FROM ferry_files WHERE key = 'refused.csv' AND status = 'quarantined'")).rowCount === 1 ? true : undefined,
    );
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      // Console errors include what the page's Content-Security-Policy refused.
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      const origin = new URL(ferry?.url as string).origin;

      // A browser asking for / gets the page; the API stays JSON.
      await page.goto(`${origin}/`);
      await page.getByRole('heading', { name: 'Pipelines' }).waitFor();
      // Reading needs a token here: the page asks for it before it calls the API.
      await page.getByText('this ferry needs a token to read').waitFor();
      await page.getByLabel('Token').fill(READ_TOKEN);
      await page.getByLabel('Token').press('Tab');
      const row = page.locator('#pipelines tbody tr', { hasText: 'orders' });
      await row.waitFor();
      assert.match((await row.textContent()) ?? '', /every 1s/);
      await page.locator('#runs-chart canvas').first().waitFor();
      const quarantined = page.locator('#quarantine tbody tr', { hasText: 'refused.csv' });
      await quarantined.waitFor();
      assert.match((await quarantined.textContent()) ?? '', /LOAD_REJECTED/);
      await page.screenshot({ path: path.join(SHOTS, '1-quarantined.png'), fullPage: true });

      // The file's detail: its error and attempts.
      await quarantined.getByRole('link', { name: 'refused.csv' }).click();
      await page.locator('#detail').waitFor({ state: 'visible' });
      assert.match((await page.locator('#detail').textContent()) ?? '', /LOAD_REJECTED at load/);

      // Fix the cause, then retry from the page: the read token cannot (the answer says which token
      // it needs); the admin token can.
      await db.pool.query('ALTER TABLE orders DROP CONSTRAINT orders_amount_check');
      await quarantined.getByRole('button', { name: 'Retry refused.csv' }).click();
      await page.getByText('Retry refused: missing or wrong bearer token (this route needs FERRY_ADMIN_TOKEN)').waitFor();
      await page.getByLabel('Token').fill(TOKEN);
      await page.getByLabel('Token').press('Tab');
      await quarantined.getByRole('button', { name: 'Retry refused.csv' }).click();
      await page.getByText('1 file put back in the queue.').waitFor();

      // The page refreshes itself: the quarantine empties and the pipeline counts both files processed.
      await page.getByText('no quarantined file').waitFor({ timeout: 30_000 });
      // The row's cells after its header: schedule, health, last run, next run, processed, pending, quarantined.
      // (Polled from here: the page's policy allows no script from elsewhere, not even Playwright's.)
      const cells = row.locator('td');
      await waitFor('the page to show both files processed', async () =>
        (await cells.nth(4).textContent()) === '2' && (await cells.nth(6).textContent()) === '0' ? true : undefined,
      );
      await page.screenshot({ path: path.join(SHOTS, '2-retried.png'), fullPage: true });
      const file = await db.pool.query("SELECT status, rows FROM ferry_files WHERE key = 'refused.csv'");
      assert.deepEqual(
        file.rows.map((r) => [r.status, Number(r.rows)]),
        [['processed', 2]],
      );

      // The one refused retry (401) is logged by Chromium as a failed resource; nothing else may be.
      assert.deepEqual(
        errors.filter((error) => !/status of 401/.test(error)),
        [],
        'no script error and nothing refused by the page policy',
      );
      const elsewhere = requests.filter((url) => !url.startsWith(origin) && !url.startsWith('data:'));
      assert.deepEqual(elsewhere, [], 'every asset and call is served by ferry');

      // curl and API clients still get JSON from /.
      const json = (await (await fetch(`${origin}/`, { headers: { accept: 'application/json', authorization: `Bearer ${READ_TOKEN}` } })).json()) as {
        name: string;
        links: { dashboard: string };
      };
      assert.equal(json.name, 'ferry');
      assert.equal(json.links.dashboard, '/ui');
    } finally {
      await browser.close();
    }
  });
});
