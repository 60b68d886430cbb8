import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startGateway, policy, postRpc, type GatewayUnderTest, type LogEntry } from "../helpers/gateway.ts";
import { mcpRoute, routesDoc } from "../helpers/project.ts";
import { startSdkUpstream, type SdkUpstream } from "../helpers/upstreams.ts";

// McpProxyHandler against the MCP SDK's own server in all four Streamable HTTP flavours, driven by the
// SDK's own client: through the gateway it must get exactly what it gets when talking to the upstream
// directly, and the upstream must see only what the gateway is meant to send.

const FLAVOURS = [
  { name: "stateless-json", stateful: false, json: true },
  { name: "stateless-sse", stateful: false, json: false },
  { name: "stateful-json", stateful: true, json: true },
  { name: "stateful-sse", stateful: true, json: false },
] as const;

const CLIENT_SECRET_HEADERS = { authorization: "Bearer gateway-token-for-the-client-only", cookie: "session=do-not-forward" };

const upstreams = new Map<string, SdkUpstream>();
let gateway: GatewayUnderTest;

beforeAll(async () => {
  for (const f of FLAVOURS) upstreams.set(f.name, startSdkUpstream(f));
  gateway = await startGateway({
    logLevel: "debug",
    env: { TAG_SECRET_VALUE: "tag-from-env" },
    policies: {
      policies: FLAVOURS.map((f) => policy(`tag-${f.name}`, "set-headers-inbound", "SetHeadersInboundPolicy", { headers: [{ name: "x-route-tag", value: `${f.name}:$env(TAG_SECRET_VALUE)` }] })),
    },
    routes: routesDoc({
      ...Object.fromEntries(FLAVOURS.map((f) => [`/mcp/${f.name}`, { "get,post": mcpRoute(`${f.name}-server`, upstreams.get(f.name)!.url, [`tag-${f.name}`]) }])),
      "/mcp/every-method": { "get,post,delete": mcpRoute("every-method-server", upstreams.get("stateless-json")!.url) },
    }),
  });
});

afterAll(async () => {
  await gateway.stop();
  for (const u of upstreams.values()) u.stop();
});

/** The same conversation an MCP host has: handshake, then every capability kind once. */
async function converse(url: string) {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: CLIENT_SECRET_HEADERS } });
  const client = new Client({ name: "proxy-test-client", version: "0.0.1" });
  await client.connect(transport);
  const transcript = {
    server: client.getServerVersion(),
    capabilities: client.getServerCapabilities(),
    tools: await client.listTools(),
    echo: await client.callTool({ name: "echo", arguments: { text: "héllo ✓" } }),
    add: await client.callTool({ name: "add", arguments: { a: 2, b: 40 } }),
    fail: await client.callTool({ name: "fail", arguments: {} }),
    prompts: await client.listPrompts(),
    prompt: await client.getPrompt({ name: "greet", arguments: { name: "Ada" } }),
    resources: await client.listResources(),
    resource: await client.readResource({ uri: "test://readme" }),
  };
  const sessionId = transport.sessionId;
  if (sessionId) await transport.terminateSession();
  await client.close();
  return { transcript, sessionId };
}

const completedFor = (logs: LogEntry[], operationId: string, method: string, capability?: string) =>
  logs.filter((l) => l.event === "capability_invocation_completed" && l.operationId === operationId && l.mcpMethod === method && (capability === undefined || l.capabilityName === capability));

