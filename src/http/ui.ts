/**
 * The dashboard: one HTML page, its script and style (in `ui/`, plain files, no build step) and
 * uPlot for the chart, all served by ferry itself — nothing from a CDN, so it works with no
 * internet. The page reads the same JSON API as everyone else.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const UI_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../ui');

let uplotDir: string | null = null;
function uplotFile(name: string): string {
  // uplot's entry is dist/uPlot.cjs.js: its other builds are beside it (resolved once).
  uplotDir ??= path.dirname(createRequire(import.meta.url).resolve('uplot'));
  return path.join(uplotDir, name);
}

const ASSETS: Readonly<Record<string, { readonly file: () => string; readonly type: string }>> = {
  'app.js': { file: () => path.join(UI_DIR, 'app.js'), type: 'text/javascript; charset=utf-8' },
  'app.css': { file: () => path.join(UI_DIR, 'app.css'), type: 'text/css; charset=utf-8' },
  'uplot.js': { file: () => uplotFile('uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uplot.css': { file: () => uplotFile('uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

/** Only ferry's own scripts, styles and API: no inline script, nothing from elsewhere (sent by helmet on every answer). */
export const PAGE_POLICY_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  objectSrc: ["'none'"],
};

const cache = new Map<string, Buffer>();
function read(file: string): Buffer {
  let content = cache.get(file);
  if (content === undefined) {
    content = fs.readFileSync(file);
    cache.set(file, content);
  }
  return content;
}

/** True when the request is a browser's (it accepts HTML); API clients and curl get JSON. */
export function wantsHtml(request: FastifyRequest): boolean {
  return /\btext\/html\b/.test(request.headers.accept ?? '');
}

export function sendPage(reply: FastifyReply): FastifyReply {
  return reply
    .header('cache-control', 'no-cache')
    .type('text/html; charset=utf-8')
    .send(read(path.join(UI_DIR, 'index.html')));
}

export function registerUi(app: FastifyInstance, tokens: { readonly read: boolean; readonly admin: boolean }): void {
  app.get('/ui', async (_request, reply) => sendPage(reply));
  // Which tokens the API wants, so that the page asks before it calls (an open route: no data).
  app.get('/ui/auth', async () => ({ read_token_required: tokens.read, admin_enabled: tokens.admin }));
  app.get<{ Params: { asset: string } }>('/ui/:asset', async (request, reply) => {
    const asset = ASSETS[request.params.asset];
    if (asset === undefined) return reply.status(404).send({ error: { code: 'not_found', message: `no asset ${request.params.asset}` } });
    return reply.header('cache-control', 'no-cache').type(asset.type).send(read(asset.file()));
  });
}
