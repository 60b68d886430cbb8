import { afterAll, beforeAll, expect, it } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { serve, type RunningGateway } from "../../src/cli/serve.ts";
import { CLUSTER_START_TIMEOUT_MS, describeWithPostgres, sharedPostgres } from "../helpers/postgres.ts";
import { freePort } from "../helpers/oidc-idp.ts";
import { mcpPost, rememberDevLoginKey, tempDataDir } from "../oauth/helpers.ts";
import { callTool, connectAndAuthorize, ROUTE, writeUpstreamProject } from "../upstream/flow.ts";
import { startProtectedMcpServer, startUpstreamAuthServer, type ProtectedMcpServer, type UpstreamAuthServer } from "../upstream/peers.ts";

// Per-user upstream OAuth in a fleet: two gateways on one PostgreSQL, and a real upstream whose
// authorization server (node-oidc-provider) rotates refresh tokens and revokes the grant when a spent
// one comes back. When both instances find the upstream token refused at the same moment, one of them
// refreshes and the other uses what it stored: the upstream sees one refresh, and nobody is asked to
// connect again.

describeWithPostgres("upstream token refresh across a fleet", () => {
  let as: UpstreamAuthServer;
  let upstream: ProtectedMcpServer;
  let a: RunningGateway;
  let b: RunningGateway;
  const refreshes: string[] = [];

  beforeAll(async () => {
    as = await startUpstreamAuthServer({ accessTokenTtl: 3600 });
    as.provider.on("grant.success", (ctx: { oidc: { params?: { grant_type?: unknown } } }) => {
      if (ctx.oidc.params?.grant_type === "refresh_token") refreshes.push("ok");
    });
    as.provider.on("grant.error", (ctx: { oidc?: { params?: { grant_type?: unknown } } }) => {
      if (ctx.oidc?.params?.grant_type === "refresh_token") refreshes.push("refused");
    });
    upstream = startProtectedMcpServer(as.issuer);
    const storeUrl = await (await sharedPostgres()).createDatabase();
    // Both instances answer as A's URL (as behind a balancer, one public origin), so A's browser flows
    // and tokens are good on B; every request comes from 127.0.0.1, hence no per-address limits.
    const port = await freePort();
    const project = writeUpstreamProject(upstream.url, { scopes: ["mcp:tools", "offline_access"] });
    const zuploPath = join(project, "zuplo.jsonc");
    const zuplo = JSON.parse(readFileSync(zuploPath, "utf8")) as { mcpgw: Record<string, unknown> };
    zuplo.mcpgw.publicOrigin = `http://127.0.0.1:${port}`;
    zuplo.mcpgw.oauth = { rateLimits: { register: false, authorize: false, token: false } };
    writeFileSync(zuploPath, JSON.stringify(zuplo));
    const env = { MCPGW_DATA_KEY: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url") };
    const start = (p: number) => serve({ projectDir: project, port: p, host: "127.0.0.1", dataDir: tempDataDir(), store: storeUrl, logLevel: "silent", logFormat: "json" }, "dev", env);
    [a, b] = await Promise.all([start(port), start(0)]);
    rememberDevLoginKey(a);
  }, CLUSTER_START_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    upstream?.stop();
    await as?.stop();
  });

  it("refreshes once when both instances find alice's upstream token refused at the same moment", async () => {
    const { token } = await connectAndAuthorize(a.url, "alice", "alice-at-linear");
    // B opens the connection A stored: sealed under the fleet key, so it reads it.
    expect(await callTool(b.url, token)).toEqual({ text: "alice-at-linear" });
    expect(await callTool(a.url, token)).toEqual({ text: "alice-at-linear" });

    await as.revokeAccessToken(upstream.seen.at(-1)!.token);
    const call = async (on: RunningGateway, id: number) => {
      const response = await mcpPost(`${on.url}${ROUTE}`, token, { jsonrpc: "2.0", id, method: "tools/call", params: { name: "whoami", arguments: {} } });
      return JSON.stringify(await response.json());
    };
    const answers = await Promise.all([a, b, a, b, a, b].map((on, i) => call(on, i + 1)));
    for (const answer of answers) expect(answer).toContain("alice-at-linear");
    expect(refreshes).toEqual(["ok"]);
    // And the connection stays usable on both.
    expect(await callTool(a.url, token)).toEqual({ text: "alice-at-linear" });
    expect(await callTool(b.url, token)).toEqual({ text: "alice-at-linear" });
  });
});
