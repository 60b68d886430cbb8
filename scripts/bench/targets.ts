import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ensureCivic, startCivic } from "./civic.ts";
import { startGatewayBinary, writeBenchProject, type BinaryStatus } from "./mcpgw.ts";
import { PROTOCOL_VERSION } from "./messages.ts";
import { nginxBinary, startNginx } from "./nginx.ts";
import { devLoginLinkFromLog, obtainAccessToken, OAuthUnavailable } from "./oauth-client.ts";
import { LISTENING_LINE, spawnManaged } from "./processes.ts";
import { connectedPersonToken, EXCHANGE_POLICY, exchangePolicy, startUpstreamOAuthPeers } from "./upstream-oauth.ts";
import type { UpstreamKind } from "./upstreams.ts";

// The things the load is pointed at. A target answers from one upstream kind; its "baseline" is that
// upstream loaded directly, which is what `added p50` and `× direct` compare with. Each proxy runs in its
// own process, so the CPU and RSS read from /proc are the proxy's alone.

export type TargetId =
  | "direct-minimal"
  | "direct-sdk"
  | "direct-minimal-sse"
  | "nginx"
  | "naive-hono"
  | "mcpgw"
  | "mcpgw-log-warn"
  | "mcpgw-oauth-filter"
  | "mcpgw-oauth-exchange-filter"
  | "mcpgw-filter"
  | "mcpgw-sse"
  | "civic-passthrough";

export interface TargetSpec {
  readonly id: TargetId;
  readonly label: string;
  readonly upstream: UpstreamKind;
  readonly role: "direct" | "proxy";
  readonly what: string;
}

export const TARGETS: readonly TargetSpec[] = [
  { id: "direct-minimal", label: "direct: minimal responder", upstream: "minimal-json", role: "direct", what: "Bun.serve answering fixed bytes (the physical limit)" },
  { id: "direct-sdk", label: "direct: SDK server", upstream: "sdk", role: "direct", what: "@modelcontextprotocol/sdk McpServer, stateless, enableJsonResponse" },
  { id: "nginx", label: "nginx", upstream: "minimal-json", role: "proxy", what: "nginx 1 worker, upstream keepalive (the minimal-proxy limit)" },
  { id: "naive-hono", label: "naive hono proxy", upstream: "minimal-json", role: "proxy", what: "hono + fetch(), bearer Map lookup, JSON parse/re-serialise (the floor)" },
  { id: "mcpgw", label: "mcpgw (no policies)", upstream: "minimal-json", role: "proxy", what: "dist/mcpgw start, one route, no policies, log level info" },
  { id: "mcpgw-log-warn", label: "mcpgw (no policies, log warn)", upstream: "minimal-json", role: "proxy", what: "as mcpgw, with --log-level warn: what the three info lines per request cost" },
  { id: "mcpgw-oauth-exchange-filter", label: "mcpgw (OAuth + token exchange + filter)", upstream: "minimal-json", role: "proxy", what: "as OAuth + filter, plus mcp-token-exchange-inbound with a connected person's upstream token (node-oidc-provider)" },
  { id: "mcpgw-filter", label: "mcpgw (filter only)", upstream: "minimal-json", role: "proxy", what: "dist/mcpgw start, capability filter allowing every tool (list answers parsed and checked, not changed): the filter's cost against the same route without it" },
  { id: "mcpgw-oauth-filter", label: "mcpgw (OAuth + filter)", upstream: "minimal-json", role: "proxy", what: "dist/mcpgw dev, mcp-oauth-inbound with a token from the real flow + capability filter" },
  { id: "civic-passthrough", label: "@civic/passthrough-mcp-server", upstream: "minimal-json", role: "proxy", what: "Node, SDK server+client per session (stateful), answers SSE" },
  { id: "direct-minimal-sse", label: "direct: minimal responder (SSE)", upstream: "minimal-sse", role: "direct", what: "the minimal responder answering one text/event-stream event" },
  { id: "mcpgw-sse", label: "mcpgw → SSE upstream", upstream: "minimal-sse", role: "proxy", what: "dist/mcpgw start, no policies, relaying the event stream" },
];

