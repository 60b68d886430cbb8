import { isIP } from "node:net";

// Who a request comes from, for rate limits: the socket peer, or — only when the operator says a trusted
// proxy sets it (mcpgw.trustForwardedHeaders) — the address that proxy saw.

/**
 * The client's address. Behind a trusted proxy the last X-Forwarded-For entry is the one the proxy
 * itself appended (what it saw); earlier entries are whatever the client wrote and are never used.
 */
export function clientAddressOf(request: Request, socketAddress: string | undefined, trustForwardedHeaders: boolean): string | undefined {
  if (trustForwardedHeaders) {
    const forwarded = request.headers.get("x-forwarded-for");
    const last = forwarded?.split(",").at(-1)?.trim();
    if (last && isIP(last) !== 0) return last;
  }
  return socketAddress;
}

/**
 * The key a per-address limit counts under: an IPv4 address as is (also when IPv4-mapped), an IPv6
 * address by its /64 — one subscriber usually holds a whole /64 and could otherwise rotate through it.
 */
export function addressKey(address: string | undefined): string {
  if (!address) return "unknown";
  const a = address.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return mapped[1]!;
  if (isIP(a) !== 6) return a;
  return `${expandIpv6(a).slice(0, 4).join(":")}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, without leading zeros. */
function expandIpv6(a: string): string[] {
  const [head, tail] = a.includes("::") ? a.split("::") : [a, undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  // An embedded IPv4 tail (::ffff:1.2.3.4 is handled above; others are rare) counts as two groups.
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  return groups.map((g) => (g.includes(".") ? g : (Number.parseInt(g, 16) || 0).toString(16)));
}
