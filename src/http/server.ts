/**
 * The HTTP API: the demo's `/`, `/health` and `/status`, plus `/runs`, `/files` and `/metrics`,
 * the admin actions `POST /runs` and `POST /files/:id/retry` behind a bearer token, and
 * `POST /events` for object-created events. Every route reads or writes the ledger; none
 * keeps state of its own.
 */
import crypto from 'node:crypto';
import type { Socket } from 'node:net';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { fastifyTrustProxy, type ResolvedConfig } from '../config/index.ts';
import {
  type CertificateSource,
  fetchedCertificates,
  ignoredEventsWarner,
  isSnsMessage,
  isSnsUrl,
  parseEventBody,
  recordEvents,
  snsSignatureProblem,
} from '../discover/index.ts';
import { errorMessage } from '../errors/index.ts';
import { FILE_STATUSES, getFile, listCheckResults, listFiles, listRuns, otherVersionsOf, RUN_STATUSES, requeueFiles } from '../ledger/index.ts';
import { createMetrics, observeEvents, type ReaderMemory } from '../metrics/index.ts';
import type { Pool } from '../postgres/index.ts';
import { checkStoreAnswers } from '../runtime.ts';
import type { ObjectStore } from '../storage/index.ts';
import { parseDuration } from '../units/index.ts';
import { buildStatusReport } from './status-report.ts';
import { PAGE_POLICY_DIRECTIVES, registerUi, sendPage, wantsHtml } from './ui.ts';

export interface HttpAppOptions {
  readonly config: ResolvedConfig;
  readonly pool: Pool;
  readonly store: ObjectStore;
  readonly version: string;
  readonly log?: Logger;
  readonly nextRun?: (pipeline: string) => Date | null;
  /** Starts a run now; resolves when it has been started or refused. */
  readonly runNow?: (pipeline: string) => Promise<{ accepted: boolean; reason?: string }>;
  /** Called after files of these pipelines were requeued, so that they are processed soon. */
  readonly onRequeue?: (pipelines: readonly string[]) => void;
  readonly serviceStatus?: () => string;
  /** The reader processes, for their memory in /metrics. */
  readonly readers?: ReaderMemory;
  /** Called after object-created events recorded files of these pipelines, so that they are processed soon. */
  readonly onEvents?: (pipelines: readonly string[]) => void;
  /** Fetches an SNS subscription's SubscribeURL (already checked to be SNS's); by default an https GET. */
  readonly confirmSnsSubscription?: (url: string) => Promise<void>;
  /** Gets the certificate that signed an SNS message (its URL already checked to be SNS's); by default fetched over https and kept. */
  readonly snsCertificates?: CertificateSource;
}

/** SNS sends messages of up to 256 KB; S3's records are a few hundred bytes each. */
const EVENTS_BODY_LIMIT = 256 * 1024;
const SNS_CONFIRM_TIMEOUT_MS = 10_000;

/** Confirms an SNS subscription: one GET, no redirect followed (it could lead off SNS's hosts). */
async function fetchSubscribeUrl(url: string): Promise<void> {
  const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(SNS_CONFIRM_TIMEOUT_MS) });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`SNS answered ${response.status}`);
}

const HEALTH_TIMEOUT_MS = 3_000;

/** `since` as a duration back from now (`1d`) or a time (`2026-11-25T10:00:00Z`); `before` pages by id. */
const since = z
  .string()
  .transform((text, context) => {
    const ms = parseDuration(text);
    const at = ms !== null ? new Date(Date.now() - ms) : new Date(text);
    if (Number.isNaN(at.getTime())) {
      context.addIssue({ code: 'custom', message: 'a duration like 1d or 6h, or an ISO time' });
      return z.NEVER;
    }
    return at;
  })
  .optional();
