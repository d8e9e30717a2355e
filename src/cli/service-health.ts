/**
 * A service's `/health`, asked by `ferry status` and `ferry health`: whether ferry answers at
 * an address, something else does (another program on the port: an HTML page, say), or
 * nothing does; and which addresses to ask for this project — those running services recorded
 * in its state folder, then the config's host and port.
 */
import type { ResolvedConfig } from '../config/index.ts';
import { recordedServices } from '../service-record.ts';
import { serviceUrl } from '../service-url.ts';

export type HealthAnswer =
  /** ferry answered: `healthy` is its 200 (503: a part failed); `body` its JSON. */
  | { readonly kind: 'ferry'; readonly url: string; readonly healthy: boolean; readonly body: Record<string, unknown> }
  /** Something answered that is not ferry's /health. */
  | { readonly kind: 'other'; readonly url: string; readonly status: number; readonly contentType: string }
  | { readonly kind: 'none'; readonly url: string; readonly error: string };

/** The addresses where this project's service may answer, the recorded ones first. */
export function serviceUrls(config: Pick<ResolvedConfig, 'dataDir' | 'http' | 'projectRoot'>): string[] {
  const recorded = config.projectRoot === null ? [] : recordedServices(config.dataDir).map((record) => record.url);
  return [...new Set([...recorded.reverse(), serviceUrl(config.http)])];
}

export async function askHealth(base: string, options: { timeoutMs: number; token?: string }): Promise<HealthAnswer> {
  const url = new URL('/health', base).href;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs), headers: options.token ? { authorization: `Bearer ${options.token}` } : {} });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause;
    return { kind: 'none', url, error: cause?.message ?? (error as Error).message };
  }
  const contentType = response.headers.get('content-type') ?? '';
  const text = await response.text();
  let body: unknown = null;
  if (contentType.includes('json')) {
    try {
      body = JSON.parse(text);
    } catch {}
  }
  // ferry's answer: JSON with a status and the checks of its parts.
  const isFerry =
    (response.status === 200 || response.status === 503) &&
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { status?: unknown }).status === 'string' &&
    typeof (body as { checks?: unknown }).checks === 'object';
  if (isFerry) return { kind: 'ferry', url, healthy: response.status === 200, body: body as Record<string, unknown> };
  return { kind: 'other', url, status: response.status, contentType: contentType.split(';')[0] || 'no content type' };
}