export const QUICK_TARGETS: readonly TargetId[] = ["direct-minimal", "nginx", "naive-hono", "mcpgw"];
/** Optional targets, run only when named with --targets. */
export const EXTRA_TARGETS: readonly TargetId[] = ["mcpgw-log-warn", "mcpgw-oauth-exchange-filter"];
export const DEFAULT_TARGETS: readonly TargetId[] = TARGETS.map((t) => t.id).filter((id) => !EXTRA_TARGETS.includes(id));

export function targetSpec(id: TargetId): TargetSpec {
  return TARGETS.find((t) => t.id === id)!;
}

/** The direct target that answers from the same upstream kind. */
export function baselineOf(spec: TargetSpec): TargetId {
  return spec.upstream === "minimal-sse" ? "direct-minimal-sse" : spec.upstream === "sdk" ? "direct-sdk" : "direct-minimal";
}

export interface RunningTarget {
  readonly spec: TargetSpec;
  readonly url: string;
  /** Headers every request to it carries (the protocol headers plus a token or session). */
  readonly headers: Readonly<Record<string, string>>;
  /** The process (tree) whose CPU and RSS are this target's cost. */
  readonly pid: number;
  /** Requests share a session: every request needs its own JSON-RPC id. */
  readonly uniqueIds?: boolean;
  /** Said once in the report, e.g. how the token was obtained. */
  readonly notes: readonly string[];
  stop(): Promise<void>;
}

export type StartedTarget = { readonly ok: true; readonly target: RunningTarget } | { readonly ok: false; readonly spec: TargetSpec; readonly skipped: string };

export interface UpstreamHandle {
  readonly url: string;
  readonly pid: number;
}

export interface BenchEnv {
  readonly root: string;
  readonly dir: string;
  readonly bun: string;
  readonly binary: BinaryStatus;
  readonly upstreams: ReadonlyMap<UpstreamKind, UpstreamHandle>;
  readonly say: (line: string) => void;
}

export const PROTOCOL_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": PROTOCOL_VERSION,
};

const BENCH_TOKEN = `bench_${crypto.randomUUID()}`;

