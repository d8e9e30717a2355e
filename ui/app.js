// ferry's dashboard: plain JavaScript over the JSON API (/status, /runs, /files), refreshed every
// few seconds without reloading the page. The admin token, when typed, stays in this variable
// (this tab's memory): it is never stored.

const REFRESH_MS = 5000;
let token = '';
let chart = null;
let openFileId = null;

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
        el('td', {}, el('span', { class: `badge ${health}` }, label)),
        el('td', { title: pipeline.last_success_at ?? '' }, ago(pipeline.last_success_at)),
        el('td', { title: pipeline.next_run ?? '' }, until(pipeline.next_run)),
        el('td', {}, String(pipeline.files.processed ?? 0)),
        el('td', {}, String(pipeline.files.pending ?? 0)),
        el('td', {}, String(pipeline.files.quarantined ?? 0)),
      );
    }),
  );
  const running = status.service_status;
  $('#service').textContent = `service ${running} · ${status.total_files_processed} files processed · updated ${new Date().toLocaleTimeString()}`;

  const progress = status.pipelines.flatMap((pipeline) => pipeline.in_progress.map((file) => ({ pipeline: pipeline.name, ...file })));
  $('#in-progress').replaceChildren(
    ...(progress.length === 0
      ? [el('li', { class: 'empty' }, 'nothing is loading now')]
      : progress.map((file) =>
          el(
            'li',
            {},
            `${file.pipeline}: ${file.key} — ${file.rows_so_far == null ? 'started' : `${Number(file.rows_so_far).toLocaleString()} rows so far`}, ${ago(file.started_at)} (attempt ${file.attempt})`,
          ),
        )),
  );
}

