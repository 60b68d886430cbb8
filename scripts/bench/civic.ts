import { join } from "node:path";
import { PROTOCOL_VERSION } from "./messages.ts";
import { spawnManaged, which, LISTENING_LINE, type ManagedProcess } from "./processes.ts";

// The Node MCP proxy a user might pick instead of a gateway for Streamable HTTP → Streamable HTTP:
// @civic/passthrough-mcp-server. Installed at bench time into .bench-peers/ (git-ignored), never into
// package.json. It is stateful: a client must initialize and then send Mcp-Session-Id; behind it one SDK
// client per session talks to the upstream. So the harness opens one session and loads it.
// (mcp-hub 4.2.1, the other candidate, serves clients only the legacy HTTP+SSE transport, GET /mcp +
// POST /messages; there is no Streamable HTTP endpoint for wrk to POST to: see docs/performance.md.)

export const CIVIC_PACKAGE = "@civic/passthrough-mcp-server";
export const CIVIC_VERSION = "0.12.1";
export const PEERS_DIR = ".bench-peers";

export function civicPackageDir(root: string): string {
  return join(root, PEERS_DIR, "node_modules", CIVIC_PACKAGE);
}

/** The package directory, installing it first if needed; an error string when it cannot be had. */
export function ensureCivic(root: string, say: (line: string) => void): { packageDir: string } | { error: string } {
  const packageDir = civicPackageDir(root);
  const installed = Bun.spawnSync(["node", "-p", `require(${JSON.stringify(join(packageDir, "package.json"))}).version`], { stdout: "pipe", stderr: "ignore" });
  if (installed.exitCode === 0 && installed.stdout.toString().trim() === CIVIC_VERSION) return { packageDir };
  if (!which("npm") || !which("node")) return { error: "node/npm not on PATH" };
  say(`installing ${CIVIC_PACKAGE}@${CIVIC_VERSION} into ${PEERS_DIR}/`);
  const result = Bun.spawnSync(["npm", "install", "--prefix", join(root, PEERS_DIR), "--no-audit", "--no-fund", "--loglevel=error", `${CIVIC_PACKAGE}@${CIVIC_VERSION}`], {
    cwd: root,
    stdout: "pipe",
    stderr: "pipe",
    timeout: 240_000,
  });
  if (result.exitCode !== 0) return { error: `npm install failed: ${result.stderr.toString().trim().slice(-500)}` };
  return { packageDir };
}

/** initialize + notifications/initialized; the headers every later request of the session needs. */
export async function openSession(url: string): Promise<Record<string, string>> {
  const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
  const init = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: "mcpgw-bench", version: "1.0.0" } },
    }),
  });
  const sessionId = init.headers.get("mcp-session-id");
  const text = await init.text();
  if (!init.ok || !sessionId) throw new Error(`initialize through the passthrough failed: ${init.status} ${text.slice(0, 300)}`);
  const session = { "mcp-session-id": sessionId, "mcp-protocol-version": PROTOCOL_VERSION };
  const initialized = await fetch(url, { method: "POST", headers: { ...headers, ...session }, body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) });
  await initialized.arrayBuffer();
  if (!initialized.ok) throw new Error(`notifications/initialized through the passthrough failed: ${initialized.status}`);
  return session;
}

export async function startCivic(root: string, packageDir: string, upstreamUrl: string, dir: string): Promise<{ process: ManagedProcess; url: string; session: Record<string, string> }> {
  const proc = await spawnManaged({
    name: "civic-passthrough",
    cmd: ["node", join(root, "scripts/bench/civic-launcher.mjs"), packageDir, new URL(upstreamUrl).origin],
    logFile: join(dir, "civic.log"),
    ready: LISTENING_LINE,
  });
  const url = proc.ready[1]!;
  return { process: proc, url, session: await openSession(url) };
}
