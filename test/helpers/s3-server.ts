/**
 * A real S3 endpoint for tests: s3rver in a child process (so that nothing in the test process
 * can block it), on a free port, with one bucket.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Operator } from 'opendal';
import { tempDir } from './fixtures.ts';

export interface S3Server {
  readonly endpoint: string;
  readonly bucket: string;
  /** Environment for ferry and OpenDAL to reach it. */
  readonly env: Record<string, string>;
  /** An OpenDAL operator on the bucket, for tests to put objects with. */
  operator(secretAccessKey?: string): Operator;
  stop(): Promise<void>;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** `directory`: where s3rver keeps the objects (a fresh temp folder unless given, e.g. to keep the bench's between runs). */
export async function startS3Server(bucket = 'ferry-test', options: { anySecret?: boolean; directory?: string } = {}): Promise<S3Server> {
  const directory = options.directory ?? tempDir('s3rver-');
  fs.mkdirSync(directory, { recursive: true });
  // s3rver encrypts listing continuation tokens with a cipher that OpenSSL 3 only has in its legacy provider.
  const child: ChildProcess = spawn(process.execPath, ['--openssl-legacy-provider', path.join(here, 's3rver-main.ts'), directory, bucket], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, S3RVER_ANY_SECRET: options.anySecret ? '1' : '0' },
  });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.on('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    env: { AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' },
    operator: (secretAccessKey = 'S3RVER') =>
      new Operator('s3', { bucket, endpoint, region: 'us-east-1', access_key_id: 'S3RVER', secret_access_key: secretAccessKey, root: '/' }),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    },
  };
}
