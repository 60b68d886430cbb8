import * as o from "oauth4webapi";
import type { GuardedFetch } from "./guarded-fetch.ts";
import type { UpstreamSpec } from "./spec.ts";

// Where an upstream's authorization server is and what it supports (spec §F16), in the MCP
// authorization spec's order: the protected resource metadata (RFC 9728) at the configured
// protectedResourceMetadataUrl, else the one an upstream 401 named, else the path-inserted well-known
// URL, else the root one; then the authorization server's metadata, RFC 8414 before OIDC discovery.
// An upstream with no PRM at all is taken to be its own authorization server (MCP 2025-03-26).

export interface UpstreamAuthorization {
  /** The RFC 8707 resource to ask tokens for: the PRM's `resource` (the upstream URL without one). */
  readonly resource: string;
  readonly as: o.AuthorizationServer;
  /** The PRM's scopes_supported (empty when it has none or there is no PRM). */
  readonly scopesSupported: readonly string[];
}

export class DiscoveryError extends Error {
  override name = "DiscoveryError";
}

/** Options for every oauth4webapi call: our guarded fetch; http only for an operator-configured http upstream. */
export function requestOptions(spec: UpstreamSpec, fetcher: GuardedFetch) {
  return { [o.customFetch]: (url: string, init: RequestInit) => fetcher(url, init), [o.allowInsecureRequests]: spec.url.startsWith("http:") };
}

/** RFC 9728 §3.1: the well-known segment goes between the host and the path. */
export function prmCandidates(spec: UpstreamSpec, challengeMetadataUrl: string | undefined): string[] {
  const url = new URL(spec.url);
  const path = url.pathname === "/" ? "" : url.pathname.replace(/\/+$/, "");
  const candidates = [spec.options.protectedResourceMetadataUrl, challengeMetadataUrl, `${url.origin}/.well-known/oauth-protected-resource${path}`, `${url.origin}/.well-known/oauth-protected-resource`];
  return [...new Set(candidates.filter((c): c is string => c !== undefined))];
}

/** A PRM names this upstream when its resource is the upstream URL or the upstream's origin. */
function namesUpstream(resource: unknown, upstreamUrl: string): resource is string {
  if (typeof resource !== "string") return false;
  const strip = (s: string) => s.replace(/\/+$/, "");
  return strip(resource) === strip(upstreamUrl) || strip(resource) === new URL(upstreamUrl).origin;
}

interface ProtectedResourceMetadata {
  readonly resource: string;
  readonly authorization_servers: string[];
  readonly scopes_supported?: string[];
}

async function fetchPrm(candidate: string, spec: UpstreamSpec, fetcher: GuardedFetch): Promise<ProtectedResourceMetadata | string> {
  let response: Response;
  try {
    response = await fetcher(candidate, { headers: { accept: "application/json" } });
  } catch (err) {
    return `${candidate}: ${(err as Error).message}`;
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    return `${candidate}: HTTP ${response.status}`;
  }
  let doc: Record<string, unknown>;
  try {
    doc = (await response.json()) as Record<string, unknown>;
  } catch {
    return `${candidate}: not JSON`;
  }
  if (!namesUpstream(doc.resource, spec.url)) return `${candidate}: its resource ${JSON.stringify(doc.resource)} is not ${spec.url}`;
  const servers = doc.authorization_servers;
  if (!Array.isArray(servers) || servers.length === 0 || typeof servers[0] !== "string") return `${candidate}: it names no authorization_servers`;
  const scopes = Array.isArray(doc.scopes_supported) ? doc.scopes_supported.filter((s): s is string => typeof s === "string") : undefined;
  return { resource: doc.resource as string, authorization_servers: servers as string[], ...(scopes ? { scopes_supported: scopes } : {}) };
}

/** RFC 8414 (path insertion), then OpenID Connect discovery (path appending). */
export async function authorizationServerMetadata(issuer: string, spec: UpstreamSpec, fetcher: GuardedFetch): Promise<o.AuthorizationServer> {
  const problems: string[] = [];
  const issuerUrl = new URL(issuer);
  for (const algorithm of ["oauth2", "oidc"] as const) {
    try {
      const response = await o.discoveryRequest(issuerUrl, { algorithm, ...requestOptions(spec, fetcher) });
      return await o.processDiscoveryResponse(issuerUrl, response);
    } catch (err) {
      problems.push(`${algorithm === "oauth2" ? "RFC 8414" : "OIDC discovery"}: ${(err as Error).message}`);
    }
  }
  throw new DiscoveryError(`No authorization server metadata for ${issuer} (${problems.join("; ")}).`);
}

export async function discoverUpstream(spec: UpstreamSpec, fetcher: GuardedFetch, challengeMetadataUrl?: string): Promise<UpstreamAuthorization> {
  const misses: string[] = [];
  for (const candidate of prmCandidates(spec, challengeMetadataUrl)) {
    const prm = await fetchPrm(candidate, spec, fetcher);
    if (typeof prm === "string") {
      misses.push(prm);
      // An explicit URL is the operator's word: do not guess past it.
      if (candidate === spec.options.protectedResourceMetadataUrl) break;
      continue;
    }
    const as = await authorizationServerMetadata(prm.authorization_servers[0]!, spec, fetcher);
    return { resource: prm.resource, as, scopesSupported: prm.scopes_supported ?? [] };
  }
  if (spec.options.protectedResourceMetadataUrl !== undefined) throw new DiscoveryError(`The protected resource metadata of ${spec.displayName} cannot be used: ${misses.join("; ")}.`);
  try {
    const as = await authorizationServerMetadata(new URL(spec.url).origin, spec, fetcher);
    return { resource: spec.url, as, scopesSupported: [] };
  } catch (err) {
    throw new DiscoveryError(`${spec.displayName} publishes no usable OAuth metadata: ${misses.join("; ")}; ${(err as Error).message}`);
  }
}

/** Spec §F17: configured scopes, else the latest challenge's, else the PRM's scopes_supported, else none. */
export function scopesToRequest(spec: UpstreamSpec, challengeScope: string | undefined, discovered: UpstreamAuthorization): string[] {
  if (spec.options.scopes.length > 0) return [...spec.options.scopes];
  if (challengeScope) return challengeScope.split(/\s+/).filter(Boolean);
  return [...discovered.scopesSupported];
}
