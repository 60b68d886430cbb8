import * as v from "valibot";
import type { GatewayConfig, RouteConfig } from "../config/types.ts";
import type { Services } from "../gateway/context.ts";
import type { Logger } from "../log/logger.ts";
import { browserLoginKind, OptionsSchema, type McpOAuthInboundOptions } from "../policies/mcp-oauth-inbound.ts";
import type { BrowserLoginKind } from "./metadata.ts";
import type { OAuthRuntime } from "./runtime.ts";

/** What one config decides about the authorization server: built once per (re)load. */
export interface OAuthServer {
  readonly policyName: string;
  readonly options: McpOAuthInboundOptions;
  readonly loginKind: BrowserLoginKind;
  /** "" (root layout) or e.g. "/__zuplo". */
  readonly basePath: string;
  /** The routes guarded by the MCP OAuth policy: each is one resource with its own PRM. */
  readonly routes: readonly RouteConfig[];
  readonly runtime: OAuthRuntime;
  readonly log: Logger;
  readonly mode: "dev" | "start";
  readonly now: () => number;
  /** Local identities offered by dev-login (mcpgw.devLogin.users): subject → claims. */
  readonly devUsers: Readonly<Record<string, Record<string, unknown>>>;
}

/** One request to an AS endpoint. */
export interface OAuthRequest {
  readonly request: Request;
  readonly url: URL;
  /** Public origin (publicOrigin()): issuer and every generated URL derive from it. */
  readonly origin: string;
  readonly clientAddress: string | undefined;
  readonly log: Logger;
}

/**
 * The authorization server for `config`, or undefined when no route uses the mcp-oauth-inbound policy
 * (spec §1.1: the plugin is a no-op without an MCP OAuth policy). Config rules allow one in use.
 */
export function oauthServerFor(config: GatewayConfig, services: Services): OAuthServer | undefined {
  const policy = config.routes
    .flatMap((r) => r.inbound)
    .map((name) => config.policies.get(name))
    .find((p) => p?.policyType === "mcp-oauth-inbound");
  if (!policy) return undefined;
  const options = v.parse(OptionsSchema, policy.options);
  return {
    policyName: policy.name,
    options,
    loginKind: browserLoginKind(options),
    basePath: config.settings.basePath,
    routes: config.routes.filter((r) => r.inbound.includes(policy.name)),
    runtime: services.oauth,
    log: services.log,
    mode: services.mode,
    now: services.now,
    devUsers: config.settings.devLogin.users,
  };
}
