/**
 * The dashboard in a real browser: headless Chromium driven by playwright-core, against a
 * running ferry with real runs behind it. A file is quarantined (PostgreSQL refuses its rows),
 * another loads with a rejected row and a warning; the runs list leads to a run's files, the
 * files list is filtered and searched, a file's detail shows every rule's outcome as a badge;
 * the cause is fixed, and the file is retried from the page with the admin token (a run with
 * trigger `retry`); the page shows it processed without a reload. The layout is measured at
 * 1280 and 400 px: nothing wider than the window, the header's parts apart. Every request the
 * page makes goes to ferry itself. Screenshots go to test-results/dashboard/ (the path is
 * printed). Skipped when Chromium is not installed (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
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
  // One row over the id range (rejected: it goes to orders_rejects) and one without an amount (warned).
  fs.writeFileSync(path.join(inbox, 'rejects.csv'), 'id,amount\n6,60.5\n1000,70.5\n7,\n');
  fs.mkdirSync(path.join(inbox, 'events'));
  fs.writeFileSync(path.join(inbox, 'events', 'opened.csv'), 'id,kind\n1,open\n');
  fs.writeFileSync(path.join(inbox, 'events', 'closed.csv'), 'id,kind\n2,close\n');
  // A schedule of a minute: the runs the test looks at are the startup run and the retry's.
  fs.writeFileSync(
    path.join(project, 'ferry.config.ts'),
    `export default { pipelines: {
  orders: { source: { glob: '*.csv' }, sink: { table: 'orders' }, schedule: '1m',
            checks: [{ rule: 'range', column: 'id', max: 100, action: 'reject' }, { rule: 'notNull', columns: ['amount'], action: 'warn' }] },
  events: { source: { prefix: 'events/', glob: '**/*.csv' }, sink: { table: 'events' }, schedule: '1m' },
} };
`,
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

/** A box as Playwright measures it (CSS pixels, from the page's top left). */
type Box = { x: number; y: number; width: number; height: number };

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/**
 * What the layout gets wrong at the page's width: elements reaching past the window's right
 * edge (outside the boxes that scroll sideways on purpose), a page wider than its window, and
 * the header's title, status line and token field overlapping each other.
 */
async function layoutProblems(page: Page): Promise<string[]> {
  const problems = await page.evaluate(() => {
    // Runs in the page (the test's own types have no DOM): the few members used, typed here.
    type Element = {
      tagName: string;
      id: string;
      className: unknown;
      closest(selector: string): unknown;
      getBoundingClientRect(): { width: number; right: number };
    };
    const { document } = globalThis as unknown as {
      document: { documentElement: { clientWidth: number; scrollWidth: number }; body: { querySelectorAll(selector: string): Iterable<Element> } };
    };
    const width = document.documentElement.clientWidth;
    const found: string[] = [];
    if (document.documentElement.scrollWidth > width) found.push(`the page is ${document.documentElement.scrollWidth} px wide in a ${width} px window`);
    for (const element of document.body.querySelectorAll('*')) {
      if (element.closest('.scroll') !== null || element.closest('[hidden]') !== null) continue;
      const box = element.getBoundingClientRect();
      if (box.width > 0 && box.right > width + 0.5) {
        found.push(`${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''}.${String(element.className)} ends at ${Math.round(box.right)} px`);
      }
    }
    return found;
  });
  const header = await Promise.all(
    ['header h1', '#service', '#token-form'].map(async (selector) => ({ selector, box: await page.locator(selector).boundingBox() })),
  );
  for (const [i, a] of header.entries()) {
    for (const b of header.slice(i + 1)) {
      if (a.box === null || b.box === null) problems.push(`${a.selector} or ${b.selector} is not shown`);
      else if (overlaps(a.box, b.box)) problems.push(`${a.selector} overlaps ${b.selector}`);
    }
  }
  return problems;
}

/** The keys the files list shows, in its order. */
async function listedKeys(page: Page): Promise<string[]> {
  return page.locator('#files tbody td.key').allTextContents();
}

describe('the dashboard', { skip }, () => {
  it('lists runs and files, shows every outcome as a badge, retries a file from the page with the token, and fits 1280 and 400 px', async () => {
    await waitFor('refused.csv quarantined and the other files processed', async () => {
      const files = await db.pool.query("SELECT key, status FROM ferry_files WHERE status IN ('processed', 'quarantined')");
      return files.rowCount === 5 && files.rows.some((row) => row.key === 'refused.csv' && row.status === 'quarantined') ? true : undefined;
    });
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
      assert.match((await row.textContent()) ?? '', /every 1m/);
      // Five file versions processed or quarantined, four processed: the header counts in words.
      await page.getByText('4 files processed').waitFor();
      await page.locator('#runs-chart canvas').first().waitFor();
      // The legend shows the newest run's values before anyone points at the chart.
      const legend = await page.locator('#runs-chart .u-legend .u-value').allTextContents();
      assert.equal(legend.length, 6);
      assert.ok(
        legend.every((value) => value !== '--' && value !== ''),
        `legend values: ${legend.join(' | ')}`,
      );
      const quarantined = page.locator('#quarantine tbody tr', { hasText: 'refused.csv' });
      await quarantined.waitFor();
      assert.match((await quarantined.textContent()) ?? '', /LOAD_REJECTED/);
      await page.screenshot({ path: path.join(SHOTS, '1-quarantined-1280.png'), fullPage: true });

      // The runs list: the run that loaded the orders, with its trigger, status, counts and a link to its files.
      const loaded = await db.pool.query("SELECT run_id FROM ferry_files WHERE key = 'rejects.csv'");
      const runId = Number(loaded.rows[0].run_id);
      const runRow = page.locator(`#runs tbody tr[data-run-id="${runId}"]`);
      await runRow.waitFor();
      const runCells = await runRow.locator('td').allTextContents();
      const runFiles = await db.pool.query('SELECT id, key, status, rows FROM ferry_files WHERE run_id = $1 ORDER BY id DESC', [runId]);
      const processedInRun = runFiles.rows.filter((file) => file.status === 'processed');
      // run, pipeline, trigger, status, started, finished, took, files processed, failed, rows loaded, rows rejected, error
      assert.deepEqual(
        [runCells[1], runCells[2], runCells[3], runCells[7], runCells[8], runCells[9], runCells[10]],
        [
          'orders',
          'startup',
          'completed',
          String(processedInRun.length),
          String(runFiles.rows.length - processedInRun.length),
          String(processedInRun.reduce((sum, file) => sum + Number(file.rows), 0)),
          '1',
        ],
      );
      assert.match(runCells[4] ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      assert.match(runCells[6] ?? '', /\d (ms|s)$/);
      await runRow.getByRole('link', { name: `Files of run ${runId}` }).click();
      await page.getByText(`Files of run ${runId}`).waitFor();
      await waitFor("the run's files listed", async () =>
        JSON.stringify(await listedKeys(page)) === JSON.stringify(runFiles.rows.map((file) => file.key)) ? true : undefined,
      );
      await page.getByRole('button', { name: 'All runs' }).click();
      await waitFor('every file listed', async () => ((await listedKeys(page)).length === 5 ? true : undefined));

      // The files list: filtered by pipeline and status, searched by key; each row links to the file.
      await page.getByLabel('Pipeline', { exact: true }).selectOption('events');
      await waitFor('the events files', async () =>
        JSON.stringify((await listedKeys(page)).sort()) === '["events/closed.csv","events/opened.csv"]' ? true : undefined,
      );
      await page.getByLabel('Pipeline', { exact: true }).selectOption('');
      await page.getByLabel('Status', { exact: true }).selectOption({ label: 'with rejected rows' });
      await waitFor('the file with rejected rows', async () => (JSON.stringify(await listedKeys(page)) === '["rejects.csv"]' ? true : undefined));
      await page.getByLabel('Status', { exact: true }).selectOption('');
      await page.getByLabel('Key contains', { exact: true }).fill('GOOD');
      await waitFor('the key search', async () => (JSON.stringify(await listedKeys(page)) === '["good.csv"]' ? true : undefined));
      await page.getByLabel('Key contains', { exact: true }).fill('');
      await page.getByLabel('Status', { exact: true }).selectOption('quarantined');
      await waitFor('the quarantined file', async () => (JSON.stringify(await listedKeys(page)) === '["refused.csv"]' ? true : undefined));
      await page.getByLabel('Status', { exact: true }).selectOption('');
      const rejectsRow = page.locator('#files tbody tr', { hasText: 'rejects.csv' });
      await rejectsRow.waitFor();
      // status, and the rejected and warnings counts as badges.
      assert.deepEqual(await rejectsRow.locator('.badge').allTextContents(), ['processed', '1', '1']);

      // The file's detail: every rule's outcome has a badge, rejected and warned included.
      await rejectsRow.getByRole('link', { name: 'rejects.csv' }).click();
      await page.locator('#detail').waitFor({ state: 'visible' });
      const checks = page.locator('#detail table', { hasText: 'outcome' }).locator('tbody tr');
      await checks.first().waitFor();
      const outcomes = new Map<string, { text: string; colour: string }>();
      for (const check of await checks.all()) {
        const outcome = check.locator('.badge');
        outcomes.set((await check.locator('td').first().textContent()) ?? '', {
          text: (await outcome.textContent()) ?? '',
          colour: await outcome.evaluate(
            (element) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(element).backgroundColor,
          ),
        });
      }
      assert.equal(outcomes.get('range(id)')?.text, 'rejected');
      assert.equal(outcomes.get('notNull(amount)')?.text, 'warned');
      for (const [rule, { colour }] of outcomes) assert.notEqual(colour, 'rgba(0, 0, 0, 0)', `${rule}'s badge has a colour`);
      assert.notEqual(outcomes.get('range(id)')?.colour, outcomes.get('notNull(amount)')?.colour);
      await page.screenshot({ path: path.join(SHOTS, '2-file-with-rejects-1280.png'), fullPage: true });
      assert.deepEqual(await layoutProblems(page), [], 'at 1280 px');

      // The same page 400 px wide: nothing past the window's edge, the header's parts apart, a
      // quarantine reason wrapped by word (a column wide enough for words, not one letter).
      const narrow = await browser.newPage({ viewport: { width: 400, height: 900 } });
      narrow.on('pageerror', (error) => errors.push(error.message));
      await narrow.goto(`${origin}/ui#file-${runFiles.rows.find((file) => file.key === 'rejects.csv')?.id ?? 0}`);
      await narrow.getByLabel('Token').fill(READ_TOKEN);
      await narrow.getByLabel('Token').press('Tab');
      await narrow.locator('#quarantine tbody tr', { hasText: 'refused.csv' }).waitFor();
      await narrow.locator('#detail').waitFor({ state: 'visible' });
      await narrow.locator('#runs-chart canvas').first().waitFor();
      const reason = await narrow.locator('#quarantine td.reason').first().boundingBox();
      assert.ok(reason !== null && reason.width >= 200, `the reason column is ${reason?.width} px wide`);
      await narrow.screenshot({ path: path.join(SHOTS, '3-narrow-400.png'), fullPage: true });
      assert.deepEqual(await layoutProblems(narrow), [], 'at 400 px');
      await narrow.close();

      // Fix the cause, then retry from the page: the read token cannot (the answer says which token
      // it needs); the admin token can.
      await db.pool.query('ALTER TABLE orders DROP CONSTRAINT orders_amount_check');
      await quarantined.getByRole('button', { name: 'Retry refused.csv' }).click();
      await page.getByText('Retry refused: missing or wrong bearer token (this route needs FERRY_ADMIN_TOKEN)').waitFor();
      await page.getByLabel('Token').fill(TOKEN);
      await page.getByLabel('Token').press('Tab');
      await quarantined.getByRole('button', { name: 'Retry refused.csv' }).click();
      await page.getByText('1 file put back in the queue.').waitFor();

      // The page refreshes itself: the quarantine empties and the pipeline counts every file processed.
      await page.getByText('no quarantined file').waitFor({ timeout: 30_000 });
      // The row's cells after its header: schedule, health, last run, next run, processed, pending, quarantined.
      // (Polled from here: the page's policy allows no script from elsewhere, not even Playwright's.)
      const cells = row.locator('td');
      await waitFor('the page to show every orders file processed', async () =>
        (await cells.nth(4).textContent()) === '3' && (await cells.nth(6).textContent()) === '0' ? true : undefined,
      );
      const file = await db.pool.query("SELECT status, rows, run_id FROM ferry_files WHERE key = 'refused.csv'");
      assert.deepEqual(
        file.rows.map((r) => [r.status, Number(r.rows)]),
        [['processed', 2]],
      );
      // The retry's run says it was one, ran only the retried file's pipeline, and is in the list.
      const retryRuns = await db.pool.query("SELECT id, pipeline FROM ferry_runs WHERE trigger = 'retry'");
      assert.deepEqual(
        retryRuns.rows.map((run) => run.pipeline),
        ['orders'],
      );
      assert.equal(Number(retryRuns.rows[0].id), Number(file.rows[0].run_id));
      await waitFor('the retry run listed', async () =>
        ((await page.locator(`#runs tbody tr[data-run-id="${retryRuns.rows[0].id}"]`).textContent()) ?? '').includes('retry') ? true : undefined,
      );
      await page.screenshot({ path: path.join(SHOTS, '4-retried-1280.png'), fullPage: true });

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
