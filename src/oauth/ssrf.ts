import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { unbracket } from "../http/host.ts";

// SSRF guard for URLs a client makes us fetch (CIMD documents). CIMD draft §6 and MCP "Authorization
// Server Abuse Protection": never fetch private, loopback or link-local targets; resolve DNS ourselves,
// check every address, and connect to a checked address (no second lookup an attacker could rebind).

/** Resolves a host name to all its addresses. Passed in, so tests and the guard stay pure. */
export type Resolve = (hostname: string) => Promise<string[]>;

export const systemResolve: Resolve = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

export class SsrfRefused extends Error {
  override name = "SsrfRefused";
}

const V4_BLOCKED: readonly [base: string, bits: number][] = [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, cloud metadata (169.254.169.254)
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
];

function v4ToInt(ip: string): number {
  return ip.split(".").reduce((acc, part) => (acc << 8) + Number(part), 0) >>> 0;
}

function v4Blocked(ip: string): boolean {
  const n = v4ToInt(ip);
  return V4_BLOCKED.some(([base, bits]) => {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    return (n & mask) === (v4ToInt(base) & mask);
  });
}

/** The eight 16-bit groups of an IPv6 address (handles "::" and an embedded dotted IPv4 tail). */
function v6Groups(ip: string): number[] {
  let text = unbracket(ip).split("%")[0]!;
  const v4Tail = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4Tail) {
    const n = v4ToInt(v4Tail[1]!);
    text = text.slice(0, -v4Tail[1]!.length) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const h = head ? head.split(":").map((g) => parseInt(g, 16)) : [];
  const t = tail ? tail.split(":").map((g) => parseInt(g, 16)) : [];
  const fill = tail === undefined ? [] : new Array(8 - h.length - t.length).fill(0);
  return [...h, ...fill, ...t];
}

function v6Blocked(ip: string): boolean {
  const g = v6Groups(ip);
  const embeddedV4 = () => `${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`;
  if (g.slice(0, 6).every((x) => x === 0)) return true; // ::/96: ::, ::1 and deprecated IPv4-compatible ::a.b.c.d
  if (g.slice(0, 4).every((x) => x === 0) && g[4] === 0xffff && g[5] === 0) return true; // ::ffff:0:0/96 (SIIT)
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return true; // 64:ff9b:1::/48, local-use NAT64 (RFC 8215)
  if (g[0] === 0x2001 && g[1] === 0) return true; // 2001::/32 Teredo: tunnels to an embedded IPv4
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return v4Blocked(embeddedV4()); // ::ffff:a.b.c.d
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return v4Blocked(embeddedV4()); // NAT64
  if (g[0] === 0x2002) return v4Blocked(`${g[1]! >> 8}.${g[1]! & 0xff}.${g[2]! >> 8}.${g[2]! & 0xff}`); // 6to4
  const first = g[0]!;
  if ((first & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
  if ((first & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
  if ((first & 0xffc0) === 0xfec0) return true; // fec0::/10 site-local (deprecated)
  if ((first & 0xff00) === 0xff00) return true; // multicast
  if (first === 0x2001 && g[1] === 0x0db8) return true; // documentation
  if (first === 0x0100 && g.slice(1, 4).every((x) => x === 0)) return true; // discard-only
  return false;
}

/** True for an address on the public internet; false for anything private, local, reserved or malformed. */
export function isPublicAddress(ip: string): boolean {
  const bare = unbracket(ip);
  const family = isIP(bare.split("%")[0]!);
  if (family === 4) return !v4Blocked(bare);
  if (family === 6) return !v6Blocked(bare);
  return false;
}

export interface AddressPolicy {
  readonly resolve: Resolve;
  /** Dev mode only: allow loopback and private targets (a CIMD document served on 127.0.0.1). */
  readonly allowPrivate: boolean;
}

/**
 * Every address `hostname` resolves to, after checking each one. Throws SsrfRefused when any address is
 * not public (an attacker controlling DNS could otherwise mix a private address into the answer).
 */
export async function checkedAddresses(hostname: string, policy: AddressPolicy): Promise<string[]> {
  const bare = unbracket(hostname);
  let addresses: string[];
  if (isIP(bare)) addresses = [bare];
  else {
    try {
      addresses = await policy.resolve(bare);
    } catch (err) {
      throw new SsrfRefused(`cannot resolve ${hostname}: ${(err as Error).message}`);
    }
  }
  if (addresses.length === 0) throw new SsrfRefused(`${hostname} has no addresses`);
  if (!policy.allowPrivate) {
    const bad = addresses.find((a) => !isPublicAddress(a));
    if (bad !== undefined) throw new SsrfRefused(`${hostname} resolves to ${bad}, which is not a public address`);
  }
  return addresses;
}

/**
 * Fetch `url` from one of the checked `addresses` (tried in order while connections fail), never
 * resolving the name again (DNS rebinding): the URL's host goes in the Host header and the TLS server
 * name, so certificates still verify. An IP-literal URL is fetched as is.
 */
export async function fetchPinned(fetch: typeof globalThis.fetch, url: URL, addresses: readonly string[], init: RequestInit): Promise<Response> {
  const literal = isIP(unbracket(url.hostname)) !== 0;
  let lastError: unknown;
  for (const address of literal ? [url.hostname] : addresses) {
    const target = new URL(url);
    if (!literal) target.hostname = address.includes(":") ? `[${address}]` : address;
    const headers = new Headers(init.headers);
    headers.set("host", url.host);
    const pinned: RequestInit & { tls?: { serverName: string } } = { ...init, headers, ...(url.protocol === "https:" && !literal ? { tls: { serverName: url.hostname } } : {}) };
    try {
      return await fetch(target, pinned);
    } catch (err) {
      if (init.signal?.aborted) throw err;
      lastError = err;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(`cannot connect to ${url.host}`);
}
