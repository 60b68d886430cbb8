import * as v from "valibot";
import { DEMO_UPSTREAM } from "../demo/demo-upstream.ts";
import { invocationCompleted, invocationStarted, requestAccepted, requestRejected } from "../log/events.ts";
import { rejectWithFault } from "../mcp/faults.ts";
import { forwardToUpstream, type UpstreamTarget } from "../mcp/forward.ts";
import { readCall } from "../mcp/jsonrpc.ts";
import { isJsonContentType } from "../http/content-type.ts";
import { defineHandler } from "../policies/definition.ts";
import { BodyTooLargeError, type BuildContext, type RequestBody } from "./context.ts";

// McpProxyHandler (seeds/mcpproxyhandler-reference.mdx): stateless Streamable HTTP over POST to one
// upstream URL. `${env.X}` was resolved when the project loaded; anything still templated is
// request-derived, which MCP routes reject because they need a stable upstream.
export const RewritePattern = v.union([
  v.literal(DEMO_UPSTREAM),
  v.pipe(
    v.string(),
    v.check((s) => !s.includes("${"), "request-derived templates such as ${params.x} or ${headers.get(\"x\")} are rejected: MCP routes need a stable upstream URL; use a literal http(s) URL or exactly ${env.NAME}"),
    v.check((s) => {
      try {
        const u = new URL(s);
        return (u.protocol === "http:" || u.protocol === "https:") && !u.username && !u.password;
      } catch {
        return false;
      }
    }, "must be an absolute http:// or https:// URL without credentials"),
  ),
]);

export const OptionsSchema = v.pipe(
  v.strictObject({
    rewritePattern: RewritePattern,
    forwardSearch: v.optional(v.boolean(), true),
    followRedirects: v.optional(v.boolean(), false),
    mtlsCertificate: v.optional(v.pipe(v.string(), v.minLength(1))),
  }),
  v.check((o) => o.mtlsCertificate === undefined || o.rewritePattern.startsWith("https://"), "mtlsCertificate needs an https:// rewritePattern: a client certificate is presented in the TLS handshake"),
);

export type McpProxyOptions = v.InferOutput<typeof OptionsSchema>;

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
    hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: Number(url.port) || (url.protocol === "https:" ? 443 : 80),
    limits: build.config.settings.proxy,
  };
}

export const mcpProxyHandler = defineHandler({
  exportName: "McpProxyHandler",
  optionsSchema: OptionsSchema,
  create(options, build) {
    const target = upstreamTarget(options, build);
    return async (ctx) => {
      if (ctx.request.method !== "POST") {
        // Spec §1.4: GET (no standalone SSE stream) and DELETE (no sessions of ours) answer 405 before any upstream call.
        requestRejected(ctx, { httpStatus: 405, reasonCode: "method_not_allowed", failureOrigin: "client" });
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
      requestAccepted(ctx, call);
      invocationStarted(ctx, call);
      return forwardToUpstream(target, {
        call,
        body: body.bytes,
        headers: ctx.upstreamHeaders,
        search: ctx.url.search,
        clientSignal: ctx.request.signal,
        requestId: ctx.requestId,
        complete: (completion) => invocationCompleted(ctx, call, completion),
      });
    };
  },
});
