import type { GatewaySettings } from "../config/types.ts";
import { hostName, isLoopbackHostname, LOOPBACK_NAMES, wellFormedHost } from "../http/host.ts";
import { problemResponse } from "../http/problem.ts";

// DNS rebinding defence (MCP transport spec, "Security Warning"; MCP security best practices). A page on
// rebind.attacker.example can make the victim's browser reach a gateway on 127.0.0.1: the socket is
// loopback, but Host (and Origin) name the attacker. So the gateway answers only the host names it is
// known by, and MCP routes refuse a browser Origin that is not one of them.

export type HostPolicy = { readonly kind: "any" } | { readonly kind: "names"; readonly names: ReadonlySet<string> };


/**
 * Which Host names to serve: `mcpgw.allowedHosts` when set; otherwise the `publicOrigin` host and the
 * loopback names; otherwise, bound to loopback, the loopback names only. Bound to a non-loopback address
 * with neither setting, every name is served (the operator is told at start-up).
 */
export function hostPolicy(settings: GatewaySettings, bindHost: string): HostPolicy {
  const names = new Set<string>();
  for (const h of settings.allowedHosts) names.add(h.toLowerCase());
  if (settings.publicOrigin) names.add(new URL(settings.publicOrigin).hostname.toLowerCase());
  if (names.size === 0 && !isLoopbackHostname(bindHost)) return { kind: "any" };
  for (const h of LOOPBACK_NAMES) names.add(h);
  return { kind: "names", names };
}


export function hostAllowed(policy: HostPolicy, hostHeader: string | null): boolean {
  if (policy.kind === "any") return true;
  return hostHeader !== null && policy.names.has(hostName(hostHeader));
}

/**
 * An Origin header is fine when absent (non-browser clients) or naming one of the gateway's own origins
 * exactly — scheme, host and port (RFC 6454 §5). Comparing host names alone let any page on the same
 * machine (http://localhost:3000, another dev server) call the gateway on http://localhost:9000 (issue 18).
 */
export function originAllowed(origin: string | null, ownOrigins: readonly string[]): boolean {
  if (origin === null) return true;
  if (!URL.canParse(origin)) return false;
  const normal = new URL(origin).origin;
  return normal !== "null" && ownOrigins.some((own) => own.toLowerCase() === normal);
}

/**
 * OPTIONS on an MCP route, answered deliberately: MCP routes take `corsPolicy: "none"`, so there are no
 * Access-Control-Allow-* headers and a browser's cross-origin preflight fails (one from a foreign Origin
 * is refused with 403 before this). Same-origin pages never preflight; other clients learn the methods.
 */
export function mcpOptions(methods: readonly string[]): Response {
  return new Response(null, { status: 204, headers: { allow: [...new Set([...methods, "OPTIONS"])].join(", "), vary: "origin" } });
}

export function misdirected(host: string | null): Response {
  return problemResponse(403, `This gateway does not answer for the host "${host ?? ""}". If it is reachable under that name, add it to mcpgw.allowedHosts (or set mcpgw.publicOrigin) in zuplo.jsonc.`);
}

/** 400 for a request whose Host (and so its URL) cannot be read; undefined when it can. */
export function malformedHost(request: Request): Response | undefined {
  const host = request.headers.get("host");
  if ((host === null || wellFormedHost(host)) && URL.canParse(request.url)) return undefined;
  return problemResponse(400, "The Host header is not a valid host name with an optional port.", { code: "MCPGW_BAD_HOST" });
}
