import { describe, expect, it } from "bun:test";
import type { GatewaySettings } from "../../src/config/types.ts";
import { hostAllowed, hostPolicy, originAllowed } from "../../src/gateway/host-guard.ts";
import { hostName } from "../../src/http/host.ts";
import { startGateway } from "../helpers/gateway.ts";
import { mcpRoute, routesDoc } from "../helpers/project.ts";

const settings = (over: Partial<GatewaySettings> = {}): GatewaySettings => ({
  basePath: "",
  trustForwardedHeaders: false,
  allowedHosts: [],
  proxy: { connectTimeoutMs: 1, requestTimeoutMs: 1, sseIdleTimeoutMs: 1, maxRequestBodyBytes: 1, forwardRequestHeaders: [], maxConcurrentBodyBytes: 1, maxJsonDepth: 1, maxBatchSize: 1, maxFilteredResponseBytes: 1 },
  devLogin: { users: {} },
  mtlsCertificates: {},
  oauth: { rateLimits: { register: false, authorize: false, token: false }, maxRegisteredClients: 1, maxPendingAuthorizations: 1, unusedClientTtlHours: 1, tokenCacheSeconds: 10 },
  ...over,
});

describe("host guard (DNS rebinding)", () => {
  it("bound to loopback, answers only loopback names, on any port", () => {
    const p = hostPolicy(settings(), "127.0.0.1");
    for (const ok of ["127.0.0.1:9000", "localhost:9000", "[::1]:9000", "LOCALHOST"]) expect(hostAllowed(p, ok)).toBe(true);
    for (const bad of ["rebind.attacker.example:9000", "127.0.0.1.nip.io:9000", "", null]) expect(hostAllowed(p, bad)).toBe(false);
  });

  it("adds the public origin's host and mcpgw.allowedHosts", () => {
    const p = hostPolicy(settings({ publicOrigin: "https://mcp.example.com", allowedHosts: ["gw.internal"] }), "0.0.0.0");
    expect(hostAllowed(p, "mcp.example.com")).toBe(true);
    expect(hostAllowed(p, "gw.internal:8443")).toBe(true);
    expect(hostAllowed(p, "other.example.com")).toBe(false);
  });

  it("bound to every interface with no names configured, answers any host", () => {
    const p = hostPolicy(settings(), "0.0.0.0");
    expect(hostAllowed(p, "anything.example")).toBe(true);
  });

  it("accepts a missing Origin and only the gateway's own origins, by scheme, host and port", () => {
    const own = ["http://127.0.0.1:9000", "https://mcp.example.com"];
    expect(originAllowed(null, own)).toBe(true);
    expect(originAllowed("http://127.0.0.1:9000", own)).toBe(true);
    expect(originAllowed("HTTPS://MCP.example.com:443", own)).toBe(true);
    // Same host name, another port or scheme: another origin (a dev server on localhost:3000, say).
    expect(originAllowed("http://127.0.0.1:6274", own)).toBe(false);
    expect(originAllowed("https://127.0.0.1:9000", own)).toBe(false);
    expect(originAllowed("http://mcp.example.com", own)).toBe(false);
    expect(originAllowed("http://rebind.attacker.example:9000", own)).toBe(false);
    expect(originAllowed("null", own)).toBe(false);
    expect(originAllowed("not a url", own)).toBe(false);
  });

  it("parses host names from Host headers", () => {
    expect(hostName("Example.COM:80")).toBe("example.com");
    expect(hostName("[::1]:9000")).toBe("[::1]");
    expect(hostName("127.0.0.1")).toBe("127.0.0.1");
  });
});

describe("host guard on a running gateway", () => {
  it("refuses a rebinding Host and a foreign Origin on MCP routes, and still answers health probes", async () => {
    const gw = await startGateway({ routes: routesDoc({ "/mcp/demo-v1": { "get,post": mcpRoute("demo", "mcpgw:demo") } }) });
    try {
      const port = new URL(gw.url).port;
      const post = (headers: Record<string, string>) =>
        fetch(`${gw.url}/mcp/demo-v1`, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
        });
      expect((await post({ host: `rebind.attacker.example:${port}` })).status).toBe(403);
      expect((await post({ origin: `http://rebind.attacker.example:${port}` })).status).toBe(403);
      expect((await post({ origin: `http://127.0.0.1:${port}` })).status).toBe(200);
      // Issue 18: hostnames alone are not an origin. Another port or scheme on the same host is refused.
      expect((await post({ origin: "http://127.0.0.1:3000" })).status).toBe(403);
      expect((await post({ origin: `https://127.0.0.1:${port}` })).status).toBe(403);
      expect((await post({ origin: `http://localhost:${port}` })).status).toBe(403);
      expect((await post({})).status).toBe(200);
      expect((await fetch(`${gw.url}/__mcpgw/health/ready`, { headers: { host: `10.1.2.3:${port}` } })).status).toBe(200);
    } finally {
      await gw.stop();
    }
  });
});

describe("CORS preflight on an MCP route", () => {
  it("refuses a cross-origin preflight (no Access-Control-Allow-*), and tells other clients the methods", async () => {
    const gw = await startGateway({ routes: routesDoc({ "/mcp/demo-v1": { "get,post": mcpRoute("demo", "mcpgw:demo") } }) });
    try {
      const preflight = await fetch(`${gw.url}/mcp/demo-v1`, {
        method: "OPTIONS",
        headers: { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type, authorization" },
      });
      expect(preflight.status).toBe(403);
      expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
      const options = await fetch(`${gw.url}/mcp/demo-v1`, { method: "OPTIONS" });
      expect(options.status).toBe(204);
      expect(options.headers.get("allow")).toBe("GET, POST, OPTIONS");
      expect(options.headers.get("access-control-allow-origin")).toBeNull();
    } finally {
      await gw.stop();
    }
  });
});
