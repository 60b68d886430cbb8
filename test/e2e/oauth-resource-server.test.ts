import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { RunningGateway } from "../../src/cli/serve.ts";
import { DEMO_PATH, mcpPost, obtainTokens, postForm, startGateway, writeOAuthProject } from "../oauth/helpers.ts";

// The mcp-oauth-inbound policy as the resource server in front of every MCP route: the challenge that
// starts discovery, token checks (unknown, revoked, expired, another route's), no query-string tokens,
// and our token never reaching the upstream.

const OTHER_PATH = "/mcp/other-v1";

/** An upstream MCP server (the SDK's) that records the headers of every request it gets. */
function recordingUpstream() {
  const seen: Headers[] = [];
  const http = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      seen.push(new Headers(request.headers));
      const server = new McpServer({ name: "recorder", version: "1.0.0" });
      server.registerTool("whoami", { description: "says hi" }, async () => ({ content: [{ type: "text", text: "hi" }] }));
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      await server.connect(transport);
      return transport.handleRequest(request);
    },
  });
  return { url: `http://127.0.0.1:${http.port}/mcp`, seen, stop: () => http.stop(true) };
}

let gw: RunningGateway;
let upstream: ReturnType<typeof recordingUpstream>;
beforeAll(async () => {
  upstream = recordingUpstream();
  gw = await startGateway(writeOAuthProject({ routes: { [DEMO_PATH]: "demo-mcp-server", [OTHER_PATH]: "other-mcp-server" }, rewritePattern: upstream.url }));
});
afterAll(async () => {
  await gw.stop();
  upstream.stop();
});

describe("resource server challenge", () => {
  it("answers a request without a token 401 with the RFC 9728 challenge", async () => {
    const r = await mcpPost(`${gw.url}${DEMO_PATH}`, undefined);
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toBe(
      `Bearer realm="OAuth", resource_metadata="${gw.url}/.well-known/oauth-protected-resource${DEMO_PATH}", scope="mcp:tools"`,
    );
    expect(upstream.seen.length).toBe(0);
  });

  it("challenges GET too: authentication comes before the handler's 405", async () => {
    const r = await fetch(`${gw.url}${DEMO_PATH}`);
    expect(r.status).toBe(401);
  });

  it("treats a non-Bearer Authorization as no token, and a malformed Bearer as invalid_token", async () => {
    const basic = await fetch(`${gw.url}${DEMO_PATH}`, { method: "POST", headers: { authorization: "Basic dXNlcjpwYXNz" } });
    expect(basic.headers.get("www-authenticate")).not.toContain("error=");
    const bad = await fetch(`${gw.url}${DEMO_PATH}`, { method: "POST", headers: { authorization: "Bearer" } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("answers an unknown token 401 invalid_token", async () => {
    const r = await mcpPost(`${gw.url}${DEMO_PATH}`, "at_" + "Z".repeat(43));
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toMatch(/^Bearer realm="OAuth", error="invalid_token", error_description="[^"]+", resource_metadata="[^"]+", scope="mcp:tools"$/);
  });
});

describe("valid tokens", () => {
  it("admits the token's own route and never sends our token upstream", async () => {
    const { tokens } = await obtainTokens(gw.url);
    upstream.seen.length = 0;
    const r = await mcpPost(`${gw.url}${DEMO_PATH}`, tokens.access_token);
    expect(r.status).toBe(200);
    expect(upstream.seen.length).toBe(1);
    const sent = upstream.seen[0]!;
    expect(sent.get("authorization")).toBeNull();
    expect([...sent.values()].join(" ")).not.toContain(tokens.access_token);
  });

  it("refuses the token on another route (401 invalid_token): tokens are bound to one route", async () => {
    const { tokens } = await obtainTokens(gw.url);
    const r = await mcpPost(`${gw.url}${OTHER_PATH}`, tokens.access_token);
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(r.headers.get("www-authenticate")).toContain(`oauth-protected-resource${OTHER_PATH}`);
  });

  it("refuses a token in the query string, even next to a valid header", async () => {
    const { tokens } = await obtainTokens(gw.url);
    const r = await mcpPost(`${gw.url}${DEMO_PATH}?access_token=${tokens.access_token}`, tokens.access_token);
    expect(r.status).toBe(400);
    expect(r.headers.get("www-authenticate")).toContain('error="invalid_request"');
  });
});

describe("token lifetimes", () => {
  it("refuses an expired access token with invalid_token", async () => {
    const short = await startGateway(writeOAuthProject({ gateway: { accessTokenTtlSeconds: 1 } }));
    try {
      const { tokens } = await obtainTokens(short.url);
      expect(tokens.expires_in).toBe(1);
      expect((await mcpPost(`${short.url}${DEMO_PATH}`, tokens.access_token)).status).toBe(200);
      await Bun.sleep(1_100);
      const r = await mcpPost(`${short.url}${DEMO_PATH}`, tokens.access_token);
      expect(r.status).toBe(401);
      expect(r.headers.get("www-authenticate")).toContain("expired");
    } finally {
      await short.stop();
    }
  });

  it("caps a refreshed access token's lifetime by the grant's", async () => {
    const short = await startGateway(writeOAuthProject({ gateway: { refreshTokenTtlSeconds: 5, accessTokenTtlSeconds: 900 } }));
    try {
      const { clientId, tokens } = await obtainTokens(short.url);
      expect(tokens.expires_in).toBeLessThanOrEqual(5);
      const r = await postForm(`${short.url}/oauth/token`, { grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: clientId });
      const next = (await r.json()) as { expires_in: number };
      expect(next.expires_in).toBeLessThanOrEqual(5);
    } finally {
      await short.stop();
    }
  });
});
