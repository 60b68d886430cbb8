import type { GatewayConfig, ProxySettings, RouteConfig } from "../config/types.ts";
import { errorFields } from "../log/logger.ts";
import { findHandler, findPolicy } from "../policies/registry.ts";
import type { Logger } from "../log/logger.ts";
import { BodyTooLargeError, type GatewayUser, type InboundPolicy, type RequestBody, type RequestContext, type ResponseHook, type RouteHandler, type Services } from "./context.ts";
import { publicOrigin } from "./origin.ts";
import { faultResponse, rejectWithFault } from "../mcp/faults.ts";
import { carriesRequestId, upstreamRequestHeaders } from "./upstream-headers.ts";
import { BodyRefusedError, refuseBody } from "../http/body-refusal.ts";
import type { InFlightBytes } from "../http/in-flight-bytes.ts";
import { parseJsonBody, reserveBodyBytes } from "../http/json-body.ts";
import { readLimited } from "../http/read-limited.ts";

/** A route, compiled once per config: its policy steps and handler, ready to run per request. */
export type CompiledRoute = (request: Request, url: URL, clientAddress: string | undefined) => Promise<Response>;

/** Policies are instantiated once per config and shared by every route that lists them (as Zuplo caches per name). */
export function instantiatePolicies(config: GatewayConfig, services: Services): Map<string, InboundPolicy> {
  const out = new Map<string, InboundPolicy>();
  for (const policy of config.policies.values()) {
    const def = findPolicy(policy.policyType);
    if (!def) throw new Error(`unknown policy type ${policy.policyType}`);
    out.set(policy.name, def.create(policy.options, { config, services, name: policy.name }));
  }
  return out;
}

/**
 * The request body, bounded by `limits.maxRequestBodyBytes`: a declared Content-Length over it is
 * refused unread; a body without one (chunked) is read chunk by chunk and abandoned as soon as it
 * passes the limit. Its bytes count against the gateway-wide budget until it is read and parsed.
 */
async function readBody(request: Request, limits: ProxySettings, inFlight: InFlightBytes): Promise<RequestBody> {
  const limit = limits.maxRequestBodyBytes;
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    const length = Number(declared);
    // Written so that a malformed length (NaN) is refused too, and never enters the budget.
    if (!(length >= 0 && length <= limit)) throw new BodyTooLargeError(limit);
    reserveBodyBytes(inFlight, length, limits.maxConcurrentBodyBytes);
    try {
      // HTTP framing ends the body at Content-Length, so reading it whole is bounded.
      const bytes = await request.bytes();
      if (bytes.byteLength > limit) throw new BodyTooLargeError(limit);
      return parseJsonBody(bytes, limits);
    } finally {
      inFlight.release(length);
    }
  }
  let reserved = 0;
  try {
    const bytes = await readLimited(request.body, limit, (n) => {
      reserveBodyBytes(inFlight, n, limits.maxConcurrentBodyBytes);
      reserved += n;
    });
    if (bytes === undefined) throw new BodyTooLargeError(limit);
    return parseJsonBody(bytes, limits);
  } finally {
    inFlight.release(reserved);
  }
}

/** What a compiled route shares with each of its requests. */
interface RouteRuntime {
  readonly route: RouteConfig;
  readonly config: GatewayConfig;
  readonly handler: RouteHandler;
  readonly limits: ProxySettings;
  readonly inFlight: InFlightBytes;
  readonly log: Logger;
}

/**
 * One request's context. A class, so that a request allocates one object rather than a closure per
 * member, and what only some requests need (the request logger) is made on first use.
 */
class Context implements RequestContext {
  readonly requestId = crypto.randomUUID();
  readonly startedAt = performance.now();
  readonly origin: string;
  readonly upstreamHeaders: Headers;
  readonly fields: Record<string, unknown>;
  readonly responseHooks: ResponseHook[] = [];
  user?: GatewayUser;
  private bodyPromise: Promise<RequestBody> | undefined;
  private requestLog: Logger | undefined;

