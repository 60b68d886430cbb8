import type { GatewayConfig, RouteConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import type { SecretRegistry } from "../log/redact.ts";
import type { OAuthRuntime } from "../oauth/runtime.ts";
import type { Store } from "../store/database.ts";
import type { InFlightBytes } from "../http/in-flight-bytes.ts";

/** The signed-in person, set by the MCP OAuth policy. `data` holds IdP claims (roles, groups, email…). */
export interface GatewayUser {
  readonly sub: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** The request body, read at most once per request and shared by every policy and the handler. */
export interface RequestBody {
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** Parsed JSON, or undefined when the body is empty or not JSON (see `parseError`). */
  readonly json: unknown;
  readonly parseError?: string;
}

/**
 * Per-request state that flows through the policy chain to the handler. Policies add to it (user,
 * upstream headers, response hooks); nothing reaches back into config or files.
 */
export interface RequestContext {
  readonly request: Request;
  readonly url: URL;
  readonly requestId: string;
  readonly route: RouteConfig;
  readonly config: GatewayConfig;
  /** Public origin of the gateway as the client sees it (scheme://host[:port]). */
  readonly origin: string;
  /** Socket peer address, for loopback-only endpoints. */
  readonly clientAddress: string | undefined;
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  /** Headers sent upstream: built from an allow-list of the inbound ones; policies add credentials. */
  readonly upstreamHeaders: Headers;
  user?: GatewayUser;
  log: Logger;
  /** Dimensions attached to every analytics event of this request (§5.2: upstreamServerId, subjectId…). */
  readonly fields: Record<string, unknown>;
  /** Hooks run in order on the handler's response, each getting the previous one's output. */
  readonly responseHooks: ResponseHook[];
  /** Reads (once) and parses the body; throws BodyTooLargeError past the configured limit. */
  body(): Promise<RequestBody>;
  /** Runs the route handler again with the current context (used by the upstream 401 retry). */
  invokeHandler(): Promise<Response>;
}

/** A policy's request step: return a Response to answer now, or nothing to continue the chain. */
export type InboundPolicy = (ctx: RequestContext) => Promise<Response | undefined> | Response | undefined;
export type ResponseHook = (response: Response, ctx: RequestContext) => Promise<Response> | Response;
export type RouteHandler = (ctx: RequestContext) => Promise<Response>;

/** Long-lived things policies and handlers may use; built once per process, shared across reloads. */
export interface Services {
  readonly log: Logger;
  readonly store: Store;
  readonly secrets: SecretRegistry;
  readonly dataDir: string;
  /** "dev" enables loopback conveniences (dev-login, http CIMD on loopback); "start" is production. */
  readonly mode: "dev" | "start";
  /** The address the server binds (--host): decides which Host names are answered by default. */
  readonly listenHost: string;
  readonly now: () => number;
  /** URL of the built-in demo upstream, started on first use (rewritePattern "mcpgw:demo"). */
  demoUpstreamUrl(): string;
  /** Bytes of request bodies being read right now, gateway-wide (mcpgw.proxy.maxConcurrentBodyBytes). */
  readonly requestBodies: InFlightBytes;
  /** The OAuth authorization server's process-wide state: repositories, token cache, CIMD cache, sweeper. */
  readonly oauth: OAuthRuntime;
}

export interface BuildContext {
  readonly config: GatewayConfig;
  readonly services: Services;
  /** The policy's name from policies.json, or the route's operationId for handlers. */
  readonly name: string;
}

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
    this.name = "BodyTooLargeError";
  }
}
