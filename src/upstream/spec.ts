import { upstreamIdOf } from "../config/rules.ts";
import type { GatewayConfig, PolicyConfig } from "../config/types.ts";
import { findPolicyType } from "../schemas/catalog.ts";
import { DEMO_UPSTREAM } from "../schemas/mcp-proxy-handler.ts";
import { authProfileId, type McpTokenExchangeInboundOptions } from "../schemas/mcp-token-exchange-inbound.ts";

// What one config says about each OAuth-protected upstream: derived once per (re)load from the
// mcp-token-exchange-inbound policies and the routes that use them. Pure.

/** The subject under which a shared-oauth connection is stored (no IdP issues an empty `sub`). */
export const SHARED_SUBJECT = "";

export interface UpstreamSpec {
  readonly id: string;
  readonly policyName: string;
  readonly displayName: string;
  readonly summary: string | undefined;
  readonly authMode: "user-oauth" | "shared-oauth";
  readonly authProfileId: string;
  readonly options: McpTokenExchangeInboundOptions;
  /** The upstream MCP server (the first route's rewritePattern): RFC 8707 resource and discovery start. */
  readonly url: string;
  /** operationIds of the routes that front it. */
  readonly operationIds: readonly string[];
}

export function upstreamSpecFor(policy: PolicyConfig, url: string, operationIds: readonly string[]): UpstreamSpec {
  const options = policy.options as McpTokenExchangeInboundOptions;
  const id = upstreamIdOf(policy);
  return {
    id,
    policyName: policy.name,
    displayName: options.displayName,
    summary: options.summary,
    authMode: options.authMode as UpstreamSpec["authMode"],
    authProfileId: authProfileId(id, options.authMode),
    options,
    url,
    operationIds,
  };
}

/** Every upstream of the config that a route uses, by id. `demoUrl` resolves the built-in demo upstream. */
export function upstreamSpecs(config: GatewayConfig, demoUrl: () => string): Map<string, UpstreamSpec> {
  const specs = new Map<string, UpstreamSpec>();
  for (const policy of config.policies.values()) {
    if (findPolicyType(policy.policyType)?.family !== "mcp-token-exchange") continue;
    const routes = config.routes.filter((r) => r.inbound.includes(policy.name));
    if (routes.length === 0) continue;
    const pattern = routes[0]!.handler.options.rewritePattern;
    const spec = upstreamSpecFor(policy, pattern === DEMO_UPSTREAM ? demoUrl() : pattern, routes.map((r) => r.operationId));
    specs.set(spec.id, spec);
  }
  return specs;
}

/** Whether `subject` may connect the shared account of `spec` from a browser (spec §G20). */
export function isAdministrator(spec: UpstreamSpec, subject: string): boolean {
  return spec.authMode === "shared-oauth" && spec.options.administrators.includes(subject);
}

/** The gateway's endpoints for one upstream: where browsers connect and come back. */
export function connectionEndpoints(origin: string, basePath: string, id: string) {
  const base = `${origin}${basePath}/auth/connections/${encodeURIComponent(id)}`;
  return { connect: `${base}/connect`, callback: `${base}/callback`, clientMetadata: `${origin}/.well-known/oauth-client/${encodeURIComponent(id)}` };
}
