import * as v from "valibot";

// Extra client headers a project may forward upstream, beyond the built-in allow-list in
// src/mcp/upstream-headers.ts (an mcpgw extension: Zuplo's URL rewrite passes every header, mcpgw passes
// named ones). Some names may never be forwarded, whatever the project says:
const NEVER_FORWARDED: ReadonlyMap<string, string> = new Map([
  // MCP 2025-11-25 authorization §"Token Passthrough": the client's token is ours, never the upstream's.
  ["authorization", "it carries the client's token for the gateway, which must never reach an upstream (MCP token passthrough); set upstream credentials with set-upstream-api-key-inbound"],
  ["proxy-authorization", "it carries credentials for a proxy between client and gateway"],
  ["cookie", "cookies are the client's state with the gateway's origin, not the upstream's"],
  ["host", "the upstream's Host comes from rewritePattern"],
  // RFC 9110 §7.6.1 hop-by-hop fields and the body's framing: they describe the client's connection.
  ...["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "content-length", "content-encoding", "expect"].map(
    (name) => [name, "it describes the client's connection or the body's framing, which the gateway recomputes for the upstream"] as const,
  ),
  ["forwarded", "the gateway writes the X-Forwarded-* headers itself, from the connection it sees"],
  ["x-request-id", "the gateway sets it to the request's own id"],
]);

function refusal(name: string): string | undefined {
  if (name.startsWith("x-forwarded-")) return NEVER_FORWARDED.get("forwarded");
  return NEVER_FORWARDED.get(name);
}

/** RFC 9110 §5.1: a field name is a token. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A list of header names to forward, lower-cased; refused names are config errors naming the reason. */
export const ForwardRequestHeaders = v.array(
  v.pipe(
    v.string(),
    v.regex(TOKEN, "must be an HTTP header name such as x-tenant"),
    v.toLowerCase(),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const why = refusal(dataset.value);
      if (why) addIssue({ message: `"${dataset.value}" is never forwarded to an upstream: ${why}` });
    }),
  ),
);
