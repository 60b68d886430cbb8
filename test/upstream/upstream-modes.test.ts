import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { main } from "../../src/cli/main.ts";
import { StoreError } from "../../src/store/errors.ts";
import { createServices } from "../../src/services/compose.ts";
import { spawnCli } from "../helpers/cli.ts";
import { Browser, rememberDevLoginKey, tempDataDir } from "../oauth/helpers.ts";
import { callTool, connectAndAuthorize, openConsent, startUpstreamGateway, writeUpstreamProject } from "./flow.ts";
import { startProtectedMcpServer, startUpstreamAuthServer, upstreamLogin, type ProtectedMcpServer, type UpstreamAuthServer } from "./peers.ts";

// The other modes and the edges: silent refresh on expiry, shared-oauth with an administrator's
// connection, manual client registration, a restart after kill -9, the data-dir key check.

const cliIo = () => {
  const out: string[] = [];
  return { out, io: { out: (s: string) => void out.push(s), err: (s: string) => void out.push(s) } };
};

describe("access-token expiry", () => {
  let as: UpstreamAuthServer;
  let upstream: ProtectedMcpServer;

  beforeAll(async () => {
    as = await startUpstreamAuthServer({ accessTokenTtl: 2 });
    upstream = startProtectedMcpServer(as.issuer);
  });
  afterAll(async () => {
    upstream?.stop();
    await as?.stop();
  });

  it("refreshes silently (with rotation) before the upstream ever sees an expired token", async () => {
    const gw = await startUpstreamGateway(writeUpstreamProject(upstream.url, { scopes: ["mcp:tools", "offline_access"] }));
    try {
      const { token } = await connectAndAuthorize(gw.url, "alice", "alice-at-linear");
      expect(await callTool(gw.url, token)).toEqual({ text: "alice-at-linear" });
      const first = upstream.seen.at(-1)!.token;
      // Wait out most of the 2 s life: the gateway refreshes ahead of expiry (at half the token's life).
      await Bun.sleep(1_200);
      expect(await callTool(gw.url, token)).toEqual({ text: "alice-at-linear" });
      const second = upstream.seen.at(-1)!.token;
      expect(second).not.toBe(first);
      await Bun.sleep(1_200);
      expect(await callTool(gw.url, token)).toEqual({ text: "alice-at-linear" });
      expect(upstream.seen.at(-1)!.token).not.toBe(second); // the rotated refresh token worked too
      expect(upstream.refused).toHaveLength(0);
    } finally {
      await gw.stop();
    }
  });
});

describe("shared-oauth, manual registration, restarts", () => {
  let as: UpstreamAuthServer;
  let upstream: ProtectedMcpServer;
  const port = 20_000 + Math.floor(Math.random() * 20_000);

  beforeAll(async () => {
    // A client registered by hand at the upstream, for the gateway's callback on a port chosen now.
    as = await startUpstreamAuthServer({
      registration: false,
      clients: [{ client_id: "gateway-by-hand", client_secret: "hand-secret-1234", redirect_uris: [`http://127.0.0.1:${port}/auth/connections/linear/callback`], grant_types: ["authorization_code", "refresh_token"], token_endpoint_auth_method: "client_secret_post" }],
    });
    upstream = startProtectedMcpServer(as.issuer);
  });
  afterAll(async () => {
    upstream?.stop();
    await as?.stop();
  });

  it("manual registration: the configured client and auth method; a restart after kill -9 keeps the connection", async () => {
    const project = writeUpstreamProject(upstream.url, {
      scopes: ["mcp:tools", "offline_access"],
      clientRegistration: { mode: "manual", clientId: "gateway-by-hand", clientSecret: "hand-secret-1234", tokenEndpointAuthMethod: "client_secret_post" },
    });
    const dataDir = tempDataDir();
    const first = spawnCli(["dev", "--project", project, "--port", String(port), "--data-dir", dataDir, "--log-level", "info"]);
    const url = await first.url();
    rememberDevLoginKey({ devLoginUrl: await first.devLoginUrl() });
    const { token } = await connectAndAuthorize(url, "alice", "alice-at-linear");
    expect(upstream.seen).toHaveLength(0); // connected, not yet called
    first.proc.kill("SIGKILL");
    await first.proc.exited;

    const second = spawnCli(["dev", "--project", project, "--port", String(port), "--data-dir", dataDir, "--log-level", "info"]);
    try {
      expect(await second.url()).toBe(url);
      expect(await callTool(url, token)).toEqual({ text: "alice-at-linear" });
      expect(upstream.seen.at(-1)!.clientId).toBe("gateway-by-hand");
    } finally {
      await second.stop();
    }
  }, 30_000);

  it("shared-oauth: people see admin_connect_required until an administrator connects with mcpgw connections connect", async () => {
    const project = writeUpstreamProject(upstream.url, {
      authMode: "shared-oauth",
      scopes: ["mcp:tools", "offline_access"],
      clientRegistration: { mode: "manual", clientId: "gateway-by-hand", clientSecret: "hand-secret-1234", tokenEndpointAuthMethod: "client_secret_post" },
    });
    const gw = await startUpstreamGateway(project, { port });
    try {
      // Carol may authorize the client at once: a shared upstream is not hers to connect.
      const signedIn = await openConsent(gw.url, "carol");
      expect(signedIn.consent.body).toContain("An administrator must connect Linear.");
      const { approve } = await import("./flow.ts");
      const token = await approve(gw.url, signedIn);
      const before = (await (await fetch(`${gw.url}/mcp/linear-v1`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) })).json()) as { error: { code: number; message: string; data: Record<string, unknown> } };
      expect(before.error).toMatchObject({ code: -32042, message: "An administrator must connect Linear before this service is available.", data: { state: "admin_connect_required", authProfileId: "linear:shared-oauth" } });
      expect(before.error.data.authUrl).toBeUndefined();

      const { out, io } = cliIo();
      expect(await main(["connections", "connect", "linear", "--project", project, "--data-dir", gw.dataDir, "--origin", gw.url, "--json"], io)).toBe(0);
      const { connectUrl } = JSON.parse(out.pop()!) as { connectUrl: string };
      const done = await upstreamLogin(new Browser(), connectUrl, "ops-admin-at-linear");
      expect(done.body).toContain("Linear connected");
      gw.reload();

      expect(await callTool(gw.url, token)).toEqual({ text: "ops-admin-at-linear" });
      expect(await main(["connections", "list", "--project", project, "--data-dir", gw.dataDir, "--json"], io)).toBe(0);
      expect(JSON.parse(out.pop()!)).toMatchObject({ connections: [{ shared: true, upstreamId: "linear", authProfileId: "linear:shared-oauth", status: "active" }] });
    } finally {
      await gw.stop();
    }
  });
});

describe("the data-dir key", () => {
  it("refuses to start with a key other than the one the store was created with", async () => {
    const dataDir = tempDataDir();
    await (await createServices({ dataDir, mode: "start", log: { level: "silent" } })).stop();
    writeFileSync(join(dataDir, "secret.key"), Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url") + "\n");
    const failed = await createServices({ dataDir, mode: "start", log: { level: "silent" } }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failed).toBeInstanceOf(StoreError);
    expect((failed as StoreError).code).toBe("MCPGW_STORE_SECRET_KEY_MISMATCH");
  });
});
