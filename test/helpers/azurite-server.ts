/**
 * A real Azure Blob Storage endpoint for tests: Azurite's blob service in a child process (so
 * that nothing in the test process can block it), on a free port, in memory. Containers are made
 * and SAS tokens signed here with Shared Key signatures (a few lines of HMAC), not an Azure SDK.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Operator } from 'opendal';
import { tempDir } from './fixtures.ts';

/** Azurite's well-known development account. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const API_VERSION = '2021-08-06';

export interface AzuriteServer {
  /** `http://127.0.0.1:<port>`, without the account. */
  readonly origin: string;
  /** The blob service's URL for the account, as AZURE_STORAGE_ENDPOINT takes it. */
  readonly endpoint: string;
  /** Environment for ferry to reach it with the account key. */
  readonly env: Record<string, string>;
  createContainer(name: string): Promise<void>;
  /** An OpenDAL operator on a container, for tests to put blobs with. */
  operator(container: string): Operator;
  /** An account SAS token for the blob service (`permissions` as Azure writes them: `rl` = read, list). */
  accountSas(permissions: string): string;
  stop(): Promise<void>;
}

const sign = (text: string): string => crypto.createHmac('sha256', Buffer.from(AZURITE_KEY, 'base64')).update(text, 'utf8').digest('base64');

export async function startAzurite(): Promise<AzuriteServer> {
  const main = path.join(path.dirname(createRequire(import.meta.url).resolve('azurite/package.json')), 'dist', 'src', 'blob', 'main.js');
  // In memory, on a free port; --disableTelemetry: Azurite reports usage to Microsoft unless told not to.
  const workspace = tempDir('azurite-');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      main,
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--inMemoryPersistence',
      '--extentMemoryLimit',
      '512',
      '--skipApiVersionCheck',
      '--loose',
      '--silent',
      '--disableTelemetry',
    ],
    { cwd: workspace, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listens on http:\/\/[^:]+:(\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.on('exit', (code) => reject(new Error(`azurite exited with ${code}: ${output}`)));
  });
  const origin = `http://127.0.0.1:${port}`;
  const endpoint = `${origin}/${AZURITE_ACCOUNT}`;
  return {
    origin,
    endpoint,
    env: { AZURE_STORAGE_ACCOUNT_NAME: AZURITE_ACCOUNT, AZURE_STORAGE_ACCOUNT_KEY: AZURITE_KEY, AZURE_STORAGE_ENDPOINT: endpoint },
    async createContainer(name) {
      const date = new Date().toUTCString();
      // Shared Key: the verb, eleven empty standard headers, the x-ms- headers, then the resource
      // (the account twice: once for the signature's own form, once from the path-style URL).
      const stringToSign = [
        'PUT',
        ...Array(11).fill(''),
        `x-ms-date:${date}\nx-ms-version:${API_VERSION}\n/${AZURITE_ACCOUNT}/${AZURITE_ACCOUNT}/${name}\nrestype:container`,
      ].join('\n');
      const response = await fetch(`${endpoint}/${name}?restype=container`, {
        method: 'PUT',
        headers: { 'x-ms-date': date, 'x-ms-version': API_VERSION, authorization: `SharedKey ${AZURITE_ACCOUNT}:${sign(stringToSign)}` },
      });
      if (response.status !== 201) throw new Error(`creating container ${name}: HTTP ${response.status} ${await response.text()}`);
    },
    operator: (container) => new Operator('azblob', { container, endpoint, account_name: AZURITE_ACCOUNT, account_key: AZURITE_KEY, root: '/' }),
    accountSas(permissions) {
      const version = '2019-12-12';
      const expiry = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
      // Blob service, container and object resources, HTTP allowed (Azurite has no TLS here).
      const fields = { sp: permissions, ss: 'b', srt: 'co', se: expiry, spr: 'https,http', sv: version };
      const stringToSign = [AZURITE_ACCOUNT, fields.sp, fields.ss, fields.srt, '', fields.se, '', fields.spr, fields.sv, ''].join('\n');
      return new URLSearchParams({ ...fields, sig: sign(stringToSign) }).toString();
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
      fs.rmSync(workspace, { recursive: true, force: true });
    },
  };
}
