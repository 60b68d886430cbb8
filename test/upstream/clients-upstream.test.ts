import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO } from "../helpers/cli.ts";
import { freePort } from "../helpers/oidc-idp.ts";
import { ROUTE, startUpstreamGateway, writeUpstreamProject, type Gateway } from "./flow.ts";
import { startProtectedMcpServer, startUpstreamAuthServer, type ProtectedMcpServer, type UpstreamAuthServer } from "./peers.ts";

// The stock MCP Inspector CLI and mcp-remote (both exact devDependencies), each on its own reaching the
// protected upstream through a person's own upstream connection: the client's discovery, registration,
// PKCE and token code, the gateway's dev-login picker, consent page and Connect link, the upstream's real
// authorization server (node-oidc-provider) and MCP server (which introspects every token and says whose
// it saw). The only stand-in is the person at the browser: $BROWSER → test/e2e/fake-browser.ts, which
// picks the person, follows Connect through the upstream's login and consent, and clicks Authorize.

const INSPECTOR = join(REPO, "node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js");
const MCP_REMOTE = join(REPO, "node_modules/mcp-remote/dist/proxy.js");
const FAKE_BROWSER = join(import.meta.dir, "../e2e/fake-browser.ts");
const TIMEOUT_MS = 90_000;
// A client whose browser leg went wrong waits for a callback that never comes: stop it before the test's
// own timeout so the test fails with the client's output and the browser's log.
const CLIENT_WAIT_MS = 45_000;

let as: UpstreamAuthServer;
let upstream: ProtectedMcpServer;
let gw: Gateway;
let home: string;

beforeAll(async () => {
  as = await startUpstreamAuthServer();
  upstream = startProtectedMcpServer(as.issuer);
  gw = await startUpstreamGateway(writeUpstreamProject(upstream.url, { scopes: ["mcp:tools", "offline_access"] }, ["alice", "bob"]));
  home = mkdtempSync(join(tmpdir(), "mcpgw-clients-upstream-"));
});
afterAll(async () => {
  await gw?.stop();
  upstream?.stop();
  await as?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

/** A $BROWSER that plays `person` at the gateway and `upstreamAccount` at the upstream's login. */
function browserFor(person: string, upstreamAccount: string): string {
  const script = join(home, `browser-${person}.sh`);
  const env = `MCPGW_DEV_LOGIN_URL="${gw.devLoginUrl}" FAKE_BROWSER_DEV_USER=${person} FAKE_BROWSER_UPSTREAM_LOGIN=${upstreamAccount}`;
  writeFileSync(script, `#!/bin/sh\n${env} "${process.execPath}" "${FAKE_BROWSER}" "$1" >>"${home}/browser-${person}.log" 2>&1 &\n`);
  chmodSync(script, 0o755);
  return script;
}

const browserLog = (person: string) => {
  try {
    return readFileSync(join(home, `browser-${person}.log`), "utf8");
  } catch {
    return "(the browser was never opened)";
  }
};

describe("stock MCP clients reach an upstream tool through a per-user upstream connection", () => {
  it("MCP Inspector CLI: alice signs in, connects her upstream account, and whoami answers with her upstream token", async () => {
    // Its own callback port, not the default 6276: another Inspector on this machine cannot take it from us.
    const callbackUrl = `http://127.0.0.1:${await freePort()}/oauth/callback`;
    const args = ["--cli", `${gw.url}${ROUTE}`, "--transport", "http", "--format", "json", "--callback-url", callbackUrl, "--method", "tools/call", "--tool-name", "whoami"];
    const proc = Bun.spawn([process.execPath, INSPECTOR, ...args], {
      env: { PATH: process.env.PATH ?? "", HOME: home, MCP_INSPECTOR_SECRET_STORE: "memory", MCP_AUTO_OPEN_ENABLED: "true", BROWSER: browserFor("alice", "alice-at-linear") },
      stdout: "pipe",
      stderr: "pipe",
      timeout: CLIENT_WAIT_MS,
    });
    const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    const code = await proc.exited;
    const diagnostics = `inspector stdout:\n${stdout}\nstderr:\n${stderr}\nbrowser:\n${browserLog("alice")}`;
    expect(stdout + stderr, diagnostics).toContain("Authorization complete");
    expect(code, diagnostics).toBe(0);
    const json = JSON.parse(stdout.slice(stdout.indexOf('{"result"'))) as { result: { content: { type: string; text: string }[] } };
    expect(json.result.content).toEqual([{ type: "text", text: "alice-at-linear" }]);

    // The upstream saw alice's own token, from the gateway's DCR client; the gateway stored her connection.
    const alice = upstream.seen.filter((s) => s.sub === "alice-at-linear");
    expect(alice.length).toBeGreaterThan(0);
    expect(gw.logs.filter((l) => l.event === "mcp_auth_upstream_connection_established").map((l) => l.subjectId)).toContain("alice");
    expect(gw.logs.filter((l) => l.event === "capability_invocation_completed" && l.subjectId === "alice").at(-1)).toMatchObject({ upstreamServerId: "linear", upstreamAuthMode: "user-oauth", outcome: "success" });
  }, TIMEOUT_MS);

  it("mcp-remote (as Claude Desktop starts it, over stdio): bob connects his own upstream account and whoami answers with his token", async () => {
    const stderr: string[] = [];
    const transport = new StdioClientTransport({
      // Claude Desktop runs `npx -y mcp-remote@<version> URL`, i.e. this file under Node.
      command: "node",
      args: [MCP_REMOTE, `${gw.url}${ROUTE}`],
      env: { PATH: process.env.PATH ?? "", HOME: home, MCP_REMOTE_CONFIG_DIR: join(home, "mcp-auth"), BROWSER: browserFor("bob", "bob-at-linear") },
      stderr: "pipe",
    });
    transport.stderr?.on("data", (chunk: Buffer) => void stderr.push(chunk.toString()));
    const client = new Client({ name: "claude-desktop-stand-in", version: "1.0.0" });
    try {
      await client.connect(transport, { timeout: CLIENT_WAIT_MS });
      const result = await client.callTool({ name: "whoami", arguments: {} });
      const diagnostics = `mcp-remote stderr:\n${stderr.join("")}\nbrowser:\n${browserLog("bob")}`;
      expect(result.content, diagnostics).toEqual([{ type: "text", text: "bob-at-linear" }]);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nmcp-remote stderr:\n${stderr.join("")}\nbrowser:\n${browserLog("bob")}`);
    } finally {
      await client.close().catch(() => undefined);
    }
    // Two people, two upstream tokens: bob's call did not travel on alice's connection.
    const tokens = new Map(upstream.seen.map((s) => [s.sub, s.token]));
    expect(tokens.get("bob-at-linear")).toBeDefined();
    expect(tokens.get("bob-at-linear")).not.toBe(tokens.get("alice-at-linear"));
    expect(gw.logs.filter((l) => l.event === "mcp_auth_upstream_connection_established").map((l) => l.subjectId)).toContain("bob");
    expect(stderr.join("")).toContain("Browser opened automatically");
  }, TIMEOUT_MS);
});
