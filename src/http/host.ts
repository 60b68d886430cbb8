import { isIP } from "node:net";

// Host names and addresses, as every part of the gateway reads them: the DNS-rebinding guard, the
// loopback-only dev login, redirect URI rules and the SSRF guard. One place, so they cannot drift.

/** The names a browser uses for this machine; dev-login answers only to these. */
export const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]", "::1"] as const;

/** An IPv6 literal without its URL brackets (`[::1]` → `::1`); anything else unchanged. */
export function unbracket(host: string): string {
  return host.length > 1 && host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** 127.0.0.0/8, ::1 and the name localhost (which MCP clients use although RFC 8252 §8.3 prefers IPs). */
export function isLoopbackHostname(hostname: string): boolean {
  const h = unbracket(hostname.toLowerCase());
  return h === "localhost" || h === "::1" || (isIP(h) === 4 && h.startsWith("127."));
}

/** A socket peer on loopback: 127.0.0.0/8 or ::1, also as IPv4-mapped IPv6 (what a dual-stack socket reports). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.toLowerCase().replace(/^::ffff:/, "");
  if (isIP(a) === 4) return a.startsWith("127.");
  return a === "::1" || a === "0:0:0:0:0:0:0:1";
}

/** The host name of a Host header value (`name[:port]`, `[v6]:port`), lower-cased. */
export function hostName(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const colon = h.lastIndexOf(":");
  return colon === -1 ? h : h.slice(0, colon);
}

/**
 * A Host header the gateway can build URLs from: a DNS name or IPv4 literal or bracketed IPv6 literal,
 * and an optional port (RFC 9110 §7.2, RFC 3986 §3.2.2). Anything else (`127.0.0.1:9201@evil.com`,
 * `localhost:evil`) would reach URL construction; it is answered 400 before that (issue 18).
 */
export function wellFormedHost(hostHeader: string): boolean {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~-]+)(?::(\d{1,5}))?$/.exec(hostHeader);
  return m !== null && (m[2] === undefined || Number(m[2]) <= 65535);
}
