import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { loadProject } from "../../src/config/load.ts";
import { MemoryRateLimitStore } from "../../src/limits/rate-limit-store.ts";
import type { GatewayEvent } from "../../src/observe/events.ts";
import { addressKey, clientAddressOf } from "../../src/http/client-address.ts";
import { mcpRoute, MCP_ZUPLO, routesDoc, writeProject } from "../helpers/project.ts";
import { mcpPost, oauthPolicy, OAUTH_POLICY, startGateway, tokenForDevUser } from "../oauth/helpers.ts";
import type { RunningGateway } from "../../src/cli/serve.ts";

// Zuplo's rate-limit-inbound in the chain the capability-filtering docs recommend (MCP OAuth, then the
// rate limit), on a real gateway: real OAuth tokens for two people, real HTTP, the demo upstream.

const PATH = "/mcp/demo-v1";
const rateLimit = (name: string, options: object) => ({ name, policyType: "rate-limit-inbound", handler: { module: "$import(@zuplo/runtime)", export: "RateLimitInboundPolicy", options } });

describe("sliding-window counter (MemoryRateLimitStore)", () => {
  const rule = { requestsAllowed: 3, windowMs: 60_000 };

  it("allows requestsAllowed per window, then refuses with the time until one more fits", () => {
    const store = new MemoryRateLimitStore();
    const t0 = 120_000; // the start of a fixed window
    for (let i = 0; i < 3; i++) expect(store.consume("k", rule, t0 + i).allowed).toBe(true);
    const refused = store.consume("k", rule, t0 + 10_000);
    expect(refused.allowed).toBe(false);
    // Next window: the 3 requests weigh 3·(1 − t/60 s); one more fits once that is ≤ 2, i.e. t ≥ 20 s.
    expect(refused.retryAfterMs).toBe(50_000 + 20_000);
    expect(store.consume("k", rule, t0 + 10_000 + refused.retryAfterMs - 1000).allowed).toBe(false);
    expect(store.consume("k", rule, t0 + 10_000 + refused.retryAfterMs).allowed).toBe(true);
  });

  it("slides: a burst at the end of one window still counts at the start of the next (no edge burst)", () => {
    const store = new MemoryRateLimitStore();
    for (let i = 0; i < 3; i++) expect(store.consume("k", rule, 119_000).allowed).toBe(true);
    // A fixed window would allow 3 more at 120 s; the sliding window still sees ~2.95 requests.
    expect(store.consume("k", rule, 120_000).allowed).toBe(false);
  });

  it("does not count refused requests, keeps keys apart, and stays within maxKeys", () => {
    const store = new MemoryRateLimitStore({ maxKeys: 10 });
    const one = { requestsAllowed: 1, windowMs: 60_000 };
    expect(store.consume("a", one, 0).allowed).toBe(true);
    for (let i = 0; i < 50; i++) expect(store.consume("a", one, 1000).allowed).toBe(false);
    expect(store.consume("b", one, 1000).allowed).toBe(true);
    expect(store.consume("a", one, 120_000).allowed).toBe(true);
    for (let i = 0; i < 100; i++) store.consume(`k${i}`, one, 0);
    expect(store.size).toBe(10);
  });
});

describe("client address keys", () => {
  it("uses the socket peer unless forwarded headers are trusted, then the entry the proxy appended", () => {
    const req = new Request("http://gw/", { headers: { "x-forwarded-for": "6.6.6.6, 203.0.113.9" } });
    expect(clientAddressOf(req, "10.0.0.1", false)).toBe("10.0.0.1");
    expect(clientAddressOf(req, "10.0.0.1", true)).toBe("203.0.113.9");
  });

  it("counts IPv6 by /64 and IPv4-mapped addresses as IPv4", () => {
    expect(addressKey("2001:db8:1:2:aaaa::1")).toBe(addressKey("2001:db8:1:2:bbbb::7"));
    expect(addressKey("2001:db8:1:2::1")).not.toBe(addressKey("2001:db8:1:3::1"));
    expect(addressKey("::ffff:192.0.2.1")).toBe("192.0.2.1");
  });
});