const listQuery = z.strictObject({
  pipeline: z.string().min(1).max(100).optional(),
  since,
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const runsQuery = listQuery.extend({ status: z.enum(RUN_STATUSES).optional() });
/** `true` or `false`, as a query string spells a flag. */
const flag = z
  .enum(['true', 'false'])
  .transform((text) => text === 'true')
  .optional();
const filesQuery = listQuery.extend({
  status: z.enum(FILE_STATUSES).optional(),
  run: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  key: z.string().min(1).max(1024).optional(),
  rejected: flag,
  warned: flag,
});
const fileParams = z.strictObject({ id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });
const runBody = z.strictObject({ pipeline: z.string().min(1).max(100).optional() }).default({});

/**
 * The codes an error answer can carry, each for one kind of failure (the README lists them).
 * Fastify's own errors (a body too large, bad JSON, a content type it cannot parse, headers too
 * large) are given these codes by their status, never Fastify's `FST_ERR_…` names.
 */
export const HTTP_ERROR_CODES = [
  'invalid_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'headers_too_large',
  'internal',
  'unavailable',
] as const;
export type HttpErrorCode = (typeof HTTP_ERROR_CODES)[number];

/** Every 4xx and 5xx answer has one shape: `{ "error": { "code", "message", "field"? } }`. */
export interface ErrorBody {
  readonly error: { readonly code: HttpErrorCode; readonly message: string; readonly field?: string };
}

function errorBody(code: HttpErrorCode, message: string, field?: string): ErrorBody {
  return { error: field === undefined ? { code, message } : { code, message, field } };
}

/** The documented code for an error status (used for errors that come with another code). */
export function codeForStatus(status: number): HttpErrorCode {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limited';
    case 431:
      return 'headers_too_large';
    case 503:
      return 'unavailable';
    default:
      return status >= 500 ? 'internal' : 'invalid_request';
  }
}

/**
 * Errors Node's HTTP parser meets before Fastify sees a request (headers too large, a request
 * line that is not HTTP): answered on the socket in the same shape, then closed.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const message = status === 431 ? 'request headers too large (at most 16 KiB)' : status === 408 ? 'request timed out' : 'malformed HTTP request';
  const body = JSON.stringify(errorBody(status === 431 ? 'headers_too_large' : 'invalid_request', message));
  const reason = status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** A request that failed validation: the first problem, with the field it is in. */
function invalid(error: z.ZodError): ErrorBody {
  const issue = error.issues[0];
  const field = issue?.path.map(String).join('.') || undefined;
  return errorBody('invalid_request', `${field === undefined ? '' : `${field}: `}${issue?.message ?? 'invalid request'}`, field);
}

export function buildHttpApp(options: HttpAppOptions): FastifyInstance {
  const { config, pool, store } = options;
  const snsCertificates = options.snsCertificates ?? fetchedCertificates();
  // Fastify's own request logging stays off: one line per scrape of /metrics or /health is noise.
  // Limits: small bodies (the API takes a pipeline name at most), timeouts for slow clients.
  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
    routerOptions: { maxParamLength: 200 },
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 5_000,
    // Behind a reverse proxy, FERRY_TRUST_PROXY names the proxies, so that limits count the
    // client's address: the first one from the right that is not a trusted proxy.
    trustProxy: fastifyTrustProxy(config.trustProxy),
    clientErrorHandler: answerClientError,
    // Errors Fastify answers before routing (a path that is not valid percent-encoding): the same shape.
    frameworkErrors: (error, _request, reply) => {
      const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      const message =
        error.code === 'FST_ERR_BAD_URL' ? 'the path is not valid (a bad percent-encoding)' : status === 500 ? 'internal error' : errorMessage(error);
      void (reply as FastifyReply).status(status).send(errorBody(codeForStatus(status), message));
    },
  });
  // Security headers on every answer; the dashboard's policy allows only ferry's own assets.
  void app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: PAGE_POLICY_DIRECTIVES },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: false, // ferry speaks plain HTTP; a TLS proxy in front sets HSTS
  });
  // Failed authentications are limited per client address; a valid token is never limited.
  void app.register(rateLimit, {
    global: true,
    max: FAILED_AUTH_PER_MINUTE,
    timeWindow: 60_000,
    // SNS sends a delivery without credentials first and its Basic password only after a 401:
    // those first requests guess nothing, so they do not count against the sender's address.
    allowList: (request) => access(request, config).allowed || (isEventsRoute(request) && request.headers.authorization === undefined),
    errorResponseBuilder: (_request, context) =>
      Object.assign(new Error(`too many failed authentications from this address; try again in ${context.after}`), { statusCode: 429, code: 'rate_limited' }),
  });
  // Authentication after the rate limit (its check is a route's onRequest hook) and before any
  // body is parsed: a refused request costs nothing, and its failures are counted.
  app.addHook('preParsing', async (request, reply, payload) => {
    const verdict = access(request, config);
    if (verdict.allowed) return payload;
    return reply
      .status(verdict.status)
      .header('www-authenticate', isEventsRoute(request) ? 'Bearer, Basic realm="ferry events"' : 'Bearer')
      .send(errorBody(verdict.status === 403 ? 'forbidden' : 'unauthorized', verdict.message));
  });
  const log = options.log?.child({ component: 'http' });
  const warnEvents = ignoredEventsWarner(log, store.location);
  const metrics = createMetrics(pool, options.readers);

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) {
      log?.error({ err: error }, 'request failed');
      return reply.status(500).send(errorBody('internal', 'internal error'));
    }
    // Ferry's own codes (rate_limited) are kept; Fastify's (FST_ERR_…) become the documented one.
    const code = (HTTP_ERROR_CODES as readonly string[]).includes(error.code) ? (error.code as HttpErrorCode) : codeForStatus(status);
    return reply.status(status).send(errorBody(code, fastifyMessage(error)));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(errorBody('not_found', `no route ${request.method} ${request.url.split('?')[0]}`));
  });

  // The routes are registered after the plugins (helmet, rate-limit), so that the plugins'
  // hooks cover them.
  void app.register(async (api) => {
    // A browser gets the dashboard; curl and API clients get JSON.
    api.get('/', async (request, reply) => {
      if (wantsHtml(request)) return sendPage(reply);
      return {
        name: 'ferry',
        version: options.version,
        pipelines: config.pipelines.map((pipeline) => ({ name: pipeline.name, schedule: pipeline.schedule.text })),
        links: { dashboard: '/ui', health: '/health', status: '/status', runs: '/runs', files: '/files', metrics: '/metrics' },
      };
    });
    registerUi(api, { read: config.readToken !== null, admin: config.adminToken !== null });

    // Anyone may ask whether ferry is healthy and which part is not; why (a message that can
    // name the database's host and port, or the storage's folder) only with the read token.
    api.get('/health', async (request, reply) => {
      const [database, storage] = await Promise.all([
        withTimeout(pool.query('SELECT 1'), HEALTH_TIMEOUT_MS).then(
          () => null,
          (error: unknown) => `unreachable: ${errorMessage(error)}`,
        ),
        checkStoreAnswers(store, HEALTH_TIMEOUT_MS).then(
          () => null,
          (error: unknown) => errorMessage(error),
        ),
      ]);
      const ok = database === null && storage === null;
      const checks = { database: database === null ? 'ok' : 'failed', storage: storage === null ? 'ok' : 'failed' };
      const body: Record<string, unknown> = { status: ok ? 'ok' : 'degraded', checks };
      if (!ok && hasReadToken(request, config)) {
        body.details = { ...(database === null ? {} : { database }), ...(storage === null ? {} : { storage }) };
      }
      return reply.status(ok ? 200 : 503).send(body);
    });

    api.get('/status', async () =>
      buildStatusReport({ pool, pipelines: config.pipelines, nextRun: options.nextRun ?? null, serviceStatus: options.serviceStatus?.() ?? 'running' }),
    );

    api.get('/runs', async (request, reply) => {
      const query = runsQuery.safeParse(request.query);
      if (!query.success) return reply.status(400).send(invalid(query.error));
      return { runs: await listRuns(pool, query.data) };
    });

    api.get('/files', async (request, reply) => {
      const query = filesQuery.safeParse(request.query);
      if (!query.success) return reply.status(400).send(invalid(query.error));
      return { files: await listFiles(pool, query.data) };
    });

    api.get('/files/:id', async (request, reply) => {
      const params = fileParams.safeParse(request.params);
      if (!params.success) return reply.status(400).send(invalid(params.error));
      const file = await getFile(pool, params.data.id);
      if (file === null) return reply.status(404).send(errorBody('not_found', `no file version ${params.data.id}`));
      // The other versions of the same key, newest first: what happened to it before and after.
      const versions = await otherVersionsOf(pool, file);
      return { file, versions, checks: await listCheckResults(pool, params.data.id) };
    });

    api.get('/metrics', async (_request, reply) => {
      const { contentType, body } = await metrics.render();
      return reply.type(contentType).send(body);
    });

    // Admin actions (POST): refused unless FERRY_ADMIN_TOKEN is set and given (see access()).
    api.post('/files/:id/retry', async (request, reply) => {
      const params = fileParams.safeParse(request.params);
      if (!params.success) return reply.status(400).send(invalid(params.error));
      // By id only: a key that happens to be the same digits is another file.
      const [file] = await requeueFiles(pool, { ids: [params.data.id] });
      if (file === undefined) {
        const existing = await getFile(pool, params.data.id);
        if (existing === null) return reply.status(404).send(errorBody('not_found', `no file version ${params.data.id}`));
        return reply
          .status(409)
          .send(errorBody('conflict', `file version ${params.data.id} is ${existing.status}; only quarantined or waiting files can be retried`));
      }
      options.onRequeue?.([file.pipeline]);
      return { file };
    });

    // Object-created events (S3 records from MinIO's webhook or SNS, EventBridge events): the
    // objects are recorded as discovery records a listing page, and their pipelines run soon.
    // SNS posts its JSON as text/plain, which Fastify hands over as a string.
    api.post('/events', { bodyLimit: EVENTS_BODY_LIMIT }, async (request, reply) => {
      let body: unknown = request.body;
      if (typeof body === 'string') {
        try {
          body = JSON.parse(body);
        } catch {
          return reply.status(400).send(errorBody('invalid_request', 'the body is not valid JSON'));
        }
      }
      const parsed = parseEventBody(body);
      if (parsed.kind === 'unknown') return reply.status(400).send(errorBody('invalid_request', parsed.reason));
      if (parsed.kind === 'sns-confirmation') {
        // A forged confirmation must not make ferry fetch an address of the sender's choosing.
        if (!isSnsUrl(parsed.subscribeUrl))
          return reply
            .status(400)
            .send(errorBody('invalid_request', 'SubscribeURL is not an https URL on an SNS host (sns.<region>.amazonaws.com)', 'SubscribeURL'));
        if (parsed.signingCertUrl === null || !isSnsUrl(parsed.signingCertUrl))
          return reply.status(400).send(errorBody('invalid_request', 'SigningCertURL is not an https URL on an SNS host', 'SigningCertURL'));
      }
      // SNS signs every message it posts: one that does not verify was not sent by SNS.
      if (isSnsMessage(body)) {
        const signature = await snsSignatureProblem(body, snsCertificates);
        if (signature !== null) {
          log?.warn({ type: body.Type, problem: signature.problem }, "an SNS message was refused: its signature is not SNS's");
          return reply
            .status(signature.retry ? 503 : 400)
            .send(errorBody(signature.retry ? 'unavailable' : 'invalid_request', `SNS message refused: ${signature.problem}`, 'Signature'));
        }
      }
      if (parsed.kind === 'sns-confirmation') {
        try {
          await (options.confirmSnsSubscription ?? fetchSubscribeUrl)(parsed.subscribeUrl);
        } catch (error) {
          log?.warn({ err: error }, 'confirming the SNS subscription failed');
          return reply.status(503).send(errorBody('unavailable', `confirming the SNS subscription failed: ${errorMessage(error)}`));
        }
        log?.info('SNS subscription confirmed');
        return { confirmed: true };
      }
      const counts = await recordEvents(pool, store, config.pipelines, parsed.events);
      observeEvents('http', counts);
      warnEvents(counts);
      if (counts.pipelines.length > 0) options.onEvents?.(counts.pipelines);
      return { records: counts.records, recorded: counts.recorded, known: counts.known, ignored: counts.ignored, pipelines: counts.pipelines };
    });

    api.post('/runs', async (request, reply) => {
      const body = runBody.safeParse(request.body ?? {});
      if (!body.success) return reply.status(400).send(invalid(body.error));
      const name = body.data.pipeline;
      if (name !== undefined && !config.pipelines.some((pipeline) => pipeline.name === name))
        return reply.status(404).send(errorBody('not_found', `no pipeline named ${name}`, 'pipeline'));
      if (options.runNow === undefined) return reply.status(503).send(errorBody('unavailable', 'runs cannot be started by this process'));
      const runNow = options.runNow;
      if (name !== undefined) {
        const result = await runNow(name);
        return reply.status(result.accepted ? 202 : 409).send({ pipeline: name, ...result });
      }
      // No pipeline named: every pipeline, as `ferry run --once` does.
      const runs = await Promise.all(config.pipelines.map(async (pipeline) => ({ pipeline: pipeline.name, ...(await runNow(pipeline.name)) })));
      return reply.status(runs.some((run) => run.accepted) ? 202 : 409).send({ runs });
    });
  });

  return app;
}

