import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, resolveConfig } from '../../src/config/index.ts';
import { FerryError } from '../../src/errors/index.ts';
import { describeStorage } from '../../src/storage/index.ts';

const cwd = '/srv/app';
const resolve = (raw: unknown, env: NodeJS.ProcessEnv = {}, flags = {}) => resolveConfig(raw, { cwd, env, flags, configFile: null });

function assertConfigError(fn: () => unknown, field: string | RegExp) {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof FerryError);
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.match(error.message, typeof field === 'string' ? new RegExp(field.replace(/[.[\]]/g, '\\$&')) : field);
    return true;
  });
}

describe('config', () => {
  it('defaults to the demo: local inbox, one row-count pipeline every 5 minutes over the last 24 h', () => {
    const config = resolve({});
    assert.deepEqual(config.storage, { kind: 'fs', root: '/srv/app/data/inbox' });
    assert.equal(config.storageIsDefault, true);
    assert.deepEqual(config.http, { host: '127.0.0.1', port: 8000 });
    assert.equal(config.databaseUrl, null);
    assert.equal(config.dataDir, '/srv/app/.ferry');
    assert.equal(config.pipelines.length, 1);
    const [pipeline] = config.pipelines;
    assert.equal(pipeline?.name, 'default');
    assert.deepEqual(pipeline?.sink, { kind: 'row-count' });
    assert.deepEqual(pipeline?.source, {
      prefix: '',
      glob: '**/*.parquet',
      modifiedWithinMs: 86_400_000,
      format: null,
      compression: null,
      csv: {},
      inferSchemaLength: 10_000,
      schema: {},
      lenient: [],
      listFrom: 'start',
      includeHidden: false,
      events: null,
      reconcileMs: null,
    });
    assert.deepEqual(pipeline?.transform, { kind: 'none' });
    assert.deepEqual(pipeline?.schedule, { kind: 'every', everyMs: 300_000, text: 'every 5m' });
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.pipelines[0]));
  });

  it('layers environment over the file and flags over the environment', () => {
    const raw = { storage: './files', http: { port: 9000 }, pipelines: { sales: { schedule: { every: '1h' }, source: { modifiedWithin: '7d' } } } };
    const config = resolve(
      raw,
      {
        FERRY_STORAGE: 's3://bucket/in/',
        PORT: '9100',
        HOST: '0.0.0.0',
        FERRY_SCHEDULE: '0 3 * * *',
        FERRY_TIMEZONE: 'Europe/Berlin',
        FERRY_WINDOW: '2h',
        DATABASE_URL: 'postgres://u:p@db/x',
      },
      { port: '9200' },
    );
    assert.deepEqual(config.storage, { kind: 's3', bucket: 'bucket', prefix: 'in/' });
    assert.deepEqual(config.http, { host: '0.0.0.0', port: 9200 });
    assert.equal(config.databaseUrl, 'postgres://u:p@db/x');
    assert.equal(config.pipelines[0]?.source.modifiedWithinMs, 7_200_000);
    assert.deepEqual(config.pipelines[0]?.schedule, {
      kind: 'cron',
      expression: '0 3 * * *',
      timezone: 'Europe/Berlin',
      text: 'cron 0 3 * * * (Europe/Berlin)',
    });
  });

  it('reads storage as a folder, a file URL, an S3 or Azure Blob Storage URL, or OpenDAL options', () => {
    assert.deepEqual(resolve({ storage: '/data/in' }).storage, { kind: 'fs', root: '/data/in' });
    assert.deepEqual(resolve({ storage: 'file:///data/in' }).storage, { kind: 'fs', root: '/data/in' });
    assert.deepEqual(resolve({ storage: 's3://b' }).storage, { kind: 's3', bucket: 'b', prefix: '' });
    assert.deepEqual(resolve({ storage: 's3://b/x/y' }).storage, { kind: 's3', bucket: 'b', prefix: 'x/y/' });
    assert.deepEqual(resolve({ storage: 'azblob://box' }).storage, { kind: 'azblob', container: 'box', prefix: '' });
    assert.deepEqual(resolve({ storage: 'azblob://box-2/x/y/' }).storage, { kind: 'azblob', container: 'box-2', prefix: 'x/y/' });
    assert.deepEqual(resolve({ storage: { scheme: 'azblob', options: { container: 'box', root: '/in' } } }).storage, {
      kind: 'azblob',
      container: 'box',
      prefix: 'in/',
    });
    assert.equal(describeStorage(resolve({ storage: 'azblob://box/in' }).storage), 'azblob://box/in/');
    assert.deepEqual(resolve({ storage: { scheme: 'memory', options: {} } }).storage, { kind: 'opendal', scheme: 'memory', options: {} });
    assert.equal(resolve({ storage: '/x' }).storageIsDefault, false);
  });

  it('reads a table sink with its transform, format and CSV options', () => {
    const transform = (frame: never) => frame;
    const [pipeline] = resolve({
      pipelines: { sales: { source: { format: 'csv', csv: { delimiter: ';', nullValues: ['NA'] } }, transform, sink: { table: 'sales', schema: 'raw' } } },
    }).pipelines;
    assert.deepEqual(pipeline?.sink, {
      kind: 'table',
      table: 'sales',
      schema: 'raw',
      mode: 'append',
      key: [],
      lineage: false,
      schemaDrift: 'evolve',
      rejects: 'sales_rejects',
    });
    // Source settings belong to the source, the transform to the transform: never to the sink.
    assert.equal(pipeline?.source.format, 'csv');
    assert.deepEqual(pipeline?.source.csv, { delimiter: ';', nullValues: ['NA'] });
    assert.deepEqual(pipeline?.transform, { kind: 'function', fn: transform });
    const typed = resolve({
      pipelines: { p: { source: { inferSchemaLength: null, schema: { zip: 'text', amount: 'double precision' } }, sink: { table: 't' } } },
    });
    assert.equal(typed.pipelines[0]?.source.inferSchemaLength, null);
    assert.deepEqual(typed.pipelines[0]?.source.schema, { zip: 'text', amount: 'double precision' });
    assertConfigError(
      () => resolve({ pipelines: { p: { source: { schema: { zip: 'postcode' } } } } }),
      /pipelines\.p\.source\.schema\.zip: "postcode" is not a type ferry reads; use one of .*bigint/,
    );
    assertConfigError(() => resolve({ pipelines: { p: { source: { inferSchemaLength: 0 } } } }), 'pipelines.p.source.inferSchemaLength');
    assertConfigError(() => resolve({ pipelines: { p: { transform, sql: 'SELECT 1', sink: { table: 't' } } } }), 'pipelines.p.sql');
    assertConfigError(() => resolve({ pipelines: { p: { transform } } }), /pipelines\.p\.sink: a transform or sql needs a table sink/);
    assertConfigError(() => resolve({ pipelines: { p: { transform: 'lf => lf', sink: { table: 't' } } } }), 'pipelines.p.transform');
    assertConfigError(() => resolve({ pipelines: { p: { sink: { table: 't', mode: 'upsert' } } } }), 'pipelines.p.sink');
    assertConfigError(() => resolve({ pipelines: { p: { source: { format: 'xlsx' } } } }), 'pipelines.p.source.format');
  });

  it('reads the modes: merge needs a key, replace keeps lineage on', () => {
    const sinkOf = (sink: object) => resolve({ pipelines: { p: { sink: sink as never } } }).pipelines[0]?.sink;
    assert.deepEqual(((s) => (s?.kind === 'table' ? [s.mode, s.key, s.lineage] : null))(sinkOf({ table: 't', mode: 'merge', key: ['id'] })), [
      'merge',
      ['id'],
      false,
    ]);
    assert.deepEqual(((s) => (s?.kind === 'table' ? [s.mode, s.lineage] : null))(sinkOf({ table: 't', mode: 'replace' })), ['replace', true]);
    assertConfigError(() => sinkOf({ table: 't', mode: 'merge' }), /pipelines\.p\.sink\.key: merge mode needs/);
    assertConfigError(() => sinkOf({ table: 't', key: ['id'] }), /pipelines\.p\.sink\.key: only merge mode/);
    assertConfigError(() => sinkOf({ table: 't', mode: 'merge', key: ['id', 'id'] }), 'pipelines.p.sink.key');
    assertConfigError(() => sinkOf({ table: 't', mode: 'replace', lineage: false }), 'pipelines.p.sink.lineage');
    assertConfigError(() => sinkOf({ table: 't', schemaDrift: 'loose' }), 'pipelines.p.sink');
    assertConfigError(() => resolve({ limits: { maxDecompressedSize: 'lots' } }), 'limits.maxDecompressedSize');
  });

  it('a table pipeline has no time window unless given one; the row count keeps 24 h', () => {
    const config = resolve({ pipelines: { t: { sink: { table: 't' } }, c: {} } });
    assert.equal(config.pipelines.find((p) => p.name === 't')?.source.modifiedWithinMs, null);
    assert.equal(config.pipelines.find((p) => p.name === 'c')?.source.modifiedWithinMs, 86_400_000);
  });

  it('allows no time window with modifiedWithin: null', () => {
    assert.equal(resolve({ pipelines: { all: { source: { modifiedWithin: null } } } }).pipelines[0]?.source.modifiedWithinMs, null);
  });

  it('names the field of every bad value', () => {
    assertConfigError(() => resolve({ pipelines: { p: { schedule: 'every tuesday' } } }), 'pipelines.p.schedule');
    assertConfigError(() => resolve({ pipelines: { p: { schedule: { every: 'soon' } } } }), 'pipelines.p.schedule.every');
    assertConfigError(
      () => resolve({ pipelines: { p: { schedule: { cron: '0 * * * *', timezone: 'Mars/Base' } } } }),
      /pipelines\.p\.schedule\.cron: unknown time zone/,
    );
    assertConfigError(() => resolve({ pipelines: { p: { source: { modifiedWithin: 'yesterday' } } } }), 'pipelines.p.source.modifiedWithin');
    assertConfigError(() => resolve({ pipelines: { p: { sink: 'nowhere' } } }), 'pipelines.p.sink');
    assertConfigError(() => resolve({ storage: 'ftp://host/x' }), /storage: unsupported storage URL/);
    assertConfigError(() => resolve({ storage: 's3://' }), /storage: .*no bucket/);
    assertConfigError(() => resolve({ storage: 'azblob:///x' }), /storage: .*no container/);
    assertConfigError(() => resolve({ storage: 'azblob://My_Box/x' }), /storage: .*"My_Box" is not a valid container name/);
    assertConfigError(() => resolve({ storage: { scheme: 'azblob', options: { root: 'x' } } }), /scheme azblob needs options\.container/);
    assertConfigError(
      () => resolve({ storage: { scheme: 'azblob', options: { container: 'box', account_key: 'k' } } }),
      /storage: scheme azblob takes only container and root in options, not account_key \(endpoint and credentials come from AZURE_STORAGE_\*\)/,
    );
    assertConfigError(
      () => resolve({ storage: { scheme: 's3', options: { bucket: 'b', endpoint: 'http://x' } } }),
      /scheme s3 takes only bucket and root in options, not endpoint/,
    );
    assertConfigError(() => resolve({ http: { port: 'eighty' } }), 'http.port');
    assertConfigError(() => resolve({ concurency: 2 }), /concurency/);
    assertConfigError(() => resolve({}, { FERRY_SCHEDULE: 'whenever' }), 'FERRY_SCHEDULE');
    assertConfigError(() => resolve({}, { FERRY_WINDOW: 'a while' }), 'FERRY_WINDOW');
    assertConfigError(() => resolve({}, { FERRY_TIMEZONE: 'Nowhere/City', FERRY_SCHEDULE: '0 * * * *' }), /FERRY_SCHEDULE: unknown time zone/);
    assertConfigError(() => resolve({}, { PORT: '99999' }), 'PORT');
    assertConfigError(() => resolve({}, { DATABASE_URL: 'mysql://x' }), 'DATABASE_URL');
    assertConfigError(() => resolve({ pipelines: {} }), /pipelines: declares no pipeline/);
    assertConfigError(() => resolve({ pipelines: { p: { source: { prefix: '../etc' } } } }), 'pipelines.p.source.prefix');
  });

  it('names the AZURE_STORAGE_* variable that is wrong for an azblob storage, at start, without its secret', () => {
    const storage = 'azblob://box/in';
    const key = Buffer.from('a key of some account').toString('base64');
    const azureError = (env: NodeJS.ProcessEnv, expected: RegExp, secret?: string) =>
      assert.throws(
        () => resolve({ storage }, env),
        (error: unknown) => {
          assert.ok(error instanceof FerryError);
          assert.equal(error.code, 'CONFIG_INVALID');
          assert.match(error.message, expected);
          if (secret !== undefined) assert.ok(!error.message.includes(secret), error.message);
          return true;
        },
      );
    // A key without the account it signs for (an endpoint alone names none).
    azureError(
      { AZURE_STORAGE_ACCOUNT_KEY: key, AZURE_STORAGE_ENDPOINT: 'http://127.0.0.1:10000/devstoreaccount1' },
      /^invalid config: AZURE_STORAGE_ACCOUNT_NAME: is not set: AZURE_STORAGE_ACCOUNT_KEY signs requests for a named account; set AZURE_STORAGE_ACCOUNT_NAME to the storage account's name$/,
      key,
    );
    // A connection string that is not one: what is missing, by the parts' names.
    azureError(
      { AZURE_STORAGE_CONNECTION_STRING: 'garbage' },
      /^invalid config: AZURE_STORAGE_CONNECTION_STRING: could not be read: it has no AccountName or BlobEndpoint, and no AccountKey or SharedAccessSignature \(expected AccountName=…;AccountKey=…, or BlobEndpoint=…;SharedAccessSignature=…/,
      'garbage',
    );
    azureError(
      { AZURE_STORAGE_CONNECTION_STRING: `AccountKey=${key};EndpointSuffix=core.windows.net` },
      /AZURE_STORAGE_CONNECTION_STRING: could not be read: it has no AccountName or BlobEndpoint/,
      key,
    );
    azureError({ AZURE_STORAGE_CONNECTION_STRING: `BlobEndpoint=https://x.example;AccountKey=${key}` }, /it has an AccountKey but no AccountName/, key);
    // An account key that is not base64, from the variable or the connection string.
    azureError(
      { AZURE_STORAGE_ACCOUNT_NAME: 'acct', AZURE_STORAGE_ACCOUNT_KEY: 'not base64!!' },
      /^invalid config: AZURE_STORAGE_ACCOUNT_KEY: is not base64: an account key is the 88-character text of the portal's Access keys page/,
      'not base64!!',
    );
    azureError(
      { AZURE_STORAGE_CONNECTION_STRING: 'AccountName=acct;AccountKey=not base64!!' },
      /^invalid config: AZURE_STORAGE_CONNECTION_STRING: its AccountKey is not base64/,
      'not base64!!',
    );
    // An endpoint that is not an http(s) URL.
    for (const endpoint of ['not-a-url', 'ftp://host/acct', '127.0.0.1:10000/devstoreaccount1']) {
      azureError(
        { AZURE_STORAGE_ACCOUNT_NAME: 'acct', AZURE_STORAGE_ACCOUNT_KEY: key, AZURE_STORAGE_ENDPOINT: endpoint },
        /^invalid config: AZURE_STORAGE_ENDPOINT: must be an http\(s\) URL: the blob service of the account, e\.g\. https:\/\/myaccount\.blob\.core\.windows\.net, or http:\/\/127\.0\.0\.1:10000\/devstoreaccount1 for Azurite$/,
      );
    }
    // Good settings pass; so does a key with a SAS token (the token is what is used), and
    // other storages do not read the variables at all.
    for (const env of [
      { AZURE_STORAGE_ACCOUNT_NAME: 'acct', AZURE_STORAGE_ACCOUNT_KEY: key },
      { AZURE_STORAGE_ACCOUNT_NAME: 'acct', AZURE_STORAGE_SAS_TOKEN: 'sv=1&sig=x' },
      { AZURE_STORAGE_CONNECTION_STRING: `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${key};EndpointSuffix=core.windows.net` },
      { AZURE_STORAGE_CONNECTION_STRING: 'BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=sv=1&sig=x' },
      { AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' },
      { AZURE_STORAGE_CONNECTION_STRING: 'AccountName=acct;SharedAccessSignature=sv=1&sig=c2lnbmF0dXJl' },
      { AZURE_STORAGE_ACCOUNT_KEY: key, AZURE_STORAGE_SAS_TOKEN: 'sv=1&sig=x', AZURE_STORAGE_ENDPOINT: 'https://acct.blob.core.windows.net' },
      {},
    ]) {
      assert.equal(resolve({ storage }, env).storage.kind, 'azblob', JSON.stringify(env));
    }
    assert.equal(resolve({ storage: 's3://b/in' }, { AZURE_STORAGE_ENDPOINT: 'not-a-url', AZURE_STORAGE_ACCOUNT_KEY: 'x!' }).storage.kind, 's3');
  });

  it('reads object-created events: by HTTP or a queue, reconciled daily unless told otherwise; only on S3', () => {
    const s3 = { storage: 's3://bucket/in' };
    const source = (raw: unknown) => resolve({ ...s3, pipelines: { p: { source: raw } } }).pipelines[0]?.source;
    assert.deepEqual(source({ events: 'http' }), { ...source({}), events: { kind: 'http' }, reconcileMs: 86_400_000 });
    const queueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/ferry';
    assert.deepEqual(source({ events: { sqs: queueUrl }, reconcile: '6h' })?.events, { kind: 'sqs', queueUrl });
    assert.equal(source({ events: { sqs: queueUrl }, reconcile: '6h' })?.reconcileMs, 21_600_000);
    assert.equal(source({ events: 'http', reconcile: null })?.reconcileMs, null);
    assertConfigError(
      () => resolve({ ...s3, pipelines: { p: { source: { events: { sqs: 'my-queue' } } } } }),
      /pipelines\.p\.source\.events\.sqs: must be the queue URL/,
    );
    assertConfigError(
      () => resolve({ ...s3, pipelines: { p: { source: { events: 'webhook' } } } }),
      /pipelines\.p\.source\.events: must be 'http' \(events posted to POST \/events\) or \{ sqs: queueUrl \}.*\(given "webhook"\)/,
    );
    assertConfigError(
      () => resolve({ ...s3, pipelines: { p: { source: { events: 'http', reconcile: '0s' } } } }),
      /source\.reconcile: "0s" must be more than zero/,
    );
    assertConfigError(
      () => resolve({ ...s3, pipelines: { p: { source: { events: { sqs: 'https://key:secret@sqs.eu-west-1.amazonaws.com/1/q' } } } } }),
      /events\.sqs: must not hold a user or password/,
    );
    assertConfigError(() => resolve({ ...s3, pipelines: { p: { source: { events: 'http', reconcile: 'weekly' } } } }), 'pipelines.p.source.reconcile');
    assertConfigError(
      () => resolve({ ...s3, pipelines: { p: { source: { reconcile: '1d' } } } }),
      /pipelines\.p\.source\.reconcile: applies only with source\.events/,
    );
    assertConfigError(() => resolve({ pipelines: { p: { source: { events: 'http' } } } }), /pipelines\.p\.source\.events: needs an s3:\/\/ storage/);
  });

  it('loads ferry.config.ts, which imports defineConfig from the package itself', async () => {
    fs.mkdirSync(path.join(process.cwd(), '.ferry-test'), { recursive: true });
    const dir = fs.mkdtempSync(path.join(process.cwd(), '.ferry-test', 'config-'));
    try {
      fs.writeFileSync(
        path.join(dir, 'ferry.config.ts'),
        "import { defineConfig, pl } from 'ferry';\nif (typeof pl.col !== 'function') throw new Error('pl missing');\nexport default defineConfig({ storage: './in', pipelines: { hourly: { schedule: { cron: '0 * * * *' } } } });\n",
      );
      const config = await loadConfig({ cwd: dir, env: {} });
      assert.equal(config.configFile, path.join(dir, 'ferry.config.ts'));
      assert.deepEqual(config.storage, { kind: 'fs', root: path.join(dir, 'in') });
      assert.equal(config.pipelines[0]?.name, 'hourly');

      fs.writeFileSync(path.join(dir, 'ferry.config.ts'), "export default { pipelines: { p: { schedule: 'nope' } } };\n");
      await assert.rejects(loadConfig({ cwd: dir, env: {}, flags: {} }), /ferry\.config\.ts: pipelines\.p\.schedule/);
      await assert.rejects(loadConfig({ cwd: dir, env: { FERRY_CONFIG: 'missing.ts' } }), /missing\.ts does not exist \(from FERRY_CONFIG\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads checks, and names the field of a bad rule at start', () => {
    const [pipeline] = resolve({
      pipelines: {
        p: {
          sink: { table: 't' },
          checks: [
            { rule: 'range', column: 'amount', min: 0, action: 'reject', errorIf: '1%' },
            { rule: 'unique', columns: ['id'] },
          ],
        },
      },
    }).pipelines;
    assert.deepEqual(
      pipeline?.checks.map((c) => [c.id, c.kind, c.action, c.errorIf, c.warnIf]),
      [
        ['range(amount)', 'row', 'reject', { fraction: 0.01 }, { count: 0 }],
        ['unique(id)', 'file', 'quarantine', { count: 0 }, { count: 0 }],
      ],
    );
    const bad = (check: object) => () => resolve({ pipelines: { p: { sink: { table: 't' }, checks: [check] } } });
    assertConfigError(bad({ rule: 'regex', column: 'e', pattern: '([' }), /pipelines\.p\.checks\[0\]\.pattern: is not a regular expression/);
    assertConfigError(bad({ rule: 'unique', columns: ['id'], action: 'reject' }), /pipelines\.p\.checks\[0\]\.action: unique judges the whole file/);
    assertConfigError(bad({ rule: 'range', column: 'a', min: 5, max: 1 }), /pipelines\.p\.checks\[0\]\.min: min 5 is above max 1/);
    assertConfigError(
      bad({ rule: 'range', column: 'a', min: 0, errorIf: 'lots' }),
      /pipelines\.p\.checks\[0\]\.errorIf: "lots" is not a count or a percentage/,
    );
    assertConfigError(bad({ rule: 'freshness', column: 'at', within: 'soon' }), /pipelines\.p\.checks\[0\]\.within/);
    assertConfigError(
      bad({ rule: 'cast', action: 'reject' }),
      /pipelines\.p\.checks\[0\]\.rule: a cast rule judges values against source\.schema, and the pipeline has none/,
    );
    assertConfigError(
      () => resolve({ pipelines: { p: { source: { schema: { amount: 'bigint' } }, sink: { table: 't' }, checks: [{ rule: 'cast', columns: ['price'] }] } } }),
      /pipelines\.p\.checks\[0\]\.columns: "price" has no type in source\.schema \(it has amount\)/,
    );
    const [casting] = resolve({
      pipelines: { p: { source: { schema: { amount: 'bigint', day: 'date' } }, sink: { table: 't' }, checks: [{ rule: 'cast', action: 'reject' }] } },
    }).pipelines;
    assert.deepEqual([casting?.checks[0]?.id, casting?.checks[0]?.columns, casting?.source.lenient], ['cast', ['amount', 'day'], ['amount', 'day']]);
    assertConfigError(bad({ rule: 'sometimes', column: 'a' }), /pipelines\.p\.checks\.0\.rule/);
    assertConfigError(
      () => resolve({ pipelines: { p: { checks: [{ rule: 'range', column: 'a', min: 0, action: 'reject' }] } } }),
      /pipelines\.p\.checks\[0\]\.action: the row-count sink loads no rows to set aside/,
    );
    assertConfigError(
      () =>
        resolve({
          pipelines: {
            p: {
              sink: { table: 't' },
              checks: [
                { rule: 'rowCount', min: 1 },
                { rule: 'rowCount', max: 5 },
              ],
            },
          },
        }),
      /checks\[1\]\.name: rules 0 and 1 both have the id "rowCount"/,
    );
  });
});
