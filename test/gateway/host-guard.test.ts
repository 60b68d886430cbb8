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
  proxy: { connectTimeoutMs: 1, requestTimeoutMs: 1, sseIdleTimeoutMs: 1, maxRequestBodyBytes: 1, forwardRequestHeaders: [] },
  devLogin: { users: {} },
  mtlsCertificates: {},
  oauth: { rateLimits: { register: false, authorize: false, token: false }, maxRegisteredClients: 1, maxPendingAuthorizations: 1, unusedClientTtlHours: 1 },
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
    expect(originAllowed(p, "https://anything.example")).toBe(true);
  });

  it("accepts a missing Origin and refuses a foreign or malformed one", () => {
    const p = hostPolicy(settings(), "127.0.0.1");
    expect(originAllowed(p, null)).toBe(true);
    expect(originAllowed(p, "http://127.0.0.1:6274")).toBe(true);
    expect(originAllowed(p, "http://rebind.attacker.example:9000")).toBe(false);
    expect(originAllowed(p, "null")).toBe(false);
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
      expect((await post({})).status).toBe(200);
      expect((await fetch(`${gw.url}/__mcpgw/health/ready`, { headers: { host: `10.1.2.3:${port}` } })).status).toBe(200);
    } finally {
      await gw.stop();
    }
  });
});
