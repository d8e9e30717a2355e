/**
 * The address where this machine reaches the service, from the host and port it listens on:
 * a wildcard host (`0.0.0.0`, `::`, empty) becomes the loopback address, and an IPv6 literal
 * is bracketed (`http://[::1]:8000`, never `http://:::8000`).
 */

const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '[::]']);

export function serviceUrl(http: { readonly host: string; readonly port: number | string }): string {
  const host = WILDCARD_HOSTS.has(http.host) ? '127.0.0.1' : http.host;
  const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${shown}:${http.port}`;
}
