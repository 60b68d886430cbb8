import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { loadProject } from "../../src/config/load.ts";
import type { GatewayConfig } from "../../src/config/types.ts";
import { buildApp, type Gateway } from "../../src/gateway/app.ts";
import { createServices } from "../../src/services/compose.ts";
import type { Services } from "../../src/services/services.ts";
import { MCP_ZUPLO, mcpRoute, routesDoc, writeProject } from "../helpers/project.ts";
import { startFaultyUpstream, type FaultyUpstream } from "../helpers/upstreams.ts";

// Every proxied MCP call skips hono's router through an exact-path lookup (src/gateway/app.ts). That
// lookup must answer exactly as hono would: the same gateway is built twice from one config, with and
// without it, and both answer the same requests (a real upstream behind the routes).

let upstream: FaultyUpstream;
let services: Services;
let withLookup: Gateway;
let honoOnly: Gateway;

beforeAll(async () => {
  upstream = startFaultyUpstream();
  const project = writeProject({
    zuplo: MCP_ZUPLO,
    routes: routesDoc({
      "/mcp/a": { "get,post": mcpRoute("route-a", `${upstream.origin}/echo`) },
      "/mcp/b-v1": { post: mcpRoute("route-b", `${upstream.origin}/echo`) },
      "/mcp/with space": { post: mcpRoute("route-space", `${upstream.origin}/echo`) },
    }),
  });
  const loaded = loadProject(project, { env: {} });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const config: GatewayConfig = loaded.config;
  services = await createServices({ dataDir: join(project, ".mcpgw"), mode: "dev", log: { level: "silent" } });
  const ready = () => ({ ready: true });
  withLookup = buildApp(config, services, ready);
  honoOnly = buildApp(config, services, ready, { exactPathLookup: false });
});

afterAll(async () => {
  await services.stop();
  upstream.stop();
});

const BODY = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });

/** What a client can compare: status, content type, allow, and the body without the per-request id. */
async function observed(gateway: Gateway, method: string, path: string): Promise<unknown> {
  const init: RequestInit = { method, headers: { host: "127.0.0.1:9000", "content-type": "application/json", accept: "application/json, text/event-stream" } };
  if (method === "POST") init.body = BODY;
  const res = await gateway.fetch(new Request(`http://127.0.0.1:9000${path}`, init), { clientAddress: "127.0.0.1" });
  const text = (await res.text()).replace(/"requestId":"[^"]+"/g, '"requestId":"…"');
  return { status: res.status, type: res.headers.get("content-type"), allow: res.headers.get("allow"), text };
}

const CASES: readonly [method: string, path: string][] = [
  ["POST", "/mcp/a"],
  ["GET", "/mcp/a"],
  ["HEAD", "/mcp/a"],
  ["DELETE", "/mcp/a"],
  ["POST", "/mcp/a/"],
  ["POST", "/mcp/a?x=1"],
  ["POST", "/mcp/a#frag"],
  ["POST", "/mcp/%61"],
  ["POST", "/mcp/a%2F"],
  ["POST", "/MCP/a"],
  ["POST", "/mcp/b-v1"],
  ["GET", "/mcp/b-v1"],
  ["POST", "/mcp/with%20space"],
  ["POST", "/mcp/nope"],
  ["GET", "/.well-known/oauth-protected-resource/mcp/a"],
  ["POST", "/oauth/token"],
  ["GET", "/__mcpgw/health/ready"],
  ["POST", "//mcp/a"],
];

describe("exact-path lookup ahead of hono", () => {
  for (const [method, path] of CASES) {
    it(`answers ${method} ${path} as hono's routing does`, async () => {
      expect(await observed(withLookup, method, path)).toEqual(await observed(honoOnly, method, path));
    });
  }

  it("reaches the upstream through both for a route path (the comparison is not between two 404s)", async () => {
    const before = upstream.received.length;
    expect(((await observed(withLookup, "POST", "/mcp/a")) as { status: number }).status).toBe(200);
    expect(((await observed(honoOnly, "POST", "/mcp/a")) as { status: number }).status).toBe(200);
    expect(upstream.received.length).toBe(before + 2);
  });
});
