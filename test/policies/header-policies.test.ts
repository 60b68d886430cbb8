import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import * as v from "valibot";
import { loadProject } from "../../src/config/load.ts";
import type { BuildContext } from "../../src/request/context.ts";
import { SecretRegistry } from "../../src/log/redact.ts";
import { setHeadersInbound } from "../../src/policies/set-headers-inbound.ts";
import { setUpstreamApiKeyInbound } from "../../src/policies/set-upstream-api-key-inbound.ts";
import { startGateway, policy, postRpc, type GatewayUnderTest } from "../helpers/gateway.ts";
import { mcpRoute, routesDoc, writeProject } from "../helpers/project.ts";
import { startFaultyUpstream, type FaultyUpstream, type ReceivedRequest } from "../helpers/upstreams.ts";

// The header policies for static-credential upstreams (set-headers-inbound, remove-headers-inbound,
// set-upstream-api-key-inbound), run through the real gateway; the upstream records what arrived.

const STATIC_TOKEN = "static-upstream-token-3f9a";
const API_KEY = "sk_live_api_key_77aa";
const SECOND_KEY = "second-key-for-x-api-key";

let upstream: FaultyUpstream;
let gateway: GatewayUnderTest;

beforeAll(async () => {
  upstream = startFaultyUpstream();
  const echo = `${upstream.origin}/echo`;
  gateway = await startGateway({
    env: { STATIC_TOKEN, UPSTREAM_API_KEY: API_KEY, TENANT: "acme" },
    dotenv: `SECOND=${SECOND_KEY}\n`,
    policies: {
      policies: [
        policy("static-auth", "set-headers-inbound", "SetHeadersInboundPolicy", {
          headers: [
            { name: "Authorization", value: "Bearer $env(STATIC_TOKEN)" },
            { name: "X-Tenant", value: "$env(TENANT)" },
            { name: "Accept", value: "application/json", overwrite: false },
          ],
        }),
        policy("strip-client-details", "remove-headers-inbound", "RemoveHeadersInboundPolicy", { headers: ["User-Agent", "traceparent"] }),
        policy("api-key", "set-upstream-api-key-inbound", "SetUpstreamApiKeyInboundPolicy", { value: "Bearer $env(UPSTREAM_API_KEY)" }),
        policy("x-api-key", "set-upstream-api-key-inbound", "SetUpstreamApiKeyInboundPolicy", { header: "X-API-Key", value: "$env(SECOND)" }),
        policy("api-key-if-unset", "set-upstream-api-key-inbound", "SetUpstreamApiKeyInboundPolicy", { value: "Bearer never-used-key", overwrite: false }),
      ],
    },
    routes: routesDoc({
      "/mcp/static": { "get,post": mcpRoute("static-server", echo, ["static-auth", "strip-client-details"]) },
      "/mcp/api-key": { "get,post": mcpRoute("api-key-server", echo, ["api-key"]) },
      "/mcp/x-api-key": { "get,post": mcpRoute("x-api-key-server", echo, ["x-api-key"]) },
      "/mcp/first-wins": { "get,post": mcpRoute("first-wins-server", echo, ["static-auth", "api-key-if-unset"]) },
    }),
  });
});

afterAll(async () => {
  await gateway.stop();
  upstream.stop();
});

const CLIENT_HEADERS = { authorization: "Bearer client-token", cookie: "sid=1", "user-agent": "test-agent/1.0", traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };

async function through(path: string): Promise<ReceivedRequest> {
  const before = upstream.received.length;
  const res = await postRpc(`${gateway.url}${path}`, { jsonrpc: "2.0", id: 1, method: "tools/list" }, CLIENT_HEADERS);
  expect(res.status).toBe(200);
  expect(upstream.received.length).toBe(before + 1);
  return upstream.received.at(-1)!;
}

describe("set-headers-inbound", () => {
  it("sets the configured headers with $env values, replacing the client's Authorization with the upstream's", async () => {
    const seen = await through("/mcp/static");
    expect(seen.headers.get("authorization")).toBe(`Bearer ${STATIC_TOKEN}`);
    expect(seen.headers.get("x-tenant")).toBe("acme");
    expect(seen.headers.get("cookie")).toBeNull();
  });

  it("leaves a header the request already has when overwrite is false", async () => {
    const seen = await through("/mcp/static");
    expect(seen.headers.get("accept")).toBe("application/json, text/event-stream");
  });

  it("refuses, at load, headers the gateway manages", () => {
    const project = writeProject({
      policies: { policies: [policy("bad", "set-headers-inbound", "SetHeadersInboundPolicy", { headers: [{ name: "Content-Length", value: "1" }] })] },
    });
    const result = loadProject(project, { env: {} });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.map((p) => p.message).join("\n")).toContain("managed by the gateway");
  });
});

describe("remove-headers-inbound", () => {
  it("drops the named headers from the upstream request", async () => {
    const seen = await through("/mcp/static");
    expect(seen.headers.get("traceparent")).toBeNull();
    // Bun's fetch adds its own User-Agent when none is set; the client's must not be the one sent.
    expect(seen.headers.get("user-agent")).not.toBe("test-agent/1.0");
  });

  it("forwards those headers on a route without it", async () => {
    const seen = await through("/mcp/api-key");
    expect(seen.headers.get("user-agent")).toBe("test-agent/1.0");
    expect(seen.headers.get("traceparent")).toBe(CLIENT_HEADERS.traceparent);
  });
});

describe("set-upstream-api-key-inbound", () => {
  it("sets Authorization by default", async () => {
    expect((await through("/mcp/api-key")).headers.get("authorization")).toBe(`Bearer ${API_KEY}`);
  });

  it("sets another header when asked, with a value from .env", async () => {
    const seen = await through("/mcp/x-api-key");
    expect(seen.headers.get("x-api-key")).toBe(SECOND_KEY);
    expect(seen.headers.get("authorization")).toBeNull();
  });

  it("with overwrite false, keeps a credential an earlier policy set", async () => {
    expect((await through("/mcp/first-wins")).headers.get("authorization")).toBe(`Bearer ${STATIC_TOKEN}`);
  });

  it("refuses an empty key at load", () => {
    const project = writeProject({ policies: { policies: [policy("k", "set-upstream-api-key-inbound", "SetUpstreamApiKeyInboundPolicy", { value: "" })] } });
    expect(loadProject(project, { env: {} }).ok).toBe(false);
  });
});

describe("static credentials and the log", () => {
  const build = (secrets: SecretRegistry) => ({ services: { secrets }, name: "p" }) as unknown as BuildContext;

  it("registers credential header values with the log redaction layer, with and without their scheme", () => {
    const secrets = new SecretRegistry();
    setHeadersInbound.create(v.parse(setHeadersInbound.optionsSchema, { headers: [{ name: "Authorization", value: `Bearer ${STATIC_TOKEN}` }, { name: "X-Tenant", value: "acme-public" }] }), build(secrets));
    setUpstreamApiKeyInbound.create(v.parse(setUpstreamApiKeyInbound.optionsSchema, { header: "X-API-Key", value: API_KEY }), build(secrets));
    expect(secrets.has(STATIC_TOKEN)).toBe(true);
    expect(secrets.has(`Bearer ${STATIC_TOKEN}`)).toBe(true);
    expect(secrets.has(API_KEY)).toBe(true);
    expect(secrets.has("acme-public")).toBe(false);
    expect(secrets.scrub(`sent x-api-key ${API_KEY}`)).not.toContain(API_KEY);
  });
});
