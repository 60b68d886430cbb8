import * as v from "valibot";
import { ForwardRequestHeaders } from "./forward-request-headers.ts";
import type { OptionDocs } from "./option-docs.ts";

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

export const McpProxyOptionsDocs: OptionDocs = {
  summary:
    "Forwards the client's JSON-RPC POST to one upstream MCP server (stateless Streamable HTTP) and passes the answer back, JSON or event stream; `GET` and `DELETE` get 405. Every MCP route ends in it. See [proxy.md](../proxy.md).",
  options: {
    rewritePattern: `The upstream URL: a literal http(s) URL without user or password, or exactly \`\${env.NAME}\` (resolved when the project loads, and then such a URL). \`"${DEMO_UPSTREAM}"\` selects the built-in demo upstream (for trying mcpgw only).`,
    forwardSearch: "Append the client's query string to the upstream URL (joined with `&` when `rewritePattern` has a query).",
    followRedirects: "Follow an upstream 3xx instead of passing it to the client. Only for upstreams you trust: credentials set by policies may be sent to the redirect target.",
    mtlsCertificate: "The id of a client certificate under `mcpgw.mtlsCertificates` in zuplo.jsonc, presented in the TLS handshake of every upstream request of the route.",
    forwardRequestHeaders:
      "An mcpgw extension: client headers this route forwards to the upstream besides the built-in allow-list and `mcpgw.proxy.forwardRequestHeaders`, e.g. `[\"x-tenant\"]`. `authorization`, `proxy-authorization`, `cookie`, `host`, hop-by-hop and framing headers, `forwarded`, `x-forwarded-*` and `x-request-id` are refused, with the reason.",
  },
};
