import type { AuthorizationServerConfig, OAuthSettings, RouteConfig } from "../config/types.ts";
import type { RateLimitStore } from "../limits/rate-limit-store.ts";
import type { ClientAbortLog } from "../log/client-aborts.ts";
import type { Logger, LogFields } from "../log/logger.ts";
import type { AuthEventLevel } from "../observe/events.ts";
import type { Observer } from "../observe/observer.ts";
import type { AuthorizationServerOptions } from "../schemas/authorization-server.ts";
import type { Store } from "../store/repositories.ts";
import type { BrowserLogin } from "./browser-login.ts";
import type { OAuthRuntime } from "./runtime.ts";

/** What one config decides about the authorization server: built once per (re)load. */
export interface OAuthServer {
  readonly policyName: string;
  /** Derived at load from whichever MCP OAuth policy the project uses (src/schemas/catalog.ts). */
  readonly options: AuthorizationServerOptions;
  /** How people sign in in the browser: dev-login, or the team's IdP. */
  readonly login: BrowserLogin;
  /** "" (root layout) or e.g. "/__zuplo". */
  readonly basePath: string;
  /** The routes guarded by the MCP OAuth policy: each is one resource with its own PRM. */
  readonly routes: readonly RouteConfig[];
  readonly runtime: OAuthRuntime;
  readonly store: Store;
  readonly observer: Observer;
  readonly log: Logger;
  readonly mode: "dev" | "start";
  readonly now: () => number;
  /** Local identities offered by dev-login (mcpgw.devLogin.users): subject → claims. */
  readonly devUsers: Readonly<Record<string, Record<string, unknown>>>;
  /** mcpgw.oauth: endpoint rate limits, store caps, unused-client retention. */
  readonly limits: OAuthSettings;
  /** The process's rate-limit counters (shared with rate-limit-inbound). */
  readonly rateLimits: RateLimitStore;
  /** What a browser must present to use dev-login (src/oauth/dev-login.ts). */
  readonly devLoginKey: string;
  readonly clientAborts: ClientAbortLog;
}

/** One request to an AS endpoint. */
export interface OAuthRequest {
  readonly request: Request;
  readonly url: URL;
  /** Public origin (publicOrigin()): issuer and every generated URL derive from it. */
  readonly origin: string;
  readonly clientAddress: string | undefined;
  readonly log: Logger;
  /** Reports an mcp_auth_… event to the observer, on this request's logger. */
  report(level: AuthEventLevel, name: string, message: string, fields?: LogFields): void;
}

export interface OAuthServerDeps {
  readonly runtime: OAuthRuntime;
  readonly store: Store;
  readonly observer: Observer;
  readonly log: Logger;
  readonly mode: "dev" | "start";
  readonly now: () => number;
  readonly basePath: string;
  readonly devUsers: Readonly<Record<string, Record<string, unknown>>>;
  readonly limits: OAuthSettings;
  readonly rateLimits: RateLimitStore;
  readonly devLoginKey: string;
  readonly clientAborts: ClientAbortLog;
  readonly login: (options: AuthorizationServerOptions) => BrowserLogin;
}

/** The authorization server one config describes (config.authorizationServer), with the process's parts. */
export function oauthServerFor(config: AuthorizationServerConfig, deps: OAuthServerDeps): OAuthServer {
  const { login, ...rest } = deps;
  return { ...rest, policyName: config.policyName, options: config.options, routes: config.routes, login: login(config.options) };
}