/** Constant-time: a wrong token takes as long to refuse as a nearly right one. */
function isAuthorised(token: string | null, header: string | undefined): boolean {
  if (token === null || header === undefined) return false;
  const expected = crypto.createHash('sha256').update(`Bearer ${token}`).digest();
  const given = crypto.createHash('sha256').update(header).digest();
  return crypto.timingSafeEqual(expected, given);
}

/**
 * HTTP Basic with the token as the password (any user name): SNS subscriptions can send no
 * bearer token, only the user and password written in the endpoint's URL. Constant-time too.
 */
function basicPasswordIs(token: string | null, header: string | undefined): boolean {
  if (token === null || header === undefined || !/^Basic /i.test(header)) return false;
  const decoded = Buffer.from(header.slice('Basic '.length).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const password = colon === -1 ? '' : decoded.slice(colon + 1);
  const expected = crypto.createHash('sha256').update(token).digest();
  return crypto.timingSafeEqual(expected, crypto.createHash('sha256').update(password).digest());
}

const FAILED_AUTH_PER_MINUTE = 30;

/** What a route exposes, and so which token opens it. */
export type RouteAccess = 'open' | 'metrics' | 'read' | 'admin' | 'events';

/**
 * The access model. `open`: /health, and the dashboard's page and assets (they hold no data;
 * the page asks for a token when the API wants one). `metrics`: /metrics — its own token, the
 * read token or the admin token. `read`: every other GET — the read token or the admin token,
 * when a read token is set (else open). `admin`: every other POST — the admin token only, and off
 * while none is set. `events`: POST /events — the events token or the admin token, off while
 * neither is set (it writes the ledger, so it is never open).
 *
 * `route` is the route the router matched (`/files/:id`; undefined when none did), never the
 * path as the client spelled it: `/%6detrics` is routed to /metrics, so it is /metrics here too.
 */
export function routeAccess(method: string, route: string | undefined, acceptsHtml: boolean): RouteAccess {
  if (method === 'POST' && route === '/events') return 'events';
  if (method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE') return 'admin';
  if (route === '/health' || route === '/ui' || route?.startsWith('/ui/') || (route === '/' && acceptsHtml)) return 'open';
  if (route === '/metrics') return 'metrics';
  return 'read';
}

/** The route the router matched for a request; undefined for one that matched none (a 404). */
function matchedRoute(request: FastifyRequest): string | undefined {
  return request.is404 ? undefined : request.routeOptions.url;
}

function isEventsRoute(request: FastifyRequest): boolean {
  return request.method === 'POST' && matchedRoute(request) === '/events';
}

/** Whether a request carries the read or the admin token (which open the details of /health). */
function hasReadToken(request: FastifyRequest, config: ResolvedConfig): boolean {
  const header = request.headers.authorization;
  return isAuthorised(config.adminToken, header) || isAuthorised(config.readToken, header);
}

/** Fastify's messages for the errors a client causes, in ferry's words. */
function fastifyMessage(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'request body too large (at most 64 KiB)';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'the body is not valid JSON';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported content type: send application/json';
    default:
      return errorMessage(error);
  }
}

function access(request: FastifyRequest, config: ResolvedConfig): { allowed: true } | { allowed: false; status: 401 | 403; message: string } {
  const kind = routeAccess(request.method, matchedRoute(request), wantsHtml(request));
  const header = request.headers.authorization;
  const admin = isAuthorised(config.adminToken, header);
  switch (kind) {
    case 'open':
      return { allowed: true };
    case 'admin':
      if (config.adminToken === null) return { allowed: false, status: 403, message: 'admin endpoints are disabled: set FERRY_ADMIN_TOKEN' };
      return admin ? { allowed: true } : { allowed: false, status: 401, message: 'missing or wrong bearer token (this route needs FERRY_ADMIN_TOKEN)' };
    case 'events':
      if (config.adminToken === null && config.eventsToken === null)
        return { allowed: false, status: 403, message: 'the events endpoint is disabled: set FERRY_EVENTS_TOKEN (or FERRY_ADMIN_TOKEN)' };
      return admin || isAuthorised(config.eventsToken, header) || basicPasswordIs(config.eventsToken, header) || basicPasswordIs(config.adminToken, header)
        ? { allowed: true }
        : { allowed: false, status: 401, message: 'missing or wrong token (this route needs FERRY_EVENTS_TOKEN or FERRY_ADMIN_TOKEN)' };
    case 'metrics':
      if (config.metricsToken === null && config.readToken === null) return { allowed: true };
      return admin || isAuthorised(config.metricsToken, header) || isAuthorised(config.readToken, header)
        ? { allowed: true }
        : { allowed: false, status: 401, message: 'missing or wrong bearer token (FERRY_METRICS_TOKEN, FERRY_READ_TOKEN or FERRY_ADMIN_TOKEN)' };
    case 'read':
      if (config.readToken === null) return { allowed: true };
      return admin || isAuthorised(config.readToken, header)
        ? { allowed: true }
        : { allowed: false, status: 401, message: 'missing or wrong bearer token (FERRY_READ_TOKEN or FERRY_ADMIN_TOKEN)' };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000}s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