async function startTargetOrThrow(spec: TargetSpec, env: BenchEnv): Promise<RunningTarget | string> {
  const upstream = env.upstreams.get(spec.upstream);
  if (!upstream) return `upstream ${spec.upstream} is not running`;
  const base = { spec, notes: [] as string[] };
  const noop = async () => {};
  switch (spec.id) {
    case "direct-minimal":
    case "direct-sdk":
    case "direct-minimal-sse":
      return { ...base, url: upstream.url, headers: PROTOCOL_HEADERS, pid: upstream.pid, stop: noop };
    case "nginx": {
      const binary = nginxBinary();
      if (!binary) return "nginx is not installed (apt-get install nginx)";
      const nginx = await startNginx(binary, upstream.url, env.dir);
      return { ...base, url: nginx.url, headers: PROTOCOL_HEADERS, pid: nginx.process.pid, stop: nginx.process.stop };
    }
    case "naive-hono": {
      const proc = await spawnManaged({
        name: "naive-hono",
        cmd: [env.bun, join(env.root, "scripts/bench/naive-hono-proxy.ts"), upstream.url, BENCH_TOKEN],
        logFile: join(env.dir, "naive-hono.log"),
        ready: LISTENING_LINE,
      });
      return { ...base, url: proc.ready[1]!, headers: { ...PROTOCOL_HEADERS, authorization: `Bearer ${BENCH_TOKEN}` }, pid: proc.pid, stop: proc.stop };
    }
    case "mcpgw":
    case "mcpgw-log-warn":
    case "mcpgw-sse":
    case "mcpgw-filter":
    case "mcpgw-oauth-filter": {
      if (env.binary.error) return env.binary.error;
      const oauth = spec.id === "mcpgw-oauth-filter";
      const gw = await startGatewayBinary({
        binary: env.binary.path,
        projectDir: writeBenchProject(upstream.url, oauth ? "oauth-filter" : spec.id === "mcpgw-filter" ? "filter" : "plain"),
        logFile: join(env.dir, `${spec.id}.log`),
        mode: oauth ? "dev" : "start",
        logLevel: spec.id === "mcpgw-log-warn" ? "warn" : "info",
        name: spec.id,
      });
      if (!oauth) return { ...base, url: gw.routeUrl, headers: PROTOCOL_HEADERS, pid: gw.process.pid, stop: gw.process.stop };
      try {
        const token = await obtainAccessToken(gw.origin, gw.routeUrl, devLoginLinkFromLog(readFileSync(join(env.dir, `${spec.id}.log`), "utf8")));
        const notes = ["token obtained through DCR → authorize (PKCE S256, resource) → dev-login → consent (CSRF) → token", "runs `mcpgw dev`: /oauth/dev-login answers only in dev mode"];
        return { ...base, notes, url: gw.routeUrl, headers: { ...PROTOCOL_HEADERS, authorization: `Bearer ${token}` }, pid: gw.process.pid, stop: gw.process.stop };
      } catch (err) {
        await gw.process.stop();
        if (err instanceof OAuthUnavailable) return "OAuth server not available";
        throw err;
      }
    }
    case "mcpgw-oauth-exchange-filter": {
      if (env.binary.error) return env.binary.error;
      const peers = await startUpstreamOAuthPeers(upstream.url);
      const gw = await startGatewayBinary({
        binary: env.binary.path,
        projectDir: writeBenchProject(upstream.url, "oauth-exchange-filter", { name: EXCHANGE_POLICY, policy: exchangePolicy(peers.prmUrl) }),
        logFile: join(env.dir, `${spec.id}.log`),
        mode: "dev",
        name: spec.id,
      });
      const stop = async () => {
        await gw.process.stop();
        await peers.stop();
      };
      try {
        const token = await connectedPersonToken(gw.origin, new URL(gw.routeUrl).pathname);
        const notes = ["the person connected the upstream through the real flow (Connect on the consent page → node-oidc-provider login and consent → callback); each call carries their upstream token from the vault"];
        return { ...base, notes, url: gw.routeUrl, headers: { ...PROTOCOL_HEADERS, authorization: `Bearer ${token}` }, pid: gw.process.pid, stop };
      } catch (err) {
        await stop();
        throw err;
      }
    }
    case "civic-passthrough": {
      const installed = ensureCivic(env.root, env.say);
      if ("error" in installed) return `cannot install the peer: ${installed.error}`;
      const civic = await startCivic(env.root, installed.packageDir, upstream.url, env.dir);
      const notes = [
        "one MCP session opened with initialize; the load reuses its Mcp-Session-Id with a fresh JSON-RPC id per request",
        "binds 127.0.0.1 via its library API (its CLI listens on every interface)",
      ];
      return { ...base, notes, uniqueIds: true, url: civic.url, headers: { ...PROTOCOL_HEADERS, ...civic.session }, pid: civic.process.pid, stop: civic.process.stop };
    }
  }
}

/** Start one target; anything that prevents it becomes a `skipped` reason, never an abort of the run. */
export async function startTarget(spec: TargetSpec, env: BenchEnv): Promise<StartedTarget> {
  try {
    const started = await startTargetOrThrow(spec, env);
    return typeof started === "string" ? { ok: false, spec, skipped: started } : { ok: true, target: started };
  } catch (err) {
    return { ok: false, spec, skipped: (err as Error).message.split("\n")[0]! };
  }
}
