import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { rmSync } from "node:fs";
import { loadProject } from "../../src/config/load.ts";
import { startGateway, policy, postRpc, type GatewayUnderTest } from "../helpers/gateway.ts";
import { mcpRoute, MCP_ZUPLO, routesDoc, writeProject, type ProjectFiles } from "../helpers/project.ts";
import { startSdkUpstream, type ReceivedRequest, type SdkUpstream } from "../helpers/upstreams.ts";

// Named extra client headers (an mcpgw extension): gateway-wide in zuplo.jsonc and per route in
// McpProxyHandler's options, through the real gateway to the MCP SDK's server, which records what
// arrived. The built-in allow-list stays the default.

let upstream: SdkUpstream;
let gateway: GatewayUnderTest;

const withHeaders = (operationId: string, forwardRequestHeaders: string[], inbound: string[] = []) => {
  const op = mcpRoute(operationId, upstream.url, inbound) as { "x-zuplo-route": { handler: { options: object } } };
  op["x-zuplo-route"].handler.options = { ...op["x-zuplo-route"].handler.options, forwardRequestHeaders };
  return op;
};

beforeAll(async () => {
  upstream = startSdkUpstream({ stateful: false, json: true });
  gateway = await startGateway({
    zuplo: { ...MCP_ZUPLO, mcpgw: { proxy: { forwardRequestHeaders: ["X-Region"] } } },
    policies: { policies: [policy("drop-tenant", "remove-headers-inbound", "RemoveHeadersInboundPolicy", { headers: ["x-tenant"] })] },
    routes: routesDoc({
      "/mcp/plain": { "get,post": mcpRoute("plain", upstream.url) },
      "/mcp/tenant": { "get,post": withHeaders("tenant", ["X-Tenant"]) },
      "/mcp/tenant-dropped": { "get,post": withHeaders("tenant-dropped", ["x-tenant"], ["drop-tenant"]) },
    }),
  });
});

afterAll(async () => {
  await gateway.stop();
  upstream.stop();
});

const CLIENT = { "x-tenant": "acme", "x-region": "eu-west", "x-other": "not-named" };

async function through(path: string): Promise<ReceivedRequest> {
  const before = upstream.received.length;
  const res = await postRpc(`${gateway.url}${path}`, { jsonrpc: "2.0", id: 1, method: "ping" }, CLIENT);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ jsonrpc: "2.0", id: 1, result: {} });
  expect(upstream.received.length).toBe(before + 1);
  return upstream.received.at(-1)!;
}

describe("forwardRequestHeaders", () => {
  it("forwards x-tenant on the route that names it", async () => {
    const seen = await through("/mcp/tenant");
    expect(seen.headers.get("x-tenant")).toBe("acme");
    expect(seen.headers.get("x-other")).toBeNull();
  });

  it("does not forward x-tenant on a route that does not name it", async () => {
    const seen = await through("/mcp/plain");
    expect(seen.headers.get("x-tenant")).toBeNull();
    expect(seen.headers.get("x-other")).toBeNull();
  });

  it("forwards the gateway-wide names on every route, whatever case they are written in", async () => {
    expect((await through("/mcp/plain")).headers.get("x-region")).toBe("eu-west");
    expect((await through("/mcp/tenant")).headers.get("x-region")).toBe("eu-west");
  });

  it("lets a later policy still remove a forwarded header", async () => {
    expect((await through("/mcp/tenant-dropped")).headers.get("x-tenant")).toBeNull();
  });
});

describe("forwardRequestHeaders validation", () => {
  const problemsOf = (files: ProjectFiles) => {
    const dir = writeProject(files);
    try {
      const result = loadProject(dir, { env: {} });
      return result.ok ? [] : result.problems;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const route = (names: unknown) =>
    routesDoc({
      "/mcp/a": {
        "get,post": {
          operationId: "a",
          "x-zuplo-route": { corsPolicy: "none", handler: { module: "$import(@zuplo/runtime)", export: "McpProxyHandler", options: { rewritePattern: "https://up.example.com/mcp", forwardRequestHeaders: names } } },
        },
      },
    });

  const REFUSED = ["Authorization", "proxy-authorization", "Cookie", "host", "connection", "transfer-encoding", "content-length", "forwarded", "X-Forwarded-For", "x-forwarded-host", "x-request-id"];

  for (const name of REFUSED) {
    it(`refuses "${name}" per route and gateway-wide, naming the header and why`, () => {
      const perRoute = problemsOf({ routes: route(["x-ok", name]) });
      expect(perRoute).toHaveLength(1);
      expect(perRoute[0]).toMatchObject({ code: "MCPGW_CONFIG_HANDLER_OPTIONS_INVALID", pointer: "/paths/~1mcp~1a/get,post/x-zuplo-route/handler/options/forwardRequestHeaders/1" });
      expect(perRoute[0]!.message).toContain(`"${name.toLowerCase()}" is never forwarded to an upstream: `);

      const wide = problemsOf({ zuplo: { ...MCP_ZUPLO, mcpgw: { proxy: { forwardRequestHeaders: [name] } } } });
      expect(wide).toHaveLength(1);
      expect(wide[0]).toMatchObject({ code: "MCPGW_CONFIG_PROJECT_INVALID", file: "zuplo.jsonc", pointer: "/mcpgw/proxy/forwardRequestHeaders/0" });
      expect(wide[0]!.message).toContain("is never forwarded");
    });
  }

  it("refuses a name that is not an HTTP header name", () => {
    const found = problemsOf({ routes: route(["x tenant"]) });
    expect(found.map((p) => p.message)).toEqual([expect.stringContaining("must be an HTTP header name")]);
  });

  it("accepts ordinary names, lower-casing them", () => {
    const dir = writeProject({ zuplo: { ...MCP_ZUPLO, mcpgw: { proxy: { forwardRequestHeaders: ["X-Region"] } } }, routes: route(["X-Tenant", "x-correlation-id"]) });
    const result = loadProject(dir, { env: {} });
    rmSync(dir, { recursive: true, force: true });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.config.settings.proxy.forwardRequestHeaders).toEqual(["x-region"]);
    expect(result.config.routes[0]!.handler.options).toMatchObject({ forwardRequestHeaders: ["x-tenant", "x-correlation-id"] });
  });
});
