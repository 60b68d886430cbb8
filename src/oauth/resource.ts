import type { RouteConfig } from "../config/types.ts";

// RFC 8707 resource indicators and RFC 9728 resource identifiers for MCP routes. A route's canonical
// URI is the public origin plus its path (MCP authorization §Canonical Server URI): every token is
// bound to exactly one of them.

export function routeResource(origin: string, route: Pick<RouteConfig, "path">): string {
  return `${origin}${route.path}`;
}

/**
 * The canonical form of a client-supplied resource indicator, or undefined when it is not an absolute
 * URI without a fragment (RFC 8707 §2). Scheme and host are lower-cased and a default port dropped (MCP:
 * servers SHOULD accept an upper-case scheme and host); a trailing slash on a path is not significant.
 */
export function canonicalResource(value: string): string | undefined {
  if (value.includes("#")) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : "";
  return `${url.protocol}//${url.host}${path}${url.search}`;
}

/** The protected route a resource indicator names, when it names one of ours on this origin. */
export function routeForResource(resource: string, origin: string, routes: readonly RouteConfig[]): RouteConfig | undefined {
  const wanted = canonicalResource(resource);
  if (wanted === undefined) return undefined;
  return routes.find((r) => canonicalResource(routeResource(origin, r)) === wanted);
}
