/**
 * An HTTP proxy that counts the requests and response bytes it passes on, to show how much of
 * an object a reader really fetched, or how many requests a listing made.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  readonly endpoint: string;
  readonly bytes: number;
  readonly requests: number;
  reset(): void;
  stop(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  let bytes = 0;
  let requests = 0;
  const server = http.createServer((request, response) => {
    requests++;
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: { ...request.headers, host: upstream.host } },
      (reply) => {
        response.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        reply.pipe(response);
      },
    );
    forward.on('error', () => response.destroy());
    request.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get bytes() {
      return bytes;
    },
    get requests() {
      return requests;
    },
    reset() {
      bytes = 0;
      requests = 0;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
