import * as v from "valibot";
import { ForwardRequestHeaders } from "./forward-request-headers.ts";

/** rewritePattern value that points a route at the built-in demo upstream (src/demo/). */
export const DEMO_UPSTREAM = "mcpgw:demo";

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

export const McpProxyOptionsSchema = v.pipe(
  v.strictObject({
    rewritePattern: RewritePattern,
    forwardSearch: v.optional(v.boolean(), true),
    followRedirects: v.optional(v.boolean(), false),
    mtlsCertificate: v.optional(v.pipe(v.string(), v.minLength(1))),
    // An mcpgw extension: client headers this route forwards beyond the built-in allow-list.
    forwardRequestHeaders: v.optional(ForwardRequestHeaders),
  }),
  v.check((o) => o.mtlsCertificate === undefined || o.rewritePattern.startsWith("https://"), "mtlsCertificate needs an https:// rewritePattern: a client certificate is presented in the TLS handshake"),
);

export type McpProxyOptions = v.InferOutput<typeof McpProxyOptionsSchema>;
