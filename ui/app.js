// ferry's dashboard: plain JavaScript over the JSON API (/status, /runs, /files), refreshed every
// few seconds without reloading the page. The admin token, when typed, stays in this variable
// (this tab's memory): it is never stored.

const REFRESH_MS = 5000;
/** Runs in the chart; the list below it shows pages of RUNS_PAGE. */
const CHART_RUNS = 50;
const RUNS_PAGE = 20;
const FILES_PAGE = 25;
/** The files list's status choices that are file statuses (the others are flags of /files). */
const FILE_STATUSES = ['pending', 'processed', 'quarantined', 'superseded'];

let token = '';
let chart = null;
let openFileId = null;

/** Each list pages by id (`before`): the cursors of the pages before this one, to go back. */
const runsPage = { before: null, previous: [] };
const filesPage = { before: null, previous: [] };
const filesFilter = { pipeline: '', status: '', key: '', run: null };

const $ = (selector) => document.querySelector(selector);

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'class') node.className = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children.flat()) node.append(child instanceof Node ? child : document.createTextNode(child ?? ''));
  return node;
}

/** "1 file", "2 files", "1,250 rows". */
function plural(count, noun) {
  const n = Number(count ?? 0);
  return `${n.toLocaleString()} ${noun}${n === 1 ? '' : 's'}`;
}

function integer(value) {
  return value == null ? '—' : Number(value).toLocaleString();
}

/** A local time as 2026-12-04 10:00:05: the same width in every row, sortable by eye. */
function clock(time) {
  if (!time) return '—';
  const at = new Date(time);
  const two = (n) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
}

function duration(ms) {
  if (ms == null) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function ago(time) {
  if (!time) return 'never';
  const seconds = Math.round((Date.now() - new Date(time).getTime()) / 1000);
  if (seconds < 0) return `in ${until(time)}`;
  if (seconds < 90) return `${seconds} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 129600) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

function until(time) {
  if (!time) return '—';
  const seconds = Math.round((new Date(time).getTime() - Date.now()) / 1000);
  if (seconds <= 0) return 'now';
  if (seconds < 90) return `in ${seconds} s`;
  if (seconds < 5400) return `in ${Math.round(seconds / 60)} min`;
  return `in ${Math.round(seconds / 3600)} h`;
}

/**
 * The colour of each value a badge can show: file statuses, check outcomes, run statuses and
 * pipeline health. A value not listed still gets a (grey) badge, never a blank cell.
 */
const TONES = {
  processed: 'good',
  passed: 'good',
  completed: 'good',
  ok: 'good',
  warned: 'warn',
  late: 'warn',
  interrupted: 'warn',
  rejected: 'reject',
  quarantined: 'bad',
  failed: 'bad',
  pending: 'info',
  running: 'info',
  superseded: 'muted',
  idle: 'muted',
};

function badge(value, label = value) {
  return el('span', { class: `badge tone-${TONES[value] ?? 'muted'}` }, label);
}

function headers() {
  return token ? { accept: 'application/json', authorization: `Bearer ${token}` } : { accept: 'application/json' };
}

class NeedsToken extends Error {}

async function getJson(path) {
  const response = await fetch(path, { headers: headers() });
  if (response.status === 401) throw new NeedsToken(token ? 'the token was refused' : 'this ferry needs a token to read');
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

async function post(path) {
  const response = await fetch(path, { method: 'POST', headers: headers() });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body?.error?.message ?? `HTTP ${response.status}`);
  return body;
}

/** A link that opens a file's detail (and keeps the address, for copying: /ui#file-12). */
function fileLink(file) {
  return el(
    'a',
    {
      href: `#file-${file.id}`,
      onclick: (event) => {
        event.preventDefault();
        history.replaceState(null, '', `#file-${file.id}`);
        showFile(file.id);
      },
    },
    file.key,
  );
}

/** A link that lists a run's files. */
function runLink(id, text = `#${id}`) {
  return el(
    'a',
    {
      href: `#run-${id}`,
      'aria-label': `Files of run ${id}`,
      onclick: (event) => {
        event.preventDefault();
        history.replaceState(null, '', `#run-${id}`);
        showRunFiles(id);
      },
    },
    text,
  );
}