describe("rate-limit-inbound after mcp-oauth-inbound (rateLimitBy user)", () => {
  let gw: RunningGateway;
  const events: GatewayEvent[] = [];

  beforeAll(async () => {
    const dir = writeProject({
      zuplo: { ...MCP_ZUPLO, mcpgw: { devLogin: { users: { alice: {}, bob: {} } } } },
      policies: { policies: [oauthPolicy(), rateLimit("per-person", { rateLimitBy: "user", requestsAllowed: 3, timeWindowMinutes: 1 })] },
      routes: routesDoc({ [PATH]: { "get,post": mcpRoute("demo-mcp-server", "mcpgw:demo", [OAUTH_POLICY, "per-person"]) } }),
    });
    gw = await startGateway(dir, { events });
  });
  afterAll(() => gw.stop());

  it("gives each person their own budget and answers past it with 429, Retry-After and a JSON-RPC error for the request's id", async () => {
    const alice = await tokenForDevUser(gw.url, PATH, "alice");
    const aliceAgain = await tokenForDevUser(gw.url, PATH, "alice");
    const bob = await tokenForDevUser(gw.url, PATH, "bob");
    for (const token of [alice, alice, aliceAgain]) expect((await mcpPost(`${gw.url}${PATH}`, token)).status).toBe(200);
    // A second token of the same person shares the person's counter.
    const refused = await mcpPost(`${gw.url}${PATH}`, aliceAgain, { jsonrpc: "2.0", id: "call-4", method: "tools/list" });
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(120);
    const body = (await refused.json()) as { jsonrpc: string; id: unknown; error: { code: number; data: { reasonCode: string } } };
    expect(body).toMatchObject({ jsonrpc: "2.0", id: "call-4", error: { code: -32079, data: { reasonCode: "rate_limited" } } });
    expect((await mcpPost(`${gw.url}${PATH}`, bob)).status).toBe(200);
    const rejected = events.filter((e) => e.type === "mcp_request_rejected");
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ rejection: { httpStatus: 429, reasonCode: "rate_limited", rejectedBy: "per-person" }, scope: { fields: { subjectId: "alice" } } });
  });
});

describe("rate-limit-inbound by ip and all", () => {
  it("limits every caller together (all) and per address (ip), and headerMode none omits Retry-After", async () => {
    const dir = writeProject({
      policies: {
        policies: [rateLimit("everyone", { rateLimitBy: "all", requestsAllowed: 2, timeWindowMinutes: 1, headerMode: "none" }), rateLimit("per-address", { rateLimitBy: "ip", requestsAllowed: 1, timeWindowMinutes: 60 })],
      },
      routes: routesDoc({ "/mcp/all": { "get,post": mcpRoute("all-route", "mcpgw:demo", ["everyone"]) }, "/mcp/ip": { "get,post": mcpRoute("ip-route", "mcpgw:demo", ["per-address"]) } }),
    });
    const gw = await startGateway(dir, { mode: "start" });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await mcpPost(`${gw.url}/mcp/all`, undefined)).status);
      expect(statuses).toEqual([200, 200, 429]);
      expect((await mcpPost(`${gw.url}/mcp/all`, undefined)).headers.get("retry-after")).toBeNull();
      expect((await mcpPost(`${gw.url}/mcp/ip`, undefined)).status).toBe(200);
      const second = await mcpPost(`${gw.url}/mcp/ip`, undefined);
      expect(second.status).toBe(429);
      expect(Number(second.headers.get("retry-after"))).toBeGreaterThan(60);
    } finally {
      await gw.stop();
    }
  });
});

describe("validate", () => {
  const project = (policyOptions: object, inbound: string[]) =>
    writeProject({
      policies: { policies: [oauthPolicy(), rateLimit("limit", policyOptions)] },
      routes: routesDoc({ [PATH]: { "get,post": mcpRoute("demo-mcp-server", "mcpgw:demo", inbound) } }),
    });

  it("accepts the recommended chain", () => {
    const result = loadProject(project({ rateLimitBy: "user", requestsAllowed: 100, timeWindowMinutes: 1 }, [OAUTH_POLICY, "limit"]), { env: {} });
    expect(result.ok).toBe(true);
  });

  it('refuses rateLimitBy "function" and says why and what to use', () => {
    const result = loadProject(project({ rateLimitBy: "function", requestsAllowed: 1, timeWindowMinutes: 1, identifier: { export: "f", module: "$import(./modules/x)" } }, [OAUTH_POLICY, "limit"]), { env: {} });
    expect(result.ok).toBe(false);
    const problem = !result.ok ? result.problems.find((p) => p.pointer.endsWith("/rateLimitBy")) : undefined;
    expect(problem?.code).toBe("MCPGW_CONFIG_POLICY_OPTIONS_INVALID");
    expect(problem?.message).toContain("runs no custom code");
    expect(problem?.message).toContain('"user"');
  });

  it('refuses rateLimitBy "user" before the MCP OAuth policy', () => {
    const result = loadProject(project({ rateLimitBy: "user", requestsAllowed: 1, timeWindowMinutes: 1 }, ["limit", OAUTH_POLICY]), { env: {} });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.map((p) => p.code)).toContain("MCPGW_CONFIG_RATE_LIMIT_WITHOUT_USER");
  });
});