for (const flavour of FLAVOURS) {
  describe(`McpProxyHandler with an SDK upstream (${flavour.name})`, () => {
    let direct: Awaited<ReturnType<typeof converse>>;
    let proxied: Awaited<ReturnType<typeof converse>>;
    const upstream = () => upstreams.get(flavour.name)!;
    const viaGateway = () => upstream().received.filter((r) => r.headers.get("x-route-tag") !== null);

    beforeAll(async () => {
      direct = await converse(upstream().url);
      proxied = await converse(`${gateway.url}/mcp/${flavour.name}`);
    });

    it("gives the SDK client the same results as talking to the upstream directly", () => {
      expect(proxied.transcript).toEqual(direct.transcript);
      expect(proxied.transcript.add.structuredContent).toEqual({ sum: 42 });
      expect(proxied.transcript.resource.contents).toEqual([{ uri: "test://readme", mimeType: "text/plain", text: "read me" }]);
    });

    it("never forwards the client's Authorization or cookies, and adds X-Forwarded-*, a request id and the route's own headers", () => {
      const seen = viaGateway();
      expect(seen.length).toBeGreaterThanOrEqual(9);
      const gatewayHost = new URL(gateway.url).host;
      for (const r of seen) {
        expect(r.headers.get("authorization")).toBeNull();
        expect(r.headers.get("cookie")).toBeNull();
        expect(r.headers.get("x-forwarded-for")).toBe("127.0.0.1");
        expect(r.headers.get("x-forwarded-host")).toBe(gatewayHost);
        expect(r.headers.get("x-forwarded-proto")).toBe("http");
        expect(r.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
        expect(r.headers.get("x-route-tag")).toBe(`${flavour.name}:tag-from-env`);
      }
      // After initialize the SDK client sends MCP-Protocol-Version; it must reach the upstream.
      expect(seen.filter((r) => r.headers.get("mcp-protocol-version")).length).toBe(seen.length - 1);
    });

    if (flavour.stateful) {
      it("round-trips Mcp-Session-Id: the upstream's id reaches the client and comes back on every later request", () => {
        expect(proxied.sessionId).toMatch(/^[0-9a-f-]{36}$/);
        const later = viaGateway().filter((r) => !r.body.includes('"initialize"'));
        expect(later.length).toBeGreaterThan(0);
        for (const r of later) expect(r.headers.get("mcp-session-id")).toBe(proxied.sessionId!);
      });
    }

    it("emits started/completed events per call with method, capability, outcome and mcpStatus", () => {
      const op = `${flavour.name}-server`;
      const responseType = flavour.json ? "json" : "sse";
      const init = completedFor(gateway.logs, op, "initialize")[0]!;
      expect(init).toMatchObject({ clientName: "proxy-test-client", outcome: "success", mcpStatus: "result", httpStatus: 200, responseType });
      expect(completedFor(gateway.logs, op, "tools/call", "echo")[0]).toMatchObject({ outcome: "success", mcpStatus: "result" });
      expect(completedFor(gateway.logs, op, "tools/call", "fail")[0]).toMatchObject({ outcome: "application_error", mcpStatus: "tool_error" });
      expect(completedFor(gateway.logs, op, "prompts/get", "greet")[0]).toMatchObject({ outcome: "success" });
      expect(completedFor(gateway.logs, op, "resources/read", "test://readme")[0]).toMatchObject({ outcome: "success" });
      expect(completedFor(gateway.logs, op, "notifications/initialized")[0]).toMatchObject({ outcome: "success", mcpStatus: "accepted", httpStatus: 202 });
      const started = gateway.logs.filter((l) => l.event === "capability_invocation_started" && l.operationId === op && l.capabilityName === "add");
      expect(started).toHaveLength(1);
      for (const e of completedFor(gateway.logs, op, "tools/call")) {
        expect(e.latencyMs as number).toBeGreaterThanOrEqual(e.upstreamMs as number);
        expect(e.gatewayMs as number).toBeGreaterThanOrEqual(0);
        expect(e.requestId).toBeString();
      }
      // The SDK client's GET (standalone stream) is refused, not proxied; so is its DELETE (end of
      // session), which on a "get,post" route the router answers before the handler.
      const rejected = gateway.logs.filter((l) => l.event === "mcp_request_rejected" && l.operationId === op).map((l) => l.httpMethod);
      expect(rejected).toContain("GET");
      expect(viaGateway().every((r) => r.body !== "")).toBe(true);
    });
  });
}

describe("McpProxyHandler method and header rules", () => {
  const url = () => `${gateway.url}/mcp/stateless-json`;
  const EXPECTED_405 = {
    type: "https://httpproblems.com/http-status/405",
    status: 405,
    detail: "MCP Gateway routes support stateless Streamable HTTP requests over POST. Server-sent event GET streams are not supported.",
  };

  it("answers GET with the documented 405 problem (Allow: POST, no extra fields) before any upstream call", async () => {
    const before = upstreams.get("stateless-json")!.received.length;
    const res = await fetch(url(), { headers: { accept: "text/event-stream" } });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toEqual(EXPECTED_405);
    expect(upstreams.get("stateless-json")!.received.length).toBe(before);
  });

  it("answers DELETE (ending a session) the same way on a route that declares it", async () => {
    const before = upstreams.get("stateless-json")!.received.length;
    const res = await fetch(`${gateway.url}/mcp/every-method`, { method: "DELETE", headers: { "mcp-session-id": "abc" } });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect(await res.json()).toEqual(EXPECTED_405);
    expect(upstreams.get("stateless-json")!.received.length).toBe(before);
  });

  it("answers DELETE with the same 405 on a get,post route that does not declare it", async () => {
    const res = await fetch(url(), { method: "DELETE", headers: { "mcp-session-id": "abc" } });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect(await res.json()).toEqual(EXPECTED_405);
  });

  it("passes the body through byte for byte", async () => {
    const raw = '{ "jsonrpc" : "2.0", "id" : "keep-me",   "method" : "tools/list" }';
    const res = await postRpc(url(), raw);
    expect(res.status).toBe(200);
    const seen = upstreams.get("stateless-json")!.received.at(-1)!;
    expect(seen.body).toBe(raw);
    expect(((await res.json()) as { id: unknown }).id).toBe("keep-me");
  });
});