function renderPipelines(status) {
  const body = $('#pipelines tbody');
  body.replaceChildren(
    ...status.pipelines.map((pipeline) => {
      const health = pipeline.late ? 'late' : pipeline.last_run?.status === 'failed' ? 'failed' : pipeline.last_success_at ? 'ok' : 'idle';
      const label = { late: 'late', failed: 'last run failed', ok: 'on time', idle: 'no run yet' }[health];
      return el(
        'tr',
        {},
        el('th', { scope: 'row' }, pipeline.name),
        el('td', {}, pipeline.schedule),
        el('td', {}, badge(health, label)),
        el('td', { class: 'time', title: pipeline.last_success_at ?? '' }, ago(pipeline.last_success_at)),
        el('td', { class: 'time', title: pipeline.next_run ?? '' }, until(pipeline.next_run)),
        el('td', { class: 'num' }, String(pipeline.files.processed ?? 0)),
        el('td', { class: 'num' }, String(pipeline.files.pending ?? 0)),
        el('td', { class: 'num' }, String(pipeline.files.quarantined ?? 0)),
      );
    }),
  );
  $('#service').textContent =
    `service ${status.service_status} · ${plural(status.total_files_processed, 'file')} processed · updated ${new Date().toLocaleTimeString()}`;

  // The pipeline filter offers the configured pipelines (the chosen one stays chosen).
  const select = $('#files-pipeline');
  const names = status.pipelines.map((pipeline) => pipeline.name);
  const offered = [...select.options].slice(1).map((option) => option.value);
  if (names.join('\n') !== offered.join('\n')) {
    select.replaceChildren(el('option', { value: '' }, 'all'), ...names.map((name) => el('option', { value: name }, name)));
    select.value = names.includes(filesFilter.pipeline) ? filesFilter.pipeline : '';
  }

  const progress = status.pipelines.flatMap((pipeline) => pipeline.in_progress.map((file) => ({ pipeline: pipeline.name, ...file })));
  $('#in-progress').replaceChildren(
    ...(progress.length === 0
      ? [el('li', { class: 'empty' }, 'nothing is loading now')]
      : progress.map((file) =>
          el(
            'li',
            {},
            `${file.pipeline}: `,
            el('span', { class: 'key' }, file.key),
            ` — ${file.rows_so_far == null ? 'started' : `${plural(file.rows_so_far, 'row')} so far`}, ${ago(file.started_at)} (attempt ${file.attempt})`,
          ),
        )),
  );
}

// The chart's time axis: one label per tick, at least TICK_SPACE px apart, the date under the
// first tick and where the day changes. Rows are [tick step in seconds, label, the second line
// when the year, month, day, hour, minute or second changes, 1 = both lines].
const TICK_SPACE = 110;
const TIME_TICKS = [
  [86400 * 365, '{YYYY}', null, null, null, null, null, null, 1],
  [86400 * 28, '{MMM}', '\n{YYYY}', null, null, null, null, null, 1],
  [86400, '{MMM} {D}', '\n{YYYY}', null, null, null, null, null, 1],
  [3600, '{HH}:{mm}', '\n{YYYY}-{MM}-{DD}', null, '\n{YYYY}-{MM}-{DD}', null, null, null, 1],
  [60, '{HH}:{mm}', '\n{YYYY}-{MM}-{DD}', null, '\n{YYYY}-{MM}-{DD}', null, null, null, 1],
  [1, '{HH}:{mm}:{ss}', '\n{YYYY}-{MM}-{DD}', null, '\n{YYYY}-{MM}-{DD}', null, null, null, 1],
];
/** Whole numbers only on the files axis: there is no half a file. */
const WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/** A value axis as wide as its longest tick label (2,000,000), so that the axis title never overlaps it. */
function axisSize(u, values, axisIndex, cycle) {
  const axis = u.axes[axisIndex];
  if (cycle > 1) return axis._size;
  const longest = (values ?? []).reduce((found, value) => (String(value).length > found.length ? String(value) : found), '');
  u.ctx.font = axis.font[0];
  return Math.ceil(axis.ticks.size + axis.gap + u.ctx.measureText(longest).width / (uPlot.pxRatio ?? devicePixelRatio)) + 6;
}

