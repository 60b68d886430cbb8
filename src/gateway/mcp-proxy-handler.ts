import * as v from "valibot";
import { defineHandler } from "../policies/definition.ts";
import { problemResponse } from "./problem.ts";
import { DEMO_UPSTREAM } from "../demo/demo-upstream.ts";

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

export const OptionsSchema = v.strictObject({
  rewritePattern: RewritePattern,
  forwardSearch: v.optional(v.boolean(), true),
  followRedirects: v.optional(v.boolean(), false),
  mtlsCertificate: v.optional(v.pipe(v.string(), v.minLength(1))),
});

export type McpProxyOptions = v.InferOutput<typeof OptionsSchema>;

export const GET_NOT_ALLOWED_DETAIL =
  "MCP Gateway routes support stateless Streamable HTTP requests over POST. Server-sent event GET streams are not supported.";

export const mcpProxyHandler = defineHandler({
  exportName: "McpProxyHandler",
  optionsSchema: OptionsSchema,
  create(options, build) {
    const target = new URL(options.rewritePattern === DEMO_UPSTREAM ? build.services.demoUpstreamUrl() : options.rewritePattern);
    return async (ctx) => {
      if (ctx.request.method !== "POST") {
        return problemResponse(405, GET_NOT_ALLOWED_DETAIL, {}, { allow: "POST" });
      }
      const url = new URL(target);
      if (options.forwardSearch && ctx.url.search) url.search = ctx.url.search;
      const body = await ctx.body();
      const upstream = await fetch(url, {
        method: "POST",
        headers: ctx.upstreamHeaders,
        body: body.bytes,
        redirect: options.followRedirects ? "follow" : "manual",
      });
      return new Response(upstream.body, { status: upstream.status, headers: upstream.headers });
    };
  },
});
