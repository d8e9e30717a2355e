/**
 * `FERRY_TRUST_PROXY`: which reverse proxies in front of ferry may say who the client is (in
 * `X-Forwarded-For`). The client address — the one the rate limit counts — is then the first
 * address from the right of the chain (the socket's peer, then `X-Forwarded-For` read right to
 * left) that is not a trusted proxy. Every proxy appends the address it was called from on the
 * right, so the entries left of the last untrusted one are whatever the client wrote.
 *
 * Two ways to name the proxies, as Fastify's `trustProxy` takes them:
 * - their addresses or CIDRs (`127.0.0.1`, `10.0.0.0/8,fd00::/8`, or the ranges `loopback`,
 *   `linklocal`, `uniquelocal`): the safe choice wherever ferry can be reached;
 * - a hop count (`1`: one proxy in front): every peer is trusted for that many hops, so only
 *   while ferry listens on loopback, where only local processes (the proxy) can connect.
 *
 * `true` (trust every address) is refused: the client would choose its own address.
 */
import net from 'node:net';

export type TrustProxy =
  | { readonly kind: 'none' }
  | { readonly kind: 'hops'; readonly hops: number }
  | { readonly kind: 'addresses'; readonly addresses: readonly string[] };

/** Names of address ranges that Fastify's proxy-addr knows. */
const NAMED_RANGES = ['loopback', 'linklocal', 'uniquelocal'] as const;

const ALLOWED =
  "the proxies' addresses or CIDRs (e.g. 127.0.0.1 or 10.0.0.0/8,fd00::/8; or loopback, linklocal, uniquelocal), or the number of proxies in front (e.g. 1)";

/** Parses the variable's text; a problem is the reason it is refused. */
export function parseTrustProxy(text: string | undefined, host: string): TrustProxy | { readonly problem: string } {
  const value = text?.trim() ?? '';
  if (value === '' || /^(false|no|0)$/i.test(value)) return { kind: 'none' };
  if (/^(true|yes)$/i.test(value)) {
    return {
      problem: `"${value}" would trust every address in X-Forwarded-For, so any client could pick the address the rate limit counts; give ${ALLOWED}`,
    };
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > 32) return { problem: `"${value}" proxies in front is not plausible; give ${ALLOWED}` };
    if (!isLoopbackHost(host)) {
      return {
        problem: `a hop count trusts whoever connects, and HOST=${host} lets clients connect without the proxy; give the proxies' addresses or CIDRs instead (e.g. 10.0.0.0/8)`,
      };
    }
    return { kind: 'hops', hops };
  }
  const addresses = value.split(',').map((part) => part.trim());
  const wrong = addresses.filter((address) => !isAddressOrRange(address));
  if (wrong.length > 0) return { problem: `${wrong.map((address) => `"${address}"`).join(', ')} is not an address or CIDR; give ${ALLOWED}` };
  return { kind: 'addresses', addresses };
}

function isAddressOrRange(text: string): boolean {
  if ((NAMED_RANGES as readonly string[]).includes(text)) return true;
  const [address = '', bits, ...rest] = text.split('/');
  const version = net.isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d+$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128);
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The value for Fastify's `trustProxy` option. */
export function fastifyTrustProxy(trust: TrustProxy): false | string[] | ((address: string, hop: number) => boolean) {
  switch (trust.kind) {
    case 'none':
      return false;
    case 'addresses':
      return [...trust.addresses];
    case 'hops':
      // Fastify 5 refuses a plain number (it cannot check the peer); on loopback the peer is local.
      return (_address, hop) => hop < trust.hops;
  }
}