function renderRuns(runs) {
  const ordered = [...runs].reverse();
  const x = ordered.map((run) => Math.floor(new Date(run.started_at).getTime() / 1000));
  const data = [
    x,
    ordered.map((run) => Number(run.rows_loaded ?? 0)),
    ordered.map((run) => run.files_processed),
    ordered.map((run) => run.files_failed),
    ordered.map((run) => Number(run.rows_rejected ?? 0)),
    // A mark at 0 on the files axis for each run that failed (discovery or processing stopped).
    ordered.map((run) => (run.status === 'failed' ? 0 : null)),
  ];
  const container = $('#runs-chart');
  const width = Math.max(320, container.clientWidth || 900);
  if (chart === null) {
    chart = new uPlot(
      {
        width,
        height: 260,
        series: [
          { label: 'run start' },
          { label: 'rows loaded', stroke: '#0b5cad', width: 2, scale: 'rows', points: { show: true } },
          { label: 'files processed', stroke: '#176f2c', width: 2, scale: 'files', points: { show: true } },
          { label: 'files quarantined', stroke: '#b3261e', width: 2, scale: 'files', points: { show: true } },
          { label: 'rows rejected', stroke: '#8a5200', width: 2, dash: [6, 4], scale: 'files', points: { show: true } },
          { label: 'run failed', stroke: '#b3261e', width: 0, scale: 'files', points: { show: true, size: 10, fill: '#b3261e' } },
        ],
        axes: [{}, { scale: 'rows', label: 'rows loaded' }, { scale: 'files', side: 1, label: 'files / rejected rows', grid: { show: false } }],
        scales: { x: { time: true } },
      },
      data,
      container,
    );
  } else {
    chart.setData(data);
  }
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
        el(
          'td',
          {},
          el(
            'a',
            {
              href: `#file-${file.id}`,
              onclick: (event) => {
                event.preventDefault();
                showFile(file.id);
              },
            },
            file.key,
          ),
        ),
        el('td', {}, file.pipeline),
        el('td', {}, file.error_step ?? '—'),
        el('td', {}, el('code', {}, file.error_code ?? '—')),
        el('td', { class: 'reason' }, file.error ?? ''),
        el('td', {}, String(file.attempts)),
        el('td', {}, el('button', { type: 'button', 'aria-label': `Retry ${file.key}`, onclick: () => retry([file]) }, 'Retry')),
      ),
    ),
  );
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
    message.textContent = `${files.length} file${files.length === 1 ? '' : 's'} put back in the queue.`;
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
    ['status', file.status],
    ['version', file.version],
    ['size', `${Number(file.size).toLocaleString()} bytes`],
    ['attempts', String(file.attempts)],
    ['discovered', file.discovered_at],
    ['started', file.started_at ?? '—'],
    ['finished', file.finished_at ?? '—'],
    ['duration', file.duration_ms == null ? '—' : `${file.duration_ms} ms`],
    ['rows', file.rows == null ? '—' : Number(file.rows).toLocaleString()],
    ['rows rejected', file.rows_rejected == null ? '—' : String(file.rows_rejected)],
    ['error', file.error ? `${file.error_code ?? ''} at ${file.error_step ?? '?'}: ${file.error}` : '—'],
  ];
  const versions = (detail.versions ?? []).map((version) =>
    el(
      'tr',
      {},
      el('td', {}, String(version.id)),
      el('td', {}, version.version),
      el('td', {}, version.status),
      el('td', {}, String(version.attempts)),
      el('td', {}, version.finished_at ?? '—'),
    ),
  );
  const checks = (detail.checks ?? []).map((check) =>
    el(
      'tr',
      {},
      el('td', {}, check.rule_id),
      el('td', {}, el('span', { class: `badge ${check.outcome === 'passed' ? 'ok' : check.outcome}` }, check.outcome)),
      el('td', {}, `${check.failing} of ${check.total}`),
      el('td', { class: 'reason' }, JSON.stringify(check.samples ?? [])),
    ),
  );
  $('#detail-body').replaceChildren(
    el('dl', {}, ...facts.flatMap(([name, value]) => [el('dt', {}, name), el('dd', {}, value)])),
    el('h3', {}, 'Versions'),
    versions.length === 0
      ? el('p', { class: 'empty' }, 'only this one')
      : el(
          'table',
          {},
          el('thead', {}, el('tr', {}, ...['id', 'version', 'status', 'attempts', 'finished'].map((h) => el('th', { scope: 'col' }, h)))),
          el('tbody', {}, versions),
        ),
    el('h3', {}, 'Checks'),
    checks.length === 0
      ? el('p', { class: 'empty' }, 'no checks ran on this file')
      : el(
          'table',
          {},
          el('thead', {}, el('tr', {}, ...['rule', 'outcome', 'failing', 'samples'].map((h) => el('th', { scope: 'col' }, h)))),
          el('tbody', {}, checks),
        ),
  );
  if (options.scroll) section.scrollIntoView({ block: 'nearest' });
}

let auth = null;

async function refresh() {
  try {
    auth ??= await (await fetch('/ui/auth', { headers: { accept: 'application/json' } })).json();
    if (auth.read_token_required && !token) {
      $('#service').textContent = 'this ferry needs a token to read: type FERRY_READ_TOKEN (or the admin token) in the token field';
      return;
    }
    const [status, runs, quarantined] = await Promise.all([getJson('/status'), getJson('/runs?limit=50'), getJson('/files?status=quarantined&limit=200')]);
    renderPipelines(status);
    renderRuns(runs.runs);
    renderQuarantine(quarantined.files);
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

function report(error) {
  $('#quarantine-message').textContent = error instanceof NeedsToken ? `${error.message}: type a token in the token field` : `Failed: ${error.message}`;
}

// A link to a file (an alert's `dashboard`: /ui#file-12) opens its detail.
const linked = /^#file-(\d+)$/.exec(location.hash);
if (linked) openFileId = Number(linked[1]);
window.addEventListener('resize', () => chart?.setSize({ width: Math.max(320, $('#runs-chart').clientWidth), height: 260 }));

refresh();
setInterval(refresh, REFRESH_MS);
