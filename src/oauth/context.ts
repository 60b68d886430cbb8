import type { AuthorizationServerConfig, OAuthSettings, RouteConfig } from "../config/types.ts";
import type { RateLimitStore } from "../limits/rate-limit-store.ts";
import type { ClientAbortLog } from "../log/client-aborts.ts";
import type { Logger, LogFields } from "../log/logger.ts";
import type { AuthEventLevel } from "../observe/events.ts";
import type { Observer } from "../observe/observer.ts";
import type { AuthorizationServerOptions, BrowserLoginKind } from "../schemas/authorization-server.ts";
import type { Store } from "../store/repositories.ts";
import type { OAuthRuntime } from "./runtime.ts";

/** One upstream the consent page lists for a route (spec §G19); provided from src/upstream/, above this layer. */
export interface ConsentUpstream {
  readonly id: string;
  readonly displayName: string;
  readonly summary: string | undefined;
  readonly connected: boolean;
  /** Whether Authorize waits for it (a person's own connection; a shared one is an administrator's job). */
  readonly required: boolean;
  /** Where the Connect button goes; absent when this person cannot connect it (shared, not an administrator). */
  readonly connectUrl: string | undefined;
}

/** The upstream connections a consent page shows for `operationId`, as `subject` sees them. */
export type ConsentUpstreams = (subject: string, operationId: string, origin: string, requestId: string) => Promise<readonly ConsentUpstream[]>;

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
  /** The route's upstream connections, for the consent page (none without token-exchange policies). */
  readonly upstreams?: ConsentUpstreams;
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
  /** This request's id, on its log lines and on error pages (so a person's screenshot finds the log). */
  readonly requestId: string;
  readonly request: Request;
  readonly url: URL;
  /** Public origin (publicOrigin()): issuer and every generated URL derive from it. */
  readonly origin: string;
  readonly clientAddress: string | undefined;
  readonly log: Logger;
  /** Reports an mcp_auth_… event to the observer, on this request's logger. */
  report(level: AuthEventLevel, name: string, message: string, fields?: LogFields): void;
}

/** What the process provides an authorization server with (the rest comes from the config). */
export interface OAuthServerDeps
  extends Pick<OAuthServer, "runtime" | "store" | "observer" | "log" | "mode" | "now" | "basePath" | "devUsers" | "limits" | "rateLimits" | "devLoginKey" | "clientAborts" | "upstreams"> {
  /** Picks the browser login for the config's options (src/oauth/browser-login.ts). */
  readonly login: (options: AuthorizationServerOptions) => BrowserLogin;
}

/** The authorization server one config describes (config.authorizationServer), with the process's parts. */
export function oauthServerFor(config: AuthorizationServerConfig, deps: OAuthServerDeps): OAuthServer {
  const { login, ...rest } = deps;
  return { ...rest, policyName: config.policyName, options: config.options, routes: config.routes, login: login(config.options) };
}

/**
 * How a person signs in in the browser, between the authorization request and the consent page. The
 * authorization server asks the strategy to start a sign-in for a pending request, and routes
 * GET {base}/oauth/callback to it (where an IdP sends the browser back). dev-login is one strategy;
 * federated OIDC (the team's IdP) is another.
 */
export interface BrowserLogin {
  readonly kind: BrowserLoginKind;
  /** Why no sign-in can start, or undefined when it can (checked before an authorization request is stored). */
  unavailable(): string | undefined;
  /** Sends the browser to sign in for the pending authorization request `requestId`. */
  start(server: OAuthServer, req: OAuthRequest, requestId: string): Response | Promise<Response>;
  /** GET {base}/oauth/callback. */
  callback(server: OAuthServer, req: OAuthRequest): Response | Promise<Response>;
}

