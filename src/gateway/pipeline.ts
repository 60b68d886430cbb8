import type { GatewayConfig, PolicyConfig, ProxySettings, RouteConfig } from "../config/types.ts";
import { BodyTooLargeError } from "../http/body.ts";
import type { InFlightBytes } from "../http/in-flight-bytes.ts";
import { publicOrigin } from "../http/origin.ts";
import { problemResponse } from "../http/problem.ts";
import { isClientAbort } from "../log/client-aborts.ts";
import { errorFields, type Logger } from "../log/logger.ts";
import { faultResponse } from "../mcp/faults.ts";
import { upstreamRequestHeaders } from "../mcp/upstream-headers.ts";
import type { Observer } from "../observe/observer.ts";
import { createMcpProxyHandler } from "../handlers/mcp-proxy-handler.ts";
import { readRequestBody } from "../request/body.ts";
import { BodyRefusedError, refuseBody } from "../request/body-refusal.ts";
import type { BuildContext, GatewayUser, InboundPolicy, RequestBody, RequestContext, ResponseHook, RouteHandler, UpstreamAuth } from "../request/context.ts";
import { rejectWithFault } from "../request/reject.ts";
import type { Services } from "../services/services.ts";
import { policyRuntime } from "./registry.ts";

/** A route, compiled once per config: its policy steps and handler, ready to run per request. */
export type CompiledRoute = (request: Request, url: URL, clientAddress: string | undefined) => Promise<Response>;

/**
 * A policy's step for one route. Built per route (not shared per name), so a policy sees the route it
 * guards and its handler's typed options. A type the catalog recognises but this version does not
 * implement answers an honest 501 rather than letting requests through without its protection.
 */
function buildPolicy(policy: PolicyConfig, build: BuildContext): InboundPolicy {
  const runtime = policyRuntime(policy.policyType);
  if (!runtime) {
    return () =>
      problemResponse(501, `The policy type "${policy.policyType}" is recognised but not implemented in this mcpgw version; the request was not forwarded.`, {
        code: "MCPGW_POLICY_NOT_IMPLEMENTED",
      });
  }
  return runtime.create(policy.options, build);
}

/** What a compiled route shares with each of its requests. */
interface RouteRuntime {
  /** Client headers forwarded besides the built-in allow-list (lower-case). */
  readonly forwardHeaders: readonly string[];
  readonly route: RouteConfig;
  readonly config: GatewayConfig;
  readonly limits: ProxySettings;
  readonly inFlight: InFlightBytes;
  readonly log: Logger;
  readonly observer: Observer;
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
  upstreamAuth?: UpstreamAuth;
  private bodyPromise: Promise<RequestBody> | undefined;
  private requestLog: Logger | undefined;

  constructor(
    readonly request: Request,
    readonly url: URL,
    readonly clientAddress: string | undefined,
    private readonly runtime: RouteRuntime,
  ) {
    this.origin = publicOrigin(request, url, runtime.config.settings);
    this.upstreamHeaders = upstreamRequestHeaders(request.headers, this.requestId, clientAddress, this.origin, runtime.forwardHeaders);
    this.fields = { operationId: runtime.route.operationId };
  }

  get httpMethod(): string {
    return this.request.method;
  }

  get operationId(): string {
    return this.runtime.route.operationId;
  }

  get observer(): Observer {
    return this.runtime.observer;
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
    return (this.bodyPromise ??= readRequestBody(this.request, this.runtime.limits, this.runtime.inFlight));
  }

  /** What body() has read so far, if anything asked (for the error path). */
  bodyIfRead(): Promise<RequestBody> | undefined {
    return this.bodyPromise;
  }
}

/**
 * The extra header names one route forwards: the gateway-wide `mcpgw.proxy.forwardRequestHeaders`
 * plus the route handler's own `forwardRequestHeaders`, both validated and lower-cased at load.
 */
function forwardedHeaderNames(config: GatewayConfig, route: RouteConfig): readonly string[] {
  return [...new Set([...config.settings.proxy.forwardRequestHeaders, ...(route.handler.options.forwardRequestHeaders ?? [])])];
}

export function compileRoute(route: RouteConfig, config: GatewayConfig, services: Services): CompiledRoute {
  // One handler type (McpProxyHandler); config/ refused any other export.
  const handler: RouteHandler = createMcpProxyHandler(route.handler.options, { config, services, name: route.operationId, route });
  const steps = route.inbound.map((name) => buildPolicy(config.policies.get(name)!, { config, services, name, route }));
  const runtime: RouteRuntime = {
    forwardHeaders: forwardedHeaderNames(config, route),
    route,
    config,
    limits: config.settings.proxy,
    inFlight: services.requestBodies,
    log: services.log.child({ operationId: route.operationId }),
    observer: services.observer,
  };

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
      const handled = await handler(ctx);
      if (handled instanceof Response) return withRequestId(handled, requestId);
      let answer = handled;
      for (const hook of ctx.responseHooks) answer = await hook(answer, ctx);
      return answer.carriesRequestId ? answer.response : withRequestId(answer.response, requestId);
    } catch (err) {
      // A policy that read the body first meets the size limit here rather than in the handler.
      if (err instanceof BodyTooLargeError) return withRequestId(rejectWithFault(ctx, "request_too_large", null, { limitBytes: err.limit }), requestId);
      if (err instanceof BodyRefusedError) return withRequestId(refuseBody(ctx, err), requestId);
      // The client hung up while sending its body: counted, not an error; nobody reads this answer.
      if (isClientAbort(err)) return (services.clientAborts.note({ operationId: route.operationId }), new Response(null, { status: 400 }));
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
  if (response.headers.get("x-request-id") === requestId) return response;
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
