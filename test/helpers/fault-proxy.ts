/**
 * A fault-injecting HTTP proxy for an S3 endpoint: refused connections (the port closed),
 * connection resets, 500/503/429 answers and slow answers, at a chosen rate. It also counts
 * what it injected, so that tests can say which faults a run went through.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export const FAULT_KINDS = ['reset', 'status-500', 'status-503', 'status-429', 'slow'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSettings {
  /** Share of requests that get a fault, 0 to 1. */
  readonly rate: number;
  readonly kinds: readonly FaultKind[];
  /** Delay of a slow answer. */
  readonly slowMs?: number;
}

export interface FaultProxy {
  readonly endpoint: string;
  readonly injected: Readonly<Record<FaultKind | 'refused' | 'passed', number>>;
  setFaults(settings: FaultSettings): void;
  /** Closes the port: every new connection is refused until `heal`. */
  refuseConnections(): Promise<void>;
  heal(): Promise<void>;
  stop(): Promise<void>;
}

const S3_ERROR = (code: string) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected fault</Message></Error>`;

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  let settings: FaultSettings = { rate: 0, kinds: [] };
  const injected = { reset: 0, 'status-500': 0, 'status-503': 0, 'status-429': 0, slow: 0, refused: 0, passed: 0 };
  const sockets = new Set<Socket>();

  const forward = (request: http.IncomingMessage, response: http.ServerResponse) => {
    const upstreamRequest = http.request(
      { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: { ...request.headers, host: upstream.host } },
      (reply) => {
        response.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(response);
      },
    );
    upstreamRequest.on('error', () => response.destroy());
    request.pipe(upstreamRequest);
  };

  const server = http.createServer((request, response) => {
    const kind = Math.random() < settings.rate ? settings.kinds[Math.floor(Math.random() * settings.kinds.length)] : undefined;
    if (kind === undefined) {
      injected.passed++;
      return forward(request, response);
    }
    injected[kind]++;
    switch (kind) {
      case 'reset':
        request.socket.destroy();
        return;
      case 'slow':
        setTimeout(() => forward(request, response), settings.slowMs ?? 500);
        return;
      default: {
        const status = Number(kind.slice('status-'.length));
        const code = status === 429 ? 'SlowDown' : status === 503 ? 'ServiceUnavailable' : 'InternalError';
        request.resume();
        response.writeHead(status, { 'content-type': 'application/xml', ...(status === 429 ? { 'retry-after': '0' } : {}) });
        response.end(S3_ERROR(code));
      }
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let listening = true;

  const close = async () => {
    if (!listening) return;
    listening = false;
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    injected,
    setFaults(next) {
      settings = next;
    },
    async refuseConnections() {
      await close();
      injected.refused++;
    },
    async heal() {
      settings = { rate: 0, kinds: [] };
      if (!listening) {
        await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
        listening = true;
      }
    },
    stop: close,
  };
}
