import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import pkg from "../../package.json" with { type: "json" };
import { serve, type RunningGateway } from "../../src/cli/serve.ts";
import { DEMO_PATH, mcpPost, obtainTokens, postForm, rememberDevLoginKey, tempDataDir, writeOAuthProject } from "../oauth/helpers.ts";
import { parseExposition, sampleValue, samplesMatching, type Family } from "../helpers/prometheus-text.ts";

// GET /metrics after real traffic: a real gateway (serve(), dev mode, with --admin-port) in front of the
// built-in demo upstream, the OAuth flow walked over HTTP, MCP calls sent with fetch. Each case scrapes
// before and after its traffic, parses the exposition strictly, and checks that the counters moved by
// exactly what was sent.

const ROUTE = "demo-mcp-server";
let gw: RunningGateway;
let mcpUrl: string;

async function scrape(): Promise<Map<string, Family>> {
  const response = await fetch(`${gw.adminUrl}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return parseExposition(await response.text());
}

const call = (name: string, args: object, id = 1) => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });

beforeAll(async () => {
  const projectDir = writeOAuthProject();
  gw = await serve(
    { projectDir, port: 0, host: "127.0.0.1", dataDir: tempDataDir(), logLevel: "silent", logFormat: "json", admin: { port: 0, host: "127.0.0.1" } },
    "dev",
    {},
  );
  rememberDevLoginKey(gw);
  mcpUrl = `${gw.url}${DEMO_PATH}`;
});
afterAll(() => gw.stop());

describe("GET /metrics on the admin listener", () => {
  it("is served on its own loopback listener, not on the gateway's", async () => {
    expect(gw.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(gw.adminUrl).not.toBe(gw.url);
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${gw.adminUrl}/other`)).status).toBe(404);
    expect((await fetch(`${gw.adminUrl}/metrics`, { method: "POST" })).status).toBe(405);
  });

  it("reports build info, process and store gauges", async () => {
    const m = await scrape();
    const [build] = samplesMatching(m, "mcpgw_build_info");
    expect(build!.labels.version).toBe(pkg.version);
    expect(build!.labels.commit).toMatch(/^([0-9a-f]{7,40}|unknown)$/);
    expect(build!.value).toBe(1);
    expect(sampleValue(m, "mcpgw_store_size_bytes")).toBeGreaterThan(4096);
    expect(sampleValue(m, "process_resident_memory_bytes")).toBeGreaterThan(1_000_000);
    expect(m.get("process_cpu_seconds_total")!.type).toBe("counter");
  });

  it("counts token issuance by grant type, and refusals of the token check by reason", async () => {
    const before = await scrape();
    const { clientId, tokens } = await obtainTokens(gw.url);
    const refreshed = await postForm(`${gw.url}/oauth/token`, { grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: clientId, resource: mcpUrl });
    expect(refreshed.status).toBe(200);
    // Two requests without a token, one with a forged one.
    for (const token of [undefined, undefined, `at_${"A".repeat(43)}`]) expect((await mcpPost(mcpUrl, token)).status).toBe(401);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta("mcpgw_oauth_tokens_issued_total", { route: ROUTE, grant_type: "authorization_code" })).toBe(1);
    expect(delta("mcpgw_oauth_tokens_issued_total", { route: ROUTE, grant_type: "refresh_token" })).toBe(1);
    expect(delta("mcpgw_oauth_refusals_total", { event: "downstream_token_rejected", reason: "missing_token" })).toBe(2);
    expect(delta("mcpgw_oauth_refusals_total", { event: "downstream_token_rejected", reason: "invalid_token" })).toBe(1);
    expect(delta("mcpgw_auth_events_total", { event: "client_registered" })).toBe(1);
    expect(delta("mcpgw_auth_events_total", { event: "downstream_token_issued" })).toBe(2);
  });

  it("counts proxied calls by route, upstream, method and outcome, and times every one of them", async () => {
    const { tokens } = await obtainTokens(gw.url);
    const token = tokens.access_token;
    const before = await scrape();
    const sent = { add: 3, echo: 2, list: 2 };
    for (let i = 0; i < sent.add; i++) expect((await mcpPost(mcpUrl, token, call("add", { a: i, b: 1 }, i))).status).toBe(200);
    for (let i = 0; i < sent.echo; i++) expect((await mcpPost(mcpUrl, token, call("echo", { text: "hi" }, i))).status).toBe(200);
    for (let i = 0; i < sent.list; i++) expect((await mcpPost(mcpUrl, token, { jsonrpc: "2.0", id: i, method: "tools/list" })).status).toBe(200);
    // A method MCP does not define is forwarded, and counted as "_other"; the demo answers -32601.
    expect((await mcpPost(mcpUrl, token, { jsonrpc: "2.0", id: 9, method: "vendor/secret-sauce" })).status).toBe(200);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => sampleValue(after, name, labels) - sampleValue(before, name, labels);

    const series = { route: ROUTE, upstream: "demo" };
    expect(delta("mcpgw_mcp_requests_total", { ...series, method: "tools/call", outcome: "success" })).toBe(sent.add + sent.echo);
    expect(delta("mcpgw_mcp_requests_total", { ...series, method: "tools/list", outcome: "success" })).toBe(sent.list);
    expect(delta("mcpgw_mcp_requests_total", { ...series, method: "_other", outcome: "application_error" })).toBe(1);
    expect(delta("mcpgw_mcp_capability_calls_total", { route: ROUTE, method: "tools/call", capability: "add", outcome: "success" })).toBe(sent.add);
    expect(delta("mcpgw_mcp_capability_calls_total", { route: ROUTE, method: "tools/call", capability: "echo", outcome: "success" })).toBe(sent.echo);
    // The raw method name never becomes a label value.
    expect(samplesMatching(after, "mcpgw_mcp_requests_total").some((s) => s.labels.method === "vendor/secret-sauce")).toBe(false);

    for (const [name, labels] of [
      ["mcpgw_mcp_request_duration_seconds", { route: ROUTE, method: "tools/call" }],
      ["mcpgw_mcp_gateway_duration_seconds", { route: ROUTE, method: "tools/call" }],
      ["mcpgw_mcp_upstream_duration_seconds", { ...series, method: "tools/call" }],
    ] as const) {
      expect(delta(`${name}_count`, labels)).toBe(sent.add + sent.echo);
      expect(delta(`${name}_bucket`, { ...labels, le: "+Inf" })).toBe(sent.add + sent.echo);
      expect(delta(`${name}_sum`, labels)).toBeGreaterThan(0);
    }
    // The split adds up: gateway share + upstream share = the whole call, summed over the same calls.
    const whole = delta("mcpgw_mcp_request_duration_seconds_sum", { route: ROUTE, method: "tools/call" });
    const parts = delta("mcpgw_mcp_gateway_duration_seconds_sum", { route: ROUTE, method: "tools/call" }) + delta("mcpgw_mcp_upstream_duration_seconds_sum", { ...series, method: "tools/call" });
    expect(Math.abs(whole - parts)).toBeLessThan(1e-6);
  });

  it("counts requests refused before the upstream by reason code", async () => {
    const { tokens } = await obtainTokens(gw.url);
    const before = await scrape();
    expect((await fetch(mcpUrl, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(405);
    const bad = await fetch(mcpUrl, { method: "POST", headers: { authorization: `Bearer ${tokens.access_token}`, "content-type": "application/json", accept: "application/json, text/event-stream" }, body: "{not json" });
    expect(bad.status).toBe(400);
    const after = await scrape();
    const delta = (labels: Record<string, string>) => sampleValue(after, "mcpgw_mcp_rejections_total", labels) - sampleValue(before, "mcpgw_mcp_rejections_total", labels);
    expect(delta({ route: ROUTE, reason: "method_not_allowed", origin: "client" })).toBe(1);
    expect(delta({ route: ROUTE, reason: "parse_error", origin: "client" })).toBe(1);
  });

  it("never labels a series with a subject, client or request id", async () => {
    const m = await scrape();
    const labelNames = new Set([...m.values()].flatMap((f) => f.samples.flatMap((s) => Object.keys(s.labels))));
    expect([...labelNames].sort()).toEqual(["capability", "commit", "event", "grant_type", "le", "method", "origin", "outcome", "reason", "route", "upstream", "version"]);
  });
});

describe("the admin listener with MCPGW_ADMIN_TOKEN", () => {
  it("answers /metrics only with the bearer token", async () => {
    const token = "admin-secret-for-the-test";
    const guarded = await serve(
      { projectDir: writeOAuthProject(), port: 0, host: "127.0.0.1", dataDir: tempDataDir(), logLevel: "silent", logFormat: "json", admin: { port: 0, host: "127.0.0.1", token } },
      "dev",
      {},
    );
    try {
      const none = await fetch(`${guarded.adminUrl}/metrics`);
      expect(none.status).toBe(401);
      expect(none.headers.get("www-authenticate")).toBe('Bearer realm="mcpgw-admin"');
      expect((await fetch(`${guarded.adminUrl}/metrics`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
      const ok = await fetch(`${guarded.adminUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(parseExposition(await ok.text()).has("mcpgw_mcp_requests_total")).toBe(true);
    } finally {
      await guarded.stop();
    }
  });
});
