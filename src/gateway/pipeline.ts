import type { GatewayConfig, RouteConfig } from "../config/types.ts";
import { errorFields } from "../log/logger.ts";
import { findHandler, findPolicy } from "../policies/registry.ts";
import { BodyTooLargeError, type InboundPolicy, type RequestBody, type RequestContext, type RouteHandler, type Services } from "./context.ts";
import { publicOrigin } from "./origin.ts";
import { faultResponse, rejectWithFault } from "../mcp/faults.ts";
import { upstreamRequestHeaders } from "./upstream-headers.ts";

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

const utf8 = new TextDecoder();

/**
 * The request body, bounded by `limit`: a declared Content-Length over it is refused unread; a body
 * without one (chunked) is read chunk by chunk and abandoned as soon as it passes the limit.
 */
async function readBody(request: Request, limit: number): Promise<RequestBody> {
  const declared = request.headers.get("content-length");
  let bytes: Uint8Array<ArrayBuffer>;
  if (declared !== null) {
    if (Number(declared) > limit) throw new BodyTooLargeError(limit);
    // HTTP framing ends the body at Content-Length, so reading it whole is bounded.
    bytes = new Uint8Array(await request.arrayBuffer());
  } else {
    bytes = await readChunked(request.body, limit);
  }
  if (bytes.byteLength > limit) throw new BodyTooLargeError(limit);
  if (bytes.byteLength === 0) return { bytes, json: undefined, parseError: "empty body" };
  try {
    return { bytes, json: JSON.parse(utf8.decode(bytes)) };
  } catch (err) {
    return { bytes, json: undefined, parseError: (err as Error).message };
  }
}

async function readChunked(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (body) {
    // Leaving the loop early (the throw) cancels the stream, so the rest is never read.
    for await (const chunk of body) {
      total += chunk.byteLength;
      if (total > limit) throw new BodyTooLargeError(limit);
      chunks.push(chunk);
    }
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

export function compileRoute(route: RouteConfig, config: GatewayConfig, services: Services, policies: Map<string, InboundPolicy>): CompiledRoute {
  const def = findHandler(route.handler.exportName);
  if (!def) throw new Error(`unknown handler ${route.handler.exportName}`);
  const handler: RouteHandler = def.create(route.handler.options, { config, services, name: route.operationId });
  const steps = route.inbound.map((name) => policies.get(name)!);
  const limit = config.settings.proxy.maxRequestBodyBytes;
  const routeLog = services.log.child({ operationId: route.operationId });

  return async (request, url, clientAddress) => {
    const requestId = crypto.randomUUID();
    const origin = publicOrigin(request, url, config.settings);
    let bodyPromise: Promise<RequestBody> | undefined;
    const ctx: RequestContext = {
      request,
      url,
      requestId,
      route,
      config,
      origin,
      clientAddress,
      startedAt: performance.now(),
      upstreamHeaders: upstreamRequestHeaders(request.headers, requestId, clientAddress, origin),
      log: routeLog.child({ requestId }),
      fields: { operationId: route.operationId },
      responseHooks: [],
      body: () => (bodyPromise ??= readBody(request, limit)),
      invokeHandler: () => handler(ctx),
    };
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
      ctx.log.error("request_failed", "The gateway failed while handling the request.", { ...ctx.fields, ...errorFields(err) });
      // MCP clients get a JSON-RPC error answering their id, never an HTML page or a stack trace.
      const body = bodyPromise ? await bodyPromise.catch(() => undefined) : undefined;
      const id = (body?.json as { id?: unknown } | undefined)?.id;
      return withRequestId(faultResponse("internal_error", typeof id === "string" || typeof id === "number" ? id : null, requestId), requestId);
    }
  };
}

function withRequestId(response: Response, requestId: string): Response {
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
