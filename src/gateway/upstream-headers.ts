// What crosses from client to upstream is an allow-list, not a block-list: the inbound Authorization
// (our own token), cookies and hop-by-hop headers never reach an upstream (MCP spec: no token
// passthrough). Credentials for the upstream are added later by policies.
const FORWARDED_REQUEST_HEADERS = ["accept", "content-type", "mcp-protocol-version", "mcp-session-id", "last-event-id", "user-agent"];

export function upstreamRequestHeaders(inbound: Headers, requestId: string, clientAddress: string | undefined, publicUrl: URL): Headers {
  const out = new Headers();
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = inbound.get(name);
    if (value !== null) out.set(name, value);
  }
  const priorFor = inbound.get("x-forwarded-for");
  if (clientAddress) out.set("x-forwarded-for", priorFor ? `${priorFor}, ${clientAddress}` : clientAddress);
  out.set("x-forwarded-host", publicUrl.host);
  out.set("x-forwarded-proto", publicUrl.protocol.slice(0, -1));
  out.set("x-request-id", requestId);
  return out;
}
