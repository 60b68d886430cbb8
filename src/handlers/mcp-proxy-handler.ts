import { forwardToUpstream, type UpstreamTarget } from "../mcp/forward.ts";
import { readCall } from "../mcp/jsonrpc.ts";
import { BodyTooLargeError } from "../http/body.ts";
import { isJsonContentType } from "../http/content-type.ts";
import type { BuildContext, RequestBody, RouteHandler } from "../request/context.ts";
import { rejectWithFault } from "../request/reject.ts";
import { DEMO_UPSTREAM, type McpProxyOptions } from "../schemas/mcp-proxy-handler.ts";
import { unbracket } from "../http/host.ts";

// McpProxyHandler (seeds/mcpproxyhandler-reference.mdx): stateless Streamable HTTP over POST to one
// upstream URL (options: src/schemas/mcp-proxy-handler.ts).

export const GET_NOT_ALLOWED_DETAIL =
  "MCP Gateway routes support stateless Streamable HTTP requests over POST. Server-sent event GET streams are not supported.";

// The seed's exact body: no title, no extra members.
const METHOD_NOT_ALLOWED_BODY = JSON.stringify({ type: "https://httpproblems.com/http-status/405", status: 405, detail: GET_NOT_ALLOWED_DETAIL });

/** The seed's 405 for MCP routes; also used by the router for methods a route does not declare. */
export function methodNotAllowed(): Response {
  return new Response(METHOD_NOT_ALLOWED_BODY, { status: 405, headers: { allow: "POST", "content-type": "application/problem+json" } });
}

function upstreamTarget(options: McpProxyOptions, build: BuildContext): UpstreamTarget {
  const url = new URL(options.rewritePattern === DEMO_UPSTREAM ? build.services.demoUpstreamUrl() : options.rewritePattern);
  let tls: UpstreamTarget["tls"];
  if (options.mtlsCertificate !== undefined) {
    const certificate = build.config.settings.mtlsCertificates[options.mtlsCertificate];
    // The config rules report this as MCPGW_CONFIG_UNKNOWN_MTLS_CERTIFICATE; never fall back to plain TLS.
    if (!certificate) throw new Error(`mTLS certificate "${options.mtlsCertificate}" is not defined under mcpgw.mtlsCertificates`);
    tls = { cert: certificate.cert, key: certificate.key, ...(certificate.ca ? { ca: certificate.ca } : {}) };
  }
  return {
    url: url.href,
    forwardSearch: options.forwardSearch,
    followRedirects: options.followRedirects,
    tls,
    hostname: unbracket(url.hostname),
    port: Number(url.port) || (url.protocol === "https:" ? 443 : 80),
    limits: build.config.settings.proxy,
  };
}

export function createMcpProxyHandler(options: McpProxyOptions, build: BuildContext): RouteHandler {
  const target = upstreamTarget(options, build);
  return async (ctx) => {
    if (ctx.request.method !== "POST") {
      // Spec §1.4: GET (no standalone SSE stream) and DELETE (no sessions of ours) answer 405 before any upstream call.
      ctx.observer.requestRejected(ctx, { httpStatus: 405, reasonCode: "method_not_allowed", failureOrigin: "client" });
      return methodNotAllowed();
    }
    if (!isJsonContentType(ctx.request.headers.get("content-type"))) {
      return rejectWithFault(ctx, "unsupported_media_type", null, { detail: "send the JSON-RPC message with Content-Type: application/json" });
    }
    let body: RequestBody;
    try {
      body = await ctx.body();
    } catch (err) {
      if (!(err instanceof BodyTooLargeError)) throw err;
      return rejectWithFault(ctx, "request_too_large", null, { limitBytes: err.limit });
    }
    const reading = readCall(body.json, body.parseError);
    if (!reading.ok) return rejectWithFault(ctx, reading.reason, reading.id, { detail: reading.detail });
    const call = reading.call;
    // Upstream credentials (a token-exchange policy): set now, or the client is answered instead.
    const auth = ctx.upstreamAuth;
    if (auth) {
      const early = await auth.prepare(ctx);
      if (early) {
        ctx.observer.requestRejected(ctx, { httpStatus: early.status, reasonCode: "upstream_auth_unavailable", failureOrigin: "gateway", ...auth.rejection });
        return early;
      }
    }
    ctx.observer.requestAccepted(ctx, call);
    ctx.observer.invocationStarted(ctx, call, ctx.upstreamHeaders);
    return forwardToUpstream(target, {
      call,
      body: body.bytes,
      headers: ctx.upstreamHeaders,
      search: ctx.url.search,
      clientSignal: ctx.request.signal,
      requestId: ctx.requestId,
      complete: (completion) => ctx.observer.invocationCompleted(ctx, call, completion),
      onRefused: auth?.onRefused ? (refusal) => auth.onRefused!(refusal, ctx) : undefined,
    });
  };
}
