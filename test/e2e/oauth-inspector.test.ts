import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningGateway } from "../../src/cli/serve.ts";
import { REPO } from "../helpers/cli.ts";
import { DEMO_PATH, startGateway, writeOAuthProject } from "../oauth/helpers.ts";

// The stock MCP Inspector CLI (a devDependency) against the gateway: its own discovery, dynamic client
// registration, PKCE and token code, with no help from us but a stand-in for the person at the browser
// ($BROWSER → fake-browser.ts, which clicks Authorize on the real consent page).
const INSPECTOR = join(REPO, "node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js");
let gw: RunningGateway;
let browserScript: string;
let home: string;

beforeAll(async () => {
  gw = await startGateway(writeOAuthProject());
  home = mkdtempSync(join(tmpdir(), "mcpgw-inspector-"));
  browserScript = join(home, "browser.sh");
  writeFileSync(browserScript, `#!/bin/sh\nMCPGW_DEV_LOGIN_URL="${gw.devLoginUrl}" "${process.execPath}" "${join(import.meta.dir, "fake-browser.ts")}" "$1" >>"${home}/browser.log" 2>&1 &\n`);
  chmodSync(browserScript, 0o755);
});
afterAll(() => gw.stop());

async function inspector(args: string[]): Promise<{ code: number; out: string; stdout: string }> {
  const proc = Bun.spawn([process.execPath, INSPECTOR, "--cli", `${gw.url}${DEMO_PATH}`, "--transport", "http", "--format", "json", ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: home, MCP_INSPECTOR_SECRET_STORE: "memory", MCP_AUTO_OPEN_ENABLED: "true", BROWSER: browserScript },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code: await proc.exited, out: out + err, stdout: out };
}

describe("MCP Inspector CLI through the full OAuth flow", () => {
  it("registers, signs in through dev-login and consent, and lists the demo tools", async () => {
    const r = await inspector(["--method", "tools/list"]);
    expect(r.out).toContain("Authorization complete");
    const json = JSON.parse(r.stdout.slice(r.stdout.indexOf('{"result"'))) as { result: { tools: { name: string }[] } };
    expect(json.result.tools.map((t) => t.name).sort()).toEqual(["add", "echo", "get_time"]);
    expect(r.code).toBe(0);
  }, 60_000);

  it("calls a tool the same way", async () => {
    const r = await inspector(["--method", "tools/call", "--tool-name", "add", "--tool-arg", "a=2", "--tool-arg", "b=40"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('"sum":42');
  }, 60_000);
});