/** A legend value: the run pointed at, else the newest run (instead of uPlot's "--"). */
function legendValue(format) {
  return (u, _value, seriesIndex, index) => {
    const at = index ?? u.data[0].length - 1;
    return at < 0 ? '—' : format(u.data[seriesIndex][at]);
  };
}

/** Zero as no mark: a run that loaded nothing draws nothing, rather than a line or a point at 0. */
const mark = (value) => (Number(value ?? 0) === 0 ? null : Number(value));

function chartData(runs) {
  const ordered = [...runs].reverse();
  return [
    ordered.map((run) => new Date(run.started_at).getTime() / 1000),
    ordered.map((run) => mark(run.rows_loaded)),
    ordered.map((run) => mark(run.files_processed)),
    ordered.map((run) => mark(run.files_failed)),
    ordered.map((run) => mark(run.rows_rejected)),
    // A mark at 0 on the files axis for each run that failed (discovery or processing stopped).
    ordered.map((run) => (run.status === 'failed' ? 0 : null)),
  ];
}

function chartWidth() {
  return Math.max(280, $('#runs-chart').clientWidth || 900);
}

function renderChart(runs) {
  const data = chartData(runs);
  if (chart !== null) {
    chart.setData(data);
    return;
  }
  const points = (colour, size = 7) => ({ show: true, size, fill: colour, stroke: colour });
  const count = legendValue((value) => integer(value ?? 0));
  chart = new uPlot(
    {
      width: chartWidth(),
      height: 260,
      series: [
        { label: 'run start', value: legendValue((value) => clock(value * 1000)) },
        {
          label: 'rows loaded',
          scale: 'rows',
          stroke: '#0b5cad',
          fill: 'rgba(11, 92, 173, 0.3)',
          width: 1,
          paths: uPlot.paths.bars({ size: [0.7, 48, 6] }),
          points: { show: false },
          value: count,
        },
        // Points only (no paths): each run stands alone; nothing is drawn between runs.
        { label: 'files processed', scale: 'files', stroke: '#176f2c', paths: () => null, points: points('#176f2c'), value: count },
        { label: 'files quarantined', scale: 'files', stroke: '#b3261e', paths: () => null, points: points('#b3261e'), value: count },
        { label: 'rows rejected', scale: 'files', stroke: '#a4410e', paths: () => null, points: points('#a4410e', 6), value: count },
        {
          label: 'run failed',
          scale: 'files',
          stroke: '#b3261e',
          paths: () => null,
          points: points('#b3261e', 12),
          value: legendValue((value) => (value == null ? 'no' : 'yes')),
        },
      ],
      axes: [
        { space: TICK_SPACE, values: TIME_TICKS },
        { scale: 'rows', label: 'rows loaded', values: (_u, splits) => splits.map(integer), size: axisSize },
        {
          scale: 'files',
          side: 1,
          label: 'files · rows rejected',
          values: (_u, splits) => splits.map(integer),
          size: axisSize,
          incrs: WHOLE_STEPS,
          grid: { show: false },
        },
      ],
      scales: {
        // The runs' own span, with some room either side so that the first and last runs'
        // bars are not cut in half. (From the data: uPlot widens the span of runs that all
        // started in the same second to a day before it asks.)
        x: {
          time: true,
          range: (u) => {
            const starts = u.data[0];
            if (starts.length === 0) return [Date.now() / 1000 - 3600, Date.now() / 1000];
            const min = Math.min(...starts);
            const max = Math.max(...starts);
            const pad = Math.max((max - min) * 0.04, 30);
            return [min - pad, max + pad];
          },
        },
        rows: { range: (_u, _min, max) => [0, Number.isFinite(max) && max > 0 ? max * 1.1 : 1] },
        files: { range: (_u, _min, max) => [0, Number.isFinite(max) && max > 0 ? Math.max(max * 1.15, 2) : 2] },
      },
    },
    data,
    $('#runs-chart'),
  );
}

