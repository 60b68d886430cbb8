import type { GatewayConfig, RouteConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import type { UpstreamRefusal } from "../mcp/forward.ts";
import type { UpstreamAnswer } from "../mcp/upstream-headers.ts";
import type { EventScope, Rejection } from "../observe/events.ts";
import type { Observer } from "../observe/observer.ts";
import type { Services } from "../services/services.ts";

// The contract between the gateway's pipeline and what runs in it: the per-request context that flows
// through the policy chain to the handler, and the shapes of policies, response hooks and handlers.

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
 * How the handler gets credentials for the upstream, when a policy (the token exchange) provides them.
 * The handler calls `prepare` before the upstream call, and the forward step calls `onRefused` when
 * the upstream refuses them, at most once per request, retrying inside the same step: the client
 * request still yields exactly one completion event.
 */
export interface UpstreamAuth {
  /** Set credentials on ctx.upstreamHeaders, or answer the client now (e.g. "connect this upstream first"). */
  prepare(ctx: RequestContext): Promise<Response | undefined> | Response | undefined;
  /**
   * Refresh and answer "retry" (honoured on the first refusal only), answer the client instead, or
   * undefined for the gateway's -32087 fault. Called again when the retry is refused too.
   */
  onRefused?(refusal: UpstreamRefusal, ctx: RequestContext): Promise<"retry" | Response | undefined>;
  /** How the mcp_request_rejected event describes an early answer of `prepare` (e.g. connect_required). */
  readonly rejection?: Pick<Rejection, "reasonCode" | "failureOrigin" | "jsonRpcErrorCode" | "outcome">;
}

/**
 * Per-request state that flows through the policy chain to the handler. Policies add to it (user,
 * upstream headers, upstream credentials, response hooks); nothing reaches back into config or files.
 */
export interface RequestContext extends EventScope {
  readonly request: Request;
  readonly url: URL;
  readonly route: RouteConfig;
  readonly config: GatewayConfig;
  /** Public origin of the gateway as the client sees it (scheme://host[:port]). */
  readonly origin: string;
  /** Socket peer address, for loopback-only endpoints. */
  readonly clientAddress: string | undefined;
  /** Headers sent upstream: built from an allow-list of the inbound ones; policies add credentials. */
  readonly upstreamHeaders: Headers;
  user?: GatewayUser;
  /** Set by the policy that holds the upstream's credentials (one per route). */
  upstreamAuth?: UpstreamAuth;
  log: Logger;
  /** Dimensions attached to every analytics event of this request (§5.2: upstreamServerId, subjectId…). */
  readonly fields: Record<string, unknown>;
  readonly observer: Observer;
  /** Hooks run in order on the handler's answer, each getting the previous one's output. */
  readonly responseHooks: ResponseHook[];
  /** Reads (once) and parses the body; throws BodyTooLargeError past the configured limit. */
  body(): Promise<RequestBody>;
}

/** A policy's request step: return a Response to answer now, or nothing to continue the chain. */
export type InboundPolicy = (ctx: RequestContext) => Promise<Response | undefined> | Response | undefined;
export type ResponseHook = (answer: UpstreamAnswer, ctx: RequestContext) => Promise<UpstreamAnswer> | UpstreamAnswer;
export type RouteHandler = (ctx: RequestContext) => Promise<UpstreamAnswer | Response>;

/** What a policy or handler factory sees, once per route per config. */
export interface BuildContext {
  readonly config: GatewayConfig;
  readonly services: Services;
  /** The policy's name from policies.json, or the route's operationId for handlers. */
  readonly name: string;
  /** The route being built, with its handler's typed options (a token exchange reads the upstream URL here). */
  readonly route: RouteConfig;
}