  constructor(
    readonly request: Request,
    readonly url: URL,
    readonly clientAddress: string | undefined,
    private readonly runtime: RouteRuntime,
  ) {
    this.origin = publicOrigin(request, url, runtime.config.settings);
    this.upstreamHeaders = upstreamRequestHeaders(request.headers, this.requestId, clientAddress, this.origin);
    this.fields = { operationId: runtime.route.operationId };
  }

  get route(): RouteConfig {
    return this.runtime.route;
  }

  get config(): GatewayConfig {
    return this.runtime.config;
  }

  get log(): Logger {
    return (this.requestLog ??= this.runtime.log.child({ requestId: this.requestId }));
  }

  set log(log: Logger) {
    this.requestLog = log;
  }

  /** The body, read and parsed at most once whoever asks first. */
  body(): Promise<RequestBody> {
    return (this.bodyPromise ??= readBody(this.request, this.runtime.limits, this.runtime.inFlight));
  }

  /** What body() has read so far, if anything asked (for the error path). */
  bodyIfRead(): Promise<RequestBody> | undefined {
    return this.bodyPromise;
  }

  invokeHandler(): Promise<Response> {
    return this.runtime.handler(this);
  }
}

export function compileRoute(route: RouteConfig, config: GatewayConfig, services: Services, policies: Map<string, InboundPolicy>): CompiledRoute {
  const def = findHandler(route.handler.exportName);
  if (!def) throw new Error(`unknown handler ${route.handler.exportName}`);
  const handler: RouteHandler = def.create(route.handler.options, { config, services, name: route.operationId });
  const steps = route.inbound.map((name) => policies.get(name)!);
  const runtime: RouteRuntime = { route, config, handler, limits: config.settings.proxy, inFlight: services.requestBodies, log: services.log.child({ operationId: route.operationId }) };

  return async (request, url, clientAddress) => {
    const ctx = new Context(request, url, clientAddress, runtime);
    const requestId = ctx.requestId;
    try {
      for (const step of steps) {
        const result = step(ctx);
        // A synchronous step (the OAuth token check) is not awaited: no extra microtask turn per policy.
        const early = result instanceof Promise ? await result : result;
        if (early) return withRequestId(early, requestId);
      }
      let response = await handler(ctx);
      for (const hook of ctx.responseHooks) response = await hook(response, ctx);
      return withRequestId(response, requestId);
    } catch (err) {
      // A policy that read the body first meets the size limit here rather than in the handler.
      if (err instanceof BodyTooLargeError) return withRequestId(rejectWithFault(ctx, "request_too_large", null, { limitBytes: err.limit }), requestId);
      if (err instanceof BodyRefusedError) return withRequestId(refuseBody(ctx, err), requestId);
      ctx.log.error("request_failed", "The gateway failed while handling the request.", { ...ctx.fields, ...errorFields(err) });
      // MCP clients get a JSON-RPC error answering their id, never an HTML page or a stack trace.
      const read = ctx.bodyIfRead();
      const body = read ? await read.catch(() => undefined) : undefined;
      const id = (body?.json as { id?: unknown } | undefined)?.id;
      return withRequestId(faultResponse("internal_error", typeof id === "string" || typeof id === "number" ? id : null, requestId), requestId);
    }
  };
}

function withRequestId(response: Response, requestId: string): Response {
  // Proxied answers carry it already (proxiedResponse): their Headers are not even opened.
  if (carriesRequestId(response) || response.headers.get("x-request-id") === requestId) return response;
  try {
    response.headers.set("x-request-id", requestId);
    return response;
  } catch {
    // Headers of a fetch() response are immutable: copy once.
    const copy = new Response(response.body, response);
    copy.headers.set("x-request-id", requestId);
    return copy;
  }
}