function renderRunsTable(runs, hasOlder) {
  const body = $('#runs tbody');
  if (runs.length === 0) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: '12', class: 'empty' }, 'no run yet')));
  } else {
    body.replaceChildren(
      ...runs.map((run) => {
        const took = run.finished_at ? new Date(run.finished_at).getTime() - new Date(run.started_at).getTime() : null;
        return el(
          'tr',
          { 'data-run-id': String(run.id) },
          el('td', {}, runLink(run.id)),
          el('td', {}, run.pipeline),
          // A reconciliation (a pipeline with events listing the store) says what the events had missed.
          el('td', {}, run.listing === 'reconcile' ? `${run.trigger} · reconcile: ${integer(run.files_discovered)} found` : run.trigger),
          el('td', {}, badge(run.status)),
          el('td', { class: 'time', title: run.started_at }, clock(run.started_at)),
          el('td', { class: 'time', title: run.finished_at ?? '' }, clock(run.finished_at)),
          el('td', { class: 'num' }, took === null ? '—' : duration(took)),
          el('td', { class: 'num' }, integer(run.files_processed)),
          el('td', { class: 'num' }, integer(run.files_failed)),
          el('td', { class: 'num' }, integer(run.rows_loaded)),
          el('td', { class: 'num' }, integer(run.rows_rejected)),
          el('td', { class: 'reason' }, run.error ?? ''),
        );
      }),
    );
  }
  renderPager('runs', runsPage, hasOlder);
}

function renderPager(name, state, hasOlder) {
  $(`#${name}-newer`).disabled = state.previous.length === 0;
  $(`#${name}-older`).disabled = !hasOlder;
  $(`#${name}-page`).textContent = `page ${state.previous.length + 1}`;
}

function renderQuarantine(files) {
  const body = $('#quarantine tbody');
  $('#retry-all').disabled = files.length === 0;
  if (files.length === 0) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: '7', class: 'empty' }, 'no quarantined file')));
    return;
  }
  body.replaceChildren(
    ...files.map((file) =>
      el(
        'tr',
        { 'data-file-id': String(file.id) },
        el('td', { class: 'key' }, fileLink(file)),
        el('td', {}, file.pipeline),
        el('td', {}, file.error_step ?? '—'),
        el('td', {}, el('code', {}, file.error_code ?? '—')),
        el('td', { class: 'reason' }, file.error ?? ''),
        el('td', { class: 'num' }, String(file.attempts)),
        el('td', {}, el('button', { type: 'button', 'aria-label': `Retry ${file.key}`, onclick: () => retry([file]) }, 'Retry')),
      ),
    ),
  );
}

/** The /files query of the files list's filters and page. */
function filesUrl() {
  const query = new URLSearchParams({ limit: String(FILES_PAGE + 1) });
  if (filesFilter.pipeline) query.set('pipeline', filesFilter.pipeline);
  if (FILE_STATUSES.includes(filesFilter.status)) query.set('status', filesFilter.status);
  if (filesFilter.status === 'rejected') query.set('rejected', 'true');
  if (filesFilter.status === 'warned') query.set('warned', 'true');
  if (filesFilter.key) query.set('key', filesFilter.key);
  if (filesFilter.run !== null) query.set('run', String(filesFilter.run));
  if (filesPage.before !== null) query.set('before', String(filesPage.before));
  return `/files?${query}`;
}

function renderFiles(files) {
  const page = files.slice(0, FILES_PAGE);
  const body = $('#files tbody');
  const run = $('#files-run');
  run.hidden = filesFilter.run === null;
  run.querySelector('span').textContent = filesFilter.run === null ? '' : `Files of run ${filesFilter.run}`;
  if (page.length === 0) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: '8', class: 'empty' }, 'no file matches')));
  } else {
    body.replaceChildren(
      ...page.map((file) =>
        el(
          'tr',
          { 'data-file-id': String(file.id) },
          el('td', { class: 'key' }, fileLink(file)),
          el('td', {}, file.pipeline),
          el('td', {}, badge(file.status)),
          el('td', { class: 'num' }, integer(file.rows)),
          el('td', { class: 'num' }, Number(file.rows_rejected) > 0 ? badge('rejected', integer(file.rows_rejected)) : '0'),
          el('td', { class: 'num' }, Number(file.warnings) > 0 ? badge('warned', integer(file.warnings)) : '0'),
          el('td', { class: 'time', title: file.finished_at ?? '' }, clock(file.finished_at)),
          el('td', {}, file.run_id == null ? '—' : runLink(file.run_id)),
        ),
      ),
    );
  }
  renderPager('files', filesPage, files.length > FILES_PAGE);
  filesPage.lastId = page.at(-1)?.id ?? null;
}

