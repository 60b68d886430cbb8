import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { mcpRoute, routesDoc, writeProject } from "../../test/helpers/project.ts";
// The same dev-login OAuth policy the OAuth tests use: the token comes from the real flow.
import { OAUTH_POLICY, oauthPolicy } from "../../test/oauth/helpers.ts";
import { TOOLS } from "./messages.ts";
import { freePort, spawnManaged, waitForPort, type ManagedProcess } from "./processes.ts";

// mcpgw as users run it: the compiled binary (dist/mcpgw), serving a temp Zuplo project whose one route
// proxies to a bench upstream. Rebuilt with `npm run build` when missing or older than src/.

export const ROUTE_PATH = "/mcp/bench";
export const FILTER_POLICY = "bench-filter";

export type GatewayProfile = "plain" | "filter" | "oauth-filter" | "oauth-exchange-filter";

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

export interface BinaryStatus {
  readonly path: string;
  readonly built: boolean;
  readonly error?: string;
}

/** dist/mcpgw, built first when it is missing or any file under src/ (or package.json) is newer. */
export function ensureBinary(root: string, say: (line: string) => void): BinaryStatus {
  const path = join(root, "dist/mcpgw");
  const binaryMtime = Bun.file(path).size > 0 ? statSync(path).mtimeMs : 0;
  const sourceMtime = Math.max(newestMtimeMs(join(root, "src")), statSync(join(root, "package.json")).mtimeMs);
  if (binaryMtime >= sourceMtime) return { path, built: false };
  say(binaryMtime === 0 ? "dist/mcpgw is missing: npm run build" : "dist/mcpgw is older than src/: npm run build");
  const result = Bun.spawnSync(["npm", "run", "build", "--silent"], { cwd: root, stdout: "pipe", stderr: "pipe", timeout: 180_000 });
  if (result.exitCode !== 0) return { path, built: false, error: `npm run build failed: ${(result.stderr.toString() || result.stdout.toString()).trim().slice(-2_000)}` };
  return { path, built: true };
}

function filterPolicy(): object {
  return {
    name: FILTER_POLICY,
    policyType: "mcp-capability-filter-inbound",
    handler: {
      module: "$import(@zuplo/runtime/mcp-gateway)",
      export: "McpCapabilityFilterInboundPolicy",
      // Every tool of the minimal upstream is allowed, so the answers pass unchanged but are still inspected.
      options: { tools: TOOLS.map((t) => t.name) },
    },
  };
}

const projects: string[] = [];

/** A temp project with one route at ROUTE_PATH to `upstreamUrl`; its data dirs go inside it. */
/** `exchange`: the mcp-token-exchange-inbound policy of the oauth-exchange-filter profile (scripts/bench/upstream-oauth.ts). */
export function writeBenchProject(upstreamUrl: string, profile: GatewayProfile, exchange?: { name: string; policy: object }): string {
  const policies =
    profile === "oauth-exchange-filter" ? [oauthPolicy(), exchange!.policy, filterPolicy()] : profile === "oauth-filter" ? [oauthPolicy(), filterPolicy()] : profile === "filter" ? [filterPolicy()] : [];
  const inbound =
    profile === "oauth-exchange-filter" ? [OAUTH_POLICY, exchange!.name, FILTER_POLICY] : profile === "oauth-filter" ? [OAUTH_POLICY, FILTER_POLICY] : profile === "filter" ? [FILTER_POLICY] : [];
  const dir = writeProject({
    policies: { policies },
    routes: routesDoc({ [ROUTE_PATH]: { post: mcpRoute("bench", upstreamUrl, inbound) } }),
  });
  projects.push(dir);
  return dir;
}

/** Deletes every project writeBenchProject made (call once the gateways serving them have stopped). */
export function removeBenchProjects(): void {
  for (const dir of projects.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface GatewayLaunch {
  readonly binary: string;
  readonly projectDir: string;
  readonly logFile: string;
  /** `dev` serves /oauth/dev-login (the only IdP-free login); `start` is production. */
  readonly mode: "dev" | "start";
  readonly logLevel?: string;
  readonly env?: Record<string, string | undefined>;
  readonly name?: string;
  /** Prefix the command (e.g. a shell raising the fd limit). */
  readonly wrap?: (cmd: string[]) => string[];
}

export const LISTENING = /^.*"gateway_listening".*$/m;

/** The gateway's origin from its gateway_listening log line. */
export function listeningUrl(line: string): string {
  return (JSON.parse(line) as { url: string }).url;
}

const LOGS_LISTENING = new Set(["trace", "debug", "info"]);

/**
 * Port 0 and the gateway_listening line when the log level prints it; above info that line is not
 * written, so the gateway gets a port picked here and is ready when its health endpoint answers.
 */
export async function startGatewayBinary(launch: GatewayLaunch): Promise<{ process: ManagedProcess; origin: string; routeUrl: string }> {
  const dataDir = mkdtempSync(join(launch.projectDir, "data-"));
  const logLevel = launch.logLevel ?? "info";
  const logsListening = LOGS_LISTENING.has(logLevel);
  const port = logsListening ? 0 : freePort();
  const cmd = [launch.binary, launch.mode, "--project", launch.projectDir, "--port", String(port), "--data-dir", dataDir, "--log-level", logLevel];
  const name = launch.name ?? "mcpgw";
  const proc = await spawnManaged({ name, cmd: launch.wrap ? launch.wrap(cmd) : cmd, logFile: launch.logFile, ready: logsListening ? LISTENING : /^/, env: launch.env });
  const origin = logsListening ? listeningUrl(proc.ready[0]) : `http://127.0.0.1:${port}`;
  if (!logsListening) await waitForPort(`${origin}/__mcpgw/health/ready`, 15_000, name);
  return { process: proc, origin, routeUrl: `${origin}${ROUTE_PATH}` };
}