async function retry(files) {
  const message = $('#quarantine-message');
  if (!token) {
    message.textContent = 'Type the admin token (FERRY_ADMIN_TOKEN) in the token field to retry files.';
    $('#token').focus();
    return;
  }
  try {
    for (const file of files) await post(`/files/${file.id}/retry`);
    message.textContent = `${plural(files.length, 'file')} put back in the queue.`;
  } catch (error) {
    message.textContent = `Retry refused: ${error.message}`;
  }
  await refresh();
}

async function showFile(id, options = { scroll: true }) {
  openFileId = id;
  const detail = await getJson(`/files/${id}`);
  const file = detail.file;
  const section = $('#detail');
  section.hidden = false;
  $('#detail-title').textContent = `File ${file.key}`;
  const facts = [
    ['pipeline', file.pipeline],
    ['status', badge(file.status)],
    ['version', file.version],
    ['size', `${plural(file.size, 'byte')}`],
    ['attempts', String(file.attempts)],
    ['run', file.run_id == null ? '—' : runLink(file.run_id)],
    ['discovered', clock(file.discovered_at)],
    ['started', clock(file.started_at)],
    ['finished', clock(file.finished_at)],
    ['duration', duration(file.duration_ms)],
    ['rows', integer(file.rows)],
    ['rows rejected', integer(file.rows_rejected)],
    ['rules warned', integer(file.warnings)],
    ['error', file.error ? `${file.error_code ?? ''} at ${file.error_step ?? '?'}: ${file.error}` : '—'],
  ];
  const versions = (detail.versions ?? []).map((version) =>
    el(
      'tr',
      {},
      el('td', {}, fileLink({ id: version.id, key: String(version.id) })),
      el('td', { class: 'key' }, version.version),
      el('td', {}, badge(version.status)),
      el('td', {}, String(version.attempts)),
      el('td', { class: 'time' }, clock(version.finished_at)),
    ),
  );
  const checks = (detail.checks ?? []).map((check) =>
    el(
      'tr',
      {},
      el('td', {}, check.rule_id),
      el('td', {}, badge(check.outcome)),
      el('td', { class: 'time' }, `${integer(check.failing)} of ${integer(check.total)}`),
      el('td', { class: 'samples' }, check.detail ?? (check.samples?.length ? check.samples.map((sample) => JSON.stringify(sample)).join(', ') : '—')),
    ),
  );
  const table = (columns, rows) =>
    el('div', { class: 'scroll' }, el('table', {}, el('thead', {}, el('tr', {}, ...columns.map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, rows)));
  $('#detail-body').replaceChildren(
    el('dl', {}, ...facts.flatMap(([name, value]) => [el('dt', {}, name), el('dd', {}, value)])),
    el('h3', {}, 'Versions'),
    versions.length === 0 ? el('p', { class: 'empty' }, 'only this one') : table(['id', 'version', 'status', 'attempts', 'finished'], versions),
    el('h3', {}, 'Checks'),
    checks.length === 0 ? el('p', { class: 'empty' }, 'no checks ran on this file') : table(['rule', 'outcome', 'failing', 'samples or note'], checks),
  );
  if (options.scroll) section.scrollIntoView({ block: 'nearest' });
}

/** Lists a run's files (any status), from the newest. */
function showRunFiles(id) {
  filesFilter.run = id;
  filesFilter.status = '';
  $('#files-status').value = '';
  resetFilesPage();
  refreshFiles().then(() => $('#files-section').scrollIntoView({ block: 'start' }), report);
}

function resetFilesPage() {
  filesPage.before = null;
  filesPage.previous = [];
}

async function refreshFiles() {
  renderFiles((await getJson(filesUrl())).files);
}

let auth = null;

async function refresh() {
  try {
    auth ??= await (await fetch('/ui/auth', { headers: { accept: 'application/json' } })).json();
    if (auth.read_token_required && !token) {
      $('#service').textContent = 'this ferry needs a token to read: type FERRY_READ_TOKEN (or the admin token) in the token field';
      return;
    }
    const [status, recent, runsShown, quarantined, files] = await Promise.all([
      getJson('/status'),
      getJson(`/runs?limit=${CHART_RUNS}`),
      runsPage.before === null ? null : getJson(`/runs?limit=${RUNS_PAGE + 1}&before=${runsPage.before}`),
      getJson('/files?status=quarantined&limit=200'),
      getJson(filesUrl()),
    ]);
    renderPipelines(status);
    renderChart(recent.runs);
    const runs = (runsShown ?? recent).runs;
    renderRunsTable(runs.slice(0, RUNS_PAGE), runs.length > RUNS_PAGE);
    runsPage.lastId = runs[Math.min(runs.length, RUNS_PAGE) - 1]?.id ?? null;
    renderQuarantine(quarantined.files);
    renderFiles(files.files);
    // A refresh keeps an open file's detail current without moving the page.
    if (openFileId !== null) await showFile(openFileId, { scroll: false });
  } catch (error) {
    if (error instanceof NeedsToken) {
      // The API wants a token (FERRY_READ_TOKEN, or the admin token): ask for it.
      $('#service').textContent = `${error.message}: type FERRY_READ_TOKEN (or the admin token) in the token field`;
      $('#token').focus();
      return;
    }
    $('#service').textContent = `could not reach ferry: ${error.message}`;
  }
}

function report(error) {
  $('#quarantine-message').textContent = error instanceof NeedsToken ? `${error.message}: type a token in the token field` : `Failed: ${error.message}`;
}

/** Older and Newer buttons of a list: `before` is the last id shown; Newer goes back one page. */
function wirePager(name, state, reload) {
  $(`#${name}-older`).addEventListener('click', () => {
    if (state.lastId == null) return;
    state.previous.push(state.before);
    state.before = state.lastId;
    reload().catch(report);
  });
  $(`#${name}-newer`).addEventListener('click', () => {
    if (state.previous.length === 0) return;
    state.before = state.previous.pop();
    reload().catch(report);
  });
}

$('#token').addEventListener('change', (event) => {
  token = event.target.value.trim();
  refresh();
});
$('#token').addEventListener('input', (event) => {
  token = event.target.value.trim();
});
$('#token-form').addEventListener('submit', (event) => event.preventDefault());
$('#retry-all').addEventListener('click', () => {
  getJson('/files?status=quarantined&limit=1000')
    .then((quarantined) => retry(quarantined.files))
    .catch(report);
});

$('#files-filter').addEventListener('submit', (event) => event.preventDefault());
$('#files-pipeline').addEventListener('change', (event) => {
  filesFilter.pipeline = event.target.value;
  resetFilesPage();
  refreshFiles().catch(report);
});
$('#files-status').addEventListener('change', (event) => {
  filesFilter.status = event.target.value;
  resetFilesPage();
  refreshFiles().catch(report);
});
// The key search waits for a pause in typing, so that a word is one request, not one per letter.
let keyTimer = null;
$('#files-key').addEventListener('input', (event) => {
  clearTimeout(keyTimer);
  keyTimer = setTimeout(() => {
    filesFilter.key = event.target.value.trim();
    resetFilesPage();
    refreshFiles().catch(report);
  }, 300);
});
$('#files-run-clear').addEventListener('click', () => {
  filesFilter.run = null;
  resetFilesPage();
  refreshFiles().catch(report);
});
wirePager('files', filesPage, refreshFiles);
wirePager('runs', runsPage, refresh);

// A link to a file (an alert's `dashboard`: /ui#file-12) opens its detail; #run-7 lists a run's files.
const linked = /^#(file|run)-(\d+)$/.exec(location.hash);
if (linked?.[1] === 'file') openFileId = Number(linked[2]);
if (linked?.[1] === 'run') filesFilter.run = Number(linked[2]);
window.addEventListener('resize', () => chart?.setSize({ width: chartWidth(), height: 260 }));

refresh();
setInterval(refresh, REFRESH_MS);
